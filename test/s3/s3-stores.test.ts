// The storage conformance suites against the S3 drivers on a real S3-protocol server (moto, on loopback):
// the same contract the filesystem and memory drivers pass, plus what only a bucket can show.
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { CachedBlobStore } from '../../src/storage/blobs/cache.js';
import { S3BlobStore } from '../../src/storage/blobs/s3.js';
import { S3MetadataStore } from '../../src/storage/metadata/s3.js';
import { openBucket, type S3Bucket } from '../../src/storage/s3/client.js';
import { whenDone } from '../helpers/cleanup.js';
import { createBucket, s3SettingsFor, startMoto, type MotoServer } from '../helpers/moto.js';
import { available, motoServer } from '../helpers/real-components.js';
import { describeBlobStore, putBytes, stage } from '../storage/blob-store-suite.js';
import { describeMetadataStore } from '../storage/metadata-store-suite.js';

const moto = motoServer();

async function freshBucket(server: MotoServer): Promise<S3Bucket> {
  const bucket = openBucket(s3SettingsFor(server.endpoint, await createBucket(server.endpoint)));
  whenDone(() => bucket.close());
  return bucket;
}

async function objectKeys(bucket: S3Bucket): Promise<string[]> {
  const page = await bucket.client.send(new ListObjectsV2Command({ Bucket: bucket.bucket }));
  return (page.Contents ?? []).map((object) => object.Key ?? '').sort();
}

describe.skipIf(!available(moto))(`S3 storage on moto ${moto.path ? '' : moto.skipReason}`, () => {
  let server: MotoServer;
  beforeAll(async () => {
    server = await startMoto();
  }, 60_000);

  describeBlobStore('S3BlobStore', async () => ({ store: new S3BlobStore(await freshBucket(server)), cleanup: async () => {} }));
  describeBlobStore('CachedBlobStore over S3BlobStore', async () => ({
    store: new CachedBlobStore(new S3BlobStore(await freshBucket(server))),
    cleanup: async () => {},
  }));
  describeMetadataStore('S3MetadataStore', async () => {
    const bucket = await freshBucket(server);
    const store = new S3MetadataStore(bucket);
    return {
      store,
      cleanup: async () => {},
      writeRaw: async (pack, key, text) => {
        await bucket.client.send(new PutObjectCommand({ Bucket: bucket.bucket, Key: bucket.objectKey(`metadata/${pack}/${key}.json`), Body: text }));
      },
    };
  });

  describe('the bucket', () => {
    it('keeps the filesystem layout under rootdirectory: blobs/sha256/<xx>/<hex> and metadata/<pack>/<version>.json', async () => {
      const bucket = await freshBucket(server);
      const digest = await putBytes(new S3BlobStore(bucket), Buffer.from('hello'));
      await new S3MetadataStore(bucket).sync('hello', '1.0.0', () => ({ pack: 'hello' }));
      const hex = digest.slice('sha256:'.length);
      expect(await objectKeys(bucket)).toEqual([`registry/blobs/sha256/${hex.slice(0, 2)}/${hex}`, 'registry/metadata/hello/1.0.0.json']);
    });

    it('stores every size around the part boundaries byte for byte (part buffers are reused from part to part)', async () => {
      const bucket = await freshBucket(server);
      const store = new S3BlobStore(bucket);
      const part = bucket.chunkSize;
      for (const size of [0, 1, part - 1, part, part + 1, 2 * part, 3 * part + 5]) {
        const bytes = randomBytes(size);
        const digest = await putBytes(store, bytes);
        const blob = await store.open(digest);
        const chunks: Buffer[] = [];
        for await (const chunk of blob.stream()) chunks.push(chunk as Buffer);
        await blob.close();
        expect({ size, equal: Buffer.concat(chunks).equals(bytes) }).toEqual({ size, equal: true });
      }
    });

    it('sends an archive larger than one part as a multipart upload, and a start removes uploads a crash left', async () => {
      const bucket = await freshBucket(server);
      const store = new S3BlobStore(bucket);
      const bytes = randomBytes(12 * 1024 * 1024 + 17);
      const digest = await putBytes(store, bytes);
      expect(await store.stat(digest)).toEqual({ size: bytes.length });
      // A staging finished but never put (a crash between the two), and one cut mid-way.
      await stage(store, randomBytes(100));
      const cut = store.stage();
      cut.writable.write(randomBytes(6 * 1024 * 1024));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const leftovers = [];
      for await (const leftover of store.listStaged()) leftovers.push(leftover.key);
      expect(leftovers.length).toBeGreaterThanOrEqual(1);
      expect(await store.removeStagedUploads()).toBe(leftovers.length);
      cut.writable.destroy();
      await new Promise((resolve) => cut.writable.once('close', resolve));
      expect(await objectKeys(bucket)).toEqual([`registry/blobs/sha256/${digest.slice(7, 9)}/${digest.slice(7)}`]);
    });
  });
});
