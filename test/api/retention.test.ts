// Retention through `pack-registry gc`: the dry run lists exactly what the real run then removes (pack,
// version, bytes, total), user-tagged and recently pulled versions stay, parent tags follow what is left,
// and the removals go through the registry's delete (feed events by "retention", archives gone).
import { describe, expect, it } from 'vitest';
import type { ChangePage, PackDocument } from '../../src/api/index.js';
import { gcCommand } from '../../src/cli/admin.js';
import type { RetentionReport } from '../../src/registry/retention.js';
import { packFixture } from '../helpers/archives.js';
import { ADMIN, createTestApp, makeTempDir, pushArchive, READER } from '../helpers/app.js';

function version(name: string, number: string) {
  return packFixture('hello-universe-1.3.1', {
    editPackJson: (pj) => {
      pj.name = name;
      pj.version = number;
    },
  });
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { output: { out: (line: string) => out.push(line), err: (line: string) => err.push(line) }, out, err };
}

describe('retention in pack-registry gc', () => {
  it('removes exactly what --dry-run listed, keeping tagged, recently pulled and the newest versions', async () => {
    const dir = await makeTempDir();
    const env = {
      REGISTRY_RETENTION_KEEPLAST: '1',
      REGISTRY_RETENTION_KEEPPULLEDWITHIN: '1h',
      REGISTRY_RETENTION_PACKS: JSON.stringify([{ pattern: 'hello-*', keeplast: 2 }]),
    };
    let registry = await createTestApp({ dir, env });
    for (const number of ['1.0.0', '1.1.0', '1.2.0', '1.2.1', '1.3.0', '2.0.0']) await pushArchive(registry, await version('hello-universe', number)).expect(201);
    for (const number of ['1.0.0', '1.1.0']) await pushArchive(registry, await version('other-pack', number)).expect(201);
    await registry.put('/v1/packs/hello-universe/tags/stable').auth(ADMIN.user, ADMIN.password).send({ reference: '1.0.0' }).expect(201);
    await registry.get('/v1/packs/hello-universe/1.1.0/archive').auth(READER.user, READER.password).expect(200);
    await registry.registry.flushDownloads();
    const before = (await registry.get('/v1/packs/hello-universe').auth(READER.user, READER.password).expect(200)).body as PackDocument;
    const sizeOf = (number: string) => before.versions.find((entry) => entry.version === number)?.size;
    const feedBefore = ((await registry.get('/v1/events').auth(READER.user, READER.password).expect(200)).body as ChangePage).next;

    // While the server runs: the dry run lists, the real run leaves retention to the server.
    const dry = capture();
    expect(await gcCommand(registry.config, { dryRun: true, json: true }, dry.output)).toBe(0);
    const planned = (JSON.parse(dry.out.join('\n')) as { retention: RetentionReport }).retention;
    expect(planned.items.map((item) => `${item.pack}:${item.version}`)).toEqual(['hello-universe:1.2.0', 'hello-universe:1.2.1', 'other-pack:1.0.0']);
    expect(planned.items[0]?.bytes).toBe(sizeOf('1.2.0'));
    expect(planned.totalBytes).toBe(planned.items.reduce((sum, item) => sum + item.bytes, 0));
    const refused = capture();
    expect(await gcCommand(registry.config, {}, refused.output)).toBe(0);
    expect(refused.err.join('\n')).toMatch(/retention is left to it/);
    expect((await registry.get('/v1/packs/hello-universe').auth(READER.user, READER.password).expect(200)).body.versions).toHaveLength(6);

    await registry.stop();
    const text = capture();
    expect(await gcCommand(registry.config, { dryRun: true }, text.output)).toBe(0);
    expect(text.out).toContain(`  would remove hello-universe:1.2.0 (${sizeOf('1.2.0')} bytes; pushed ${planned.items[0]?.pushedAt}; rule hello-*)`);
    const real = capture();
    expect(await gcCommand(registry.config, { json: true }, real.output)).toBe(0);
    const done = (JSON.parse(real.out.join('\n')) as { retention: RetentionReport }).retention;
    expect({ ...done, dryRun: true }).toEqual(planned);

    registry = await createTestApp({ dir, env });
    const after = (await registry.get('/v1/packs/hello-universe').auth(READER.user, READER.password).expect(200)).body as PackDocument;
    expect(after.versions.map((entry) => entry.version)).toEqual(['1.0.0', '1.1.0', '1.3.0', '2.0.0']);
    // Parent tags derived from what is left: 1.2.x went with its versions, 1.x still points at the highest 1.
    const tags = Object.fromEntries(after.tags.filter((tag) => tag.auto).map((tag) => [tag.tag, tag.version]));
    expect(tags).toEqual({ '1.x': '1.3.0', '1.0.x': '1.0.0', '1.1.x': '1.1.0', '1.3.x': '1.3.0', '2.x': '2.0.0', '2.0.x': '2.0.0' });
    expect((await registry.get('/v1/packs/other-pack').auth(READER.user, READER.password).expect(200)).body.versions).toHaveLength(1);
    await registry.get('/v1/packs/hello-universe/1.2.0/archive').auth(READER.user, READER.password).expect(404);
    const feed = (await registry.get(`/v1/events?since=${feedBefore}`).auth(READER.user, READER.password).expect(200)).body as ChangePage;
    expect(feed.events.map((event) => `${event.action} ${event.pack}:${event.version} by ${event.user}`)).toEqual([
      'delete hello-universe:1.2.0 by retention',
      'delete hello-universe:1.2.1 by retention',
      'delete other-pack:1.0.0 by retention',
    ]);
    // Nothing more to remove: a second run finds nothing.
    await registry.stop();
    const again = capture();
    expect(await gcCommand(registry.config, { dryRun: true, json: true }, again.output)).toBe(0);
    expect((JSON.parse(again.out.join('\n')) as { retention: RetentionReport }).retention.items).toEqual([]);
  });

  it('is applied by the server itself every retention.schedule', async () => {
    const registry = await createTestApp({ env: { REGISTRY_RETENTION_SCHEDULE: '100ms', REGISTRY_RETENTION_KEEPLAST: '1' } });
    await pushArchive(registry, await version('hello-universe', '1.0.0')).expect(201);
    await pushArchive(registry, await version('hello-universe', '1.1.0')).expect(201);
    const deadline = Date.now() + 20_000;
    let versions: string[] = [];
    while (Date.now() < deadline) {
      const pack = (await registry.get('/v1/packs/hello-universe').auth(READER.user, READER.password).expect(200)).body as PackDocument;
      versions = pack.versions.map((entry) => entry.version);
      if (versions.length === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(versions).toEqual(['1.1.0']);
    const feed = (await registry.get('/v1/events').auth(READER.user, READER.password).expect(200)).body as ChangePage;
    expect(feed.events.at(-1)).toMatchObject({ action: 'delete', version: '1.0.0', user: 'retention' });
  });
});
