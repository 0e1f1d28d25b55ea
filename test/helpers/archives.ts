// Builders of pack archives for tests: sample packs (test/helpers/sample-packs.ts — synthetic packs shaped
// like real ones, plus the one real pack kept in the repository) tarred by node-tar; hand-made tar streams
// for what honest tools refuse to write (symlinks, `../x`, devices, control characters, lying sizes), from
// ./raw-tar.ts; and gzip bombs that are small on the wire and huge when inflated. Nothing is read from
// outside the repository; the real-pack corpus has its own tier (test/corpus/, test/helpers/corpus.ts).
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gzip as gzipCallback, gzipSync } from 'node:zlib';
import { tarGzipFiles } from './pack-builder.js';
import { TAR_END, rawTarEntries, tarPadding, type RawEntry } from './raw-tar.js';
import { EXTRA_SAMPLES, MIRRORED_SAMPLES, samplePack } from './sample-packs.js';

export { TAR_END, buildRawTarGz, rawTarEntries, type RawEntry, type RawEntryType } from './raw-tar.js';

const gzip = promisify(gzipCallback);

/**
 * The fixture packs most tests iterate over, sorted: one sample per real pack the suite was written
 * against, under the same folder names (see MIRRORED_SAMPLES for what each exercises).
 */
export function fixtureNames(): string[] {
  return MIRRORED_SAMPLES.map((sample) => sample.folder).sort();
}

/** The further sample shapes: a 5 MB pack, a pack of 400+ files, a pack with every optional file. */
export function extraFixtureNames(): string[] {
  return EXTRA_SAMPLES.map((sample) => sample.folder).sort();
}

export interface PackFixtureOptions {
  /** The single top-level folder; defaults to the fixture's folder name; `null` puts the files at the root. */
  topDir?: string | null;
  /** Changes pack.json before packing (it is re-serialised with two-space indentation). */
  editPackJson?: (packJson: Record<string, unknown>) => void;
  /** Files to add or replace, by path relative to the pack root. */
  extraFiles?: Record<string, string | Buffer>;
  /** Paths (relative to the pack root) to leave out; a folder path leaves out everything under it. */
  omit?: string[];
}

/**
 * The files of a fixture pack, by path relative to the pack root, after the edits in `opts`. The map is
 * the caller's own; the buffers are shared with other callers, so copy one before changing its bytes.
 */
export async function fixtureFiles(folder: string, opts: PackFixtureOptions = {}): Promise<Map<string, Buffer>> {
  const omitted = (path: string): boolean => (opts.omit ?? []).some((o) => path === o || path.startsWith(`${o}/`));
  const files = new Map<string, Buffer>();
  for (const [path, body] of await samplePack(folder).files()) {
    if (!omitted(path)) files.set(path, body);
  }
  if (opts.editPackJson) {
    const source = files.get('pack.json');
    if (!source) throw new Error(`${folder} has no pack.json to edit`);
    const packJson = JSON.parse(source.toString('utf8')) as Record<string, unknown>;
    opts.editPackJson(packJson);
    files.set('pack.json', Buffer.from(`${JSON.stringify(packJson, null, 2)}\n`));
  }
  for (const [path, body] of Object.entries(opts.extraFiles ?? {})) {
    files.set(path, typeof body === 'string' ? Buffer.from(body) : body);
  }
  return files;
}

/**
 * A real .tar.gz of a fixture pack made by node-tar, by default under one top-level folder named like the
 * fixture. The same fixture and options give the same bytes (fixed mtimes, modes and entry order).
 */
export async function packFixture(folder: string, opts: PackFixtureOptions = {}): Promise<Buffer> {
  const files = await fixtureFiles(folder, opts);
  return tarGzipFiles(files, opts.topDir === undefined ? folder : opts.topDir);
}

/** The sample pack renamed to `name:version`, with its own values.yaml: distinct bytes for each call's values. */
export function packVariant(name: string, version: string, values: string): Promise<Buffer> {
  return packFixture('hello-universe-1.3.1', {
    editPackJson: (pj) => {
      pj.name = name;
      pj.version = version;
    },
    extraFiles: { 'values.yaml': values },
  });
}

/** The smallest valid pack as raw entries, at the archive root. */
export function minimalPackEntries(overrides: Record<string, unknown> = {}): RawEntry[] {
  const packJson = { name: 'bomb', displayName: 'Bomb', version: '1.0.0', layer: 'addon', ...overrides };
  return [
    { path: 'pack.json', body: JSON.stringify(packJson) },
    { path: 'values.yaml', body: 'pack:\n  namespace: bomb\n' },
  ];
}

/**
 * A small .tar.gz holding a valid pack.json/values.yaml and `zeros.bin`, which inflates to `bytes` zero
 * bytes. gzip members may be concatenated, so the zeros are one compressed 16 MiB block repeated — a
 * 10 GB bomb costs about 10 MB and no time to build. `declaredSize` makes the header lie about the size
 * (e.g. 1024): the walk must then notice the inflated bytes rather than the header.
 */
export async function gzipBomb(bytes: number, opts: { declaredSize?: number } = {}): Promise<Buffer> {
  const chunkSize = 16 * 1024 * 1024;
  const head = rawTarEntries([...minimalPackEntries(), { path: 'zeros.bin', size: opts.declaredSize ?? bytes }]);
  const zeroChunk = gzipSync(Buffer.alloc(chunkSize), { level: 9 });
  const fullChunks = Math.floor(bytes / chunkSize);
  const rest = bytes - fullChunks * chunkSize;
  const tail = Buffer.concat([Buffer.alloc(rest), tarPadding(bytes), TAR_END]);
  const members: Buffer[] = [await gzip(head)];
  for (let index = 0; index < fullChunks; index++) members.push(zeroChunk);
  members.push(await gzip(tail));
  return Buffer.concat(members);
}

export function sha256Hex(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** A stream over `buf` in `chunkSize` pieces that counts how much of it was actually pulled. */
export function countingReadable(buf: Buffer, chunkSize = 64 * 1024): { stream: Readable; bytesRead: () => number } {
  let bytesRead = 0;
  let offset = 0;
  const stream = new Readable({
    read() {
      if (offset >= buf.length) {
        this.push(null);
        return;
      }
      const chunk = buf.subarray(offset, offset + chunkSize);
      offset += chunk.length;
      bytesRead += chunk.length;
      this.push(chunk);
    },
  });
  return { stream, bytesRead: () => bytesRead };
}

/** A values.yaml whose nine-fold aliases would expand to 9^9 strings ("billion laughs"). */
export const BILLION_LAUGHS_YAML = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
  'h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]',
  'i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]',
  '',
].join('\n');
