// Deterministic bytes for sample packs. Real packs carry incompressible data (chart .tgz files, PNG logos),
// and the sizes on the wire matter to tests of limits and partial uploads, so the samples need bytes that
// gzip cannot shrink — yet the same bytes on every run, so that digests do not change between runs.
import { createCipheriv, createHash } from 'node:crypto';

/**
 * `length` bytes that look random and never compress, the same for the same `seed`: AES-256-CTR (native,
 * about a gigabyte per second) over zeros, keyed by the seed's SHA-256.
 */
export function pseudoRandomBytes(seed: string, length: number): Buffer {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]);
}
