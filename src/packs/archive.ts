// The archive walk: the one place where untrusted upload bytes are read. The .tar.gz is streamed once
// through gunzip and node-tar's Parser; every entry header is judged before its body is read, bodies are
// hashed as they pass, and nothing is ever written to disk. Only pack.json, values.yaml, presets.yaml,
// schema.yaml and the chart archives under charts/ (all capped, see charts.ts) are held in memory. Limits stop the walk as soon as they are passed, so a gzip bomb costs little.
// Because the original bytes are stored and served to other tar readers (Palette's is Go's archive/tar),
// an upload's inflated bytes also go through an independent block walk (tar-structure.ts) that refuses
// every construct tar implementations read differently, and that must agree with node-tar on each entry.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { computeContentDigest, sortFilesByPath } from './digest.js';
import { normalizeArchivePath } from './names.js';
import { MAX_PACK_JSON_BYTES, parsePackJson } from './pack-json.js';
import { TarStructureCheck } from './tar-structure.js';
import type { ArchiveLimits, ChartInfo, InspectionResult, PackFile, PackManifest, PackProblem, ProblemRule } from './types.js';
import { MAX_CHART_ARCHIVES_BYTES, MAX_CHART_ARCHIVE_BYTES, readChartFacts } from './charts.js';
import { YAML_FILES, type YamlFileName } from './values-yaml.js';
import { checkYamlFileOffThread } from './values-yaml-thread.js';

export type ArchiveInput = NodeJS.ReadableStream | Readable;

const PACK_JSON = 'pack.json';
const VALUES_YAML = 'values.yaml';
/** Optional YAML files at the pack root, checked like values.yaml and kept for the version document. */
type OptionalYaml = 'presets.yaml' | 'schema.yaml';

// ---------------------------------------------------------------------------------------------------
// Streaming a .tar.gz through the tar parser

/** What ended a walk early because of the bytes: corruption, or a construct tar readers disagree on. */
interface WalkFailure {
  rule: Extract<ProblemRule, 'archive-corrupt' | 'tar-ambiguous'>;
  message: string;
  path?: string;
}

/** How a walk ended. `stopped` means a handler asked to stop (a limit was passed, or the entry was found). */
type WalkEnd = { kind: 'complete' } | { kind: 'stopped' } | ({ kind: 'corrupt' } & WalkFailure);

interface WalkHandlers {
  /**
   * Also walk the tar blocks independently (TarStructureCheck) and refuse what tar readers disagree on:
   * for judging an upload, whose original bytes other readers will get.
   */
  readonly checksStructure?: boolean;
  /** A file-system entry (file, directory, link, device…), still paused: nothing of its body is read yet. */
  onEntry(entry: ReadEntry): void;
  /** An entry node-tar skips: an unsupported type, or an extended header beyond its 1 MiB cap. */
  onIgnoredEntry(entry: ReadEntry): void;
  /** Called with the size of each inflated chunk before the parser sees it. */
  onInflatedBytes?(bytes: number): void;
  /** Checked after every chunk: `true` ends the walk at once and destroys the input. */
  shouldStop(): boolean;
  /** Backpressure from a consumer of entry bytes: the walk reads no further until it resolves. */
  waitForConsumer?(): Promise<void>;
  /** Told at once when the stream proves corrupt, before the Parser ends a truncated entry. */
  onCorrupt?(message: string): void;
}

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

