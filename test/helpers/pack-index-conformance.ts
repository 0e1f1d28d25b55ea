// The PackIndex contract (src/db/pack-index.ts) as tests, pinned to what the SQLite index answers: every
// driver runs this one suite, as the storage drivers share test/storage/*-suite.ts. A driver's file calls
//
//   describeIndexConformance('PostgresIndex', async () => PostgresIndex.open({ dsn: await server.createDatabase(), poolSize: 4 }));
//
// `open` gives a new, empty index for one test; the suite closes it when the test ends.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { DownloadRecord, NewVersion, PackIndex, PackRecord, VersionRecord } from '../../src/db/pack-index.js';
import { whenDone } from './cleanup.js';

/** The names byte order and natural-language orders disagree on: '-' < '.' < 'B' < '_' < 'a' only as bytes. */
export const BYTE_ORDER_NAMES = ['a_b', 'aB', 'a.b', 'a-b', 'ab', 'a', 'Zed', 'zed', 'a0', 'é'];

/** Byte order (UTF-8), as SQLite's BINARY collation and PostgreSQL's "C" compare. */
export function byteOrder(names: readonly string[]): string[] {
  return [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function hex(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

/** A version as a push writes it, with everything set (manifest keys and file order as a real pack has them). */
export function newVersion(pack: string, version: string, overrides: Partial<NewVersion> = {}): NewVersion {
  return {
    pack,
    version,
    normalizedVersion: version,
    group: null,
    contentDigest: `sha256:${hex(`${pack}@${version} content`)}`,
    archiveDigest: `sha256:${hex(`${pack}@${version} archive`)}`,
    size: 4096,
    pushedAt: '2026-11-02T10:00:00.000Z',
    pushedBy: 'alice',
    message: null,
    rootPrefix: `${pack}-${version}/`,
    manifest: { name: pack, version, displayName: pack.toUpperCase(), layer: 'addon', addonType: 'ingress', cloudTypes: ['all'], nested: { z: 1, a: [1, 'two', null] } },
    files: [
      { path: 'pack.json', size: 310, sha256: hex(`${pack}@${version} pack.json`) },
      { path: 'values.yaml', size: 1200, sha256: hex(`${pack}@${version} values.yaml`) },
      { path: 'charts/app-1.0.0.tgz', size: 2500, sha256: hex(`${pack}@${version} chart`) },
    ],
    details: { presets: null, schema: 'type: object\n', charts: [{ path: 'charts/app-1.0.0.tgz', name: 'app', version: '1.0.0', appVersion: null }] },
    ...overrides,
  };
}

export function packRecord(name: string, latest: { id: number; version: string }, overrides: Partial<PackRecord> = {}): PackRecord {
  return {
    name,
    latestVersionId: latest.id,
    latestVersion: latest.version,
    displayName: name.toUpperCase(),
    layer: 'addon',
    addonType: 'ingress',
    cloudTypes: ['aws'],
    hasLogo: false,
    updatedAt: '2026-11-02T10:00:00.000Z',
    ...overrides,
  };
}

/** A version's fields as plain data (the drivers parse manifest, files and details lazily, through getters). */
function plain(version: VersionRecord | undefined): unknown {
  if (!version) return version;
  return { ...version, manifest: version.manifest, files: version.files, details: version.details };
}

function event(pack: string, at: string, action: 'push' | 'force-push' | 'tag-add' | 'tag-delete' | 'delete', version: string | null) {
  return { pack, at, user: 'alice', action, version, tag: null, digest: null, message: null };
}

function feedEvent(pack: string, at: string) {
  return { at, action: 'push' as const, pack, version: '1.0.0', tag: null, digest: 'sha256:abc', user: 'alice', message: 'first' };
}

/** Resolves when `opened` settles, or after `ms`; never rejects. */
async function settledWithin(opened: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([opened.then(() => true, () => true), sleep(ms).then(() => false)]);
}

export function describeIndexConformance(name: string, open: () => Promise<PackIndex>): void {
  async function fresh(): Promise<PackIndex> {
    const index = await open();
    whenDone(() => index.close());
    return index;
  }

  /** Insert a version and its pack row (latest = this version), as a push does. */
  async function pushed(index: PackIndex, version: NewVersion, pack: Partial<PackRecord> = {}): Promise<number> {
    return index.transaction(version.pack, async (tx) => {
      const id = await tx.insertVersion(version);
      await tx.upsertPack(packRecord(version.pack, { id, version: version.version }, pack));
      return id;
    });
  }

  describe(`${name}: the PackIndex contract`, () => {
    describe('versions', () => {
      it('gives back a version exactly as written, by id, version, normalized version and digests', async () => {
        const index = await fresh();
        const written = newVersion('nginx', '1.16.1', {
          version: 'v1.16.1',
          group: 'stable',
          size: 3 * 1024 * 1024 * 1024,
          message: 'first push',
          manifest: { version: '1.16.1', name: 'nginx', 'ü-key': 'ünïcode \u0000 and "quotes"', list: [3, 1, 2] },
          files: [
            { path: 'values.yaml', size: 1, sha256: hex('1') },
            { path: 'README.md', size: 2, sha256: hex('2') },
            { path: 'pack.json', size: 3, sha256: hex('3') },
          ],
          details: null,
        });
        const id = await index.transaction('nginx', (tx) => tx.insertVersion(written));
        expect(id).toBeGreaterThan(0);
        const expected = { id, ...written };
        expect(plain(await index.versionById(id))).toEqual(expected);
        expect(plain(await index.versionByString('nginx', 'v1.16.1'))).toEqual(expected);
        expect(plain(await index.versionByNormalized('nginx', '1.16.1'))).toEqual(expected);
        expect(plain(await index.versionByContentDigest('nginx', written.contentDigest))).toEqual(expected);
        expect(plain(await index.versionByArchiveDigest('nginx', written.archiveDigest))).toEqual(expected);
        // Files keep their order; the manifest its keys and values.
        expect((await index.versionById(id))?.files.map((file) => file.path)).toEqual(['values.yaml', 'README.md', 'pack.json']);
        expect((await index.versionById(id))?.manifest).toStrictEqual(written.manifest);
      });

      it('answers undefined for what is not there, in this pack or at all', async () => {
        const index = await fresh();
        const id = await pushed(index, newVersion('nginx', '1.0.0'));
        expect(await index.versionById(id + 1000)).toBeUndefined();
        expect(await index.versionByString('other', '1.0.0')).toBeUndefined();
        expect(await index.versionByNormalized('nginx', '2.0.0')).toBeUndefined();
        expect(await index.versionByTag('nginx', 'latest')).toBeUndefined();
        expect(await index.versionByContentDigest('other', newVersion('nginx', '1.0.0').contentDigest)).toBeUndefined();
        expect(await index.versionByArchiveDigest('nginx', 'sha256:0')).toBeUndefined();
        expect(await index.versionWithFile('nginx', hex('nothing'))).toBeUndefined();
        expect(await index.versionsOfPack('other')).toEqual([]);
      });

      it('refuses a second version with the same normalized version, and the transaction goes on', async () => {
        const index = await fresh();
        const ids = await index.transaction('nginx', async (tx) => {
          const first = await tx.insertVersion(newVersion('nginx', '1.0.0'));
          await expect(tx.insertVersion(newVersion('nginx', '1.0.0', { version: 'v1.0.0' }))).rejects.toThrow();
          const second = await tx.insertVersion(newVersion('nginx', '2.0.0'));
          return [first, second];
        });
        expect((await index.versionsOfPack('nginx')).map((version) => version.id).sort()).toEqual([...ids].sort());
        // Another pack may have the same version.
        await expect(pushed(index, newVersion('redis', '1.0.0'))).resolves.toBeGreaterThan(0);
      });

      it('gives the newest version when several share a digest, and finds a file by SHA-256 in the newest that lists it', async () => {
        const index = await fresh();
        const shared = { contentDigest: 'sha256:same-content', archiveDigest: 'sha256:same-archive' };
        const logo = { path: 'logo.png', size: 10, sha256: hex('logo') };
        const first = await pushed(index, newVersion('nginx', '1.0.0', { ...shared, files: [logo] }));
        const second = await pushed(index, newVersion('nginx', '1.0.1', { ...shared, files: [{ path: 'other.png', size: 10, sha256: hex('other') }, logo] }));
        await pushed(index, newVersion('nginx', '0.9.0', { files: [] }));
        await pushed(index, newVersion('redis', '1.0.0', { files: [{ path: 'x', size: 1, sha256: hex('redis only') }] }));
        expect(first).toBeLessThan(second);
        expect((await index.versionByContentDigest('nginx', 'sha256:same-content'))?.id).toBe(second);
        expect((await index.versionByArchiveDigest('nginx', 'sha256:same-archive'))?.id).toBe(second);
        expect((await index.versionWithFile('nginx', hex('logo')))?.id).toBe(second);
        expect((await index.versionWithFile('nginx', hex('redis only')))?.id).toBeUndefined();
        expect((await index.versionWithFile('redis', hex('redis only')))?.version).toBe('1.0.0');
      });

      it('lists every version of a pack, and only of that pack', async () => {
        const index = await fresh();
        for (const version of ['1.0.0', '1.10.0', '1.2.0', '1.0.0-rc.1']) await pushed(index, newVersion('nginx', version));
        await pushed(index, newVersion('nginx-extra', '9.9.9'));
        const versions = await index.versionsOfPack('nginx');
        expect(versions.map((version) => version.normalizedVersion).sort()).toEqual(['1.0.0', '1.0.0-rc.1', '1.10.0', '1.2.0']);
        expect(plain(versions.find((version) => version.version === '1.2.0'))).toEqual(plain(await index.versionByNormalized('nginx', '1.2.0')));
      });

      it('replaces a version in place: same id, new fields, its tags stay', async () => {
        const index = await fresh();
        const id = await pushed(index, newVersion('nginx', '1.0.0'));
        await index.transaction('nginx', (tx) => tx.setTag('nginx', 'stable', id, 'user'));
        const replacement = newVersion('nginx', '1.0.0', {
          version: '1.0.0',
          group: 'edge',
          contentDigest: 'sha256:new-content',
          archiveDigest: 'sha256:new-archive',
          size: 99,
          pushedAt: '2026-11-03T00:00:00.000Z',
          pushedBy: 'bob',
          message: 'forced',
          rootPrefix: '',
          manifest: { replaced: true },
          files: [],
          details: { presets: 'a: 1\n', schema: null, charts: [] },
        });
        await index.transaction('nginx', (tx) => tx.replaceVersion(id, replacement));
        expect(plain(await index.versionById(id))).toEqual({ id, ...replacement });
        expect((await index.versionByTag('nginx', 'stable'))?.id).toBe(id);
      });

      it('deletes a version with its tags, and counts and lists the archive digests still referenced', async () => {
        const index = await fresh();
        const a = await pushed(index, newVersion('nginx', '1.0.0', { archiveDigest: 'sha256:shared' }));
        const b = await pushed(index, newVersion('nginx', '2.0.0', { archiveDigest: 'sha256:shared' }));
        await pushed(index, newVersion('redis', '1.0.0', { archiveDigest: 'sha256:redis' }));
        await index.transaction('nginx', async (tx) => {
          await tx.setTag('nginx', '1.0.0', a, 'version');
          await tx.setTag('nginx', 'latest', b, 'user');
        });
        expect(await index.archiveReferenceCount('sha256:shared')).toBe(2);
        expect(await index.archiveReferenceCount('sha256:none')).toBe(0);
        expect([...(await index.referencedArchiveDigests())].sort()).toEqual(['sha256:redis', 'sha256:shared']);
        await index.transaction('nginx', (tx) => tx.deleteVersion(a));
        expect(await index.versionById(a)).toBeUndefined();
        expect(await index.tag('nginx', '1.0.0')).toBeUndefined();
        expect((await index.tag('nginx', 'latest'))?.versionId).toBe(b);
        expect(await index.archiveReferenceCount('sha256:shared')).toBe(1);
        await index.transaction('nginx', (tx) => tx.deleteVersion(b));
        expect([...(await index.referencedArchiveDigests())]).toEqual(['sha256:redis']);
      });
    });

    describe('packs, the catalog and the pack list', () => {
      it('writes, rewrites and deletes a pack row', async () => {
        const index = await fresh();
        const id = await pushed(index, newVersion('nginx', '1.0.0'), { cloudTypes: ['aws', 'azure'], hasLogo: true, addonType: null });
        expect(await index.pack('nginx')).toEqual(packRecord('nginx', { id, version: '1.0.0' }, { cloudTypes: ['aws', 'azure'], hasLogo: true, addonType: null }));
        const rewritten = packRecord('nginx', { id, version: 'v1.0.0' }, {
          displayName: 'NGINX',
          layer: 'os',
          addonType: 'lb',
          cloudTypes: [],
          hasLogo: false,
          updatedAt: '2026-12-01T00:00:00.000Z',
        });
        await index.transaction('nginx', (tx) => tx.upsertPack(rewritten));
        expect(await index.pack('nginx')).toEqual(rewritten);
        await index.transaction('nginx', (tx) => tx.deletePack('nginx'));
        expect(await index.pack('nginx')).toBeUndefined();
        expect(await index.pack('never')).toBeUndefined();
      });

      it('pages the catalog in byte order, whatever the database locale: after `last`, at most `limit`', async () => {
        const index = await fresh();
        for (const pack of BYTE_ORDER_NAMES) await pushed(index, newVersion(pack, '1.0.0'));
        const seen: string[] = [];
        let last = '';
        for (;;) {
          const page = await index.catalogPage(last, 3);
          expect(page.length).toBeLessThanOrEqual(3);
          if (page.length === 0) break;
          seen.push(...page);
          last = page[page.length - 1] as string;
        }
        expect(seen).toEqual(byteOrder(BYTE_ORDER_NAMES));
        expect(await index.catalogPage('a-b', 2)).toEqual(byteOrder(BYTE_ORDER_NAMES).filter((pack) => Buffer.compare(Buffer.from(pack), Buffer.from('a-b')) > 0).slice(0, 2));
        expect(await index.catalogPage('a-a', 1)).toEqual(['a-b']);
        expect(await index.catalogPage('\u{10FFFF}', 10)).toEqual([]);
      });

      it('filters the pack list by name part (ASCII case-insensitive), layer, addon type, cloud type, group and addon subtype', async () => {
        const index = await fresh();
        await pushed(index, newVersion('nginx', '1.0.0', { group: 'stable', manifest: { addonSubType: 'web' } }), { layer: 'addon', addonType: 'ingress', cloudTypes: ['aws'] });
        await pushed(index, newVersion('nginx-ui', '1.0.0'), { layer: 'addon', addonType: 'ui', cloudTypes: ['all'] });
        await pushed(index, newVersion('ubuntu', '22.4.0', { group: 'lts' }), { layer: 'os', addonType: null, cloudTypes: ['azure', 'aws'] });
        await pushed(index, newVersion('ubuntu', '20.4.0', { group: 'legacy' }), { layer: 'os', addonType: null, cloudTypes: ['azure', 'aws'] });
        // The subtype is the latest version's: an older version's does not count.
        const old = await pushed(index, newVersion('Calico', '1.0.0', { manifest: { addonSubType: 'web' } }), { layer: 'cni', addonType: null, cloudTypes: ['vsphere'] });
        const latest = await index.transaction('Calico', (tx) => tx.insertVersion(newVersion('Calico', '2.0.0', { manifest: { addonSubType: 'net' } })));
        await index.transaction('Calico', (tx) => tx.upsertPack(packRecord('Calico', { id: latest, version: '2.0.0' }, { layer: 'cni', addonType: null, cloudTypes: ['vsphere'] })));
        expect(old).toBeLessThan(latest);

        const names = async (filter: Parameters<PackIndex['packsPage']>[0], last = '', limit = 100) =>
          (await index.packsPage(filter, last, limit)).map((pack) => pack.name);
        expect(await names({})).toEqual(['Calico', 'nginx', 'nginx-ui', 'ubuntu']);
        expect(await names({ nameContains: 'NGI' })).toEqual(['nginx', 'nginx-ui']);
        expect(await names({ nameContains: 'cALi' })).toEqual(['Calico']);
        expect(await names({ nameContains: 'x-u' })).toEqual(['nginx-ui']);
        expect(await names({ nameContains: '%' })).toEqual([]);
        expect(await names({ nameContains: '_' })).toEqual([]);
        expect(await names({ layer: 'os' })).toEqual(['ubuntu']);
        expect(await names({ addonType: 'ingress' })).toEqual(['nginx']);
        // "all" runs on every cloud.
        expect(await names({ cloudType: 'aws' })).toEqual(['nginx', 'nginx-ui', 'ubuntu']);
        expect(await names({ cloudType: 'vsphere' })).toEqual(['Calico', 'nginx-ui']);
        expect(await names({ group: 'legacy' })).toEqual(['ubuntu']);
        expect(await names({ group: 'stable' })).toEqual(['nginx']);
        expect(await names({ addonSubType: 'net' })).toEqual(['Calico']);
        expect(await names({ addonSubType: 'web' })).toEqual(['nginx']);
        expect(await names({ layer: 'addon', cloudType: 'aws', nameContains: 'ui' })).toEqual(['nginx-ui']);
        // Empty filters are no filters; paging goes on after `last`.
        expect(await names({ layer: '', nameContains: '' })).toEqual(['Calico', 'nginx', 'nginx-ui', 'ubuntu']);
        expect(await names({ cloudType: 'aws' }, 'nginx', 1)).toEqual(['nginx-ui']);
        expect(await names({}, 'ubuntu')).toEqual([]);
        expect((await index.packsPage({ layer: 'os' }, '', 10))[0]).toEqual(await index.pack('ubuntu'));
      });

      it("gives the facets: the packs' layers, cloud types and addon types and every version's groups, distinct, in byte order", async () => {
        const index = await fresh();
        expect(await index.packFacets()).toEqual({ layers: [], cloudTypes: [], addonTypes: [], groups: [] });
        await pushed(index, newVersion('a', '1.0.0', { group: 'stable' }), { layer: 'addon', addonType: 'ingress', cloudTypes: ['aws', 'Azure'] });
        await pushed(index, newVersion('a', '2.0.0', { group: 'Beta' }), { layer: 'addon', addonType: 'ingress', cloudTypes: ['aws', 'Azure'] });
        await pushed(index, newVersion('b', '1.0.0', { group: 'a_b' }), { layer: 'OS', addonType: null, cloudTypes: ['all', 'aws'] });
        await pushed(index, newVersion('c', '1.0.0'), { layer: '', addonType: 'Logging', cloudTypes: [] });
        expect(await index.packFacets()).toEqual({
          layers: ['OS', 'addon'],
          cloudTypes: ['Azure', 'all', 'aws'],
          addonTypes: ['Logging', 'ingress'],
          groups: ['Beta', 'a_b', 'stable'],
        });
      });

      it("reads a list page's versions (by pack, then id), and the latest version's file at a path", async () => {
        const index = await fresh();
        const logo = (seed: string) => ({ path: 'logo.png', size: 5, sha256: hex(seed) });
        const b1 = await pushed(index, newVersion('b', '1.0.0', { files: [logo('b1')] }));
        const a1 = await pushed(index, newVersion('a', '1.0.0', { files: [logo('a1')] }));
        const b2 = await pushed(index, newVersion('b', '0.9.0', { files: [] }));
        await pushed(index, newVersion('c', '1.0.0', { files: [logo('c1')] }));
        const entries = await index.versionEntriesOfPacks(['b', 'a', 'missing']);
        expect(entries.map((entry) => [entry.pack, entry.id])).toEqual([
          ['a', a1],
          ['b', b1],
          ['b', b2],
        ]);
        const b = newVersion('b', '1.0.0');
        expect(entries[1]).toEqual({
          id: b1,
          pack: 'b',
          version: '1.0.0',
          normalizedVersion: '1.0.0',
          contentDigest: b.contentDigest,
          size: b.size,
          pushedAt: b.pushedAt,
          pushedBy: b.pushedBy,
        });
        expect(await index.versionEntriesOfPacks([])).toEqual([]);
        // b's latest (its pack row) is 0.9.0, without a logo.
        const logos = await index.latestFileOfPacks(['a', 'b', 'c', 'missing'], 'logo.png');
        expect([...logos].sort((x, y) => x.pack.localeCompare(y.pack))).toEqual([
          { pack: 'a', sha256: hex('a1') },
          { pack: 'c', sha256: hex('c1') },
        ]);
        expect(await index.latestFileOfPacks([], 'logo.png')).toEqual([]);
        expect(await index.latestFileOfPacks(['a'], 'README.md')).toEqual([]);
      });
    });

    describe('tags', () => {
      it('sets, moves, lists (in byte order) and deletes tags; a version resolves by tag', async () => {
        const index = await fresh();
        const one = await pushed(index, newVersion('nginx', '1.0.0'));
        const two = await pushed(index, newVersion('nginx', '2.0.0'));
        const other = await pushed(index, newVersion('Apache', '1.0.0'));
        await index.transaction('nginx', async (tx) => {
          for (const tag of BYTE_ORDER_NAMES) await tx.setTag('nginx', tag, one, 'user');
          await tx.setTag('nginx', '1.0.0', one, 'version');
          await tx.setTag('nginx', '2.x', two, 'parent');
        });
        await index.transaction('Apache', (tx) => tx.setTag('Apache', 'latest', other, 'user'));
        // Moving a tag changes its version and its kind.
        await index.transaction('nginx', (tx) => tx.setTag('nginx', 'ab', two, 'version'));

        const expected = byteOrder([...BYTE_ORDER_NAMES, '1.0.0', '2.x']).map((tag) => ({
          tag,
          versionId: tag === 'ab' || tag === '2.x' ? two : one,
          version: tag === 'ab' || tag === '2.x' ? '2.0.0' : '1.0.0',
          kind: tag === '1.0.0' || tag === 'ab' ? 'version' : tag === '2.x' ? 'parent' : 'user',
        }));
        expect(await index.tagsOfPack('nginx')).toEqual(expected);
        expect(await index.tag('nginx', 'ab')).toEqual({ tag: 'ab', versionId: two, version: '2.0.0', kind: 'version' });
        expect(await index.tag('nginx', 'latest')).toBeUndefined();
        expect(await index.tagsOfVersion(two)).toEqual(expected.filter((tag) => tag.versionId === two));
        expect((await index.versionByTag('nginx', 'ab'))?.id).toBe(two);
        expect(await index.tagsOfPacks(['nginx', 'Apache', 'none'])).toEqual([
          { pack: 'Apache', tag: 'latest', versionId: other, version: '1.0.0', kind: 'user' },
          ...expected.map((tag) => ({ pack: 'nginx', ...tag })),
        ]);
        expect(await index.tagsOfPacks([])).toEqual([]);

        await index.transaction('nginx', async (tx) => {
          await tx.deleteTag('nginx', 'a_b');
          await tx.deleteTag('nginx', 'no-such-tag');
          await tx.deleteTagsOfKind('nginx', 'user');
        });
        expect((await index.tagsOfPack('nginx')).map((tag) => tag.tag)).toEqual(['1.0.0', '2.x', 'ab']);
        expect(await index.tagsOfPack('Apache')).toHaveLength(1);
      });
    });

    describe('history events', () => {
      it("pages a pack's history newest first below an id, and finds the push that wrote a version", async () => {
        const index = await fresh();
        await index.transaction('nginx', async (tx) => {
          await tx.addEvent(event('nginx', '2026-11-01T00:00:00.000Z', 'push', '1.0.0'));
          await tx.addEvent(event('other', '2026-11-01T00:00:01.000Z', 'push', '1.0.0'));
          await tx.addEvent({ ...event('nginx', '2026-11-01T00:00:02.000Z', 'tag-add', '1.0.0'), tag: 'stable', digest: 'sha256:d', message: 'why' });
          await tx.addEvent(event('nginx', '2026-11-01T00:00:03.000Z', 'force-push', '1.0.0'));
          await tx.addEvent(event('nginx', '2026-11-01T00:00:04.000Z', 'delete', '1.0.0'));
        });
        const all = await index.eventsPage('nginx', Number.MAX_SAFE_INTEGER, 10);
        expect(all.map((entry) => entry.action)).toEqual(['delete', 'force-push', 'tag-add', 'push']);
        expect(all[2]).toEqual({ id: all[2]?.id, pack: 'nginx', at: '2026-11-01T00:00:02.000Z', user: 'alice', action: 'tag-add', version: '1.0.0', tag: 'stable', digest: 'sha256:d', message: 'why' });
        const ids = all.map((entry) => entry.id);
        expect([...ids].sort((a, b) => b - a)).toEqual(ids);
        expect(await index.eventsPage('nginx', ids[1] as number, 2)).toEqual(all.slice(2, 4));
        expect(await index.eventsPage('nginx', ids[3] as number, 2)).toEqual([]);
        expect((await index.latestPushEvent('nginx', '1.0.0'))?.action).toBe('force-push');
        expect(await index.latestPushEvent('nginx', '2.0.0')).toBeUndefined();
      });
    });

    describe('the change feed', () => {
      it('starts empty under a random 16-hex-digit epoch, and gives increasing ids, paged after an id', async () => {
        const index = await fresh();
        const bounds = await index.feedBounds();
        expect(bounds).toEqual({ epoch: expect.stringMatching(/^[0-9a-f]{16}$/), lastId: 0, prunedThrough: 0 });
        const ids: number[] = [];
        for (const pack of ['a', 'b', 'c', 'd']) ids.push(await index.transaction(pack, (tx) => tx.addFeedEvent(feedEvent(pack, `2026-11-0${ids.length + 1}T00:00:00.000Z`))));
        expect([...ids].sort((x, y) => x - y)).toEqual(ids);
        expect(new Set(ids).size).toBe(4);
        expect(await index.feedBounds()).toEqual({ epoch: bounds.epoch, lastId: ids[3], prunedThrough: 0 });
        const page = await index.feedPage(ids[0] as number, 2);
        expect(page).toEqual([
          { id: ids[1], ...feedEvent('b', '2026-11-02T00:00:00.000Z') },
          { id: ids[2], ...feedEvent('c', '2026-11-03T00:00:00.000Z') },
        ]);
        expect(await index.feedPage(ids[3] as number, 10)).toEqual([]);
        expect((await index.feedPage(0, 10)).map((entry) => entry.id)).toEqual(ids);
        // Outside a transaction too.
        expect(await index.addFeedEvent(feedEvent('e', '2026-11-05T00:00:00.000Z'))).toBeGreaterThan(ids[3] as number);
      });

      it('prunes entries older than a time but always keeps the newest, and remembers what it pruned', async () => {
        const index = await fresh();
        const { epoch } = await index.feedBounds();
        const ids: number[] = [];
        for (const day of [1, 2, 3]) ids.push(await index.addFeedEvent(feedEvent('a', `2026-11-0${day}T00:00:00.000Z`)));
        expect(await index.pruneFeed('2026-11-01T00:00:00.000Z')).toBe(0);
        expect(await index.pruneFeed('2026-11-02T12:00:00.000Z')).toBe(2);
        expect(await index.feedBounds()).toEqual({ epoch, lastId: ids[2], prunedThrough: ids[1] });
        expect((await index.feedPage(0, 10)).map((entry) => entry.id)).toEqual([ids[2]]);
        // Everything is older now, yet the newest stays, and so does the mark.
        expect(await index.pruneFeed('2027-01-01T00:00:00.000Z')).toBe(0);
        expect((await index.feedPage(0, 10)).map((entry) => entry.id)).toEqual([ids[2]]);
        const next = await index.addFeedEvent(feedEvent('a', '2026-11-04T00:00:00.000Z'));
        expect(next).toBeGreaterThan(ids[2] as number);
        expect(await index.pruneFeed('2027-01-01T00:00:00.000Z')).toBe(1);
        expect(await index.feedBounds()).toEqual({ epoch, lastId: next, prunedThrough: ids[2] });
      });
    });

    describe('the webhook outbox', () => {
      it('queues deliveries per endpoint in event order, retries, gives up into dead letters, and puts them back', async () => {
        const index = await fresh();
        const delivery = (endpoint: string, eventId: number) => ({
          endpoint,
          eventId,
          deliveryId: `${endpoint}-${eventId}`,
          body: JSON.stringify({ eventId }),
          createdAt: '2026-11-01T00:00:00.000Z',
          nextAttempt: 1_790_000_000_000 + eventId,
        });
        await index.transaction('a', async (tx) => {
          await tx.addDelivery(delivery('ci', 7));
          await tx.addDelivery(delivery('ci', 3));
          await tx.addDelivery(delivery('audit', 5));
        });
        await expect(index.addDelivery(delivery('ci', 3))).rejects.toThrow();
        const first = await index.nextDelivery('ci');
        expect(first).toEqual({ id: first?.id, ...delivery('ci', 3), state: 'pending', attempts: 0, lastError: null, deadAt: null });
        expect(await index.nextDelivery('nobody')).toBeUndefined();
        expect(await index.outboxCounts()).toEqual([
          { endpoint: 'audit', state: 'pending', count: 1 },
          { endpoint: 'ci', state: 'pending', count: 2 },
        ]);

        const id = first?.id as number;
        await index.deliveryFailed(id, { attempts: 1, nextAttempt: 1_800_000_000_000, lastError: 'HTTP 500', deadAt: null });
        expect(await index.nextDelivery('ci')).toMatchObject({ id, state: 'pending', attempts: 1, nextAttempt: 1_800_000_000_000, lastError: 'HTTP 500', deadAt: null });
        await index.deliveryFailed(id, { attempts: 20, nextAttempt: 1_800_000_001_000, lastError: 'timeout', deadAt: '2026-11-02T00:00:00.000Z' });
        expect((await index.nextDelivery('ci'))?.eventId).toBe(7);
        const audit = (await index.nextDelivery('audit'))?.id as number;
        await index.deliveryFailed(audit, { attempts: 20, nextAttempt: 0, lastError: 'refused', deadAt: '2026-11-03T00:00:00.000Z' });
        expect(await index.outboxCounts()).toEqual([
          { endpoint: 'audit', state: 'dead', count: 1 },
          { endpoint: 'ci', state: 'dead', count: 1 },
          { endpoint: 'ci', state: 'pending', count: 1 },
        ]);

        const dead = await index.deadLetters(undefined, 0, 10);
        expect(dead.map((letter) => letter.id)).toEqual([id, audit].sort((a, b) => a - b));
        expect(dead.find((letter) => letter.id === id)).toMatchObject({ state: 'dead', attempts: 20, lastError: 'timeout', deadAt: '2026-11-02T00:00:00.000Z' });
        expect((await index.deadLetters('ci', 0, 10)).map((letter) => letter.id)).toEqual([id]);
        expect(await index.deadLetters(undefined, Math.max(id, audit), 10)).toEqual([]);
        expect(await index.deadLetters(undefined, 0, 1)).toHaveLength(1);

        expect(await index.retryDeadLetters('ci', 1_900_000_000_000)).toBe(1);
        expect(await index.nextDelivery('ci')).toMatchObject({ id, state: 'pending', attempts: 0, nextAttempt: 1_900_000_000_000, deadAt: null });
        expect(await index.retryDeadLetters(undefined, 1)).toBe(1);
        expect(await index.retryDeadLetters(undefined, 1)).toBe(0);

        await index.deliveryDone(id);
        expect((await index.nextDelivery('ci'))?.eventId).toBe(7);
      });
    });

    describe('download counts', () => {
      it('adds pulls to the totals of versions that still exist, keeping the latest pull time', async () => {
        const index = await fresh();
        const one = await pushed(index, newVersion('nginx', '1.0.0'));
        const two = await pushed(index, newVersion('nginx', '2.0.0'));
        const redis = await pushed(index, newVersion('redis', '1.0.0'));
        const pulls = (pack: string, normalizedVersion: string, versionId: number, count: number, lastPulledAt: string) => ({
          pack,
          normalizedVersion,
          versionId,
          count,
          lastPulledAt,
        });
        expect(
          await index.addDownloads([
            pulls('nginx', '1.0.0', one, 3, '2026-11-01T10:00:00.000Z'),
            pulls('redis', '1.0.0', redis, 1, '2026-11-01T09:00:00.000Z'),
            pulls('nginx', '2.0.0', two, 2, '2026-11-01T08:00:00.000Z'),
          ]),
        ).toBe(3);
        expect(
          await index.addDownloads([
            // An older pull time does not move the latest back.
            pulls('nginx', '1.0.0', one, 4, '2026-11-01T09:00:00.000Z'),
            pulls('nginx', '2.0.0', two, 1, '2026-11-02T08:00:00.000Z'),
            // Counted for a version id that is not (any more) this version: dropped.
            pulls('redis', '1.0.0', two, 100, '2026-11-03T00:00:00.000Z'),
            pulls('nginx', '3.0.0', two + redis + 100, 100, '2026-11-03T00:00:00.000Z'),
          ]),
        ).toBe(2);
        const byVersion = (records: DownloadRecord[]) => [...records].sort((a, b) => `${a.pack} ${a.normalizedVersion}`.localeCompare(`${b.pack} ${b.normalizedVersion}`));
        expect(byVersion(await index.downloadsOfPack('nginx'))).toEqual([
          { pack: 'nginx', normalizedVersion: '1.0.0', count: 7, lastPulledAt: '2026-11-01T10:00:00.000Z' },
          { pack: 'nginx', normalizedVersion: '2.0.0', count: 3, lastPulledAt: '2026-11-02T08:00:00.000Z' },
        ]);
        expect(await index.downloadsOf('redis', '1.0.0')).toEqual({ pack: 'redis', normalizedVersion: '1.0.0', count: 1, lastPulledAt: '2026-11-01T09:00:00.000Z' });
        expect(await index.downloadsOf('redis', '9.0.0')).toBeUndefined();
        expect(byVersion(await index.downloadsOfPacks(['redis', 'nginx', 'none'])).map((record) => record.count)).toEqual([7, 3, 1]);
        expect(await index.downloadsOfPacks([])).toEqual([]);
        expect(await index.addDownloads([])).toBe(0);

        // A deleted version's pulls are not counted again when it comes back under a new id.
        await index.transaction('nginx', async (tx) => {
          await tx.deleteVersion(one);
          await tx.deleteDownloads('nginx', '1.0.0');
        });
        expect(await index.downloadsOf('nginx', '1.0.0')).toBeUndefined();
        expect(await index.addDownloads([pulls('nginx', '1.0.0', one, 5, '2026-11-04T00:00:00.000Z')])).toBe(0);
        expect(await index.downloadsOf('nginx', '1.0.0')).toBeUndefined();
      });
    });

    describe('statistics and maintenance reads', () => {
      it('counts packs, versions, distinct archive blobs and their bytes, and lists every version key by id', async () => {
        const index = await fresh();
        expect(await index.statistics()).toEqual({ packs: 0, versions: 0, blobs: 0, blobBytes: 0 });
        expect(await index.versionCount()).toBe(0);
        expect(await index.versionKeys()).toEqual([]);
        const a = await pushed(index, newVersion('a', '1.0.0', { archiveDigest: 'sha256:one', size: 3_000_000_000 }));
        const b = await pushed(index, newVersion('a', '2.0.0', { archiveDigest: 'sha256:one', size: 3_000_000_000 }));
        const c = await pushed(index, newVersion('b', '1.0.0', { archiveDigest: 'sha256:two', size: 7 }));
        expect(await index.statistics()).toEqual({ packs: 2, versions: 3, blobs: 2, blobBytes: 3_000_000_007 });
        expect(await index.versionCount()).toBe(3);
        expect(await index.versionKeys()).toEqual([
          { id: a, pack: 'a', normalizedVersion: '1.0.0' },
          { id: b, pack: 'a', normalizedVersion: '2.0.0' },
          { id: c, pack: 'b', normalizedVersion: '1.0.0' },
        ]);
      });

      it('clears packs, versions, tags and history for a reindex in place, and keeps the feed, the outbox and the download counts', async () => {
        const index = await fresh();
        const id = await pushed(index, newVersion('a', '1.0.0'));
        await index.transaction('a', async (tx) => {
          await tx.setTag('a', 'stable', id, 'user');
          await tx.addEvent(event('a', '2026-11-01T00:00:00.000Z', 'push', '1.0.0'));
          const feedId = await tx.addFeedEvent(feedEvent('a', '2026-11-01T00:00:00.000Z'));
          await tx.addDelivery({ endpoint: 'hook', eventId: feedId, deliveryId: 'd-1', body: '{}', createdAt: '2026-11-01T00:00:00.000Z', nextAttempt: 0 });
          await tx.addDownloads([{ versionId: id, pack: 'a', normalizedVersion: '1.0.0', count: 2, lastPulledAt: '2026-11-01T00:00:00.000Z' }]);
        });
        const feedBefore = await index.feedPage(0, 10);
        await index.transaction('', (tx) => tx.clearCatalog());
        expect({
          catalog: await index.catalogPage('', 10),
          versions: await index.versionCount(),
          tag: await index.tag('a', 'stable'),
          history: await index.eventsPage('a', Number.MAX_SAFE_INTEGER, 10),
        }).toEqual({ catalog: [], versions: 0, tag: undefined, history: [] });
        expect(await index.feedPage(0, 10)).toEqual(feedBefore);
        expect((await index.nextDelivery('hook'))?.deliveryId).toBe('d-1');
        expect(await index.downloadsOf('a', '1.0.0')).toMatchObject({ count: 2 });
      });

      it('answers a ping', async () => {
        const index = await fresh();
        await expect(index.ping()).resolves.toBeUndefined();
      });
    });

    describe('transactions', () => {
      it("shows a transaction its own writes, and readers outside none of them until it commits (never, when it rolls back)", async () => {
        const index = await fresh();
        // A reader outside is answered from what is committed: at once (PostgreSQL), or once the transaction is
        // over (SQLite's one connection keeps it waiting). Either way it must not see the write rolled back.
        let outside: Promise<VersionRecord | undefined> | undefined;
        const rolledBack = index.transaction('nginx', async (tx) => {
          const id = await tx.insertVersion(newVersion('nginx', '1.0.0'));
          await tx.setTag('nginx', 'latest', id, 'user');
          expect((await tx.versionByTag('nginx', 'latest'))?.id).toBe(id);
          outside = index.versionByNormalized('nginx', '1.0.0');
          await sleep(100);
          throw new Error('rolled back');
        });
        await expect(rolledBack).rejects.toThrow('rolled back');
        expect(await outside).toBeUndefined();
        expect(await index.versionByTag('nginx', 'latest')).toBeUndefined();

        let duringCommit: Promise<VersionRecord | undefined> | undefined;
        const committed = await index.transaction('nginx', async (tx) => {
          const id = await tx.insertVersion(newVersion('nginx', '1.0.0'));
          duringCommit = index.versionByNormalized('nginx', '1.0.0');
          await sleep(100);
          return id;
        });
        const seen = await duringCommit;
        expect(seen === undefined || seen.id === committed).toBe(true);
        expect((await index.versionByNormalized('nginx', '1.0.0'))?.id).toBe(committed);
      });

      it('rolls everything back when the work throws, and rethrows that error', async () => {
        const index = await fresh();
        const failure = new Error('refused half-way');
        await expect(
          index.transaction('nginx', async (tx) => {
            const versionId = await tx.insertVersion(newVersion('nginx', '1.0.0'));
            await tx.setTag('nginx', 'latest', versionId, 'user');
            await tx.upsertPack(packRecord('nginx', { id: versionId, version: '1.0.0' }));
            await tx.addEvent(event('nginx', '2026-11-01T00:00:00.000Z', 'push', '1.0.0'));
            await tx.addFeedEvent(feedEvent('nginx', '2026-11-01T00:00:00.000Z'));
            throw failure;
          }),
        ).rejects.toBe(failure);
        expect(await index.versionCount()).toBe(0);
        expect(await index.pack('nginx')).toBeUndefined();
        expect(await index.tag('nginx', 'latest')).toBeUndefined();
        expect(await index.eventsPage('nginx', Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
        expect(await index.feedPage(0, 10)).toEqual([]);
        // The index goes on working.
        await expect(pushed(index, newVersion('nginx', '1.0.0'))).resolves.toBeGreaterThan(0);
      });

      it('runs two transactions of one pack one after the other: a check-then-insert in each inserts once', async () => {
        const index = await fresh();
        const steps: string[] = [];
        const checkThenInsert = (who: string) =>
          index.transaction('nginx', async (tx) => {
            steps.push(`${who} in`);
            const existing = await tx.versionByNormalized('nginx', '1.0.0');
            await sleep(150);
            const id = existing ? existing.id : await tx.insertVersion(newVersion('nginx', '1.0.0', { pushedBy: who }));
            steps.push(`${who} out`);
            return { id, inserted: !existing };
          });
        const results = await Promise.all([checkThenInsert('a'), checkThenInsert('b')]);
        expect(steps).toEqual(['a in', 'a out', 'b in', 'b out']);
        expect(results.map((result) => result.inserted)).toEqual([true, false]);
        expect(results[0]?.id).toBe(results[1]?.id);
        expect(await index.versionCount()).toBe(1);
      });

      it('holds a pack transaction back while a whole-registry one runs, and the other way round', async () => {
        const index = await fresh();
        for (const [first, second] of [
          ['', 'nginx'],
          ['nginx', ''],
        ] as const) {
          let release!: () => void;
          const held = new Promise<void>((resolve) => (release = resolve));
          let entered!: () => void;
          const inFirst = new Promise<void>((resolve) => (entered = resolve));
          const steps: string[] = [];
          const one = index.transaction(first, async () => {
            entered();
            await held;
            steps.push('first done');
          });
          await inFirst;
          const two = index.transaction(second, async () => {
            steps.push('second in');
          });
          try {
            expect(await settledWithin(two, 300)).toBe(false);
          } finally {
            release();
          }
          await Promise.all([one, two]);
          expect(steps).toEqual(['first done', 'second in']);
        }
      });

      it('commits transactions of different packs, each with its own writes', async () => {
        const index = await fresh();
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        const one = index.transaction('nginx', async (tx) => {
          const id = await tx.insertVersion(newVersion('nginx', '1.0.0'));
          // Waits for the other pack's transaction, or a while if this driver runs transactions one at a time.
          await Promise.race([held, sleep(500)]);
          return id;
        });
        const two = index.transaction('redis', async (tx) => tx.insertVersion(newVersion('redis', '1.0.0'))).finally(release);
        const [nginx, redis] = await Promise.all([one, two]);
        expect((await index.versionByNormalized('nginx', '1.0.0'))?.id).toBe(nginx);
        expect((await index.versionByNormalized('redis', '1.0.0'))?.id).toBe(redis);
      });

      it('reads a snapshot as of one moment: a commit made while it runs shows only after it', async () => {
        const index = await fresh();
        const first = await index.transaction('nginx', (tx) => tx.insertVersion(newVersion('nginx', '1.0.0')));
        let push: Promise<unknown> | undefined;
        const seen = await index.snapshot(async (reads) => {
          const before = (await reads.versionsOfPack('nginx')).map((version) => version.version);
          // A push of the same pack (another connection, on a driver with a pool) commits or waits meanwhile.
          push = index.transaction('nginx', async (tx) => {
            const id = await tx.insertVersion(newVersion('nginx', '1.1.0'));
            await tx.setTag('nginx', '1.x', id, 'parent');
          });
          await sleep(100);
          const tags = (await reads.tagsOfPack('nginx')).map((tag) => tag.tag);
          const after = (await reads.versionsOfPack('nginx')).map((version) => version.version);
          return { before, tags, after };
        });
        expect(seen).toEqual({ before: ['1.0.0'], tags: [], after: ['1.0.0'] });
        await push;
        expect((await index.versionsOfPack('nginx')).map((version) => version.version)).toEqual(['1.0.0', '1.1.0']);
        expect((await index.tagsOfPack('nginx')).map((tag) => [tag.tag, tag.versionId === first])).toEqual([['1.x', false]]);
      });
    });
  });
}
