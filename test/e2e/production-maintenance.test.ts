// The index is a cache of the storage: `reindex` and the server's start rebuild it from the metadata
// documents and blobs alone; `gc` removes what nothing references; read-only maintenance mode refuses writes.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { packFixture } from '../helpers/archives.js';
import { makeTempDir, writeHtpasswd } from '../helpers/files.js';
import { runServerCommand } from '../helpers/process.js';
import { registryEnv, startRegistryProcess, type RegistryProcess } from '../helpers/server-process.js';

const ADMIN = { user: 'admin', password: 'maintenance-admin' };
const PACKS = ['hello-universe-pack', 'kubevious-1.0.10', 'antrea-1.9.0', 'permission-manager-1.0.0'];

let dir: string;
let storage: string;
const servers: RegistryProcess[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.process.shutDown();
});

async function start(env: Record<string, string> = {}): Promise<RegistryProcess> {
  const server = await startRegistryProcess({ dir, env });
  servers.push(server);
  return server;
}

async function stop(server: RegistryProcess): Promise<void> {
  expect(await server.stop()).toBe(0);
  servers.splice(servers.indexOf(server), 1);
}

function command(args: string[], env: Record<string, string> = {}) {
  return runServerCommand(args, { cwd: dir, env: registryEnv({ dir, env }) });
}

const as = (server: RegistryProcess) => ({
  get: (path: string) => request(server.url).get(path).ca(server.ca).auth(ADMIN.user, ADMIN.password),
});

interface Snapshot {
  catalog: string[];
  packs: Record<string, Record<string, unknown>>;
  versions: Record<string, unknown>;
}

/**
 * A document with its logoUrl's origin taken off: a restarted server listens on another port, and logoUrl is
 * built from the request's host (no http.host here). The path and digest part must still be the same.
 */
function withLogoPath<T extends Record<string, unknown>>(document: T, server: RegistryProcess): T {
  if (typeof document.logoUrl !== 'string') return document;
  expect(document.logoUrl.startsWith(`${server.url}/v1/`)).toBe(true);
  return { ...document, logoUrl: document.logoUrl.slice(server.url.length) };
}

/** Every pack document and every version document the API serves. */
async function snapshot(server: RegistryProcess): Promise<Snapshot> {
  const api = as(server);
  const catalog = (await api.get('/v1/_catalog').expect(200)).body.repositories as string[];
  const packs: Snapshot['packs'] = {};
  const versions: Snapshot['versions'] = {};
  for (const name of catalog) {
    const pack = withLogoPath((await api.get(`/v1/packs/${name}`).expect(200)).body as Record<string, unknown>, server);
    packs[name] = pack;
    for (const { version } of pack.versions as { version: string }[]) {
      versions[`${name}:${version}`] = withLogoPath((await api.get(`/v1/packs/${name}/${version}`).expect(200)).body as Record<string, unknown>, server);
    }
  }
  return { catalog, packs, versions };
}

/** Pack documents without updatedAt: after a delete it is the delete's time, which the storage does not keep. */
function withoutUpdatedAt(packs: Snapshot['packs']) {
  return Object.fromEntries(Object.entries(packs).map(([name, { updatedAt: _updatedAt, ...pack }]) => [name, pack]));
}

async function removeIndex(): Promise<void> {
  for (const name of await readdir(storage)) if (name.startsWith('index.db')) await rm(join(storage, name));
}

let before: Snapshot;
let deletedPack: string;

beforeAll(async () => {
  dir = await makeTempDir();
  storage = join(dir, 'storage');
  await writeHtpasswd(join(dir, 'htpasswd'), [ADMIN]);

  // Fill a storage: four packs, a second version, a force push, a deleted version.
  const server = await startRegistryProcess({ dir });
  const push = (archive: Buffer, fields: Record<string, string> = {}) => {
    let test = request(server.url).post('/v1/packs').ca(server.ca).auth(ADMIN.user, ADMIN.password);
    for (const [name, value] of Object.entries(fields)) test = test.field(name, value);
    return test.attach('pack', archive, 'pack.tar.gz').expect(201);
  };
  for (const folder of PACKS) await push(await packFixture(folder));
  const second = (version: string, values: string) =>
    packFixture('hello-universe-pack', { editPackJson: (pj) => void (pj.version = version), extraFiles: { 'values.yaml': values } });
  await push(await second('1.1.0', 'a: 1\n'));
  await push(await second('1.1.0', 'a: 2\n'), { force: 'true', message: 'fix the values' });
  await push(await second('1.2.0-rc.1', 'a: 3\n'));
  deletedPack = 'permission-manager';
  await request(server.url).delete(`/v1/packs/${deletedPack}/1.0.0`).ca(server.ca).auth(ADMIN.user, ADMIN.password).expect(204);
  before = await snapshot(server);
  expect(await server.stop()).toBe(0);
});

