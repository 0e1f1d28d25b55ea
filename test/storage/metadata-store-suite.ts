// The MetadataStore contract (src/storage/metadata/store.ts) as tests: every driver runs this one suite. A new
// driver needs a file that calls describeMetadataStore with a factory, e.g.
//
//   describeMetadataStore('S3MetadataStore', async () => {
//     const store = new S3MetadataStore({ bucket, prefix: `test-${randomUUID()}` });
//     return {
//       store,
//       cleanup: () => store.destroy(),
//       writeRaw: (pack, key, text) => putObject(bucket, `${prefix}/${metadataKey(pack, key)}`, text),
//     };
//   });
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { MetadataKey, MetadataStore, StoredMetadata } from '../../src/storage/metadata/store.js';

export interface MetadataStoreUnderTest {
  store: MetadataStore;
  /** Removes everything the store made (folders, buckets); called when each test ends. */
  cleanup(): Promise<void>;
  /**
   * Store `text` as the document of `pack`/`key` bypassing the store, as a damaged disk or a hand edit would.
   * Omit it for a driver that cannot hold anything but a valid document (memory); the test that needs it is
   * then skipped.
   */
  writeRaw?(pack: string, key: string, text: string): Promise<void>;
}

/** A new, empty store for one test. */
export type MetadataStoreFactory = () => Promise<MetadataStoreUnderTest>;

export async function listDocuments(store: MetadataStore): Promise<StoredMetadata[]> {
  const documents: StoredMetadata[] = [];
  for await (const stored of store.list()) documents.push(stored);
  return documents.sort(byKey);
}

export async function listKeys(store: MetadataStore): Promise<MetadataKey[]> {
  const keys: MetadataKey[] = [];
  for await (const key of store.keys()) keys.push({ pack: key.pack, key: key.key });
  return keys.sort(byKey);
}

