import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type GetObjectCommandOutput,
} from '@aws-sdk/client-s3';
import type { Socket } from 'node:net';
import { PassThrough, pipeline, Readable, Transform } from 'node:stream';
import { BLOBS_FOLDER, blobKey, digestOfBlobName, healthProbeName, stagedUploadName, UPLOADS_FOLDER } from '../layout.js';
import type { S3Bucket } from '../s3/client.js';
import { isS3NotFound, s3Call, s3Failure } from '../s3/errors.js';
import { S3UploadWritable } from '../s3/upload.js';
import { blobNotFound, type BlobStore, type ByteRange, type ListedBlob, type OpenBlob, type StagedLeftover, type Staging } from './store.js';

/**
 * Blobs as objects `<rootdirectory>/blobs/sha256/<xx>/<hex>` in a bucket, the filesystem driver's layout
 * (layout.ts), so a tree copied between a folder and a bucket is the same registry.
 *
 * A push streams into a staging object `uploads/<uuid>.tar.gz` (a multipart upload when it is larger than one
 * part) while it is hashed and inspected; only then is its digest known, and `put` copies it, inside S3, to its
 * content-addressed key. S3 has no rename and an upload's key is fixed when it starts, so the copy is the
 * price of never holding an archive in memory nor on a local disk. A staging object is never a blob, and an
 * upload cut by a crash or an S3 failure leaves a staging object or an incomplete multipart upload under
 * `uploads/`: a start removes them (the lock says no push is in flight), gc finds them (listStaged).
 */
export class S3BlobStore implements BlobStore {
  constructor(private readonly bucket: S3Bucket) {}

  stage(): Staging {
    const key = `${UPLOADS_FOLDER}/${stagedUploadName()}`;
    return { path: key, writable: new S3UploadWritable(this.bucket, key) };
  }