function toReadable(input: ArchiveInput): Readable {
  return input instanceof Readable ? input : new Readable().wrap(input);
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function warningPath(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const { header, entry } = data as { header?: { path?: unknown }; entry?: { path?: unknown } };
  const path = header?.path ?? entry?.path;
  return typeof path === 'string' ? path : undefined;
}

/** What one walk has learnt about the stream's health, shared by the parser's events and the pump. */
class WalkState {
  corruption: WalkFailure | undefined;
  /** node-tar saw the end-of-archive marker (two zero blocks). */
  tarEnded = false;
  /** The independent block walk, when the handlers asked for it. */
  readonly structure: TarStructureCheck | undefined;

  constructor(private readonly handlers: WalkHandlers) {
    this.structure = handlers.checksStructure ? new TarStructureCheck() : undefined;
  }

  markCorrupt(message: string, path?: string, rule: WalkFailure['rule'] = 'archive-corrupt'): void {
    if (this.corruption) return;
    this.corruption = path === undefined ? { rule, message } : { rule, message, path };
    this.handlers.onCorrupt?.(message);
  }

  /** Takes over what the block walk found, if anything. */
  noteStructure(): void {
    const finding = this.structure?.finding;
    if (finding) this.markCorrupt(finding.message, finding.path, finding.rule);
  }
}

/** node-tar's Parser fed with already inflated bytes, its events routed to the handlers. */
function createTarParser(state: WalkState, handlers: WalkHandlers): Parser {
  // brotli/zstd off: a pack is gzip only, and the Parser must not guess another decompressor.
  const parser = new Parser({ strict: false, brotli: false, zstd: false });
  parser.on('eof', () => {
    state.tarEnded = true;
  });
  // Any parser warning means the stream is out of step (checksum failure, a truncated body, a header
  // that is not tar): node-tar would skip 512 bytes and read the next block as a header, so nothing
  // after it can be trusted.
  parser.on('warn', (code: string, message: string, data: unknown) => {
    // node-tar calls a tar of nothing but its end marker "unrecognized"; it is valid, merely empty.
    if (state.tarEnded && code === 'TAR_BAD_ARCHIVE' && message.startsWith('Unrecognized archive format')) return;
    const path = warningPath(data);
    state.markCorrupt(`the tar stream is corrupt: ${message}${path === undefined ? '' : ` (at ${quote(path)})`}`, path);
  });
  parser.on('error', (error: unknown) => state.markCorrupt(`the tar stream is corrupt: ${describeError(error)}`));
  // Every entry node-tar reports must be the one the block walk read at that place.
  const agrees = (entry: ReadEntry): boolean => {
    if (!state.structure || entry.meta) return true;
    state.structure.matchEntry(entry.path, entry.size);
    state.noteStructure();
    return state.structure.finding === undefined;
  };
  parser.on('entry', (entry: ReadEntry) => {
    if (agrees(entry)) handlers.onEntry(entry);
    else entry.resume();
  });
  parser.on('ignoredEntry', (entry: ReadEntry) => {
    entry.resume();
    if (agrees(entry)) handlers.onIgnoredEntry(entry);
  });
  return parser;
}

/**
 * Hands inflated bytes to node-tar. With a block walk, the body of an extended header is held back
 * until it is complete and then written in one piece: node-tar decodes each write of such a body as
 * UTF-8 on its own, so a character split between two writes would change the records it reads.
 */
class ParserFeeder {
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** Tar-stream offset of the next byte node-tar gets. */
  private fed = 0;

  constructor(
    private readonly parser: Parser,
    private readonly structure: TarStructureCheck | undefined,
  ) {}

  write(chunk: Buffer): void {
    if (!this.structure) {
      this.parser.write(chunk);
      return;
    }
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    const end = this.fed + this.heldBytes;
    const holdFrom = Math.min(this.structure.holdFrom() ?? end, end);
    if (holdFrom <= this.fed) return;
    const data = this.held.length === 1 ? chunk : Buffer.concat(this.held, this.heldBytes);
    const given = holdFrom - this.fed;
    this.parser.write(given === data.length ? data : data.subarray(0, given));
    this.fed += given;
    const rest = data.subarray(given);
    this.held = rest.length > 0 ? [rest] : [];
    this.heldBytes = rest.length;
  }

  /** The input has ended: whatever is held goes to node-tar, which then sees a truncated header. */
  flush(): void {
    if (this.heldBytes === 0) return;
    this.parser.write(Buffer.concat(this.held, this.heldBytes));
    this.fed += this.heldBytes;
    this.held = [];
    this.heldBytes = 0;
  }
}

/** The input piped into gunzip, with what the walk needs to know about it. */
interface InputTap {
  compressedBytes(): number;
  /** How many bytes at the very end of the input so far are zero. */
  trailingZeroBytes(): number;
  /** The input stream's own error, if it failed. */
  error(): Error | undefined;
  detach(): void;
}

const ZEROS = Buffer.alloc(64 * 1024);

/** Whether every byte is zero, compared natively. */
function isZero(chunk: Buffer): boolean {
  for (let at = 0; at < chunk.length; at += ZEROS.length) {
    const slice = chunk.subarray(at, at + ZEROS.length);
    if (!slice.equals(ZEROS.subarray(0, slice.length))) return false;
  }
  return true;
}

/** How many bytes at the end of a chunk that is not all zero are zero. */
function zeroTail(chunk: Buffer): number {
  let at = chunk.length;
  while (at > 0 && chunk[at - 1] === 0) at--;
  return chunk.length - at;
}

function tapInput(source: Readable, gunzip: Gunzip): InputTap {
  let compressedBytes = 0;
  let trailingZeroBytes = 0;
  let inputError: Error | undefined;
  const count = (chunk: Buffer): void => {
    if (chunk.length === 0) return;
    compressedBytes += chunk.length;
    trailingZeroBytes = chunk.at(-1) !== 0 ? 0 : isZero(chunk) ? trailingZeroBytes + chunk.length : zeroTail(chunk);
  };
  source.on('data', count);
  // The error listener stays after detach(), so a late error of the input can never go unhandled.
  source.on('error', (error) => {
    inputError ??= error;
    gunzip.destroy(error);
  });
  source.pipe(gunzip);
  return {
    compressedBytes: () => compressedBytes,
    trailingZeroBytes: () => trailingZeroBytes,
    error: () => inputError,
    detach: () => {
      source.off('data', count);
      source.unpipe(gunzip);
    },
  };
}

/**
 * Moves inflated chunks into the parser until gunzip ends, the stream proves corrupt or a handler asks
 * to stop; answers whether it stopped early. Throws what gunzip throws.
 */
async function pumpInflated(gunzip: Gunzip, parser: Parser, state: WalkState, handlers: WalkHandlers): Promise<boolean> {
  let head = Buffer.alloc(0);
  const mustStop = (): boolean => state.corruption !== undefined || handlers.shouldStop();
  const feeder = new ParserFeeder(parser, state.structure);
  for await (const chunk of gunzip as AsyncIterable<Buffer>) {
    if (head.length < GZIP_MAGIC.length) {
      head = Buffer.concat([head, chunk]).subarray(0, GZIP_MAGIC.length);
      if (head.equals(GZIP_MAGIC)) state.markCorrupt('the archive is gzip-compressed twice');
    }
    handlers.onInflatedBytes?.(chunk.length);
    if (mustStop()) return true;
    // The block walk reads every inflated byte, those after the end-of-archive marker included: they
    // must be zero padding.
    if (state.structure) {
      state.structure.write(chunk);
      state.noteStructure();
      if (mustStop()) return true;
    }
    // After the end-of-archive marker the rest is padding: inflated (and counted), not parsed by node-tar.
    if (!state.tarEnded) feeder.write(chunk);
    if (mustStop()) return true;
    await handlers.waitForConsumer?.();
  }
  if (!state.tarEnded) feeder.flush();
  return false;
}

/**
 * Streams a .tar.gz through gunzip and node-tar's Parser and reports how the walk ended. gzip is
 * inflated here rather than by the Parser so that every inflated byte is counted, and so that the
 * Parser's sniffing never inflates a second, nested layer. Anything wrong with the bytes is a `corrupt`
 * end; only the input stream's own error is thrown.
 */
async function walkTarGz(input: ArchiveInput, handlers: WalkHandlers): Promise<WalkEnd> {
  const source = toReadable(input);
  // 64 KiB out per round trip to zlib's thread, not 16: a quarter of the hand-offs for the same bytes.
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  const state = new WalkState(handlers);
  const parser = createTarParser(state, handlers);
  const tap = tapInput(source, gunzip);
  let stopped = false;
  try {
    stopped = await pumpInflated(gunzip, parser, state, handlers);
  } catch (error) {
    const inputError = tap.error();
    if (inputError) {
      source.destroy();
      throw inputError;
    }
    const emptyInput = tap.compressedBytes() === 0;
    state.markCorrupt(emptyInput ? 'the archive is empty (0 bytes)' : `the archive is not valid gzip: ${describeError(error)}`);
  } finally {
    tap.detach();
    gunzip.destroy();
    // Stopping early must not leave the rest of the upload streaming in.
    if (stopped || state.corruption) source.destroy();
  }
  if (!state.corruption && !stopped) {
    await endParser(parser);
    if (!state.corruption) finishStructure(state, gunzip.bytesWritten, tap);
  }
  if (state.corruption) return { kind: 'corrupt', ...state.corruption };
  return stopped ? { kind: 'stopped' } : { kind: 'complete' };
}

/**
 * After a complete walk: the tar stream must have ended with its end marker, node-tar must have reported
 * every entry the block walk read, and nothing but zero padding may follow the gzip stream (zlib skips
 * whatever follows the last member when it starts with a NUL; it would be stored and served all the same).
 */
function finishStructure(state: WalkState, consumedBytes: number, tap: InputTap): void {
  const structure = state.structure;
  if (!structure) return;
  structure.end();
  structure.checkAllMatched();
  state.noteStructure();
  const ignoredBytes = tap.compressedBytes() - consumedBytes;
  if (!state.corruption && ignoredBytes > tap.trailingZeroBytes()) {
    state.markCorrupt(
      `${ignoredBytes} bytes that are not zero padding follow the end of the gzip stream; no reader sees them, but they would be stored and served`,
      undefined,
      'tar-ambiguous',
    );
  }
}

/** Lets the Parser finish; it reports a truncated last entry or a stream that was not tar at all. */
function endParser(parser: Parser): Promise<void> {
  return new Promise((resolve) => {
    parser.once('end', () => resolve());
    parser.end();
  });
}

// ---------------------------------------------------------------------------------------------------
// Judging one entry header

type EntryKind = 'file' | 'directory';

const REGULAR_FILE_TYPES: ReadonlySet<string> = new Set(['File', 'OldFile', 'ContiguousFile']);

const REFUSED_TYPE_WORDS: Readonly<Record<string, string>> = {
  SymbolicLink: 'a symbolic link',
  Link: 'a hard link',
  CharacterDevice: 'a character device',
  BlockDevice: 'a block device',
  FIFO: 'a FIFO (named pipe)',
};

/** Shows a path with control characters escaped, so a problem message never carries raw ones. */
function quote(path: string): string {
  return JSON.stringify(path);
}

function entryKind(entry: ReadEntry): EntryKind | PackProblem {
  if (REGULAR_FILE_TYPES.has(entry.type)) return 'file';
  if (entry.type === 'Directory') return 'directory';
  const what = REFUSED_TYPE_WORDS[entry.type] ?? `of the unsupported type ${entry.type}`;
  const target = entry.linkpath ? ` (to ${quote(entry.linkpath)})` : '';
  return {
    rule: 'entry-type',
    message: `${quote(entry.path)} is ${what}${target}; a pack holds only regular files and directories`,
    path: entry.path,
  };
}

// C0 controls, DEL and C1 controls: they break terminals, logs and the digest's line format.
// U+FFFD is what node-tar's UTF-8 decoding of a header leaves for bytes that are not UTF-8.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_OR_INVALID = /[\u0000-\u001f\u007f-\u009f\ufffd]/u;

/** Path problems of one entry: each is a separate rule so that a client can tell them apart. */
function entryPathProblems(path: string): PackProblem[] {
  const problems: PackProblem[] = [];
  if (CONTROL_OR_INVALID.test(path)) {
    problems.push({
      rule: 'path-invalid',
      message: `${quote(path)} contains control characters or bytes that are not UTF-8`,
      path,
    });
  }
  // A backslash is a separator on Windows, where packctl may unpack the pack.
  if (path.includes('\\')) {
    problems.push({ rule: 'path-invalid', message: `${quote(path)} contains a backslash`, path });
  }
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) {
    problems.push({ rule: 'path-absolute', message: `${quote(path)} is an absolute path`, path });
  }
  if (path.split(/[/\\]/).includes('..')) {
    problems.push({ rule: 'path-traversal', message: `${quote(path)} contains a '..' segment`, path });
  }
  return problems;
}

