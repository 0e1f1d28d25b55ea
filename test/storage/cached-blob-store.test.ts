import { createHash } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { describe, expect, it, vi } from 'vitest';
import { CachedBlobStore } from '../../src/storage/blobs/cache.js';
import { FilesystemBlobStore } from '../../src/storage/blobs/filesystem.js';
import { MemoryBlobStore } from '../../src/storage/blobs/memory.js';
import { describeBlobStore } from './blob-store-suite.js';
import { temporaryFolder } from './temporary.js';

// The default limits: the suite's small blobs are kept in memory, its large ones (over 1 MiB) are not.
describeBlobStore('CachedBlobStore over FilesystemBlobStore', async () => {
  const root = await temporaryFolder();
  return { store: new CachedBlobStore(await FilesystemBlobStore.open(root)), cleanup: () => rm(root, { recursive: true, force: true }) };
});

describeBlobStore('CachedBlobStore over MemoryBlobStore', async () => {
  const inner = await MemoryBlobStore.open();
  return { store: new CachedBlobStore(inner), cleanup: () => inner.close() };
});

async function storeWith(contents: string[]): Promise<{ store: FilesystemBlobStore; digests: string[] }> {
  const store = await FilesystemBlobStore.open(await temporaryFolder());
  const digests: string[] = [];
  for (const [index, content] of contents.entries()) {
    const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;
    const staged = join(store.uploadDir, `staged-${index}`);
    await writeFile(staged, content);
    await store.put(staged, digest);
    digests.push(digest);
  }
  return { store, digests };
}

describe('the small-blob cache', () => {
  it('reads a small blob from disk once, then from memory, with ranges', async () => {
    const { store, digests } = await storeWith(['hello world']);
    const open = vi.spyOn(store, 'open');
    const cache = new CachedBlobStore(store, { maxBlobBytes: 100, maxTotalBytes: 1000 });
    expect(await text((await cache.open(digests[0]!)).stream())).toBe('hello world');
    expect(await text((await cache.open(digests[0]!)).stream({ start: 6, end: 10 }))).toBe('world');
    expect(open).toHaveBeenCalledTimes(1);
  });

  it('leaves large blobs on disk and drops the least recently used when over budget', async () => {
    const { store, digests } = await storeWith(['a'.repeat(40), 'b'.repeat(40), 'c'.repeat(40), 'd'.repeat(200)]);
    const open = vi.spyOn(store, 'open');
    const cache = new CachedBlobStore(store, { maxBlobBytes: 100, maxTotalBytes: 100 });
    const [a, b, c, large] = digests as [string, string, string, string];
    for (const digest of [a, b, a, c]) await (await cache.open(digest)).close();
    // a, b, then a again (most recent), then c: 120 bytes > 100, so b (least recent) is dropped.
    expect(open).toHaveBeenCalledTimes(3);
    await (await cache.open(a)).close();
    await (await cache.open(c)).close();
    expect(open).toHaveBeenCalledTimes(3);
    await (await cache.open(b)).close();
    expect(open).toHaveBeenCalledTimes(4);
    for (let round = 0; round < 2; round++) expect((await text((await cache.open(large)).stream())).length).toBe(200);
    expect(open).toHaveBeenCalledTimes(6);
  });

  it('forgets a deleted blob', async () => {
    const { store, digests } = await storeWith(['gone soon']);
    const cache = new CachedBlobStore(store);
    await (await cache.open(digests[0]!)).close();
    await cache.delete(digests[0]!);
    await expect(cache.open(digests[0]!)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
