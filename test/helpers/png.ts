// Real PNG files for sample packs' logo.png: signature, IHDR, one zlib-compressed IDAT and IEND, each chunk
// with its CRC, so any image decoder opens them. Made in code rather than checked in, so the repository
// holds no third-party artwork.
import { crc32, deflateSync } from 'node:zlib';
import { pseudoRandomBytes } from './pseudo-random.js';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface PngOptions {
  width: number;
  height: number;
  /**
   * `gradient`: smooth colours, compresses to a few hundred bytes (a simple vector-style logo).
   * `noise`: pseudo-random pixels from `seed`, which do not compress, so the file is about
   * width × height × 4 bytes (a detailed raster logo, as many real packs ship).
   */
  fill: 'gradient' | 'noise';
  seed?: string;
}

function chunk(type: string, data: Buffer): Buffer {
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/** An 8-bit RGBA PNG. */
export function pngImage({ width, height, fill, seed = 'logo' }: PngOptions): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type: RGBA
  // compression, filter and interlace methods stay 0: deflate, adaptive filtering, no interlace.
  const rowBytes = width * 4;
  const noise = fill === 'noise' ? pseudoRandomBytes(seed, rowBytes * height) : undefined;
  const raw = Buffer.alloc((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (rowBytes + 1);
    raw[row] = 0; // filter type None
    if (noise) {
      noise.copy(raw, row + 1, y * rowBytes, (y + 1) * rowBytes);
      continue;
    }
    for (let x = 0; x < width; x++) {
      const pixel = row + 1 + x * 4;
      raw[pixel] = Math.round((255 * x) / Math.max(1, width - 1));
      raw[pixel + 1] = Math.round((255 * y) / Math.max(1, height - 1));
      raw[pixel + 2] = 160;
      raw[pixel + 3] = 255;
    }
  }
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

/** A noisy square logo of about `bytes` bytes, to match the size of a real pack's logo. */
export function logoOfAbout(bytes: number, seed: string): Buffer {
  const side = Math.max(1, Math.round(Math.sqrt(bytes / 4)));
  return pngImage({ width: side, height: side, fill: 'noise', seed });
}