/** macOS tar stores extended attributes as AppleDouble `._name` files next to each file; they are not pack content. */
function isAppleDouble(path: string): boolean {
  return (path.split('/').pop() ?? '').startsWith('._');
}

// ---------------------------------------------------------------------------------------------------
// The inspection of one upload

interface EntryRecord {
  kind: EntryKind;
  /** Set when a file's body has been read to its end. */
  size: number;
  sha256: string;
}

/** pack.json or values.yaml bytes, kept up to a cap; beyond it only the fact "too large" is kept. */
class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  tooLarge: boolean;

  constructor(
    readonly limit: number,
    declaredSize: number,
  ) {
    this.tooLarge = declaredSize > limit;
  }

  add(chunk: Buffer): void {
    if (this.tooLarge) return;
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      this.tooLarge = true;
      this.chunks.length = 0;
      return;
    }
    this.chunks.push(chunk);
  }

  content(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** The text, or `undefined` when the bytes are not UTF-8 (a leading byte-order mark is dropped). */
  text(): string | undefined {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(this.chunks));
    } catch {
      return undefined;
    }
  }
}

class ArchiveInspection implements WalkHandlers {
  readonly checksStructure = true;
  readonly problems: PackProblem[] = [];
  /** The problem that ended the walk early (a limit), if any. */
  stopProblem: PackProblem | undefined;
  private readonly entries = new Map<string, EntryRecord>();
  private readonly candidates = new Map<string, CappedBuffer>();
  /** First path segment of the first entry: the only folder that can be the pack's single top-level folder. */
  private firstSegment: string | undefined;
  private entryCount = 0;
  private declaredBytes = 0;
  private inflatedBytes = 0;
  /** What is left of MAX_CHART_ARCHIVES_BYTES for keeping chart archives. */
  private chartBudget = MAX_CHART_ARCHIVES_BYTES;

