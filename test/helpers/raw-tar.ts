// A tar writer that writes exactly the headers it is told to, for archives no honest tool would write
// (symlinks, `../x`, devices, control characters, lying sizes) and for byte-exact archives such as the
// Helm chart .tgz files of sample packs.
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';

const gzip = promisify(gzipCallback);

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

/** The zero bytes that fill an entry's body up to a whole 512-byte block. */
export function tarPadding(size: number): Buffer {
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
  return Buffer.concat([headerBlock({ name, typeflag: 'x', size: body.length }), body, tarPadding(body.length)]);
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
    parts.push(headerBlock(header), body, tarPadding(body.length));
  }
  return Buffer.concat(parts);
}

/** Two zero blocks: the end-of-archive marker. */
export const TAR_END = Buffer.alloc(2 * BLOCK);

/** A .tar.gz written header by header, so tests can build archives no honest tool would write. */
export async function buildRawTarGz(entries: RawEntry[]): Promise<Buffer> {
  return gzip(Buffer.concat([rawTarEntries(entries), TAR_END]));
}
