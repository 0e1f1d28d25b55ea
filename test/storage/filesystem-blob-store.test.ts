import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { FilesystemBlobStore } from '../../src/storage/blobs/filesystem.js';
import { describeBlobStore, putBytes, stage } from './blob-store-suite.js';
import { temporaryFolder } from './temporary.js';

describeBlobStore('FilesystemBlobStore', async () => {
  const root = await temporaryFolder();
  return { store: await FilesystemBlobStore.open(root), cleanup: () => rm(root, { recursive: true, force: true }) };
});

describe('FilesystemBlobStore on disk', () => {
  it('keeps a blob at blobs/sha256/<first two hex>/<hex> and stages in uploads/', async () => {
    const root = await temporaryFolder();
    const store = await FilesystemBlobStore.open(root);
    expect(store.uploadDir).toBe(join(root, 'uploads'));
    const digest = await putBytes(store, Buffer.from('hello'));
    const hex = digest.slice('sha256:'.length);
    expect(await readdir(join(root, 'blobs', 'sha256', hex.slice(0, 2)))).toEqual([hex]);
  });

  it('pins an opened blob: its file is gone after a delete, yet its bytes still stream', async () => {
    const root = await temporaryFolder();
    const store = await FilesystemBlobStore.open(root);
    const bytes = randomBytes(100_000);
    const digest = await putBytes(store, bytes);
    const blob = await store.open(digest);
    await store.delete(digest);
    const hex = digest.slice('sha256:'.length);
    expect(await readdir(join(root, 'blobs', 'sha256', hex.slice(0, 2)))).toEqual([]);
    expect((await buffer(blob.stream())).equals(bytes)).toBe(true);
  });

  it('lists only names that are digests, whatever else lies in the blob folders', async () => {
    const root = await temporaryFolder();
    const store = await FilesystemBlobStore.open(root);
    const digest = await putBytes(store, Buffer.from('real'));
    const hex = digest.slice('sha256:'.length);
    await writeFile(join(root, 'blobs', 'sha256', hex.slice(0, 2), '.DS_Store'), '');
    await writeFile(join(root, 'blobs', 'sha256', hex.slice(0, 2), `${hex}.partial`), '');
    const listed: string[] = [];
    for await (const found of store.list()) listed.push(found.digest);
    expect(listed).toEqual([digest]);
  });

  it('removes every staging file left by a crash, and counts them', async () => {
    const root = await temporaryFolder();
    const store = await FilesystemBlobStore.open(root);
    await stage(store, randomBytes(10));
    await stage(store, randomBytes(10));
    await mkdir(join(store.uploadDir, 'a-folder'));
    expect(await store.removeStagedUploads()).toBe(3);
    expect(await readdir(store.uploadDir)).toEqual([]);
  });

  it('reports the storage unhealthy when it cannot be written to, and leaves no probe behind when it can', async () => {
    const root = await temporaryFolder();
    const store = await FilesystemBlobStore.open(root);
    await store.check();
    expect(await readdir(store.uploadDir)).toEqual([]);
    await rm(store.uploadDir, { recursive: true });
    await expect(store.check()).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('leaves a refused staging file for the caller to remove', async () => {
    const root = await temporaryFolder();
    const store = await FilesystemBlobStore.open(root);
    const staged = await stage(store, Buffer.from('x'));
    await expect(store.put(staged, 'not-a-digest')).rejects.toThrow('not a sha256 digest');
    expect(await readdir(store.uploadDir)).toHaveLength(1);
  });
});
