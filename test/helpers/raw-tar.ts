// A tar writer that writes exactly the headers it is told to, for archives no honest tool would write
// (symlinks, `../x`, devices, control characters, lying sizes) and for byte-exact archives such as the
// Helm chart .tgz files of sample packs. Its header blocks come from tar-header.ts, the header-level writer.
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { TAR_END, header, padding, paxRecord } from './tar-header.js';

export { TAR_END } from './tar-header.js';

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

const MAX_OCTAL_SIZE = 0o77777777777;

/** Sizes beyond 8 GiB in the base-256 form GNU tar writes (first byte 0x80); octal below. */
function sizeField(value: number): number | Buffer {
  if (value <= MAX_OCTAL_SIZE) return value;
  const field = Buffer.alloc(12);
  field[0] = 0x80;
  let rest = BigInt(value);
  for (let index = 11; index > 0; index--) {
    field[index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return field;
}

interface HeaderFields {
  name: Buffer;
  typeflag: string;
  size: number;
  linkpath?: string;
  mtime?: Date;
  mode?: number;
}

/** One ustar header block, checksum included (the header-level writer of tar-header.ts, with this file's defaults). */
function headerBlock(fields: HeaderFields): Buffer {
  return header({
    name: fields.name,
    typeflag: fields.typeflag,
    size: sizeField(fields.size),
    ...(fields.mode === undefined ? {} : { mode: fields.mode }),
    mtime: Math.floor((fields.mtime ?? new Date('2024-01-01T00:00:00Z')).getTime() / 1000),
    ...(fields.linkpath ? { linkname: fields.linkpath } : {}),
    uname: 'test',
    gname: 'test',
  });
}

/** The zero bytes that fill an entry's body up to a whole 512-byte block. */
export const tarPadding = padding;

function paxHeader(path: string, records: Record<string, string>): Buffer {
  const body = Buffer.concat(Object.entries(records).map(([key, value]) => paxRecord(key, value)));
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
    const fields: HeaderFields = {
      name: entry.rawPath ?? (pathBytes.length > 99 ? pathBytes.subarray(0, 99) : pathBytes),
      typeflag,
      size: entry.size ?? body.length,
    };
    if (entry.linkpath !== undefined) fields.linkpath = entry.linkpath;
    if (entry.mtime !== undefined) fields.mtime = entry.mtime;
    if (entry.mode !== undefined) fields.mode = entry.mode;
    parts.push(headerBlock(fields), body, tarPadding(body.length));
  }
  return Buffer.concat(parts);
}

/** A .tar.gz written header by header, so tests can build archives no honest tool would write. */
export async function buildRawTarGz(entries: RawEntry[]): Promise<Buffer> {
  return gzip(Buffer.concat([rawTarEntries(entries), TAR_END]));
}
