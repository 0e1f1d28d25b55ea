import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { listedMetadataKey, METADATA_FOLDER, metadataKey, versionOfMetadataName } from '../layout.js';
import type { S3Bucket } from '../s3/client.js';
import { isS3NotFound, isS3Unavailable, s3Call, s3Failure } from '../s3/errors.js';
import { documentId, KeyedQueue } from './keyed-queue.js';
import type { MetadataKey, MetadataStore, StoredMetadata } from './store.js';

/** Documents read at once by a listing: a reindex of many versions is bound by S3's latency, not its bandwidth. */
const READ_CONCURRENCY = 16;

/**
 * Documents as objects `<rootdirectory>/metadata/<pack>/<version>.json`, the filesystem driver's layout. A
 * PutObject replaces an object whole (readers see the old document or the new one), so no temporary object
 * is needed; the keyed queue still orders the calls for one version, as the contract asks.
 */
export class S3MetadataStore implements MetadataStore {
  private readonly queue = new KeyedQueue();

  constructor(private readonly bucket: S3Bucket) {}

  sync(pack: string, key: string, build: () => unknown | Promise<unknown>): Promise<void> {
    const objectKey = metadataKey(pack, key);
    return this.queue.run(documentId(pack, key), async () => {
      const document = await build();
      if (document === null || document === undefined) await this.removeObject(objectKey);
      else {
        const body = `${JSON.stringify(document, null, 2)}\n`;
        await s3Call(`writing ${objectKey}`, () =>
          this.bucket.client.send(
            new PutObjectCommand({
              Bucket: this.bucket.bucket,
              Key: this.bucket.objectKey(objectKey),
              Body: body,
              ContentType: 'application/json',
              ...this.bucket.encryption,
            }),
          ),
        );
      }
    });
  }

  async remove(pack: string, key: string): Promise<void> {
    const objectKey = metadataKey(pack, key);
    await this.queue.run(documentId(pack, key), () => this.removeObject(objectKey));
  }

  private async removeObject(objectKey: string): Promise<void> {
    await s3Call(`removing ${objectKey}`, () => this.bucket.client.send(new DeleteObjectCommand({ Bucket: this.bucket.bucket, Key: this.bucket.objectKey(objectKey) })));
  }

  /** Sorted by pack, then version key, as the filesystem driver yields them (S3 lists `a-b/` before `a/`). */
  private async listed(): Promise<(MetadataKey & { size: number })[]> {
    const found: (MetadataKey & { size: number })[] = [];
    let token: string | undefined;
    do {
      const page = await s3Call(`listing ${METADATA_FOLDER}/`, () =>
        this.bucket.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket.bucket, Prefix: this.bucket.objectKey(`${METADATA_FOLDER}/`), ...(token ? { ContinuationToken: token } : {}) }),
        ),
      );
      for (const object of page.Contents ?? []) {
        const relative = object.Key === undefined ? undefined : this.bucket.storageKey(object.Key);
        const parts = relative?.split('/') ?? [];
        // metadata/<pack>/<name>: deeper or shallower keys are nothing a document could be stored under.
        if (parts.length !== 3 || !parts[1]) continue;
        const key = versionOfMetadataName(parts[2] ?? '');
        if (key !== undefined) found.push({ pack: parts[1], key, size: object.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found.sort((a, b) => compare(a.pack, b.pack) || compare(a.key, b.key));
  }

  async *keys(): AsyncIterable<MetadataKey> {
    for (const { pack, key } of await this.listed()) yield { pack, key };
  }

  async *list(): AsyncIterable<StoredMetadata> {
    const listed = await this.listed();
    for (let at = 0; at < listed.length; at += READ_CONCURRENCY) {
      const batch = await Promise.all(listed.slice(at, at + READ_CONCURRENCY).map((entry) => this.read(entry)));
      for (const document of batch) if (document) yield document;
    }
  }

  /** One document, or undefined when it was removed since the listing. */
  private async read(entry: MetadataKey & { size: number }): Promise<StoredMetadata | undefined> {
    const { pack, key, size } = entry;
    let text: string;
    try {
      const response = await this.bucket.client.send(new GetObjectCommand({ Bucket: this.bucket.bucket, Key: this.bucket.objectKey(listedMetadataKey(entry)) }));
      text = (await response.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (isS3NotFound(error)) return undefined;
      // S3 away is no bad document: a reindex must fail, not rebuild an index without it.
      if (isS3Unavailable(error)) throw s3Failure(error, `reading ${listedMetadataKey(entry)}`);
      return { pack, key, document: undefined, error: (error as Error).message, size };
    }
    try {
      return { pack, key, document: JSON.parse(text) as unknown, size };
    } catch (error) {
      return { pack, key, document: undefined, error: `not valid JSON: ${(error as Error).message}`, size };
    }
  }
}

/** Code-unit order, as the filesystem driver's `sort()`. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
