import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface StagedUpload {
  path: string;
  /** `sha256:<hex>` of the bytes as received: the archive digest. */
  digest: string;
  size: number;
}

/** Thrown when an upload passes the size limit; the partial staging file is already removed. */
export class UploadTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the upload is larger than the limit of ${limit} bytes`);
  }
}

/**
 * Stream an upload into a new staging file while hashing it, so the archive is never held in memory
 * and never read twice just to learn its digest. Stops as soon as `maxBytes` is passed.
 */
export async function stageUpload(source: Readable, uploadDir: string, maxBytes: number): Promise<StagedUpload> {
  const path = join(uploadDir, `${randomUUID()}.tar.gz`);
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > maxBytes) return done(new UploadTooLargeError(maxBytes));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(source, meter, createWriteStream(path, { flags: 'wx' }));
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
  return { path, digest: `sha256:${hash.digest('hex')}`, size };
}