/** The order is not part of the contract: compare listings sorted. */
function byKey(a: MetadataKey, b: MetadataKey): number {
  return a.pack < b.pack ? -1 : a.pack > b.pack ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** The document stored for one version, or undefined. */
export async function documentOf(store: MetadataStore, pack: string, key: string): Promise<unknown> {
  for await (const stored of store.list()) if (stored.pack === pack && stored.key === key) return stored.document;
  return undefined;
}

export function describeMetadataStore(name: string, factory: MetadataStoreFactory): void {
  /** A new store, cleaned up when the calling test ends. */
  async function newStore(): Promise<MetadataStoreUnderTest> {
    const made = await factory();
    onTestFinished(made.cleanup);
    return made;
  }

  describe(`${name}: the MetadataStore contract`, () => {
    it('lists nothing when empty', async () => {
      const { store } = await newStore();
      expect(await listDocuments(store)).toEqual([]);
      expect(await listKeys(store)).toEqual([]);
    });

    it('writes the document build returns; list reads it back parsed, keys names it', async () => {
      const { store } = await newStore();
      const document = { pack: 'hello', version: '1.0.0', tags: ['1.0.0', 'stable'], nested: { size: 12 } };
      await store.sync('hello', '1.0.0', () => document);
      const [stored, ...rest] = await listDocuments(store);
      expect(rest).toEqual([]);
      expect(stored).toMatchObject({ pack: 'hello', key: '1.0.0', document });
      expect(stored?.error).toBeUndefined();
      expect(stored?.size).toBeGreaterThanOrEqual(0);
      expect(await listKeys(store)).toEqual([{ pack: 'hello', key: '1.0.0' }]);
    });

    it('replaces a document on the next sync', async () => {
      const { store } = await newStore();
      await store.sync('hello', '1.0.0', () => ({ round: 1 }));
      await store.sync('hello', '1.0.0', () => ({ round: 2 }));
      expect(await listDocuments(store)).toMatchObject([{ pack: 'hello', key: '1.0.0', document: { round: 2 } }]);
    });

    it('removes the document when build returns null or undefined', async () => {
      const { store } = await newStore();
      for (const nothing of [null, undefined]) {
        await store.sync('hello', '1.0.0', () => ({ present: true }));
        await store.sync('hello', '1.0.0', () => nothing);
        expect(await listKeys(store)).toEqual([]);
      }
    });

    it('removes a document with remove; removing or null-syncing a missing one succeeds', async () => {
      const { store } = await newStore();
      await store.sync('hello', '1.0.0', () => ({ present: true }));
      await store.sync('hello', '2.0.0', () => ({ present: true }));
      await store.remove('hello', '1.0.0');
      expect(await listKeys(store)).toEqual([{ pack: 'hello', key: '2.0.0' }]);
      await expect(store.remove('hello', '1.0.0')).resolves.toBeUndefined();
      await expect(store.remove('never', '9.9.9')).resolves.toBeUndefined();
      await expect(store.sync('never', '9.9.9', () => null)).resolves.toBeUndefined();
      expect(await listKeys(store)).toEqual([{ pack: 'hello', key: '2.0.0' }]);
    });

    it('lists every document of every pack once, and keys names the same ones', async () => {
      const { store } = await newStore();
      const expected: MetadataKey[] = [];
      for (const pack of ['alpha', 'beta', 'gamma-ray']) {
        for (const key of ['1.0.0', '1.10.0', '2.0.0-rc.1', '2.0.0+build.5']) {
          await store.sync(pack, key, () => ({ pack, key }));
          expected.push({ pack, key });
        }
      }
      const documents = await listDocuments(store);
      expect(documents.map(({ pack, key }) => ({ pack, key }))).toEqual(expected.sort(byKey));
      for (const stored of documents) expect(stored.document).toEqual({ pack: stored.pack, key: stored.key });
      expect(await listKeys(store)).toEqual(expected);
    });

    it('stores the document as build returned it: changing the object afterwards changes nothing', async () => {
      const { store } = await newStore();
      const document = { tags: ['stable'] };
      await store.sync('hello', '1.0.0', () => document);
      document.tags.push('changed later');
      expect(await documentOf(store, 'hello', '1.0.0')).toEqual({ tags: ['stable'] });
    });

    it('runs the calls for one version in order, each build at its turn: the last call wins', async () => {
      const { store } = await newStore();
      const built: number[] = [];
      let state = 'before';
      const calls = Array.from({ length: 10 }, (_, index) =>
        store.sync('hello', '1.0.0', () => {
          built.push(index);
          // A build reads the state when its turn comes, not when it was called.
          return { index, state };
        }),
      );
      state = 'after';
      await Promise.all(calls);
      expect(built).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(await documentOf(store, 'hello', '1.0.0')).toEqual({ index: 9, state: 'after' });
    });

    it('queues a removal behind the syncs before it, and a sync behind a removal', async () => {
      const { store } = await newStore();
      await Promise.all([store.sync('hello', '1.0.0', () => ({ written: true })), store.remove('hello', '1.0.0')]);
      expect(await listKeys(store)).toEqual([]);
      await Promise.all([store.remove('hello', '2.0.0'), store.sync('hello', '2.0.0', () => ({ written: true }))]);
      expect(await documentOf(store, 'hello', '2.0.0')).toEqual({ written: true });
    });

    it('rejects only the call whose build fails; the next call for the version still runs', async () => {
      const { store } = await newStore();
      const failing = store.sync('hello', '1.0.0', () => {
        throw new Error('build broke');
      });
      const next = store.sync('hello', '1.0.0', () => ({ after: 'failure' }));
      await expect(failing).rejects.toThrow('build broke');
      await expect(next).resolves.toBeUndefined();
      expect(await documentOf(store, 'hello', '1.0.0')).toEqual({ after: 'failure' });
    });

    it('keeps concurrent syncs of different versions apart', async () => {
      const { store } = await newStore();
      const keys = Array.from({ length: 30 }, (_, index) => ({ pack: `pack-${index % 3}`, key: `1.${index}.0` }));
      await Promise.all(keys.map(({ pack, key }) => store.sync(pack, key, () => ({ pack, key }))));
      const documents = await listDocuments(store);
      expect(documents.map(({ pack, key }) => ({ pack, key }))).toEqual([...keys].sort(byKey));
      for (const stored of documents) expect(stored.document).toEqual({ pack: stored.pack, key: stored.key });
    });

    it('never shows part of a document: while it is rewritten, readers see the old one or the new one, whole', async () => {
      const { store } = await newStore();
      // Large enough that a write takes more than one step of the disk.
      const versions = [{ fill: 'a'.repeat(512 * 1024) }, { fill: 'b'.repeat(512 * 1024) }];
      await store.sync('hello', '1.0.0', () => versions[0]);
      let finished = false;
      const rewriting = (async () => {
        for (let round = 1; round <= 12; round++) await store.sync('hello', '1.0.0', () => versions[round % 2]);
      })().finally(() => {
        finished = true;
      });
      let reads = 0;
      do {
        const documents = await listDocuments(store);
        expect(documents).toHaveLength(1);
        expect(documents[0]?.error).toBeUndefined();
        expect(versions).toContainEqual(documents[0]?.document);
        reads++;
        // Let the writes progress even when a driver answers without any I/O.
        await nextTurn();
      } while (!finished);
      await rewriting;
      expect(reads).toBeGreaterThan(0);
      expect(await documentOf(store, 'hello', '1.0.0')).toEqual(versions[0]);
    });

    it('reports a document that is not JSON in list, and names it in keys, instead of throwing', async ({ skip }) => {
      const made = await newStore();
      if (!made.writeRaw) return skip('this driver cannot hold anything but a valid document');
      await made.store.sync('hello', '1.0.0', () => ({ fine: true }));
      await made.writeRaw('hello', '2.0.0', '{"cut": "short');
      const documents = await listDocuments(made.store);
      expect(documents).toHaveLength(2);
      expect(documents[0]).toMatchObject({ key: '1.0.0', document: { fine: true } });
      expect(documents[1]).toMatchObject({ pack: 'hello', key: '2.0.0', document: undefined, error: expect.any(String) });
      expect(await listKeys(made.store)).toEqual([
        { pack: 'hello', key: '1.0.0' },
        { pack: 'hello', key: '2.0.0' },
      ]);
    });
  });
}
