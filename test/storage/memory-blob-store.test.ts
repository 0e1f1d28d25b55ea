import { access } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../src/storage/blobs/memory.js';
import { describeBlobStore } from './blob-store-suite.js';

describeBlobStore('MemoryBlobStore', async () => {
  const store = await MemoryBlobStore.open();
  return { store, cleanup: () => store.close() };
});

describe('MemoryBlobStore', () => {
  it('removes its private staging folder when closed', async () => {
    const store = await MemoryBlobStore.open();
    await access(store.uploadDir);
    await store.close();
    await expect(access(store.uploadDir)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