describe('metadata documents in storage', () => {
  it('keeps one document per version next to the blobs, and none for a deleted version', async () => {
    const documents = (await readdir(join(storage, 'metadata'), { recursive: true })).filter((path) => path.endsWith('.json')).sort();
    expect(documents).toEqual(Object.keys(before.versions).map((key) => `${key.replace(':', '/')}.json`).sort());
    expect(existsSync(join(storage, 'metadata', deletedPack))).toBe(false);
    const forced = JSON.parse(await readFile(join(storage, 'metadata', 'hellouniverse', '1.1.0.json'), 'utf8'));
    expect(forced).toMatchObject({ schemaVersion: 1, pack: 'hellouniverse', version: '1.1.0', message: 'fix the values' });
    expect(forced.push).toMatchObject({ action: 'force-push', user: ADMIN.user, message: 'fix the values' });
    expect(forced).not.toHaveProperty('id');
  });
});

describe('pack-registry reindex', () => {
  it('rebuilds index.db from storage alone: every pack and version document is served as before', async () => {
    await removeIndex();
    const result = await command(['reindex']);
    expect(result.code, result.stderr).toBe(0);
    const versionCount = Object.keys(before.versions).length;
    expect(result.stdout).toContain(`${before.catalog.length} packs, ${versionCount} versions`);
    expect(existsSync(join(storage, 'index.db'))).toBe(true);

    const server = await start();
    const after = await snapshot(server);
    expect(after.catalog).toEqual(before.catalog);
    expect(after.versions).toEqual(before.versions);
    expect(withoutUpdatedAt(after.packs)).toEqual(withoutUpdatedAt(before.packs));
    // updatedAt becomes the newest push's time (the live value was taken a moment later, in the same transaction).
    const drift = Date.parse(before.packs.kubevious!.updatedAt as string) - Date.parse(after.packs.kubevious!.updatedAt as string);
    expect(drift).toBeGreaterThanOrEqual(0);
    expect(drift).toBeLessThan(1000);

    // One push event per version is the history a reindex restores; the force push keeps its message.
    const history = (await as(server).get('/v1/packs/hellouniverse/history').expect(200)).body.events as { action: string; version: string; message: string | null }[];
    expect(history.map((event) => `${event.action} ${event.version}`).sort()).toEqual(['force-push 1.1.0', 'push 1.0.0', 'push 1.2.0-rc.1']);
    expect(history.find((event) => event.action === 'force-push')!.message).toBe('fix the values');

    // The archives are all there and whole.
    for (const [key, version] of Object.entries(after.versions)) {
      const [name, ref] = key.split(':');
      const archive = await as(server).get(`/v1/packs/${name}/${ref}/archive`).buffer(true).expect(200);
      expect(`sha256:${createHash('sha256').update(archive.body as Buffer).digest('hex')}`).toBe((version as { archiveDigest: string }).archiveDigest);
    }

    // A reindex under a running server is refused: it would pull the index from under it.
    const refused = await command(['reindex']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('stop it first');
    await stop(server);
  });

  it('happens by itself when the server starts and index.db is missing', async () => {
    await removeIndex();
    const server = await start();
    expect(server.process.stdout()).toMatch(/rebuilt the index from storage/);
    const after = await snapshot(server);
    expect(after.versions).toEqual(before.versions);
    expect(withoutUpdatedAt(after.packs)).toEqual(withoutUpdatedAt(before.packs));
    await stop(server);
  });
});

describe('pack-registry gc', () => {
  it('reports with --dry-run without deleting, then removes orphan blobs, orphan documents and stale uploads', async () => {
    // An orphan blob, a staging file left by an interrupted upload, and a document whose blob is gone.
    const orphan = randomBytes(3000);
    const hex = createHash('sha256').update(orphan).digest('hex');
    const orphanPath = join(storage, 'blobs', 'sha256', hex.slice(0, 2), hex);
    await mkdir(join(orphanPath, '..'), { recursive: true });
    await writeFile(orphanPath, orphan);
    const stalePath = join(storage, 'uploads', 'b7e0c6d2-stale.tar.gz');
    await writeFile(stalePath, randomBytes(1234));
    const lostDocument = JSON.parse(await readFile(join(storage, 'metadata', 'kubevious', '1.0.10.json'), 'utf8'));
    lostDocument.normalizedVersion = '9.9.9';
    lostDocument.version = '9.9.9';
    lostDocument.archiveDigest = `sha256:${'0'.repeat(64)}`;
    const lostPath = join(storage, 'metadata', 'kubevious', '9.9.9.json');
    await writeFile(lostPath, JSON.stringify(lostDocument));
    const lostSize = (await stat(lostPath)).size;
    const planted = [orphanPath, stalePath, lostPath];

    const dryRun = await command(['gc', '--dry-run']);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toContain('dry run');
    expect(dryRun.stdout).toMatch(/unreferenced blobs: +1 file, 3000 bytes/);
    expect(dryRun.stdout).toMatch(/metadata documents without a blob: +1 file/);
    expect(dryRun.stdout).toMatch(/stale uploads and temporary files: +1 file, 1234 bytes/);
    expect(dryRun.stdout).toContain(`would free 3 files, ${3000 + 1234 + lostSize} bytes`);
    for (const path of planted) expect(existsSync(path)).toBe(true);

    const json = await command(['gc', '--dry-run', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ dryRun: true, serverRunning: false, total: { count: 3, bytes: 3000 + 1234 + lostSize } });

    const real = await command(['gc']);
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout).toContain(`freed 3 files, ${3000 + 1234 + lostSize} bytes`);
    for (const path of planted) expect(existsSync(path)).toBe(false);

    // Nothing that is referenced went.
    const server = await start();
    for (const key of Object.keys(before.versions)) {
      const [name, ref] = key.split(':');
      await as(server).get(`/v1/packs/${name}/${ref}/archive`).expect(200);
    }
    await stop(server);
  });
});

