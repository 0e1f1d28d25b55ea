import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FilesystemMetadataStore } from '../../src/storage/metadata/filesystem.js';
import { describeMetadataStore, listDocuments, listKeys } from './metadata-store-suite.js';
import { temporaryFolder } from './temporary.js';

describeMetadataStore('FilesystemMetadataStore', async () => {
  const root = await temporaryFolder();
  const store = new FilesystemMetadataStore(root);
  return {
    store,
    cleanup: () => rm(root, { recursive: true, force: true }),
    writeRaw: async (pack, key, text) => {
      const path = store.pathOf(pack, key);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, text);
    },
  };
});

describe('FilesystemMetadataStore on disk', () => {
  it('writes metadata/<pack>/<version>.json as indented JSON, and reports its size', async () => {
    const root = await temporaryFolder();
    const store = new FilesystemMetadataStore(root);
    await store.sync('hello', '1.0.0', () => ({ pack: 'hello' }));
    const path = join(root, 'metadata', 'hello', '1.0.0.json');
    expect(await readFile(path, 'utf8')).toBe('{\n  "pack": "hello"\n}\n');
    expect((await listDocuments(store))[0]?.size).toBe((await stat(path)).size);
  });

  it('leaves no temporary file behind, and drops the folder of a pack whose last document goes', async () => {
    const root = await temporaryFolder();
    const store = new FilesystemMetadataStore(root);
    await Promise.all([1, 2, 3].map((round) => store.sync('hello', '1.0.0', () => ({ round }))));
    await store.sync('hello', '2.0.0', () => ({ round: 1 }));
    expect(await readdir(join(root, 'metadata', 'hello'))).toEqual(['1.0.0.json', '2.0.0.json']);
    await store.sync('hello', '1.0.0', () => null);
    await store.remove('hello', '2.0.0');
    expect(await readdir(join(root, 'metadata'))).toEqual([]);
  });

  it('names only documents: temporary files and other names in the tree are not keys', async () => {
    const root = await temporaryFolder();
    const store = new FilesystemMetadataStore(root);
    await store.sync('hello', '1.0.0', () => ({}));
    await writeFile(join(root, 'metadata', 'hello', '.0123abcd.tmp'), '{"half');
    await writeFile(join(root, 'metadata', 'hello', '.hidden.json'), '{}');
    await writeFile(join(root, 'metadata', 'hello', 'notes.txt'), 'by hand');
    await writeFile(join(root, 'metadata', 'a-stray-file'), '');
    expect(await listKeys(store)).toEqual([{ pack: 'hello', key: '1.0.0' }]);
  });

  it('reports a document it cannot read instead of throwing', async () => {
    const root = await temporaryFolder();
    const store = new FilesystemMetadataStore(root);
    await mkdir(join(root, 'metadata', 'hello', '1.0.0.json'), { recursive: true });
    expect(await listDocuments(store)).toEqual([{ pack: 'hello', key: '1.0.0', document: undefined, error: expect.any(String), size: expect.any(Number) }]);
  });

  it('refuses a pack or version that could lead outside its folder', async () => {
    const root = await temporaryFolder();
    const store = new FilesystemMetadataStore(root);
    for (const [pack, key] of [
      ['..', '1.0.0'],
      ['hello', '../../escape'],
      ['hello/../..', '1.0.0'],
      ['', '1.0.0'],
    ] as const) {
      expect(() => store.sync(pack, key, () => ({}))).toThrow('not usable in a metadata path');
      await expect(store.remove(pack, key)).rejects.toThrow('not usable in a metadata path');
    }
    expect(await readdir(root)).toEqual([]);
  });
});
