// Reindex restores user tags and derives parent tags from what the metadata documents hold; the
// documents follow the index: every tag change rewrites the documents of the versions it touches.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FilesystemBlobStore } from '../../src/storage/blobs/filesystem.js';
import { FilesystemMetadataStore } from '../../src/storage/metadata/filesystem.js';
import { SqliteIndex } from '../../src/db/sqlite.js';
import { rebuildIndex } from '../../src/registry/maintenance.js';
import { packFixture } from '../helpers/archives.js';
import { ADMIN, createTestApp, pushArchive, type TestApp } from '../helpers/app.js';

let registry: TestApp;
let root: string;
beforeAll(async () => {
  registry = await createTestApp();
  root = join(registry.dir, 'storage');
});

describe('rebuildIndex', () => {
  it('restores versions, version and user tags, derived parent tags and one push event each', async () => {
    const first = await pushArchive(registry, await packFixture('trident-operator-23.07.1')).expect(201);
    const name = first.body.name as string;
    await pushArchive(
      registry,
      await packFixture('trident-operator-23.07.1', { editPackJson: (pj) => void (pj.version = '23.07.2') }),
    ).expect(201);
    await registry.put(`/v1/packs/${name}/tags/stable`).auth(ADMIN.user, ADMIN.password).send({ reference: '23.07.1' }).expect(201);
    const document = JSON.parse(await readFile(join(root, 'metadata', name, '23.7.1.json'), 'utf8'));
    expect(document.userTags).toEqual(['stable']);
    const live = (await registry.get(`/v1/packs/${name}`).auth(ADMIN.user, ADMIN.password).expect(200)).body;

    const db = new SqliteIndex(':memory:');
    try {
      const report = await rebuildIndex(db, { blobs: await FilesystemBlobStore.open(root), metadata: new FilesystemMetadataStore(root) });
      expect(report).toMatchObject({ packs: 1, versions: 2, userTags: 1, skipped: [] });
      const tags = (await db.tagsOfPack(name)).map((tag) => `${tag.tag}->${tag.version} ${tag.kind}`);
      expect(tags).toEqual(live.tags.map((tag: { tag: string; version: string; auto: boolean }) =>
        `${tag.tag}->${tag.version} ${tag.auto ? 'parent' : tag.tag === 'stable' ? 'user' : 'version'}`));
      expect(tags).toContain('stable->23.07.1 user');
      expect(tags).toContain('23.x->23.07.2 parent');
      const events = await db.eventsPage(name, Number.MAX_SAFE_INTEGER, 10);
      expect(events.map((event) => `${event.action} ${event.version}`)).toEqual(['push 23.07.2', 'push 23.07.1']);
    } finally {
      await db.close();
    }
  });

  it('skips and reports a document whose blob is missing or which is not valid', async () => {
    const db = new SqliteIndex(':memory:');
    const metadata = new FilesystemMetadataStore(root);
    await metadata.sync('broken', '1.0.0', () => ({ schemaVersion: 1, pack: 'broken' }));
    try {
      const report = await rebuildIndex(db, { blobs: await FilesystemBlobStore.open(root), metadata });
      expect(report.skipped).toEqual([expect.objectContaining({ pack: 'broken', key: '1.0.0', reason: expect.stringContaining('must be') })]);
      expect((await db.versionKeys()).every((version) => version.pack !== 'broken')).toBe(true);
    } finally {
      await db.close();
      await metadata.remove('broken', '1.0.0');
    }
  });
});
