import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobStore, StagedLeftover, Staging } from './blobs/store.js';
import { stagedUploadName, UPLOADS_FOLDER } from './layout.js';

export interface StagedUpload {
  /** The staging's name in the blob store (Staging.path): a file, or an object key for S3. */
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
 * How much of an upload may wait for the disk before the socket is paused. Sockets deliver 16 KiB TLS records;
 * with the default 16 KiB buffer every record waited for its own write to finish, and a 50 MB push spent most
 * of its time in those round trips to the file system's threads (bench/results).
 */
const FILE_BUFFER_BYTES = 1024 * 1024;

/**
 * How much of an upload may wait in the meter and for the reader (each) before the socket is paused: four TLS
 * records, not a megabyte. Chunks that wait in these queues while young-generation collections run are promoted
 * to the old generation, and their buffers are then freed only by a full collection: with 1 MiB queues, the
 * server's peak RSS during a 50 MB push was 6–10 MB higher on S3 and 12–20 MB on the filesystem (bench `s3`,
 * issue 15), for no gain in speed (the rest of the upload waits in the kernel's socket buffer, which costs the
 * heap nothing).
 */
const QUEUE_BYTES = 64 * 1024;

/**
 * A second consumer of an upload's bytes, fed while they are staged: it may stop reading (and destroy its
 * input) whenever it has seen enough; staging then goes on without it.
 */
export type UploadReader<T> = (bytes: Readable) => Promise<T>;

/** Where stageUpload writes: a blob store's staging area. */
export type StagingArea = Pick<BlobStore, 'stage' | 'discardStaged'>;

/**
 * The staging area of the drivers that stage on a local disk (filesystem, memory): one file per upload in
 * `dir`. The file is opened asynchronously by the write stream; `discardStaged` is only called once the
 * stream has closed (stageUpload waits for that), so a removal can never come before the file exists.
 */
export function folderStaging(dir: string): StagingArea & Pick<BlobStore, 'readStaged' | 'listStaged'> {
  return {
    stage(): Staging {
      const path = join(dir, stagedUploadName());
      return { path, writable: createWriteStream(path, { flags: 'wx', highWaterMark: FILE_BUFFER_BYTES }) };
    },
    discardStaged: (path) => rm(path, { force: true, recursive: true }),
    readStaged: (path) => createReadStream(path),
    async *listStaged(): AsyncIterable<StagedLeftover> {
      const names = (await readdir(dir).catch(() => [] as string[])).sort();
      for (const name of names) {
        const info = await stat(join(dir, name)).catch(() => undefined);
        if (!info) continue;
        yield { path: join(dir, name), key: `${UPLOADS_FOLDER}/${name}`, bytes: info.size, modifiedMs: info.mtimeMs };
      }
    },
  };
}

/**
 * Stream an upload into a new staging (a file, or an object for S3) while hashing it, so the archive is never held in memory
 * and never read twice just to learn its digest. Stops as soon as `maxBytes` is passed.
 *
 * With a `reader`, the same chunks also go to it as they arrive, and its answer comes back as `read`: a push
 * inspects the archive while it is received instead of reading the staged file again afterwards. The
 * slower of the disk and the reader sets the pace (backpressure), so memory stays bounded.
 */
export async function stageUpload<T = never>(
  source: Readable,
  area: StagingArea,
  maxBytes: number,
  reader?: UploadReader<T>,
): Promise<StagedUpload & { read?: T }> {
  const hash = createHash('sha256');
  let size = 0;
  const copy = reader ? new PassThrough({ highWaterMark: QUEUE_BYTES }) : undefined;
  // A reader that is done (early or not) is fed no more; destroying its input releases a staging step
  // that waits for it to drain.
  const reading = reader && copy ? reader(copy).finally(() => copy.destroy()) : undefined;
  // Its failure is reported once staging ends (below), not as an unhandled rejection while it runs.
  reading?.catch(() => {});
  copy?.on('error', () => {});
  const meter = new Transform({
    highWaterMark: QUEUE_BYTES,
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > maxBytes) return done(new UploadTooLargeError(maxBytes));
      hash.update(chunk);
      if (!copy || copy.destroyed || copy.write(chunk)) return done(null, chunk);
      const resume = () => {
        copy.off('drain', resume);
        copy.off('close', resume);
        done(null, chunk);
      };
      copy.on('drain', resume);
      copy.on('close', resume);
    },
    flush(done) {
      copy?.end();
      done();
    },
  });
  const { path, writable: file } = area.stage();
  try {
    await pipeline(source, meter, file);
    const read = reading ? await reading : undefined;
    return { path, digest: `sha256:${hash.digest('hex')}`, size, ...(reading ? { read } : {}) };
  } catch (error) {
    // The reader learns of the failure through its input; its answer no longer matters.
    copy?.destroy(error as Error);
    // A file is opened asynchronously: an input that fails at once (a truncated form) fails the pipeline
    // before the open is done, and a file removed then would be created after its removal. Once the stream
    // has closed, the open (if any) is over; for S3, the multipart upload has been aborted.
    if (!file.closed) await new Promise<void>((resolve) => file.once('close', () => resolve()));
    // The caller learns of the staging's failure, not of a failed clean-up (gc finds what is left).
    await area.discardStaged(path).catch(() => {});
    throw error;
  }
}
