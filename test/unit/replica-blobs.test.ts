// Two registries on one index and one blob store stand in for two replicas. A delete on one and a push of the
// very same bytes on the other can interleave so that the delete's blob removal falls between the push's
// store and its commit: the push's pin is in the other replica's memory, and the index does not reference the
// blob yet. A replica (RegistryOptions.replicas) therefore leaves unreferenced blobs to gc; the scenario is
// first run without the option, to show that it really reaches that window.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SqliteIndex } from '../../src/db/sqlite.js';
import { Registry } from '../../src/registry/registry.js';
import { MemoryBlobStore } from '../../src/storage/blobs/memory.js';
import type { BlobStore } from '../../src/storage/blobs/store.js';
import { MemoryMetadataStore } from '../../src/storage/metadata/memory.js';
import type { MetadataStore } from '../../src/storage/metadata/store.js';
import { stageUpload } from '../../src/storage/staging.js';
import { buildRawTarGz, minimalPackEntries } from '../helpers/archives.js';
import { whenDone } from '../helpers/cleanup.js';

function gate(): { reached: Promise<void>; reach: () => void; passed: Promise<void>; pass: () => void } {
  let reach!: () => void;
  let pass!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const passed = new Promise<void>((resolve) => (pass = resolve));
  return { reached, reach, passed, pass };
}

const LIMITS = { maxEntries: 100, maxUnpackedSize: 1 << 20 };

/** A deletes 1.0.0 while B pushes the same archive as 1.0.0 again; returns whether the blob is there afterwards. */
async function deleteRacingARepush(replicas: boolean): Promise<{ blobKept: boolean; served: boolean }> {
  const db = new SqliteIndex(':memory:');
  whenDone(() => db.close());
  const store = await MemoryBlobStore.open();
  whenDone(() => store.close());
  const documents = new MemoryMetadataStore();
  const archive = await buildRawTarGz(minimalPackEntries({ name: 'twice', version: '1.0.0' }));

  // A pauses after its delete committed, as it writes the removal of the version's document (before the blob).
  const afterCommit = gate();
  let pauseA = false;
  const metadataOfA: MetadataStore = Object.assign(Object.create(documents) as MetadataStore, {
    sync: async (pack: string, key: string, build: () => unknown) => {
      if (pauseA) {
        afterCommit.reach();
        await afterCommit.passed;
      }
      return documents.sync(pack, key, build);
    },
  });
  // B pauses after its blob is stored, before its transaction.
  const afterPut = gate();
  const blobsOfB: BlobStore = Object.assign(Object.create(store) as BlobStore, {
    put: async (staged: string, digest: string) => {
      await store.put(staged, digest);
      afterPut.reach();
      await afterPut.passed;
    },
  });
  const a = new Registry({ db, blobs: store, metadata: metadataOfA, limits: LIMITS, replicas });
  const b = new Registry({ db, blobs: blobsOfB, metadata: documents, limits: LIMITS, replicas });

  const first = await a.push(await stageUpload(Readable.from([archive]), store, 1 << 20), { user: 'a' });
  pauseA = true;
  const deleting = a.deleteVersion('twice', '1.0.0', 'a');
  await afterCommit.reached;
  const pushing = b.push(await stageUpload(Readable.from([archive]), store, 1 << 20), { user: 'b' });
  await afterPut.reached;
  afterCommit.pass();
  await deleting;
  afterPut.pass();
  const second = await pushing;
  expect(second.archiveDigest).toBe(first.archiveDigest);

  const blobKept = (await store.stat(first.archiveDigest)) !== null;
  const served = await b.openArchive('twice', '1.0.0').then(
    async (handle) => {
      await handle.blob.close();
      return true;
    },
    () => false,
  );
  return { blobKept, served };
}

describe('a blob shared by a delete and a push on two replicas', () => {
  it('is removed under the push by a registry that believes it is alone (the window is real)', async () => {
    expect(await deleteRacingARepush(false)).toEqual({ blobKept: false, served: false });
  });

  it('is kept by replicas, which leave unreferenced blobs to gc: the pushed version is served', async () => {
    expect(await deleteRacingARepush(true)).toEqual({ blobKept: true, served: true });
  });
});