  constructor(private readonly limits: ArchiveLimits) {}

  shouldStop(): boolean {
    return this.stopProblem !== undefined;
  }

  onInflatedBytes(bytes: number): void {
    this.inflatedBytes += bytes;
    if (this.inflatedBytes > this.limits.maxUnpackedSize) {
      this.stopProblem ??= {
        rule: 'unpacked-size',
        message: `the archive unpacks to more than ${this.limits.maxUnpackedSize} bytes`,
      };
    }
  }

  onIgnoredEntry(entry: ReadEntry): void {
    if (this.shouldStop() || !this.withinLimits(entry)) return;
    if (entry.meta) {
      this.problems.push({
        rule: 'entry-header-too-large',
        message: `an extended header of ${entry.size} bytes before ${quote(entry.path)} is larger than allowed`,
        path: entry.path,
      });
      return;
    }
    const kind = entryKind(entry);
    if (typeof kind !== 'string') this.problems.push(kind);
  }

  onEntry(entry: ReadEntry): void {
    if (this.shouldStop() || !this.withinLimits(entry)) {
      entry.resume();
      return;
    }
    const path = this.acceptedPath(entry);
    const kind = entryKind(entry);
    if (path === undefined || typeof kind !== 'string') {
      if (typeof kind !== 'string') this.problems.push(kind);
      entry.resume();
      return;
    }
    if (path === '') {
      // `./` — the archive root itself; it names no file.
      if (kind === 'file') this.problems.push({ rule: 'path-invalid', message: `${quote(entry.path)} names no file`, path: entry.path });
      entry.resume();
      return;
    }
    if (this.entries.has(path)) {
      this.problems.push({
        rule: 'path-duplicate',
        message: `${quote(entry.path)} appears more than once in the archive`,
        path: entry.path,
      });
      entry.resume();
      return;
    }
    if (this.firstSegment === undefined && !isAppleDouble(path)) this.firstSegment = path.split('/')[0];
    const record: EntryRecord = { kind, size: 0, sha256: '' };
    this.entries.set(path, record);
    if (kind === 'directory') entry.resume();
    else this.readFile(entry, path, record);
  }

