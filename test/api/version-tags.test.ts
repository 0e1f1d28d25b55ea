// A version's own number always means that version. A tag named like a version used to shadow it:
// `PUT /v1/packs/P/tags/2.0.0 {"reference": "1.0.0"}` was accepted, then `GET /v1/packs/P/2.0.0` answered
// 1.0.0 and `DELETE /v1/packs/P/2.0.0` deleted version 1.0.0. Now such a tag is refused (TAG_INVALID),
// versions are resolved before tags (even against tags an older release stored), and a version is deleted by
// its version or digest only (VERSION_REQUIRED for a tag). And the reserved labels `tags` and `history` are
// reserved in any case, since the routes match paths case-insensitively.
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { SqliteIndex } from '../../src/db/sqlite.js';
import { indexPath } from '../../src/storage/layout.js';
import { packFixture } from '../helpers/archives.js';
import { ADMIN, READER, createTestApp, pushArchive, type TestApp } from '../helpers/app.js';
import { snapshotStorage } from '../helpers/storage.js';

let registry: TestApp;
let storage: string;
const read = (path: string) => registry.get(path).auth(READER.user, READER.password);
const putTag = (pack: string, tag: string, reference: string) =>
  registry.put(`/v1/packs/${pack}/tags/${tag}`).auth(ADMIN.user, ADMIN.password).send({ reference });
const deleteVersion = (pack: string, ref: string) => registry.del(`/v1/packs/${pack}/${ref}`).auth(ADMIN.user, ADMIN.password);

async function push(name: string, version: string, group?: string): Promise<{ digest: string }> {
  const archive = await packFixture('hello-universe-1.3.1', {
    editPackJson: (pj) => {
      pj.name = name;
      pj.version = version;
      if (group) pj.group = group;
    },
  });
  return (await pushArchive(registry, archive).expect(201)).body as { digest: string };
}

/** `request` is refused with `status` and `code`, and nothing in storage (files, index rows) changed. */
async function refusedUnchanged(request: () => PromiseLike<{ status: number; body: { errors: { code: string; message: string }[] } }>, status: number, code: string): Promise<string> {
  const before = await snapshotStorage(storage);
  const response = await request();
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.errors[0]?.code).toBe(code);
  expect(await snapshotStorage(storage)).toEqual(before);
  return response.body.errors[0]?.message ?? '';
}

beforeEach(async () => {
  registry = await createTestApp();
  storage = join(registry.dir, 'storage');
  await push('app', '1.0.0');
  await push('app', '1.5.0');
});

