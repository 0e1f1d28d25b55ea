// Builders of pack archives for tests: real packs from ../shared/fixtures/packs tarred with node-tar,
// hand-made tar streams for what honest tools refuse to write (symlinks, `../x`, devices, control
// characters, lying sizes), and gzip bombs that are small on the wire and huge when inflated.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip as gzipCallback, gzipSync } from 'node:zlib';
import { create as createTar } from 'tar';

const gzip = promisify(gzipCallback);

/** The real packs, next to this repository (the repository is cloned as a sibling of `shared/`). */
export const FIXTURES_DIR = fileURLToPath(new URL('../../../shared/fixtures/packs/', import.meta.url));

/** The fixture folders (one pack each), sorted. */
export function fixtureNames(): string[] {
  return readdirSync(FIXTURES_DIR)
    .filter((name) => statSync(join(FIXTURES_DIR, name)).isDirectory())
    .sort();
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

async function listFiles(root: string, relative = ''): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(join(root, relative), { withFileTypes: true })) {
    const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) found.push(...(await listFiles(root, path)));
    else if (entry.isFile()) found.push(path);
  }
  return found;
}

/** The files of a fixture pack, by path relative to the pack root, after the edits in `opts`. */
export async function fixtureFiles(folder: string, opts: PackFixtureOptions = {}): Promise<Map<string, Buffer>> {
  const root = join(FIXTURES_DIR, folder);
  const omitted = (path: string): boolean => (opts.omit ?? []).some((o) => path === o || path.startsWith(`${o}/`));
  const files = new Map<string, Buffer>();
  for (const path of (await listFiles(root)).sort()) {
    if (!omitted(path)) files.set(path, await readFile(join(root, path)));
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
 * A real .tar.gz of a fixture pack made by node-tar from a temporary copy of the folder, by default
 * under one top-level folder named like the fixture.
 */
export async function packFixture(folder: string, opts: PackFixtureOptions = {}): Promise<Buffer> {
  const files = await fixtureFiles(folder, opts);
  const work = await mkdtemp(join(tmpdir(), 'pack-fixture-'));
  try {
    for (const [path, body] of files) {
      await mkdir(dirname(join(work, path)), { recursive: true });
      await writeFile(join(work, path), body);
    }
    const topDir = opts.topDir === undefined ? folder : opts.topDir;
    const topLevel = (await readdir(work)).sort();
    const options = topDir === null ? { gzip: true, cwd: work, portable: true } : { gzip: true, cwd: work, portable: true, prefix: topDir };
    const chunks: Buffer[] = [];
    for await (const chunk of createTar(options, topLevel)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export type RawEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'chardev' | 'blockdev' | 'fifo';

export interface RawEntry {
  path: string;
  type?: RawEntryType;
  body?: string | Buffer;
  linkpath?: string;
  /** The size written in the header; defaults to the body's length (set it to lie). */
  size?: number;
  /** The name field's exact bytes (e.g. not UTF-8), instead of `path`. At most 100 bytes. */
  rawPath?: Buffer;
  /** Any other type flag, e.g. `S` (sparse) or `V` (volume label). */
  typeflag?: string;
  mtime?: Date;
  mode?: number;
  /** Records of a pax extended header written before this entry (`path` goes here when it is long). */
  pax?: Record<string, string>;
}

const TYPE_FLAGS: Record<RawEntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  chardev: '3',
  blockdev: '4',
  dir: '5',
  fifo: '6',
};

const BLOCK = 512;
const MAX_OCTAL_SIZE = 0o77777777777;

function writeOctal(block: Buffer, offset: number, width: number, value: number): void {
  block.write(`${value.toString(8).padStart(width - 1, '0')}\0`, offset, width, 'ascii');
}

/** Sizes beyond 8 GiB use the base-256 form GNU tar writes (first byte 0x80). */
function writeSize(block: Buffer, value: number): void {
  if (value <= MAX_OCTAL_SIZE) {
    writeOctal(block, 124, 12, value);
    return;
  }
  block[124] = 0x80;
  let rest = BigInt(value);
  for (let index = 124 + 11; index > 124; index--) {
    block[index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
}

/** One ustar header block, checksum included. */
function headerBlock(fields: { name: Buffer; typeflag: string; size: number; linkpath?: string; mtime?: Date; mode?: number }): Buffer {
  const block = Buffer.alloc(BLOCK);
  fields.name.copy(block, 0, 0, Math.min(100, fields.name.length));
  writeOctal(block, 100, 8, fields.mode ?? (fields.typeflag === '5' ? 0o755 : 0o644));
  writeOctal(block, 108, 8, 1000);
  writeOctal(block, 116, 8, 1000);
  writeSize(block, fields.size);
  writeOctal(block, 136, 12, Math.floor((fields.mtime ?? new Date('2024-01-01T00:00:00Z')).getTime() / 1000));
  block.write(fields.typeflag, 156, 1, 'latin1');
  if (fields.linkpath) block.write(fields.linkpath, 157, 100, 'utf8');
  block.write('ustar\u000000', 257, 8, 'latin1');
  block.write('test', 265, 32, 'ascii');
  block.write('test', 297, 32, 'ascii');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return block;
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

function paxRecord(key: string, value: string): string {
  const text = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(text) + 1;
  while (String(length).length + Buffer.byteLength(text) !== length) length = String(length).length + Buffer.byteLength(text);
  return `${length}${text}`;
}

function paxHeader(path: string, records: Record<string, string>): Buffer {
  const body = Buffer.from(Object.entries(records).map(([key, value]) => paxRecord(key, value)).join(''), 'utf8');
  const name = Buffer.from(`PaxHeader/${path.split('/').pop() ?? 'x'}`.slice(0, 99), 'utf8');
  return Buffer.concat([headerBlock({ name, typeflag: 'x', size: body.length }), body, padding(body.length)]);
}

/** The uncompressed tar bytes of `entries` (header, body, padding each), without the end-of-archive blocks. */
export function rawTarEntries(entries: RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const body = entry.body === undefined ? Buffer.alloc(0) : Buffer.from(entry.body);
    const pathBytes = Buffer.from(entry.path, 'utf8');
    const pax = { ...entry.pax };
    // Long or non-ASCII names go into a pax record, as every modern tar does.
    if (!entry.rawPath && (pathBytes.length > 99 || pathBytes.length !== entry.path.length)) pax['path'] = entry.path;
    if (Object.keys(pax).length > 0) parts.push(paxHeader(entry.path, pax));
    const typeflag = entry.typeflag ?? TYPE_FLAGS[entry.type ?? 'file'];
    const header: Parameters<typeof headerBlock>[0] = {
      name: entry.rawPath ?? (pathBytes.length > 99 ? pathBytes.subarray(0, 99) : pathBytes),
      typeflag,
      size: entry.size ?? body.length,
    };
    if (entry.linkpath !== undefined) header.linkpath = entry.linkpath;
    if (entry.mtime !== undefined) header.mtime = entry.mtime;
    if (entry.mode !== undefined) header.mode = entry.mode;
    parts.push(headerBlock(header), body, padding(body.length));
  }
  return Buffer.concat(parts);
}

/** Two zero blocks: the end-of-archive marker. */
export const TAR_END = Buffer.alloc(2 * BLOCK);

/** A .tar.gz written header by header, so tests can build archives no honest tool would write. */
export async function buildRawTarGz(entries: RawEntry[]): Promise<Buffer> {
  return gzip(Buffer.concat([rawTarEntries(entries), TAR_END]));
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
  const tail = Buffer.concat([Buffer.alloc(rest), padding(bytes), TAR_END]);
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