describe('storage.maintenance.readonly.enabled', () => {
  it('answers every write with 503 READ_ONLY and keeps serving reads; gc only looks, leaving young files to the server', async () => {
    const server = await start({ REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED: 'true' });
    const api = request(server.url);
    const writes = [
      api.post('/v1/packs').ca(server.ca).auth(ADMIN.user, ADMIN.password).attach('pack', await packFixture('oam-app-controller-0.0.3'), 'p.tar.gz'),
      api.delete('/v1/packs/kubevious/1.0.10').ca(server.ca).auth(ADMIN.user, ADMIN.password),
      api.put('/v1/packs/kubevious/tags/stable').ca(server.ca).auth(ADMIN.user, ADMIN.password).send({ reference: '1.0.10' }),
      api.delete('/v1/packs/kubevious/tags/1.0.10').ca(server.ca).auth(ADMIN.user, ADMIN.password),
    ];
    for (const write of writes) {
      const response = await write;
      expect(response.status).toBe(503);
      expect(response.body.errors[0].code).toBe('READ_ONLY');
    }
    await api.get('/health').ca(server.ca).expect(200, { status: 'UP' });
    await as(server).get('/v1/_catalog').expect(200);
    await as(server).get('/v1/packs/kubevious').expect(200);
    await as(server).get('/v1/packs/kubevious/1.0.10').expect(200);
    await as(server).get('/v1/packs/kubevious/1.0.10/archive').expect(200);
    await as(server).get('/v1/packs/kubevious/1.0.10/files/values.yaml').expect(200);
    expect(await snapshot(server)).toEqual(await snapshot(server));

    const refused = await command(['gc'], { REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED: 'true' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--dry-run');

    // With the server running, a young orphan may belong to a push in flight: reported as kept.
    const young = join(storage, 'uploads', 'in-flight.tar.gz');
    await writeFile(young, randomBytes(100));
    const old = join(storage, 'uploads', 'abandoned.tar.gz');
    await writeFile(old, randomBytes(200));
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    await utimes(old, twoHoursAgo, twoHoursAgo);
    const look = await command(['gc', '--dry-run', '--json'], { REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED: 'true' });
    expect(look.code, look.stderr).toBe(0);
    const report = JSON.parse(look.stdout);
    expect(report).toMatchObject({ serverRunning: true, uploads: { count: 1, bytes: 200 } });
    expect(report.keptRecent.count).toBeGreaterThanOrEqual(1);
    expect(existsSync(young) && existsSync(old)).toBe(true);
    await stop(server);
  });
});