describe('tags named like versions', () => {
  it('refuses a tag 2.0.0 pointing at 1.0.0 with 400 TAG_INVALID, and then 2.0.0 still means version 2.0.0', async () => {
    const message = await refusedUnchanged(() => putTag('app', '2.0.0', '1.0.0'), 400, 'TAG_INVALID');
    expect(message).toContain('"2.0.0" reads as version 2.0.0');
    expect(message).toContain('not at 1.0.0');
    await read('/v1/packs/app/2.0.0').expect(404);
    await push('app', '2.0.0');
    expect((await read('/v1/packs/app/2.0.0').expect(200)).body.version).toBe('2.0.0');
  });

  it.each([
    ['a two-part version', '2.0'],
    ['a zero-padded version', '02.00.000'],
    ['a pre-release', '2.0.0-rc.1'],
    ['the tag spelling of build metadata', '2.0.0_build.7'],
    ['a version label in a group', 'lts__2.0.0'],
    ['the version tag of another version', '1.5.0'],
    ['the normalised spelling of another version', '1.5'],
  ])('refuses %s pointing elsewhere (%s)', async (_what, tag) => {
    await refusedUnchanged(() => putTag('app', tag, '1.0.0'), 400, 'TAG_INVALID');
  });

  it('accepts labels the registry never reads as a version, and a version label for its own version', async () => {
    for (const tag of ['v2.0.0', 'stable', '2.0.0.0', 'lts__v2', 'release-2.0.0']) {
      expect((await putTag('app', tag, '1.0.0').expect(201)).body).toEqual({ tag, version: '1.0.0', auto: false });
      expect((await read(`/v1/packs/app/${tag}`).expect(200)).body.version).toBe('1.0.0');
    }
    // Re-creating a version's own tag (deleted before) is fine, in any spelling of that version.
    await registry.del('/v1/packs/app/tags/1.5.0').auth(ADMIN.user, ADMIN.password).expect(204);
    await putTag('app', '1.5', '1.5.0').expect(201);
    await putTag('app', 'lts__1.5.0', '1.5').expect(201);
    const tags = (await read('/v1/packs/app/1.5.0').expect(200)).body.tags as string[];
    expect(tags).toEqual(expect.arrayContaining(['1.5', 'lts__1.5.0']));
  });

  it('keeps parent tags such as 1.x the server\'s: they resolve, and cannot be set', async () => {
    expect((await read('/v1/packs/app/1.x').expect(200)).body.version).toBe('1.5.0');
    expect((await read('/v1/packs/app/1.5.x').expect(200)).body.version).toBe('1.5.0');
    await refusedUnchanged(() => putTag('app', '1.28.x', '1.0.0'), 409, 'TAG_AUTO');
  });

  it('lets versions win over version-like tags an older release stored, and never deletes through them', async () => {
    await push('app', '2.0.0');
    await registry.stop();
    // What an index written before this rule may hold: 2.0.0 and 3.0.0 pointing at 1.0.0.
    const db = new SqliteIndex(indexPath(storage));
    const one = (await db.versionByString('app', '1.0.0'))!;
    await db.transaction('app', async (tx) => {
      await tx.setTag('app', '2.0.0', one.id, 'user');
      await tx.setTag('app', '3.0.0', one.id, 'user');
    });
    await db.close();
    registry = await createTestApp({ dir: registry.dir, writeUsers: false });

    expect((await read('/v1/packs/app/2.0.0').expect(200)).body.version).toBe('2.0.0');
    expect((await read('/v1/packs/app/2.0.0/archive').expect(200)).headers['pack-version']).toBe('2.0.0');
    // 3.0.0 is no version of app: the stale tag does not answer for that number.
    await read('/v1/packs/app/3.0.0').expect(404);
    await refusedUnchanged(() => deleteVersion('app', '3.0.0'), 404, 'PACK_NOT_FOUND');
    expect((await read('/v1/packs/app/1.0.0').expect(200)).body.version).toBe('1.0.0');
    // The stale tags are listed, and can be removed.
    await registry.del('/v1/packs/app/tags/3.0.0').auth(ADMIN.user, ADMIN.password).expect(204);
    await registry.del('/v1/packs/app/tags/2.0.0').auth(ADMIN.user, ADMIN.password).expect(204);
    await deleteVersion('app', '2.0.0').expect(204);
    expect((await read('/v1/packs/app/1.0.0').expect(200)).body.version).toBe('1.0.0');
  });
});

describe('DELETE /v1/packs/{name}/{ref}', () => {
  it('refuses a tag with 400 VERSION_REQUIRED, naming the version it points at, and deletes nothing', async () => {
    await putTag('app', 'stable', '1.0.0').expect(201);
    const message = await refusedUnchanged(() => deleteVersion('app', 'stable'), 400, 'VERSION_REQUIRED');
    expect(message).toContain('stable is a tag of app (now pointing at version 1.0.0)');
    expect(message).toContain('DELETE /v1/packs/app/1.0.0');
    await refusedUnchanged(() => deleteVersion('app', '1.x'), 400, 'VERSION_REQUIRED');
    await refusedUnchanged(() => deleteVersion('app', 'nothing'), 404, 'PACK_NOT_FOUND');
  });

  it('deletes by version string, normalised version or digest', async () => {
    const two = await push('app', '2.0.0');
    await deleteVersion('app', '1.5').expect(204);
    await read('/v1/packs/app/1.5.0').expect(404);
    await deleteVersion('app', two.digest).expect(204);
    await deleteVersion('app', '1.0.0').expect(204);
    await read('/v1/packs/app').expect(404);
  });
});

describe('reserved tag labels', () => {
  it.each(['tags', 'history', 'TAGS', 'Tags', 'History', 'HISTORY', 'hIsToRy', 'lts__Tags'])('refuses %s with 400 TAG_INVALID', async (tag) => {
    const message = await refusedUnchanged(() => putTag('app', tag, '1.0.0'), 400, 'TAG_INVALID');
    expect(message).toContain('reserved, in any case');
    await refusedUnchanged(() => registry.del(`/v1/packs/app/tags/${tag}`).auth(ADMIN.user, ADMIN.password), 400, 'TAG_INVALID');
  });

  it('because GET routes match them in any case: /TAGS lists the tags and /History is the history', async () => {
    expect((await read('/v1/packs/app/TAGS').expect(200)).body.tags).toEqual(expect.arrayContaining([{ tag: '1.0.0', version: '1.0.0', auto: false }]));
    expect((await read('/v1/packs/app/History').expect(200)).body.events).toHaveLength(2);
  });
});
