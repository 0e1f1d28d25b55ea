// One object written as a stream: the staging upload of a push (blobs/s3.ts). Small archives are a single
// PutObject; larger ones a multipart upload whose parts go out while the next one fills.
//
// Why not lib-storage's `Upload`: it gathers each part from the stream's chunks and joins them with
// Buffer.concat, so every part is copied into a new buffer, and the chunks it holds while S3 is busy outlive
// the young generation; V8 frees such buffers only when external memory has grown by tens of megabytes. A
// 50 MB push on S3 peaked at 210–237 MB of server RSS with it (bench `s3`, the 150 MB bound of issue 15).
// Here every incoming chunk is copied once into one of a few part buffers, reused from part to part, so a push
// holds at most (UPLOAD_QUEUE_SIZE + 1) × chunkSize however large it is, and the chunks themselves die young.
// The second buffer is taken only when the first part is full (an archive that fits in one part uses one).
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { Writable } from 'node:stream';
import type { S3Bucket } from './client.js';
import { isS3NotFound, s3Call } from './errors.js';

/**
 * Parts of one upload sent at once: while one travels, the next fills. One, not two: each part in flight is
 * a whole `chunksize` buffer held (10 MiB by default, part of the 150 MB bound on a push's RSS, issue 15),
 * and a second one in flight did not make a 50 MB push to S3 faster (bench `s3`: moto on loopback, where a
 * part travels faster than the next one arrives from the client and is inspected).
 */
export const UPLOAD_QUEUE_SIZE = 1;

/**
 * Part buffers left by finished uploads, by size, for the next upload to reuse rather than freed: at most one
 * upload's worth (UPLOAD_QUEUE_SIZE + 1) per size is kept.
 *
 * Why not free them: glibc serves a buffer this large with an mmap of its own, and freeing one raises its mmap
 * threshold to that size, and its trim threshold to twice that, for the rest of the process. From then on every
 * smaller allocation (each TLS record and inflated chunk of a push: about 100 MB of them per 50 MB push) comes
 * from the heap, which keeps the space they leave: with the buffers freed after each push, the server's peak RSS
 * crept up by 5–10 MB per 50 MB push (bench `s3`: 129, 131, 135, 145, 155 MB over five), and stayed at
 * 123–132 MB with glibc's threshold pinned (MALLOC_MMAP_THRESHOLD_). Kept, they cost their size once, after the
 * first multipart push.
 */
const spareBuffers = new Map<number, Buffer[]>();

function takeSpareBuffer(size: number): Buffer | undefined {
  return spareBuffers.get(size)?.pop();
}

function keepSpareBuffer(buffer: Buffer): void {
  const spare = spareBuffers.get(buffer.length) ?? [];
  spareBuffers.set(buffer.length, spare);
  if (spare.length < UPLOAD_QUEUE_SIZE + 1) spare.push(buffer);
}

/** S3's limit on the parts of one multipart upload. */
const MAX_PARTS = 10_000;

const CONTENT_TYPE = 'application/gzip';

/**
 * A staging upload as a Writable that finishes only when the object is complete. An S3 failure destroys it
 * with that failure (StorageUnavailableError when S3 is away, see s3Call); destroyed before it finished, it
 * aborts the multipart upload once its parts in flight have settled, so no part is left behind when S3 can
 * still be told (gc finds what a crash leaves: blobs/s3.ts listStaged).
 */
export class S3UploadWritable extends Writable {
  /** Part buffers not in flight, ready to fill. */
  private readonly idle: Buffer[] = [];
  /** Part buffers this upload has taken (from the spares, or allocated). */
  private taken = 0;
  /** The part being filled, and how much of it is. */
  private current: Buffer | undefined;
  private filled = 0;
  private nextPartNumber = 1;
  /** Started with the first full part; an archive that fits in one part never starts one. */
  private multipart: Promise<string> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly sent: CompletedPart[] = [];
  /** A write waiting for a part buffer to come back from S3. */
  private resumeWrite: (() => void) | undefined;
  private failure: Error | undefined;
  private finished = false;