  /** Counts the entry against the limits; a passed limit ends the walk before the entry's body is read. */
  private withinLimits(entry: ReadEntry): boolean {
    this.entryCount += 1;
    if (this.entryCount > this.limits.maxEntries) {
      this.stopProblem = {
        rule: 'too-many-entries',
        message: `the archive holds more than ${this.limits.maxEntries} entries`,
        path: entry.path,
      };
      return false;
    }
    this.declaredBytes += entry.size;
    if (this.declaredBytes > this.limits.maxUnpackedSize) {
      this.stopProblem = {
        rule: 'unpacked-size',
        message: `the archive unpacks to more than ${this.limits.maxUnpackedSize} bytes (at ${quote(entry.path)}, ${entry.size} bytes)`,
        path: entry.path,
      };
      return false;
    }
    return true;
  }

  /** The normalised path when the entry's path is acceptable; its problems are recorded otherwise. */
  private acceptedPath(entry: ReadEntry): string | undefined {
    const problems = entryPathProblems(entry.path);
    if (problems.length > 0) {
      this.problems.push(...problems);
      return undefined;
    }
    return normalizeArchivePath(entry.path);
  }

  private readFile(entry: ReadEntry, path: string, record: EntryRecord): void {
    const hash = createHash('sha256');
    const candidate = this.candidateBuffer(path, entry.size);
    let size = 0;
    entry.on('end', () => {
      record.size = size;
      record.sha256 = hash.digest('hex');
    });
    entry.on('data', (chunk: Buffer) => {
      size += chunk.length;
      hash.update(chunk);
      candidate?.add(chunk);
    });
  }

