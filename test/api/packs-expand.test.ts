// `GET /v1/packs?expand=versions`: each summary carries the pack's versions and tags, exactly as the pack's own
// document shows them, read for the whole page at once (no query per pack), with the filters and pagination
// of the plain list.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ExpandedPackList, PackDocument, PackList } from '../../src/api/index.js';
import { SqliteIndex } from '../../src/db/sqlite.js';
import { packFixture } from '../helpers/archives.js';
import { ADMIN, READER, createTestApp, pushArchive, type TestApp } from '../helpers/app.js';

let registry: TestApp;
const read = (path: string) => registry.get(path).auth(READER.user, READER.password);
const admin = { user: ADMIN.user, password: ADMIN.password };

async function push(name: string, version: string, edit: (pj: Record<string, unknown>) => void = () => {}): Promise<void> {
  const archive = await packFixture('hello-universe-1.3.1', {
    editPackJson: (pj) => {
      pj.name = name;
      pj.version = version;
      edit(pj);
    },
  });
  await pushArchive(registry, archive).expect(201);
}

async function documentOf(name: string): Promise<PackDocument> {
  return (await read(`/v1/packs/${name}`).expect(200)).body as PackDocument;
}

async function expandedPage(query: string): Promise<{ body: ExpandedPackList; link: string | undefined }> {
  const response = await read(`/v1/packs?expand=versions${query}`).expect(200);
  return { body: response.body as ExpandedPackList, link: response.headers.link as string | undefined };
}

beforeAll(async () => {
  registry = await createTestApp();
  // Pushed out of precedence order: the list must show versions in ascending precedence, as the document does.
  await push('alpha', '1.10.0');
  await push('alpha', '1.2.0');
  await push('alpha', '1.9');
  await push('beta', '2.0.0', (pj) => (pj.group = 'lts'));
  await push('gamma', '0.1.0', (pj) => (pj.layer = 'os'));
  await push('gamma', '0.2.0', (pj) => (pj.layer = 'os'));
  await registry.put('/v1/packs/alpha/tags/stable').auth(admin.user, admin.password).send({ reference: '1.2.0' }).expect(201);
  await registry.put('/v1/packs/beta/tags/lts__edge').auth(admin.user, admin.password).send({ reference: 'lts__2.0.0' }).expect(201);
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('GET /v1/packs?expand=versions', () => {
  it('gives every pack exactly its document: the summary, its versions in precedence order and its tags', async () => {
    const { body, link } = await expandedPage('');
    expect(link).toBeUndefined();
    expect(body.packs.map((pack) => pack.name)).toEqual(['alpha', 'beta', 'gamma']);
    for (const pack of body.packs) expect(pack).toEqual(await documentOf(pack.name));
    const alpha = body.packs[0];
    expect(alpha?.versions.map((version) => version.version)).toEqual(['1.2.0', '1.9', '1.10.0']);
    expect(alpha?.tags).toEqual(expect.arrayContaining([{ tag: 'stable', version: '1.2.0', auto: false }, { tag: '1.x', version: '1.10.0', auto: true }]));
  });

  it('keeps the plain list unchanged without expand: summaries only', async () => {
    const plain = (await read('/v1/packs').expect(200)).body as PackList;
    const { body } = await expandedPage('');
    expect(plain.packs).toEqual(body.packs.map(({ versions: _versions, tags: _tags, downloads: _downloads, ...summary }) => summary));
    for (const pack of plain.packs) expect(pack).not.toHaveProperty('versions');
  });

  it('pages like the plain list, and the Link keeps expand', async () => {
    const first = await expandedPage('&n=2');
    expect(first.body.packs.map((pack) => pack.name)).toEqual(['alpha', 'beta']);
    expect(first.link).toMatch(/^<\/v1\/packs\?expand=versions&n=2&last=beta>; rel="next"$/);
    const next = /<([^>]+)>/.exec(first.link ?? '')?.[1] ?? '';
    const second = (await read(next).expect(200)).body as ExpandedPackList;
    expect(second.packs.map((pack) => pack.name)).toEqual(['gamma']);
    expect(second.packs[0]).toEqual(await documentOf('gamma'));
  });

  it('applies the same filters as the plain list', async () => {
    expect((await expandedPage('&layer=os')).body.packs.map((pack) => pack.name)).toEqual(['gamma']);
    expect((await expandedPage('&name=ALP')).body.packs.map((pack) => pack.name)).toEqual(['alpha']);
    expect((await expandedPage('&name=nothing-like-it')).body.packs).toEqual([]);
  });

  it('reads the page’s versions and tags in one go, never per pack', async () => {
    const perPack = [vi.spyOn(SqliteIndex.prototype, 'versionsOfPack'), vi.spyOn(SqliteIndex.prototype, 'tagsOfPack'), vi.spyOn(SqliteIndex.prototype, 'tagsOfVersion')];
    const versions = vi.spyOn(SqliteIndex.prototype, 'versionEntriesOfPacks');
    const tags = vi.spyOn(SqliteIndex.prototype, 'tagsOfPacks');
    await expandedPage('&name=a');
    for (const spy of perPack) expect(spy).not.toHaveBeenCalled();
    expect(versions).toHaveBeenCalledTimes(1);
    expect(tags).toHaveBeenCalledTimes(1);
  });

  it('shows a change at once: a remembered page is forgotten on every write', async () => {
    await push('delta', '1.0.0');
    const before = await expandedPage('&name=delta');
    expect(before.body.packs[0]?.versions.map((version) => version.version)).toEqual(['1.0.0']);
    await push('delta', '1.1.0');
    await registry.put('/v1/packs/delta/tags/prod').auth(admin.user, admin.password).send({ reference: '1.0.0' }).expect(201);
    const after = await expandedPage('&name=delta');
    expect(after.body.packs[0]).toEqual(await documentOf('delta'));
    expect(after.body.packs[0]?.versions.map((version) => version.version)).toEqual(['1.0.0', '1.1.0']);
    expect(after.body.packs[0]?.tags).toContainEqual({ tag: 'prod', version: '1.0.0', auto: false });
    await registry.del('/v1/packs/delta/1.0.0').auth(admin.user, admin.password).expect(204);
    const deleted = await expandedPage('&name=delta');
    expect(deleted.body.packs[0]).toEqual(await documentOf('delta'));
    expect(deleted.body.packs[0]?.tags.some((tag) => tag.tag === 'prod')).toBe(false);
  });

  it.each([
    ['another value', '/v1/packs?expand=tags'],
    ['an empty value', '/v1/packs?expand='],
    ['a repeated parameter', '/v1/packs?expand=versions&expand=versions'],
  ])('refuses %s with 400 QUERY_INVALID', async (_name, path) => {
    const response = await read(path).expect(400);
    expect(response.body.errors[0]).toMatchObject({ code: 'QUERY_INVALID', detail: { parameter: 'expand' } });
  });
});
