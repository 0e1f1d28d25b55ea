// The BlobStore contract (src/storage/blobs/store.ts) as tests: every driver runs this one suite. A new driver
// needs a file that calls describeBlobStore with a factory, e.g.
//
//   describeBlobStore('S3BlobStore', async () => {
//     const store = await S3BlobStore.open({ bucket, prefix: `test-${randomUUID()}` });
//     return { store, cleanup: () => store.destroy() };
//   });
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { isBlobNotFound, type BlobStore, type ByteRange } from '../../src/storage/blobs/store.js';

export interface BlobStoreUnderTest {
  store: BlobStore;
  /** Removes everything the store made (folders, buckets, staging files); called when each test ends. */
  cleanup(): Promise<void>;
}

/** A new, empty store for one test. */
export type BlobStoreFactory = () => Promise<BlobStoreUnderTest>;

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Write `bytes` as a finished staging in the store's staging area, as stageUpload leaves one. */
export async function stage(store: BlobStore, bytes: Buffer): Promise<string> {
  const staging = store.stage();
  await pipeline(Readable.from([bytes]), staging.writable);
  return staging.path;
}

/** Stage and put `bytes`; returns their digest. */
export async function putBytes(store: BlobStore, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  await store.put(await stage(store, bytes), digest);
  return digest;
}

/** Open the blob and read it whole, or one range of it. */
export async function readBlob(store: BlobStore, digest: string, range?: ByteRange): Promise<Buffer> {
  const blob = await store.open(digest);
  return buffer(blob.stream(range));
}

/** Whether the staging area still holds `staged` (as listStaged reports it). */
async function isStaged(store: BlobStore, staged: string): Promise<boolean> {
  for await (const leftover of store.listStaged()) if (leftover.path === staged) return true;
  return false;
}

async function listed(store: BlobStore): Promise<string[]> {
  const digests: string[] = [];
  for await (const blob of store.list()) digests.push(blob.digest);
  return digests.sort();
}

const MB = 1024 * 1024;