  /**
   * pack.json and the YAML files at the root or in the first top-level folder are kept for validation;
   * chart archives directly under charts/ are kept (within their caps) for their Chart.yaml.
   */
  private candidateBuffer(path: string, declaredSize: number): CappedBuffer | undefined {
    const segments = path.split('/');
    const name = segments[segments.length - 1] ?? '';
    const inFirstFolder = segments[0] === this.firstSegment;
    if (segments.length === 1 || (segments.length === 2 && inFirstFolder)) {
      if (name !== PACK_JSON && !(name in YAML_FILES)) return undefined;
      const buffer = new CappedBuffer(name === PACK_JSON ? MAX_PACK_JSON_BYTES : YAML_FILES[name as YamlFileName].maxBytes, declaredSize);
      this.candidates.set(path, buffer);
      return buffer;
    }
    const chartsFolder = segments.length === 2 ? segments[0] : segments.length === 3 && inFirstFolder ? segments[1] : undefined;
    if (chartsFolder !== 'charts' || !(name.endsWith('.tgz') || name.endsWith('.tar.gz'))) return undefined;
    // Beyond its caps a chart is not kept (its facts are then unknown): charts are information, not rules.
    if (declaredSize > MAX_CHART_ARCHIVE_BYTES || declaredSize > this.chartBudget) return undefined;
    this.chartBudget -= declaredSize;
    const buffer = new CappedBuffer(declaredSize, declaredSize);
    this.candidates.set(path, buffer);
    return buffer;
  }

  /** After a complete walk: layout, required files, pack.json and values.yaml, the content digest. */
  async finish(): Promise<InspectionResult> {
    const problems = [...this.problems, ...this.pathConflicts()];
    const rootPrefix = this.rootPrefix();
    if (rootPrefix === undefined) {
      problems.push(this.layoutProblem());
      return { ok: false, problems };
    }
    const files = this.packFiles(rootPrefix);
    const filePaths = new Set(files.map((file) => file.path));
    const manifest = this.checkPackJson(rootPrefix, filePaths, problems);
    await this.checkValuesYaml(rootPrefix, problems);
    const presets = await this.optionalYaml(rootPrefix, 'presets.yaml', problems);
    const schema = await this.optionalYaml(rootPrefix, 'schema.yaml', problems);
    if (problems.length > 0 || manifest === undefined) return { ok: false, problems };
    const charts = await this.chartInfo(rootPrefix, manifest);
    return {
      ok: true,
      pack: { manifest, files, contentDigest: computeContentDigest(files), rootPrefix, presets, schema, charts },
    };
  }

  /** A file used as a folder (`a` and `a/b`) cannot be unpacked. */
  private pathConflicts(): PackProblem[] {
    const problems: PackProblem[] = [];
    for (const path of this.entries.keys()) {
      const segments = path.split('/');
      for (let depth = 1; depth < segments.length; depth++) {
        const ancestor = segments.slice(0, depth).join('/');
        if (this.entries.get(ancestor)?.kind === 'file') {
          problems.push({ rule: 'path-conflict', message: `${quote(path)} lies inside ${quote(ancestor)}, which is a file`, path });
          break;
        }
      }
    }
    return problems;
  }

  private visiblePaths(): string[] {
    return [...this.entries.keys()].filter((path) => !isAppleDouble(path));
  }

  /**
   * `''` when pack.json sits at the archive root; `dir/` when everything (macOS metadata aside) lies in
   * one top-level folder; `undefined` when neither holds.
   */
  private rootPrefix(): string | undefined {
    // pack.json at the root (even a wrong one, reported later) makes the root the pack root.
    if (this.entries.has(PACK_JSON)) return '';
    const topLevel = new Set(this.visiblePaths().map((path) => path.split('/')[0] ?? path));
    if (topLevel.size === 0) return '';
    const [only] = topLevel;
    if (topLevel.size > 1 || only === undefined) return undefined;
    return this.entries.get(only)?.kind === 'file' ? '' : `${only}/`;
  }

  private layoutProblem(): PackProblem {
    const topLevel = [...new Set(this.visiblePaths().map((path) => path.split('/')[0] ?? path))];
    const shown = topLevel.slice(0, 5).map(quote).join(', ') + (topLevel.length > 5 ? ', …' : '');
    return {
      rule: 'layout',
      message: `pack.json is not at the archive root, and the archive holds more than one top-level entry (${shown}); put the pack's files at the root or in exactly one folder`,
    };
  }

  private packFiles(rootPrefix: string): PackFile[] {
    const files: PackFile[] = [];
    for (const [path, record] of this.entries) {
      if (record.kind !== 'file' || isAppleDouble(path) || !path.startsWith(rootPrefix)) continue;
      files.push({ path: path.slice(rootPrefix.length), size: record.size, sha256: record.sha256 });
    }
    return sortFilesByPath(files);
  }

