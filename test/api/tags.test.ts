import { beforeAll, describe, expect, it } from 'vitest';
import { packFixture } from '../helpers/archives.js';
import { ADMIN, READER, pushArchive, createTestApp, type TestApp } from '../helpers/app.js';

let registry: TestApp;
const read = (path: string) => registry.get(path).auth(READER.user, READER.password);
const putTag = (pack: string, tag: string, reference: string) =>
  registry.put(`/v1/packs/${pack}/tags/${tag}`).auth(ADMIN.user, ADMIN.password).send({ reference });
const deleteTag = (pack: string, tag: string) => registry.del(`/v1/packs/${pack}/tags/${tag}`).auth(ADMIN.user, ADMIN.password);

/** Push the hello-universe fixture as `name` at `version`, optionally in a group. */
async function push(name: string, version: string, group?: string, extra: Record<string, string> = {}): Promise<void> {
  const archive = await packFixture('hello-universe-1.3.1', {
    editPackJson: (pj) => {
      pj.name = name;
      pj.version = version;
      if (group) pj.group = group;
    },
  });
  await pushArchive(registry, archive, extra).expect(201);
}

async function parentTags(name: string): Promise<Record<string, string>> {
  const response = await read(`/v1/packs/${name}`).expect(200);
  return Object.fromEntries(
    (response.body.tags as { tag: string; version: string; auto: boolean }[])
      .filter((tag) => tag.auto)
      .map((tag) => [tag.tag, tag.version]),
  );
}

beforeAll(async () => {
  registry = await createTestApp();
});