export function describeBlobStore(name: string, factory: BlobStoreFactory): void {
  /** A new store, cleaned up when the calling test ends. */
  async function newStore(): Promise<BlobStore> {
    const { store, cleanup } = await factory();
    onTestFinished(cleanup);
    return store;
  }

  describe(`${name}: the BlobStore contract`, () => {
    it('puts a blob, then stats, opens and reads it whole', async () => {
      const store = await newStore();
      const bytes = randomBytes(100_000);
      const digest = await putBytes(store, bytes);
      expect(await store.stat(digest)).toEqual({ size: bytes.length });
      const blob = await store.open(digest);
      expect(blob.size).toBe(bytes.length);
      // A driver that holds the bytes in memory may hand them over as they are: they must be the blob's.
      if (blob.bytes) expect(blob.bytes.equals(bytes)).toBe(true);
      expect((await buffer(blob.stream())).equals(bytes)).toBe(true);
    });

    it('reads ranges: the first byte, the last byte, a middle range and all of it', async () => {
      const store = await newStore();
      const bytes = randomBytes(10_000);
      const digest = await putBytes(store, bytes);
      const last = bytes.length - 1;
      for (const range of [
        { start: 0, end: 0 },
        { start: last, end: last },
        { start: 1234, end: 5678 },
        { start: 0, end: last },
      ]) {
        const read = await readBlob(store, digest, range);
        expect(read.equals(bytes.subarray(range.start, range.end + 1)), `bytes ${range.start}-${range.end}`).toBe(true);
      }
    });

    it('stores an empty blob', async () => {
      const store = await newStore();
      const digest = await putBytes(store, Buffer.alloc(0));
      expect(await store.stat(digest)).toEqual({ size: 0 });
      expect((await readBlob(store, digest)).length).toBe(0);
    });

    it('answers stat of a missing blob with null, and open with a not-found (ENOENT) rejection', async () => {
      const store = await newStore();
      const missing = sha256(Buffer.from('never stored'));
      expect(await store.stat(missing)).toBeNull();
      const opening = store.open(missing);
      await expect(opening).rejects.toMatchObject({ code: 'ENOENT' });
      expect(isBlobNotFound(await opening.catch((error: unknown) => error))).toBe(true);
    });

    it('consumes the staging file on put', async () => {
      const store = await newStore();
      const bytes = randomBytes(1000);
      const staged = await stage(store, bytes);
      expect(await isStaged(store, staged)).toBe(true);
      await store.put(staged, sha256(bytes));
      expect(await isStaged(store, staged)).toBe(false);
    });

    it('lists a staging with its size and age, reads it back, and discards it', async () => {
      const store = await newStore();
      const bytes = randomBytes(3000);
      const before = Date.now();
      const staged = await stage(store, bytes);
      const leftovers = [];
      for await (const leftover of store.listStaged()) leftovers.push(leftover);
      expect(leftovers).toEqual([expect.objectContaining({ path: staged, bytes: bytes.length })]);
      expect(leftovers[0]?.key).toMatch(/^uploads\//);
      // Clocks of a network store may differ from ours by a little; an age a minute off would mislead gc.
      expect(Math.abs((leftovers[0]?.modifiedMs ?? 0) - before)).toBeLessThan(60_000);
      expect((await buffer(store.readStaged(staged))).equals(bytes)).toBe(true);
      await store.discardStaged(staged);
      await store.discardStaged(staged);
      expect(await isStaged(store, staged)).toBe(false);
      expect(await listed(store)).toEqual([]);
    });

    it('lists each blob with its size and the time it was written', async () => {
      const store = await newStore();
      const before = Date.now();
      const bytes = randomBytes(1234);
      const digest = await putBytes(store, bytes);
      const blobs = [];
      for await (const blob of store.list()) blobs.push(blob);
      expect(blobs).toEqual([{ digest, size: bytes.length, modifiedMs: expect.any(Number) }]);
      expect(Math.abs((blobs[0]?.modifiedMs ?? 0) - before)).toBeLessThan(60_000);
    });

    it('refuses to put under a name that is not a sha256 digest', async () => {
      const store = await newStore();
      const staged = await stage(store, randomBytes(10));
      for (const digest of ['sha256:../../escape', 'md5:0123', `sha256:${'A'.repeat(64)}`, '']) {
        await expect(store.put(staged, digest), digest).rejects.toThrow();
      }
      expect(await listed(store)).toEqual([]);
    });

    it('keeps one whole blob when the same digest is put again', async () => {
      const store = await newStore();
      const bytes = randomBytes(5000);
      const digest = await putBytes(store, bytes);
      expect(await putBytes(store, bytes)).toBe(digest);
      expect(await listed(store)).toEqual([digest]);
      expect((await readBlob(store, digest)).equals(bytes)).toBe(true);
    });

    it('lets two concurrent puts of the same digest both succeed, leaving one whole blob and no staging file', async () => {
      const store = await newStore();
      const bytes = randomBytes(2 * MB);
      const digest = sha256(bytes);
      const [first, second] = [await stage(store, bytes), await stage(store, bytes)];
      await Promise.all([store.put(first, digest), store.put(second, digest)]);
      expect(await listed(store)).toEqual([digest]);
      expect((await readBlob(store, digest)).equals(bytes)).toBe(true);
      expect([await isStaged(store, first), await isStaged(store, second)]).toEqual([false, false]);
    });

    it('deletes a blob: stat, open and list no longer find it', async () => {
      const store = await newStore();
      const kept = await putBytes(store, randomBytes(100));
      const deleted = await putBytes(store, randomBytes(100));
      await store.delete(deleted);
      expect(await store.stat(deleted)).toBeNull();
      await expect(store.open(deleted)).rejects.toMatchObject({ code: 'ENOENT' });
      expect(await listed(store)).toEqual([kept]);
    });

    it('deletes a missing blob without complaint', async () => {
      const store = await newStore();
      await expect(store.delete(sha256(Buffer.from('never stored')))).resolves.toBeUndefined();
    });

    it('lists every stored digest once and nothing else, not even a staging file', async () => {
      const store = await newStore();
      expect(await listed(store)).toEqual([]);
      const digests = [];
      for (let index = 0; index < 20; index++) digests.push(await putBytes(store, randomBytes(64)));
      // An upload still being received must not count as a blob.
      await stage(store, randomBytes(64));
      expect(await listed(store)).toEqual(digests.sort());
    });

    it('never shows part of a blob: during a put, a reader finds nothing or the whole blob', async () => {
      const store = await newStore();
      const bytes = randomBytes(8 * MB);
      const digest = sha256(bytes);
      const staged = await stage(store, bytes);
      let finished = false;
      const putting = store.put(staged, digest).finally(() => {
        finished = true;
      });
      const seen = { missing: 0, whole: 0 };
      do {
        const stat = await store.stat(digest);
        if (stat) expect(stat.size).toBe(bytes.length);
        try {
          const read = await readBlob(store, digest);
          expect(read.length).toBe(bytes.length);
          expect(read.equals(bytes)).toBe(true);
          seen.whole++;
        } catch (error) {
          if (!isBlobNotFound(error)) throw error;
          seen.missing++;
        }
        // Let the put's I/O progress even when a driver answers without any.
        await nextTurn();
      } while (!finished);
      await putting;
      expect((await readBlob(store, digest)).equals(bytes)).toBe(true);
      expect(seen.missing + seen.whole).toBeGreaterThan(0);
    });

    it('keeps an opened blob readable after it is deleted', async () => {
      const store = await newStore();
      const bytes = randomBytes(3 * MB);
      const digest = await putBytes(store, bytes);
      const whole = await store.open(digest);
      const ranged = await store.open(digest);
      await store.delete(digest);
      expect(await store.stat(digest)).toBeNull();
      expect((await buffer(whole.stream())).equals(bytes)).toBe(true);
      expect((await buffer(ranged.stream({ start: 10, end: 19 }))).equals(bytes.subarray(10, 20))).toBe(true);
    });

    it('serves several readers of one blob at once', async () => {
      const store = await newStore();
      const bytes = randomBytes(MB);
      const digest = await putBytes(store, bytes);
      const reads = await Promise.all(Array.from({ length: 8 }, () => readBlob(store, digest)));
      for (const read of reads) expect(read.equals(bytes)).toBe(true);
    });

    it('releases a blob closed without reading it', async () => {
      const store = await newStore();
      const digest = await putBytes(store, randomBytes(100));
      const blob = await store.open(digest);
      await blob.close();
      await store.delete(digest);
      expect(await store.stat(digest)).toBeNull();
    });

    it('reports a writable store as healthy', async () => {
      const store = await newStore();
      await expect(store.check()).resolves.toBeUndefined();
      // The check leaves nothing that could be taken for a blob.
      expect(await listed(store)).toEqual([]);
    });
  });
}
