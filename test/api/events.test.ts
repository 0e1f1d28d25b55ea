// The change feed (GET /v1/events) and download statistics, in process: every change in order with its
// fields, cursors that survive a restart and a reindex, the clear expiry of a cursor the feed no longer
// covers, and download counts that appear when flushed and survive a restart.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChangePage, PackDocument, VersionDocument } from '../../src/api/index.js';
import { reindexCommand } from '../../src/cli/admin.js';
import { packFixture } from '../helpers/archives.js';
import { ADMIN, createTestApp, makeTempDir, pushArchive, READER, type TestApp } from '../helpers/app.js';

const FIXTURE = 'hello-universe-1.3.1';
const quiet = { out: () => {}, err: () => {} };

function version(number: string, description = 'x') {
  return packFixture(FIXTURE, {
    editPackJson: (pj) => {
      pj.version = number;
      pj.description = description;
    },
  });
}

async function feed(registry: TestApp, query = ''): Promise<ChangePage> {
  return (await registry.get(`/v1/events${query}`).auth(READER.user, READER.password).expect(200)).body as ChangePage;
}

describe('GET /v1/events', () => {
  it('lists every push, overwrite, tag change and delete in commit order, to any reader, in pages', async () => {
    const registry = await createTestApp();
    const empty = await feed(registry);
    expect(empty.events).toEqual([]);
    await pushArchive(registry, await version('1.3.1')).expect(201);
    await pushArchive(registry, await version('1.3.1', 'changed'), { force: 'true', message: 'fix' }).expect(201);
    await registry.put('/v1/packs/hello-universe/tags/stable').auth(ADMIN.user, ADMIN.password).send({ reference: '1.3.1' }).expect(201);
    await registry.del('/v1/packs/hello-universe/tags/stable').auth(ADMIN.user, ADMIN.password).expect(204);
    await registry.del('/v1/packs/hello-universe/1.3.1').auth(ADMIN.user, ADMIN.password).expect(204);

    const all = await feed(registry, `?since=${empty.next}`);
    expect(all.events.map((event) => `${event.action} ${event.version} ${event.tag}`)).toEqual([
      'push 1.3.1 null',
      'force-push 1.3.1 null',
      'tag-add 1.3.1 stable',
      'tag-delete 1.3.1 stable',
      'delete 1.3.1 null',
    ]);
    expect(all.events[1]).toMatchObject({ pack: 'hello-universe', user: ADMIN.user, message: 'fix', digest: expect.stringMatching(/^sha256:/) });
    expect(all.next).toBe(all.events[4]?.id);
    // Without since: from the oldest event kept. In pages of `limit`, each next the last id of its page.
    const first = await feed(registry, '?limit=2');
    expect(first.events.map((event) => event.id)).toEqual(all.events.slice(0, 2).map((event) => event.id));
    const second = await feed(registry, `?since=${first.next}&limit=2`);
    expect(second.events.map((event) => event.action)).toEqual(['tag-add', 'tag-delete']);
    // Nothing new: the same cursor back.
    expect(await feed(registry, `?since=${all.next}`)).toEqual({ events: [], next: all.next });
  });

  it('refuses a malformed cursor or limit with CURSOR_INVALID', async () => {
    const registry = await createTestApp();
    for (const query of ['?since=nonsense', '?since=abc.-1', '?limit=0', '?limit=x', '?since=a.1&since=a.2']) {
      const answer = await registry.get(`/v1/events${query}`).auth(READER.user, READER.password).expect(400);
      expect(answer.body.errors[0].code, query).toBe('CURSOR_INVALID');
    }
  });

  it('keeps cursors valid across a restart and a reindex, and expires them when the index is made anew', async () => {
    const dir = await makeTempDir();
    let registry = await createTestApp({ dir });
    await pushArchive(registry, await version('1.0.0')).expect(201);
    const cursor = (await feed(registry)).next;
    await registry.stop();

    registry = await createTestApp({ dir });
    await pushArchive(registry, await version('1.1.0')).expect(201);
    expect((await feed(registry, `?since=${cursor}`)).events.map((event) => event.version)).toEqual(['1.1.0']);
    await registry.stop();

    // A reindex rebuilds packs, versions and tags from storage and carries the feed over.
    expect(await reindexCommand(registry.config, quiet)).toBe(0);
    registry = await createTestApp({ dir });
    await pushArchive(registry, await version('1.2.0')).expect(201);
    expect((await feed(registry, `?since=${cursor}`)).events.map((event) => event.version)).toEqual(['1.1.0', '1.2.0']);
    const head = (await feed(registry)).next;
    await registry.stop();

    // The index lost: rebuilt from storage at start, with a new feed. An old cursor is refused, clearly.
    await rm(join(dir, 'storage', 'index.db'), { force: true });
    registry = await createTestApp({ dir });
    const refused = await registry.get(`/v1/events?since=${head}`).auth(READER.user, READER.password).expect(410);
    const [error] = refused.body.errors;
    expect(error.code).toBe('CURSOR_EXPIRED');
    expect(error.message).toMatch(/resync from the catalog/i);
    expect((await registry.get('/v1/_catalog').auth(READER.user, READER.password).expect(200)).body.repositories).toEqual(['hello-universe']);
    // Following from detail.head after the resync sees what comes next.
    await pushArchive(registry, await version('1.3.0')).expect(201);
    expect((await feed(registry, `?since=${error.detail.head}`)).events.map((event) => event.version)).toEqual(['1.3.0']);
    await registry.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('expires a cursor the feed was pruned past (changefeed.maxage), and never gives a pruned id again, even after a reindex', async () => {
    const dir = await makeTempDir();
    const env = { REGISTRY_CHANGEFEED_MAXAGE: '10ms' };
    let registry = await createTestApp({ dir });
    const start = (await feed(registry)).next;
    await pushArchive(registry, await version('1.0.0')).expect(201);
    const afterFirst = (await feed(registry)).next;
    await pushArchive(registry, await version('1.1.0')).expect(201);
    const latest = (await feed(registry)).next;
    await registry.stop();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The server prunes at start (and hourly); the newest event always stays.
    registry = await createTestApp({ dir, env });
    const refused = await registry.get(`/v1/events?since=${start}`).auth(READER.user, READER.password).expect(410);
    expect(refused.body.errors[0]).toMatchObject({ code: 'CURSOR_EXPIRED', detail: { since: start, head: latest } });
    // A cursor at or after the pruned part still reads on.
    expect((await feed(registry, `?since=${afterFirst}`)).events.map((event) => event.version)).toEqual(['1.1.0']);
    expect(await feed(registry, `?since=${latest}`)).toEqual({ events: [], next: latest });
    await registry.stop();

    // A reindex carries the pruned feed over: the next event still comes after `latest`.
    expect(await reindexCommand(registry.config, quiet)).toBe(0);
    registry = await createTestApp({ dir, env });
    await pushArchive(registry, await version('1.2.0')).expect(201);
    expect((await feed(registry, `?since=${latest}`)).events.map((event) => event.version)).toEqual(['1.2.0']);
    await registry.destroy();
    await rm(dir, { recursive: true, force: true });
  });
});

describe('download statistics', () => {
  it('counts pulls in memory, shows them once flushed, and keeps them across a restart', async () => {
    const dir = await makeTempDir();
    let registry = await createTestApp({ dir });
    await pushArchive(registry, await version('1.0.0')).expect(201);
    await pushArchive(registry, await version('1.1.0')).expect(201);
    const pull = (ref: string) => registry.get(`/v1/packs/hello-universe/${ref}/archive`).auth(READER.user, READER.password).expect(200);
    const versionDocument = async (ref: string) =>
      (await registry.get(`/v1/packs/hello-universe/${ref}`).auth(READER.user, READER.password).expect(200)).body as VersionDocument;
    for (let i = 0; i < 3; i++) await pull('1.0.0');
    await pull('1.1.0');
    // A HEAD and a later range are not pulls.
    await registry.head('/v1/packs/hello-universe/1.0.0/archive').auth(READER.user, READER.password).expect(200);
    await registry.get('/v1/packs/hello-universe/1.0.0/archive').set('Range', 'bytes=10-20').auth(READER.user, READER.password).expect(206);
    expect((await versionDocument('1.0.0')).downloads).toEqual({ count: 0, lastPulledAt: null });

    expect(await registry.registry.flushDownloads()).toBe(2);
    const flushed = (await versionDocument('1.0.0')).downloads;
    expect(flushed.count).toBe(3);
    expect(Date.parse(flushed.lastPulledAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
    const pack = (await registry.get('/v1/packs/hello-universe').auth(READER.user, READER.password).expect(200)).body as PackDocument;
    expect(pack.versions.map((entry) => `${entry.version}:${entry.downloads.count}`)).toEqual(['1.0.0:3', '1.1.0:1']);
    expect(pack.downloads.count).toBe(4);

    // Counted and not yet flushed: written by the shutdown.
    await pull('1.1.0');
    await registry.stop();
    registry = await createTestApp({ dir });
    expect((await versionDocument('1.1.0')).downloads.count).toBe(2);
    expect((await versionDocument('1.0.0')).downloads.count).toBe(3);
    await registry.destroy();
    await rm(dir, { recursive: true, force: true });
  });
});