describe('tags', () => {
  it('creates the version tag [group__]version on every push', async () => {
    await push('ubuntu', '14.4.3', 'lts');
    await push('ubuntu', '22.4.1');
    const tags = (await read('/v1/packs/ubuntu/tags').expect(200)).body.tags;
    expect(tags).toEqual(
      expect.arrayContaining([
        { tag: 'lts__14.4.3', version: '14.4.3', auto: false },
        { tag: '22.4.1', version: '22.4.1', auto: false },
      ]),
    );
  });

  it('adds a user tag the way `pack tag add ubuntu:lts__14.4.3 stable -g lts` does, and resolves it', async () => {
    const response = await putTag('ubuntu', 'lts__stable', 'lts__14.4.3').expect(201);
    expect(response.body).toEqual({ tag: 'lts__stable', version: '14.4.3', auto: false });
    expect((await read('/v1/packs/ubuntu/lts__stable').expect(200)).body.version).toBe('14.4.3');
    // Moving it answers 200 and points it elsewhere.
    const moved = await putTag('ubuntu', 'lts__stable', '22.4.1').expect(200);
    expect(moved.body.version).toBe('22.4.1');
    expect((await read('/v1/packs/ubuntu/lts__stable/archive').expect(200)).headers['pack-version']).toBe('22.4.1');
  });

  it('deletes a tag the way `pack tag delete ubuntu:14.4.3` does; the version stays reachable by its version', async () => {
    await push('ubuntu', '14.4.3-rc.1');
    await deleteTag('ubuntu', '14.4.3-rc.1').expect(204);
    expect((await read('/v1/packs/ubuntu/14.4.3-rc.1').expect(200)).body.tags).toEqual([]);
    expect((await deleteTag('ubuntu', '14.4.3-rc.1').expect(404)).body.errors[0].code).toBe('TAG_NOT_FOUND');
  });

  it('keeps parent tags per group pointing at the newest version of each release line', async () => {
    for (const version of ['1.27.3', '1.27.10', '1.28.0', '1.28.2']) await push('kubernetes', version);
    for (const version of ['1.26.4', '1.26.15']) await push('kubernetes', version, 'LTS');
    expect(await parentTags('kubernetes')).toEqual({
      '1.27.x': '1.27.10',
      '1.28.x': '1.28.2',
      '1.x': '1.28.2',
      'LTS__1.26.x': '1.26.15',
      'LTS__1.x': '1.26.15',
    });
    // Palette asks by parent tag and gets the newest matching version.
    expect((await read('/v1/packs/kubernetes/1.28.x').expect(200)).body.version).toBe('1.28.2');
    expect((await read('/v1/packs/kubernetes/LTS__1.26.x/archive').expect(200)).headers['pack-version']).toBe('1.26.15');
  });

  it('re-links parent tags when a tag or a version is deleted, and drops them when nothing is left', async () => {
    await deleteTag('kubernetes', '1.28.2').expect(204);
    expect((await parentTags('kubernetes'))['1.28.x']).toBe('1.28.0');
    await registry.del('/v1/packs/kubernetes/1.28.0').auth(ADMIN.user, ADMIN.password).expect(204);
    const after = await parentTags('kubernetes');
    expect(after['1.28.x']).toBeUndefined();
    expect(after['1.x']).toBe('1.27.10');
    // Re-adding a tag for 1.28.2 (still stored) brings the line back.
    await putTag('kubernetes', '1.28.2', '1.28.2').expect(201);
    expect((await parentTags('kubernetes'))['1.28.x']).toBe('1.28.2');
  });

  it('points a pre-release-only line at its newest pre-release, and never lets a pre-release outrank a release', async () => {
    await push('cilium', '1.15.0');
    await push('cilium', '1.16.0-rc.1');
    await push('cilium', '1.16.0-rc.2');
    expect(await parentTags('cilium')).toEqual({ '1.15.x': '1.15.0', '1.16.x': '1.16.0-rc.2', '1.x': '1.15.0' });
  });

  it('reads zero-padded versions the way Palette does: 23.07.1 belongs to 23.7.x', async () => {
    await push('trident', '23.07.1');
    expect(await parentTags('trident')).toEqual({ '23.7.x': '23.07.1', '23.x': '23.07.1' });
  });

  it('refuses to create, move or delete a parent tag with 409 TAG_AUTO', async () => {
    expect((await putTag('kubernetes', '1.27.x', '1.28.2').expect(409)).body.errors[0].code).toBe('TAG_AUTO');
    expect((await putTag('kubernetes', '9.x', '1.28.2').expect(409)).body.errors[0].code).toBe('TAG_AUTO');
    expect((await deleteTag('kubernetes', 'LTS__1.x').expect(409)).body.errors[0].code).toBe('TAG_AUTO');
    expect((await parentTags('kubernetes'))['1.27.x']).toBe('1.27.10');
  });

  it('refuses malformed tags with 400 TAG_INVALID, and references that resolve to nothing with 404', async () => {
    for (const bad of ['-stable', 'sta%20ble', 'a__b__', 'lts__', 'history', 'x'.repeat(129)]) {
      const response = await putTag('ubuntu', bad, '22.4.1');
      expect(response.status, bad).toBe(400);
      expect(response.body.errors[0].code).toBe('TAG_INVALID');
    }
    expect((await putTag('ubuntu', 'stable', '9.9.9').expect(404)).body.errors[0].code).toBe('PACK_NOT_FOUND');
    expect((await putTag('nosuchpack', 'stable', '1.0.0').expect(404)).body.errors[0].code).toBe('PACK_NOT_FOUND');
    const noBody = await registry.put('/v1/packs/ubuntu/tags/stable').auth(ADMIN.user, ADMIN.password).send({}).expect(400);
    expect(noBody.body.errors[0].code).toBe('TAG_INVALID');
    const badJson = await registry
      .put('/v1/packs/ubuntu/tags/stable')
      .auth(ADMIN.user, ADMIN.password)
      .set('Content-Type', 'application/json')
      .send('{"reference": ')
      .expect(400);
    expect(badJson.body.errors[0].code).toBe('BODY_INVALID');
  });

  it('lets only admins change tags', async () => {
    const response = await registry.put('/v1/packs/ubuntu/tags/stable').auth(READER.user, READER.password).send({ reference: '22.4.1' });
    expect(response.status).toBe(403);
    await registry.del('/v1/packs/ubuntu/tags/22.4.1').auth(READER.user, READER.password).expect(403);
  });
});

describe('references', () => {
  it('resolves a version string before a tag, and a tag before a digest', async () => {
    await push('order', '1.0.0');
    await push('order', '2.0.0');
    const two = (await read('/v1/packs/order/2.0.0').expect(200)).body;
    // A tag named like a version may only name that version (test/api/version-tags.test.ts has the rest).
    expect((await putTag('order', '1.0.0', '2.0.0').expect(400)).body.errors[0].code).toBe('TAG_INVALID');
    await deleteTag('order', '1.0.0').expect(204);
    expect((await read('/v1/packs/order/1.0.0').expect(200)).body.version).toBe('1.0.0');
    await putTag('order', 'next', '2.0.0').expect(201);
    expect((await read('/v1/packs/order/next').expect(200)).body.version).toBe('2.0.0');
    expect((await read(`/v1/packs/order/${two.digest}`).expect(200)).body.version).toBe('2.0.0');
    expect((await read(`/v1/packs/order/${two.archiveDigest}`).expect(200)).body.version).toBe('2.0.0');
    const missing = await read(`/v1/packs/order/sha256:${'0'.repeat(64)}`).expect(404);
    expect(missing.body.errors[0].code).toBe('PACK_NOT_FOUND');
  });
});

