// The index's read cache: repeated reads are answered from memory, and no write — committed, rolled back or
// outside a transaction — ever leaves a stale or phantom answer behind.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { IndexQueries, NewVersion, PackRecord } from '../../src/db/pack-index.js';
import { SqliteIndex } from '../../src/db/sqlite.js';
import { ReadCache } from '../../src/db/read-cache.js';
import { makeTempDir } from '../helpers/files.js';

function version(pack: string, v: string): NewVersion {
  return {
    pack,
    version: v,
    normalizedVersion: v,
    group: null,
    contentDigest: `sha256:${'c'.repeat(63)}${v.length}`,
    archiveDigest: `sha256:${'a'.repeat(63)}${v.length}`,
    size: 10,
    pushedAt: '2026-01-01T00:00:00.000Z',
    pushedBy: 'admin',
    message: null,
    rootPrefix: '',
    manifest: { name: pack, version: v },
    files: [],
    details: null,
  };
}

function pack(name: string, latestVersionId: number, latestVersion: string, displayName = name): PackRecord {
  return {
    name,
    latestVersionId,
    latestVersion,
    displayName,
    layer: 'addon',
    addonType: null,
    cloudTypes: ['all'],
    hasLogo: false,
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

const opened: { close(): unknown }[] = [];
afterEach(async () => {
  for (const connection of opened.splice(0)) await connection.close();
});

/** A SqliteIndex on a file, and a second connection to the same file that writes behind the index's back. */
async function openIndex(): Promise<{ db: SqliteIndex; behindTheBack: Database.Database }> {
  const path = join(await makeTempDir(), 'index.db');
  const db = new SqliteIndex(path);
  const behindTheBack = new Database(path);
  opened.push(db, behindTheBack);
  return { db, behindTheBack };
}

function pushVersion(db: SqliteIndex, name: string, v: string): Promise<number> {
  return db.transaction(name, (tx) => writeVersion(tx, name, v));
}

async function writeVersion(tx: IndexQueries, name: string, v: string): Promise<number> {
  const id = await tx.insertVersion(version(name, v));
  await tx.setTag(name, v, id, 'version');
  await tx.upsertPack(pack(name, id, v));
  return id;
}

describe('the index read cache', () => {
  it('answers a repeated read from memory, and forgets it on the next write through the index', async () => {
    const { db, behindTheBack } = await openIndex();
    const first = await pushVersion(db, 'nginx', '1.0.0');
    expect(await db.versionByTag('nginx', 'stable')).toBeUndefined();
    expect(await db.catalogPage('', 10)).toEqual(['nginx']);

    // Changed behind the index's back (nothing in production does this: the storage lock keeps other writers
    // out): the cached answers stay, which proves they come from memory.
    behindTheBack.prepare("INSERT INTO tags (pack, tag, version_id, kind) VALUES ('nginx', 'stable', ?, 'user')").run(first);
    behindTheBack.prepare("INSERT INTO packs SELECT 'apache', latest_version_id, latest_version, display_name, layer, addon_type, cloud_types, has_logo, updated_at FROM packs").run();
    expect(await db.versionByTag('nginx', 'stable')).toBeUndefined();
    expect(await db.catalogPage('', 10)).toEqual(['nginx']);

    // Any write through the index, even one unrelated to those reads, makes them read the index again.
    await db.addEvent({ pack: 'nginx', at: '2026-01-01T00:00:00.000Z', user: 'admin', action: 'push', version: '1.0.0', tag: null, digest: null, message: null });
    expect((await db.versionByTag('nginx', 'stable'))?.id).toBe(first);
    expect(await db.catalogPage('', 10)).toEqual(['apache', 'nginx']);
  });

  it('sees every kind of write at once: tag moves and deletes, version deletes, pack changes', async () => {
    const { db } = await openIndex();
    const one = await pushVersion(db, 'nginx', '1.0.0');
    const two = await pushVersion(db, 'nginx', '2.0.0');
    await db.setTag('nginx', 'stable', one, 'user');
    expect((await db.versionByTag('nginx', 'stable'))?.version).toBe('1.0.0');
    expect((await db.packsPage({}, '', 10)).map((record) => record.latestVersion)).toEqual(['2.0.0']);

    await db.setTag('nginx', 'stable', two, 'user');
    expect((await db.versionByTag('nginx', 'stable'))?.version).toBe('2.0.0');
    await db.deleteTag('nginx', 'stable');
    expect(await db.versionByTag('nginx', 'stable')).toBeUndefined();

    expect((await db.versionByString('nginx', '2.0.0'))?.id).toBe(two);
    expect((await db.tagsOfPack('nginx')).map((tag) => tag.tag)).toEqual(['1.0.0', '2.0.0']);
    await db.deleteVersion(two);
    expect(await db.versionByString('nginx', '2.0.0')).toBeUndefined();
    expect(await db.versionByTag('nginx', '2.0.0')).toBeUndefined();
    expect((await db.tagsOfPack('nginx')).map((tag) => tag.tag)).toEqual(['1.0.0']);

    await db.upsertPack(pack('nginx', one, '1.0.0', 'NGINX'));
    expect((await db.packsPage({}, '', 10)).map((record) => [record.displayName, record.latestVersion])).toEqual([['NGINX', '1.0.0']]);
    expect((await db.pack('nginx'))?.displayName).toBe('NGINX');
    await db.deletePack('nginx');
    expect(await db.packsPage({}, '', 10)).toEqual([]);
    expect(await db.pack('nginx')).toBeUndefined();
  });

  it('keeps nothing a rolled-back transaction read', async () => {
    const { db } = await openIndex();
    await pushVersion(db, 'nginx', '1.0.0');
    expect(await db.catalogPage('', 10)).toEqual(['nginx']);
    await expect(
      db.transaction('apache', async (tx) => {
        await writeVersion(tx, 'apache', '2.4.0');
        // Read inside the transaction: it sees the uncommitted rows, which must not be remembered.
        expect((await tx.versionByTag('apache', '2.4.0'))?.version).toBe('2.4.0');
        expect(await tx.catalogPage('', 10)).toEqual(['apache', 'nginx']);
        throw new Error('refused after the reads');
      }),
    ).rejects.toThrow('refused after the reads');
    expect(await db.versionByTag('apache', '2.4.0')).toBeUndefined();
    expect(await db.catalogPage('', 10)).toEqual(['nginx']);
  });

  it('keys list pages by every filter and by the page', async () => {
    const { db } = await openIndex();
    for (const name of ['alpha', 'beta', 'gamma']) await pushVersion(db, name, '1.0.0');
    expect((await db.packsPage({}, '', 2)).map((record) => record.name)).toEqual(['alpha', 'beta']);
    expect((await db.packsPage({}, 'beta', 2)).map((record) => record.name)).toEqual(['gamma']);
    expect((await db.packsPage({ nameContains: 'mm' }, '', 2)).map((record) => record.name)).toEqual(['gamma']);
    expect(await db.packsPage({ layer: 'os' }, '', 2)).toEqual([]);
    expect((await db.packsPage({ cloudType: 'aws' }, '', 2)).map((record) => record.name)).toEqual(['alpha', 'beta']);
    expect(await db.catalogPage('', 1)).toEqual(['alpha']);
    expect(await db.catalogPage('alpha', 1)).toEqual(['beta']);
  });

  it('hands out lists nobody can change under the next reader', async () => {
    const { db } = await openIndex();
    await pushVersion(db, 'nginx', '1.0.0');
    const names = (await db.catalogPage('', 10)) as string[];
    expect(() => names.push('intruder')).toThrow(TypeError);
    const tags = (await db.tagsOfPack('nginx')) as unknown[];
    expect(() => tags.pop()).toThrow(TypeError);
    expect(await db.catalogPage('', 10)).toEqual(['nginx']);
  });
});

describe('ReadCache', () => {
  it('remembers not-found answers too, and forgets the oldest past its capacity', () => {
    const cache = new ReadCache(2);
    let reads = 0;
    const read = (answer: string | undefined) => () => {
      reads++;
      return answer;
    };
    expect(cache.get('a', read(undefined))).toBeUndefined();
    expect(cache.get('a', read('never read'))).toBeUndefined();
    expect(reads).toBe(1);
    cache.get('b', read('b'));
    cache.get('c', read('c'));
    expect(cache.size).toBe(2);
    expect(cache.get('a', read('a again'))).toBe('a again');
    expect(cache.get('c', read('not read'))).toBe('c');
    expect(reads).toBe(4);
  });

  it('remembers nothing with capacity 0', () => {
    const cache = new ReadCache(0);
    expect(cache.get('a', () => 1)).toBe(1);
    expect(cache.get('a', () => 2)).toBe(2);
    expect(cache.size).toBe(0);
  });
});
