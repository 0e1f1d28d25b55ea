// The drivers behind a configuration's durable storage, for the server and the administrator's commands alike:
// the filesystem (everything under one folder) or S3 (blobs and metadata documents in the bucket; the index,
// the tokens and the lock in `storage.s3.localdirectory`).
import type { RegistryConfig } from '../config/schema.js';
import { FilesystemBlobStore } from '../storage/blobs/filesystem.js';
import type { BlobStore } from '../storage/blobs/store.js';
import { FilesystemMetadataStore } from '../storage/metadata/filesystem.js';
import type { MetadataStore } from '../storage/metadata/store.js';

export type DurableStorageConfig = Exclude<RegistryConfig['storage'], { kind: 'inmemory' }>;

export interface DurableStorage {
  blobs: BlobStore & { removeStagedUploads(): Promise<number> };
  metadata: MetadataStore;
  /** Where the blobs are, for messages: a folder, or `s3://bucket/prefix`. */
  location: string;
  /** Releases the S3 client's sockets; nothing to do for a folder. */
  close(): void;
}

/**
 * Open the blob and metadata stores. For S3 the bucket is checked first: a missing bucket or refused
 * credentials fail here, with a message that says which, rather than on the first push.
 */
export async function openDurableStorage(storage: DurableStorageConfig): Promise<DurableStorage> {
  if (storage.kind === 'filesystem') {
    const root = storage.rootDirectory;
    return { blobs: await FilesystemBlobStore.open(root), metadata: new FilesystemMetadataStore(root), location: root, close: () => {} };
  }
  // Loaded only for `storage: s3`: the AWS SDK costs a filesystem registry ~20 MB of memory and its start time.
  const [{ assertBucketUsable, openBucket }, { S3BlobStore }, { S3MetadataStore }] = await Promise.all([
    import('../storage/s3/client.js'),
    import('../storage/blobs/s3.js'),
    import('../storage/metadata/s3.js'),
  ]);
  const bucket = openBucket(storage.s3);
  try {
    await assertBucketUsable(bucket);
  } catch (error) {
    bucket.close();
    throw error;
  }
  return { blobs: new S3BlobStore(bucket), metadata: new S3MetadataStore(bucket), location: bucket.describe(), close: () => bucket.close() };
}