  constructor(
    private readonly bucket: S3Bucket,
    private readonly key: string,
  ) {
    super({ highWaterMark: 1024 * 1024 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    let offset = 0;
    const fill = (): void => {
      while (offset < chunk.length) {
        if (this.failure) return callback(this.failure);
        if (!this.current) {
          const buffer = this.takeBuffer();
          if (!buffer) {
            this.resumeWrite = fill;
            return;
          }
          this.current = buffer;
          this.filled = 0;
        }
        const copied = chunk.copy(this.current, this.filled, offset);
        offset += copied;
        this.filled += copied;
        if (this.filled === this.current.length) this.sendCurrentPart();
      }
      callback();
    };
    fill();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.complete().then(
      () => {
        this.finished = true;
        this.releaseBuffers();
        callback();
      },
      (error: unknown) => callback(error as Error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.releaseBuffers();
    if (this.finished || !this.multipart) return callback(error);
    const multipart = this.multipart;
    void Promise.allSettled([...this.inFlight])
      .then(() => multipart)
      .then((uploadId) => this.abort(uploadId))
      .catch(() => {
        // Not started, or S3 is away: the incomplete upload is gc's to find.
      })
      .finally(() => callback(error));
  }

  private takeBuffer(): Buffer | undefined {
    const buffer = this.idle.pop();
    if (buffer) return buffer;
    if (this.taken > UPLOAD_QUEUE_SIZE) return undefined;
    this.taken++;
    // Uninitialised: only the filled part of a buffer is ever sent.
    return takeSpareBuffer(this.bucket.chunkSize) ?? Buffer.allocUnsafe(this.bucket.chunkSize);
  }

  /** The part buffers not in flight go to the spares as soon as the upload has finished or failed. */
  private releaseBuffers(): void {
    for (const buffer of this.idle.splice(0)) keepSpareBuffer(buffer);
    if (this.current) keepSpareBuffer(this.current);
    this.current = undefined;
  }

  private sendCurrentPart(): void {
    const buffer = this.current as Buffer;
    const length = this.filled;
    this.current = undefined;
    this.filled = 0;
    const partNumber = this.nextPartNumber++;
    const sending = this.sendPart(buffer.subarray(0, length), partNumber).then(
      () => {
        this.inFlight.delete(sending);
        if (this.destroyed) keepSpareBuffer(buffer);
        else this.idle.push(buffer);
        const resume = this.resumeWrite;
        this.resumeWrite = undefined;
        resume?.();
      },
      (error: unknown) => {
        this.inFlight.delete(sending);
        this.fail(error as Error);
      },
    );
    this.inFlight.add(sending);
  }

  private async sendPart(body: Buffer, partNumber: number): Promise<void> {
    if (partNumber > MAX_PARTS) {
      throw new Error(`${this.key} needs more than ${MAX_PARTS} parts: raise storage.s3.chunksize`);
    }
    const uploadId = await (this.multipart ??= this.createMultipart());
    const { client, bucket } = this.bucket;
    const sent = await s3Call(`uploading part ${partNumber} of ${this.key}`, () =>
      client.send(new UploadPartCommand({ Bucket: bucket, Key: this.objectKey, UploadId: uploadId, PartNumber: partNumber, Body: body })),
    );
    this.sent.push({ ETag: sent.ETag, PartNumber: partNumber });
  }

  private async createMultipart(): Promise<string> {
    const { client, bucket, encryption } = this.bucket;
    const created = await s3Call(`starting the upload of ${this.key}`, () =>
      client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: this.objectKey, ContentType: CONTENT_TYPE, ...encryption })),
    );
    if (!created.UploadId) throw new Error(`S3 started the upload of ${this.key} without an upload id`);
    return created.UploadId;
  }

  /** The last part and the completion; or, for an archive that fit in one part, a single PutObject. */
  private async complete(): Promise<void> {
    const { client, bucket, encryption } = this.bucket;
    if (!this.multipart) {
      // Out of `current` while S3 reads it: a destroy meanwhile must not hand it to another upload.
      const buffer = this.current;
      this.current = undefined;
      const body = buffer ? buffer.subarray(0, this.filled) : Buffer.alloc(0);
      try {
        await s3Call(`uploading ${this.key}`, () =>
          client.send(new PutObjectCommand({ Bucket: bucket, Key: this.objectKey, Body: body, ContentType: CONTENT_TYPE, ...encryption })),
        );
      } finally {
        if (buffer) keepSpareBuffer(buffer);
      }
      return;
    }
    if (this.current && this.filled > 0) this.sendCurrentPart();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    if (this.failure) throw this.failure;
    const uploadId = await this.multipart;
    const parts = [...this.sent].sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    await s3Call(`completing the upload of ${this.key}`, () =>
      client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: this.objectKey, UploadId: uploadId, MultipartUpload: { Parts: parts } })),
    );
  }

  private async abort(uploadId: string): Promise<void> {
    try {
      await this.bucket.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket.bucket, Key: this.objectKey, UploadId: uploadId }));
    } catch (error) {
      // Completed or aborted meanwhile: nothing is left to abort.
      if (!isS3NotFound(error)) throw error;
    }
  }

  /** A part failed: the upload fails with it, and a write waiting for that part's buffer learns it. */
  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    const resume = this.resumeWrite;
    this.resumeWrite = undefined;
    resume?.();
    if (!this.destroyed) this.destroy(error);
  }

  private get objectKey(): string {
    return this.bucket.objectKey(this.key);
  }
}