  /** The text of a required file at the pack root, or `undefined` with its problem recorded. */
  private requiredText(rootPrefix: string, name: string, problems: PackProblem[]): string | undefined {
    const path = rootPrefix + name;
    const buffer = this.candidates.get(path);
    if (this.entries.get(path)?.kind !== 'file' || buffer === undefined) {
      const where = rootPrefix === '' ? 'at the archive root' : `in ${quote(rootPrefix)}`;
      problems.push({ rule: 'file-missing', message: `${name} is missing: it must be a file ${where}`, path: name });
      return undefined;
    }
    if (buffer.tooLarge) {
      const rule = name === PACK_JSON ? 'pack-json-too-large' : `${YAML_FILES[name as YamlFileName].rulePrefix}-too-large`;
      problems.push({ rule, message: `${name} is larger than ${buffer.limit} bytes`, path: name });
      return undefined;
    }
    const text = buffer.text();
    if (text === undefined) {
      problems.push({ rule: 'file-encoding', message: `${name} is not UTF-8 text`, path: name });
    }
    return text;
  }

  private checkPackJson(rootPrefix: string, filePaths: ReadonlySet<string>, problems: PackProblem[]): PackManifest | undefined {
    const text = this.requiredText(rootPrefix, PACK_JSON, problems);
    if (text === undefined) return undefined;
    const result = parsePackJson(text, filePaths);
    problems.push(...result.problems);
    return result.manifest;
  }

  /** On a worker thread for all but small files: see values-yaml-thread.ts. */
  private async checkValuesYaml(rootPrefix: string, problems: PackProblem[]): Promise<void> {
    const text = this.requiredText(rootPrefix, VALUES_YAML, problems);
    if (text !== undefined) problems.push(...(await checkYamlFileOffThread(text, 'values.yaml')));
  }

  /** presets.yaml or schema.yaml: `null` when absent; its text when it passes its checks (problems recorded). */
  private async optionalYaml(rootPrefix: string, name: OptionalYaml, problems: PackProblem[]): Promise<string | null> {
    if (this.entries.get(rootPrefix + name)?.kind !== 'file') return null;
    const text = this.requiredText(rootPrefix, name, problems);
    if (text === undefined) return null;
    const found = await checkYamlFileOffThread(text, name);
    problems.push(...found);
    return found.length === 0 ? text : null;
  }

  /** Each pack.json chart with its Chart.yaml's facts, one chart at a time (each is bounded, see charts.ts). */
  private async chartInfo(rootPrefix: string, manifest: PackManifest): Promise<ChartInfo[]> {
    const charts: ChartInfo[] = [];
    for (const path of manifest.charts) {
      const buffer = this.candidates.get(rootPrefix + normalizeArchivePath(path));
      const bytes = buffer && !buffer.tooLarge ? buffer.content() : undefined;
      const facts = bytes ? await readChartFacts(bytes) : { name: null, version: null, appVersion: null };
      charts.push({ path, ...facts });
    }
    return charts;
  }
}

/**
 * Reads a pack upload (.tar.gz) once and judges it: the tar structure (only constructs every tar reader
 * reads alike, rule `tar-ambiguous`), every entry, the limits, the layout, pack.json and values.yaml. Returns the pack (manifest, sorted file list with sizes and SHA-256s, content digest) or
 * every problem found. Passing a limit or finding corruption ends the walk at once (the input is then
 * destroyed and only the problems found so far are returned). Nothing in the bytes makes it reject; it
 * rejects only with the input stream's own error (an aborted upload, a read error).
 *
 * `maxUnpackedSize` bounds both the sum of the sizes the entry headers declare (checked before a body is
 * read) and the number of bytes the gzip stream inflates to (tar headers and padding included).
 */
export async function inspectArchive(input: ArchiveInput, limits: ArchiveLimits): Promise<InspectionResult> {
  const inspection = new ArchiveInspection(limits);
  const end = await walkTarGz(input, inspection);
  if (end.kind === 'corrupt') {
    const problem: PackProblem = { rule: end.rule, message: end.message };
    if (end.path !== undefined) problem.path = end.path;
    return { ok: false, problems: [...inspection.problems, problem] };
  }
  if (inspection.stopProblem) return { ok: false, problems: [...inspection.problems, inspection.stopProblem] };
  return await inspection.finish();
}

// ---------------------------------------------------------------------------------------------------
// Reading one file back out of a stored archive

/** Thrown (as a rejection) by openArchiveEntry when the entry is larger than the caller allows. */
export class ArchiveEntryTooLargeError extends Error {
  constructor(
    readonly entryPath: string,
    readonly size: number,
    readonly limit: number,
  ) {
    super(`${entryPath} is ${size} bytes, more than the ${limit} allowed`);
    this.name = 'ArchiveEntryTooLargeError';
  }
}

