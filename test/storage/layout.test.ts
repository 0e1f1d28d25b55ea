import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  blobKey,
  digestOfBlobName,
  indexPath,
  isMetadataLeftover,
  isReindexLeftover,
  listedMetadataKey,
  lockPath,
  metadataKey,
  reindexPath,
  stagedUploadName,
  storagePath,
  versionOfMetadataName,
} from '../../src/storage/layout.js';

const HEX = 'ab'.repeat(32);

describe('the storage layout', () => {
  it('puts a blob under blobs/sha256/<first two hex>/<hex>, and reads the digest back from the name', () => {
    expect(blobKey(`sha256:${HEX}`)).toBe(`blobs/sha256/ab/${HEX}`);
    expect(digestOfBlobName(HEX)).toBe(`sha256:${HEX}`);
    for (const stray of ['.DS_Store', `${HEX}.partial`, HEX.toUpperCase()]) expect(digestOfBlobName(stray)).toBeUndefined();
  });

  it('refuses a blob key for anything but a sha256 digest', () => {
    for (const digest of ['sha256:../../etc/passwd', `sha512:${HEX}`, `sha256:${HEX}/..`]) {
      expect(() => blobKey(digest)).toThrow('not a sha256 digest');
    }
  });

  it('keeps a version document at metadata/<pack>/<version>.json, and reads the version back from the name', () => {
    expect(metadataKey('hello', '1.0.0+build.1')).toBe('metadata/hello/1.0.0+build.1.json');
    expect(listedMetadataKey({ pack: 'hello', key: '1.0.0' })).toBe('metadata/hello/1.0.0.json');
    expect(versionOfMetadataName('1.0.0.json')).toBe('1.0.0');
    for (const stray of ['.1.0.0.json', '1.0.0.json.bak', '.a1b2.tmp']) expect(versionOfMetadataName(stray)).toBeUndefined();
  });

  it('refuses a metadata key that could leave its folder', () => {
    for (const [pack, version] of [
      ['..', '1'],
      ['a/b', '1'],
      ['hello', '../1'],
      ['.hidden', '1'],
    ] as const) {
      expect(() => metadataKey(pack, version), `${pack} ${version}`).toThrow('not usable in a metadata path');
    }
    // Two dots inside a name are an ordinary file name (and a valid pack name): only a whole `..` leaves a folder.
    expect(metadataKey('a..b', '1.0.0')).toBe('metadata/a..b/1.0.0.json');
  });

  it('places the index, the lock and a rebuilt index at the root, and tells the leftovers of interrupted work', () => {
    expect(indexPath('/srv/storage')).toBe(join('/srv/storage', 'index.db'));
    expect(lockPath('/srv/storage')).toBe(join('/srv/storage', 'registry.lock'));
    expect(reindexPath('/srv/storage', 42)).toBe(join('/srv/storage', 'index.db.reindex-42'));
    expect(isReindexLeftover('index.db.reindex-42')).toBe(true);
    expect(isReindexLeftover('index.db')).toBe(false);
    expect(isMetadataLeftover('.0123abcd.tmp')).toBe(true);
    expect(isMetadataLeftover('1.0.0.json')).toBe(false);
    expect(storagePath('/srv/storage', 'blobs/sha256/ab')).toBe(join('/srv/storage', 'blobs', 'sha256', 'ab'));
  });

  it('names each staged upload uniquely', () => {
    const names = new Set(Array.from({ length: 100 }, () => stagedUploadName()));
    expect(names.size).toBe(100);
    for (const name of names) expect(name).toMatch(/^[0-9a-f-]{36}\.tar\.gz$/);
  });
});
