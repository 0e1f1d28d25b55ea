// A minimal ustar writer for the bench's generated packs. node-tar can only pack files from disk; the bench
// needs thousands of tiny archives (index rebuild) and large ones streamed from a payload file.
import { createReadStream } from 'node:fs';

const BLOCK = 512;

function writeOctal(block: Buffer, offset: number, width: number, value: number): void {
  block.write(`${value.toString(8).padStart(width - 1, '0')}\0`, offset, width, 'ascii');
}

/** One ustar header for a regular file (paths under 100 bytes: the bench's own names are short). */
export function fileHeader(path: string, size: number, mtime = new Date('2025-01-01T00:00:00Z')): Buffer {
  if (Buffer.byteLength(path) >= 100) throw new Error(`tar path too long for the bench writer: ${path}`);
  const block = Buffer.alloc(BLOCK);
  block.write(path, 0, 100, 'utf8');
  writeOctal(block, 100, 8, 0o644);
  writeOctal(block, 108, 8, 1000);
  writeOctal(block, 116, 8, 1000);
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, Math.floor(mtime.getTime() / 1000));
  block.write('0', 156, 1, 'latin1');
  block.write('ustar\u000000', 257, 8, 'latin1');
  block.write('bench', 265, 32, 'ascii');
  block.write('bench', 297, 32, 'ascii');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return block;
}

export function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

export const TAR_END = Buffer.alloc(2 * BLOCK);

export type TarEntry = { path: string; body: Buffer } | { path: string; file: string; size: number };

/** The uncompressed tar stream of `entries`; file entries are streamed from disk. */
export async function* tarStream(entries: TarEntry[]): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    const size = 'body' in entry ? entry.body.length : entry.size;
    yield fileHeader(entry.path, size);
    if ('body' in entry) yield entry.body;
    else for await (const chunk of createReadStream(entry.file, { highWaterMark: 1024 * 1024 })) yield chunk as Buffer;
    yield padding(size);
  }
  yield TAR_END;
}

/** The tar bytes of small in-memory entries. */
export function tarBuffer(entries: { path: string; body: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) parts.push(fileHeader(entry.path, entry.body.length), entry.body, padding(entry.body.length));
  parts.push(TAR_END);
  return Buffer.concat(parts);
}