  async put(staged: string, digest: string): Promise<void> {
    const target = blobKey(digest);
    const { client, bucket } = this.bucket;
    // A single CopyObject takes objects up to 5 GiB, far above limits.maxuploadsize's sensible values.
    await s3Call(`copying ${staged} to ${target}`, () =>
      client.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: this.bucket.objectKey(target),
          CopySource: copySource(bucket, this.bucket.objectKey(staged)),
          ...this.bucket.encryption,
        }),
      ),
    );
    await this.deleteObject(staged);
  }

  async discardStaged(staged: string): Promise<void> {
    // A staging that failed mid-way may be an incomplete multipart upload rather than an object.
    for await (const upload of this.multipartUploads(staged)) {
      if (upload.key === staged) await this.abortUpload(upload.key, upload.uploadId);
    }
    await this.deleteObject(staged);
  }

  readStaged(staged: string): Readable {
    const out = new PassThrough();
    this.getObject(staged).then(
      (response) => forward(response.Body as Readable, out),
      (error: unknown) => out.destroy(error as Error),
    );
    return out;
  }

  async *listStaged(): AsyncIterable<StagedLeftover> {
    const seen = new Set<string>();
    for await (const object of this.listObjects(`${UPLOADS_FOLDER}/`)) {
      seen.add(object.key);
      yield { path: object.key, key: object.key, bytes: object.size, modifiedMs: object.modifiedMs };
    }
    // Uploads that never completed are no object yet, but their parts are stored (and paid for).
    for await (const upload of this.multipartUploads(`${UPLOADS_FOLDER}/`)) {
      if (seen.has(upload.key)) continue;
      seen.add(upload.key);
      yield { path: upload.key, key: upload.key, bytes: 0, modifiedMs: upload.initiatedMs };
    }
  }

  async stat(digest: string): Promise<{ size: number } | null> {
    const key = blobKey(digest);
    try {
      const head = await this.bucket.client.send(new HeadObjectCommand({ Bucket: this.bucket.bucket, Key: this.bucket.objectKey(key) }));
      return { size: head.ContentLength ?? 0 };
    } catch (error) {
      if (isS3NotFound(error)) return null;
      throw s3Failure(error, `reading the size of ${key}`);
    }
  }

  /**
   * The whole object's GET starts at once: once S3 has begun to answer it, the bytes keep coming after a
   * delete, which is the pin the contract asks for. A range is a GET of its own (with If-Match on the
   * object's ETag); should the blob be gone by then, the range is cut from the whole answer instead.
   */
  async open(digest: string): Promise<OpenBlob> {
    const key = blobKey(digest);
    let whole: GetObjectCommandOutput;
    try {
      whole = await this.getObject(key);
    } catch (error) {
      if (isS3NotFound(error) || isS3NotFound((error as { cause?: unknown }).cause)) throw blobNotFound(digest);
      throw error;
    }
    const body = whole.Body as Readable;
    body.pause();
    body.on('error', () => {});
    keepWhileClientReads(body);
    const size = whole.ContentLength ?? 0;
    return {
      size,
      stream: (range?: ByteRange) => (range ? this.rangeOf(key, whole.ETag, body, range) : body),
      close: async () => {
        body.destroy();
      },
    };
  }

  private rangeOf(key: string, etag: string | undefined, whole: Readable, range: ByteRange): Readable {
    const out = new PassThrough();
    this.getObject(key, { Range: `bytes=${range.start}-${range.end}`, ...(etag ? { IfMatch: etag } : {}) }).then(
      (ranged) => {
        whole.destroy();
        const body = ranged.Body as Readable;
        keepWhileClientReads(body);
        forward(body, out);
      },
      () => {
        // Deleted (or replaced) since it was opened: the pinned whole answer still holds the bytes.
        forward(whole, out, sliced(range));
      },
    );
    return out;
  }

  async delete(digest: string): Promise<void> {
    await this.deleteObject(blobKey(digest));
  }

  async *list(): AsyncIterable<ListedBlob> {
    for await (const object of this.listObjects(`${BLOBS_FOLDER}/`)) {
      const digest = digestOfBlobName(object.key.slice(object.key.lastIndexOf('/') + 1));
      // Only `blobs/sha256/<xx>/<hex>` itself: anything else copied into the tree is no blob.
      if (digest && blobKey(digest) === object.key) yield { digest, size: object.size, modifiedMs: object.modifiedMs };
    }
  }

  /** A probe object written and removed: the bucket is reachable and takes writes with these credentials. */
  async check(): Promise<void> {
    const key = `${UPLOADS_FOLDER}/${healthProbeName()}`;
    await s3Call(`writing the health probe ${key}`, () =>
      this.bucket.client.send(new PutObjectCommand({ Bucket: this.bucket.bucket, Key: this.bucket.objectKey(key), Body: 'ok', ...this.bucket.encryption })),
    );
    await this.deleteObject(key);
  }

  /** At start, when no push can be in flight: every staging object and incomplete upload is a crash's leftover. */
  async removeStagedUploads(): Promise<number> {
    let removed = 0;
    for await (const leftover of this.listStaged()) {
      await this.discardStaged(leftover.path);
      removed++;
    }
    return removed;
  }

  private getObject(key: string, extra: { Range?: string; IfMatch?: string } = {}): Promise<GetObjectCommandOutput> {
    return s3Call(`reading ${key}`, () => this.bucket.client.send(new GetObjectCommand({ Bucket: this.bucket.bucket, Key: this.bucket.objectKey(key), ...extra })));
  }

  private async deleteObject(key: string): Promise<void> {
    await s3Call(`removing ${key}`, () => this.bucket.client.send(new DeleteObjectCommand({ Bucket: this.bucket.bucket, Key: this.bucket.objectKey(key) })));
  }

  private async abortUpload(key: string, uploadId: string): Promise<void> {
    try {
      await this.bucket.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket.bucket, Key: this.bucket.objectKey(key), UploadId: uploadId }));
    } catch (error) {
      // Completed or aborted meanwhile: nothing is left to abort.
      if (!isS3NotFound(error)) throw s3Failure(error, `aborting the upload of ${key}`);
    }
  }

  private async *listObjects(prefix: string): AsyncIterable<{ key: string; size: number; modifiedMs: number }> {
    let token: string | undefined;
    do {
      const page = await s3Call(`listing ${prefix}`, () =>
        this.bucket.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket.bucket, Prefix: this.bucket.objectKey(prefix), ...(token ? { ContinuationToken: token } : {}) }),
        ),
      );
      for (const object of page.Contents ?? []) {
        const key = object.Key === undefined ? undefined : this.bucket.storageKey(object.Key);
        if (key !== undefined) yield { key, size: object.Size ?? 0, modifiedMs: object.LastModified?.getTime() ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private async *multipartUploads(prefix: string): AsyncIterable<{ key: string; uploadId: string; initiatedMs: number }> {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await s3Call(`listing the incomplete uploads under ${prefix}`, () =>
        this.bucket.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.bucket.bucket,
            Prefix: this.bucket.objectKey(prefix),
            ...(keyMarker ? { KeyMarker: keyMarker } : {}),
            ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}),
          }),
        ),
      );
      for (const upload of page.Uploads ?? []) {
        const key = upload.Key === undefined ? undefined : this.bucket.storageKey(upload.Key);
        if (key !== undefined && upload.UploadId) yield { key, uploadId: upload.UploadId, initiatedMs: upload.Initiated?.getTime() ?? 0 };
      }
      if (!page.IsTruncated) return;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }
}

/**
 * A download is read at its client's pace: a slow client (or one on a long pause) leaves S3's socket silent
 * while the TCP window is full, and the SDK's idle timeout would cut a download that is merely slow. Once
 * the answer has begun, the registry's own timeouts (http.timeouts.idle on the client's side) bound it.
 */
function keepWhileClientReads(body: Readable): void {
  (body as Readable & { socket?: Socket }).socket?.setTimeout(0);
}

/**
 * Pipe an S3 answer into the stream handed out before it arrived. A reader that goes away (a download cut by
 * its client) destroys the S3 answer too, so its socket is not left paused and open.
 */
function forward(body: Readable, out: PassThrough, through?: Transform): void {
  const done = (error?: Error | null) => {
    if (error && !out.destroyed) out.destroy(error);
  };
  // Read whole, cut short, or a range taken from the whole answer: the rest of S3's answer is not wanted.
  out.once('close', () => body.destroy());
  if (through) pipeline(body, through, out, done);
  else pipeline(body, out, done);
}

/** `CopySource` is `bucket/key`, URL-encoded (a prefix may hold any character). */
function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** The bytes `range.start..range.end` of a stream of the whole blob; what follows the range is dropped. */
function sliced(range: ByteRange): Transform {
  let at = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (at > range.end) return done();
      const from = Math.max(range.start - at, 0);
      const to = Math.min(range.end + 1 - at, chunk.length);
      at += chunk.length;
      if (to > from) this.push(chunk.subarray(from, to));
      if (at > range.end) this.push(null);
      done();
    },
  });
}
