// A tar writer that sets every byte of a header as told: magic and version, prefix field, base-256
// numbers, checksums, GNU long names, PAX global and extended headers with any records. Used to build
// the constructs tar readers disagree on (test/differential), and under raw-tar.ts's entry-level writer; the
// defaults give a plain ustar header.
import { gzipSync } from 'node:zlib';

export const BLOCK = 512;

/** Two zero blocks: the end-of-archive marker. */
export const TAR_END = Buffer.alloc(2 * BLOCK);

export const MAGIC = {
  ustar: Buffer.from('ustar\u000000', 'latin1'),
  gnu: Buffer.from('ustar  \u0000', 'latin1'),
  v7: Buffer.alloc(8),
} as const;

/** A header field: a number (written in octal), a string, or exact bytes. */
type Field = number | string | Buffer;

export interface HeaderSpec {
  name: string | Buffer;
  typeflag?: string;
  size?: number | Buffer;
  mode?: Field;
  uid?: Field;
  gid?: Field;
  mtime?: Field;
  linkname?: string | Buffer;
  /** The 8 bytes of magic and version; defaults to ustar (`ustar\0` + `00`). */
  magic?: Buffer;
  uname?: string;
  gname?: string;
  devmajor?: Field;
  devminor?: Field;
  prefix?: string | Buffer;
  /** Bytes written over the block last, before the checksum: [offset, bytes]. */
  patches?: [number, Buffer][];
  /** `false` leaves the checksum field as written (spaces unless patched); a number writes that value. */
  checksum?: false | number;
}

function put(block: Buffer, offset: number, width: number, value: Field | undefined): void {
  if (value === undefined) return;
  if (Buffer.isBuffer(value)) {
    value.copy(block, offset, 0, Math.min(width, value.length));
  } else if (typeof value === 'number') {
    block.write(`${value.toString(8).padStart(width - 1, '0')}\0`, offset, width, 'latin1');
  } else {
    block.write(value, offset, width, 'utf8');
  }
}

/** The checksum as every reader computes it: unsigned byte sum, the checksum field counted as spaces. */
export function computeChecksum(block: Buffer): number {
  let sum = 0;
  for (let index = 0; index < BLOCK; index++) sum += index >= 148 && index < 156 ? 0x20 : (block[index] ?? 0);
  return sum;
}

/** Writes the checksum of a header block in place ("%06o\0 "). */
export function writeChecksum(block: Buffer, value = computeChecksum(block)): void {
  block.write(`${value.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
}

/** One header block. */
export function header(spec: HeaderSpec): Buffer {
  const block = Buffer.alloc(BLOCK);
  put(block, 0, 100, spec.name);
  const typeflag = spec.typeflag ?? '0';
  put(block, 100, 8, spec.mode ?? (typeflag === '5' ? 0o755 : 0o644));
  put(block, 108, 8, spec.uid ?? 1000);
  put(block, 116, 8, spec.gid ?? 1000);
  put(block, 124, 12, spec.size ?? 0);
  put(block, 136, 12, spec.mtime ?? 1_700_000_000);
  block.fill(0x20, 148, 156);
  block.write(typeflag, 156, 1, 'latin1');
  put(block, 157, 100, spec.linkname);
  (spec.magic ?? MAGIC.ustar).copy(block, 257);
  put(block, 265, 32, spec.uname ?? 'user');
  put(block, 297, 32, spec.gname ?? 'user');
  put(block, 329, 8, spec.devmajor);
  put(block, 337, 8, spec.devminor);
  put(block, 345, 155, spec.prefix);
  for (const [offset, bytes] of spec.patches ?? []) bytes.copy(block, offset);
  if (spec.checksum !== false) writeChecksum(block, spec.checksum);
  return block;
}

export function padding(length: number): Buffer {
  return Buffer.alloc((BLOCK - (length % BLOCK)) % BLOCK);
}

/** Header, body and padding; the header's size is the body's length unless the spec says otherwise. */
export function entry(spec: HeaderSpec, body: string | Buffer = Buffer.alloc(0)): Buffer {
  const bytes = Buffer.from(body);
  return Buffer.concat([header({ size: bytes.length, ...spec }), bytes, padding(bytes.length)]);
}

/** A regular file entry. */
export function file(name: string, body: string | Buffer, spec: Partial<HeaderSpec> = {}): Buffer {
  return entry({ name, ...spec }, body);
}

/** One PAX record, `<length> <key>=<value>\n`, its length counting itself. */
export function paxRecord(key: string, value: string | Buffer): Buffer {
  const text = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), Buffer.from(value), Buffer.from('\n')]);
  let length = text.length + 1;
  while (String(length).length + text.length !== length) length = String(length).length + text.length;
  return Buffer.concat([Buffer.from(String(length)), text]);
}

/** A PAX extended (`x`) or global (`g`) header with the given records (or exact body bytes). */
export function pax(records: [string, string | Buffer][] | Buffer, typeflag: 'x' | 'g' = 'x', spec: Partial<HeaderSpec> = {}): Buffer {
  const body = Buffer.isBuffer(records) ? records : Buffer.concat(records.map(([key, value]) => paxRecord(key, value)));
  return entry({ name: typeflag === 'g' ? 'pax_global_header' : 'PaxHeaders/entry', typeflag, ...spec }, body);
}

/** A GNU long name (`L`) or long link (`K`) header, in a GNU header as GNU tar writes it. */
export function gnuLong(name: string | Buffer, typeflag: 'L' | 'K' = 'L', spec: Partial<HeaderSpec> = {}): Buffer {
  const body = Buffer.concat([Buffer.from(name), Buffer.from([0])]);
  return entry({ name: '././@LongLink', typeflag, magic: MAGIC.gnu, mode: 0o644, uid: 0, gid: 0, mtime: 0, uname: 'root', gname: 'root', ...spec }, body);
}

/** The smallest valid pack, its two files in `top/` (a folder entry first). */
export function packEntries(top = 'pack'): Buffer {
  return Buffer.concat([
    entry({ name: `${top}/`, typeflag: '5' }),
    file(`${top}/pack.json`, JSON.stringify({ name: 'tar-differential', displayName: 'Tar differential', version: '1.0.0', layer: 'addon' })),
    file(`${top}/values.yaml`, 'pack:\n  namespace: differential\n'),
  ]);
}

/** The tar bytes gzipped, with the end marker appended unless `end` is false. */
export function tarGz(parts: Buffer[], opts: { end?: boolean } = {}): Buffer {
  return gzipSync(Buffer.concat([...parts, opts.end === false ? Buffer.alloc(0) : TAR_END]));
}