describe('history', () => {
  it('records push, force-push, tag-add, tag-delete and delete, newest first, paginated', async () => {
    await push('audited', '1.0.0');
    const forced = await packFixture('hello-universe-1.3.1', {
      editPackJson: (pj) => {
        pj.name = 'audited';
        pj.version = '1.0.0';
      },
      extraFiles: { 'values.yaml': 'changed: true\n' },
    });
    await pushArchive(registry, forced, { force: 'true', message: 'hotfix values' }).expect(201);
    await putTag('audited', 'stable', '1.0.0').expect(201);
    await deleteTag('audited', 'stable').expect(204);
    await registry.del('/v1/packs/audited/1.0.0').auth(ADMIN.user, ADMIN.password).expect(204);

    const all = (await read('/v1/packs/audited/history').expect(200)).body.events;
    expect(all.map((event: { action: string }) => event.action)).toEqual(['delete', 'tag-delete', 'tag-add', 'force-push', 'push']);
    expect(all[3]).toMatchObject({ action: 'force-push', user: 'admin', version: '1.0.0', message: 'hotfix values' });
    expect(all[2]).toMatchObject({ action: 'tag-add', tag: 'stable', version: '1.0.0' });
    expect(all[0].digest).toMatch(/^sha256:/);

    const first = await read('/v1/packs/audited/history?n=2').expect(200);
    expect(first.body.events.map((event: { action: string }) => event.action)).toEqual(['delete', 'tag-delete']);
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.link ?? '')?.[1];
    expect(next).toBe(`/v1/packs/audited/history?n=2&last=${first.body.events[1].id}`);
    const second = await read(next!).expect(200);
    expect(second.body.events.map((event: { action: string }) => event.action)).toEqual(['tag-add', 'force-push']);
  });

  it('answers 404 for a pack that never existed', async () => {
    expect((await read('/v1/packs/never/history').expect(404)).body.errors[0].code).toBe('PACK_NOT_FOUND');
  });
});

describe('conditional and ranged downloads', () => {
  let archive: Buffer;
  let etag: string;
  beforeAll(async () => {
    await push('ranged', '1.0.0');
    const response = await read('/v1/packs/ranged/1.0.0/archive').buffer(true).expect(200);
    archive = response.body as Buffer;
    etag = response.headers.etag!;
    expect(response.headers['accept-ranges']).toBe('bytes');
  });
  const get = (headers: Record<string, string>) => read('/v1/packs/ranged/1.0.0/archive').set(headers).buffer(true);

  it('answers If-None-Match with 304 and no body, for GET and HEAD', async () => {
    const response = await get({ 'If-None-Match': etag }).expect(304);
    expect(response.body.length ?? 0).toBe(0);
    await registry.head('/v1/packs/ranged/1.0.0/archive').auth(READER.user, READER.password).set('If-None-Match', etag).expect(304);
    await get({ 'If-None-Match': '"sha256:other"' }).expect(200);
  });

  it('resumes a download with a single Range: 206 and exactly those bytes', async () => {
    const tail = await get({ Range: 'bytes=100-' }).expect(206);
    expect(Buffer.compare(tail.body as Buffer, archive.subarray(100))).toBe(0);
    expect(tail.headers['content-range']).toBe(`bytes 100-${archive.length - 1}/${archive.length}`);
    expect(tail.headers['content-length']).toBe(String(archive.length - 100));
    const middle = await get({ Range: 'bytes=10-19' }).expect(206);
    expect(Buffer.compare(middle.body as Buffer, archive.subarray(10, 20))).toBe(0);
    const suffix = await get({ Range: 'bytes=-5' }).expect(206);
    expect(Buffer.compare(suffix.body as Buffer, archive.subarray(-5))).toBe(0);
    const head = await registry.head('/v1/packs/ranged/1.0.0/archive').auth(READER.user, READER.password).set('Range', 'bytes=0-9').expect(206);
    expect(head.headers['content-length']).toBe('10');
  });

  it('answers an unsatisfiable or malformed range with 416 RANGE_INVALID', async () => {
    const beyond = await get({ Range: `bytes=${archive.length + 10}-` }).expect(416);
    // An error is JSON (not typed as the archive it refuses), so supertest parses it.
    expect(beyond.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(beyond.body.errors[0].code).toBe('RANGE_INVALID');
    expect(beyond.headers['content-range']).toBe(`bytes */${archive.length}`);
    await get({ Range: 'bytes=abc' }).expect(416);
  });

  it('sends the whole archive when If-Range names another version of the bytes, or for several ranges', async () => {
    const stale = await get({ Range: 'bytes=100-', 'If-Range': '"sha256:stale"' }).expect(200);
    expect((stale.body as Buffer).length).toBe(archive.length);
    await get({ Range: 'bytes=100-', 'If-Range': etag }).expect(206);
    const several = await get({ Range: 'bytes=0-1,5-6' }).expect(200);
    expect((several.body as Buffer).length).toBe(archive.length);
  });
});