/**
 * The walk handlers of openArchiveEntry: skips every entry but the wanted one, whose bytes it hands to
 * a Readable with backpressure (the walk waits while the reader's buffer is full).
 */
class EntryReader implements WalkHandlers {
  output: Readable | undefined;
  /** Why the entry cannot be delivered (too large, or the stream proved corrupt). */
  failure: Error | undefined;
  /** The whole entry went out to the reader before anything went wrong. */
  entryComplete = false;
  private readonly wanted: string;
  private finished = false;
  private readerIsFull = false;
  private resumeWalk: (() => void) | undefined;

  constructor(
    private readonly entryPath: string,
    private readonly maxBytes: number | undefined,
    private readonly onFound: (output: Readable) => void,
  ) {
    this.wanted = normalizeArchivePath(entryPath);
  }

  onIgnoredEntry(): void {}

  shouldStop(): boolean {
    return this.finished;
  }

  onCorrupt(message: string): void {
    this.failure ??= new Error(message);
  }

  waitForConsumer(): Promise<void> {
    if (!this.readerIsFull || this.finished) return Promise.resolve();
    return new Promise((resume) => {
      this.resumeWalk = resume;
    });
  }

  onEntry(entry: ReadEntry): void {
    if (this.output || this.finished || !this.isWanted(entry)) {
      entry.resume();
      return;
    }
    if (this.maxBytes !== undefined && entry.size > this.maxBytes) {
      this.failure = new ArchiveEntryTooLargeError(this.entryPath, entry.size, this.maxBytes);
      this.finish();
      entry.resume();
      return;
    }
    const output = this.createOutput();
    entry.on('end', () => {
      this.entryComplete = this.failure === undefined;
      this.finish();
      // The Parser ends a truncated body early, after its warning: that must not look like a whole file.
      if (this.failure) output.destroy(this.failure);
      else output.push(null);
    });
    entry.on('data', (chunk: Buffer) => {
      if (!output.push(chunk)) this.readerIsFull = true;
    });
    this.output = output;
    this.onFound(output);
  }

  private isWanted(entry: ReadEntry): boolean {
    return REGULAR_FILE_TYPES.has(entry.type) && normalizeArchivePath(entry.path) === this.wanted;
  }

  private createOutput(): Readable {
    return new Readable({
      read: () => {
        this.readerIsFull = false;
        this.wakeWalk();
      },
      destroy: (error, callback) => {
        // A reader that goes away (a client hanging up) ends the walk and releases the input.
        this.finish();
        callback(error);
      },
    });
  }

  private finish(): void {
    this.finished = true;
    this.wakeWalk();
  }

  private wakeWalk(): void {
    const resume = this.resumeWalk;
    this.resumeWalk = undefined;
    resume?.();
  }
}

/**
 * Streams one regular file out of a .tar.gz without unpacking the rest: resolves with a Readable of the
 * entry's bytes as soon as its header is found, or with `null` when the archive ends without it.
 * `entryPath` is the path inside the archive (the pack's `rootPrefix` included); `./a` and `a` match.
 * Rejects when the archive is corrupt before the entry is found, with ArchiveEntryTooLargeError when the
 * entry is larger than `maxBytes`, or with the input's own error; corruption inside the entry destroys
 * the returned stream with an error. Reading stops (and the input is destroyed) once the entry has been
 * read or the returned stream is destroyed. Meant for archives that passed inspectArchive: no limits
 * are applied while searching, and the gzip checksum after the entry is not verified.
 */
export function openArchiveEntry(input: Readable, entryPath: string, maxBytes?: number): Promise<Readable | null> {
  return new Promise((resolve, reject) => {
    const reader = new EntryReader(entryPath, maxBytes, resolve);
    const failOutput = (error: Error): boolean => {
      if (!reader.output) return false;
      // An error after the whole entry went out does not concern its bytes.
      if (!reader.entryComplete && !reader.output.destroyed) reader.output.destroy(error);
      return true;
    };
    walkTarGz(input, reader).then(
      (end) => {
        if (end.kind === 'corrupt' && failOutput(reader.failure ?? new Error(end.message))) return;
        if (reader.output) return;
        if (reader.failure) reject(reader.failure);
        else resolve(null);
      },
      (error: unknown) => {
        const inputError = error instanceof Error ? error : new Error(String(error));
        if (!failOutput(inputError)) reject(inputError);
      },
    );
  });
}
