import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packFixture } from '../helpers/archives.js';
import { ADMIN, createTestApp, pushArchive, type TestApp } from '../helpers/app.js';
import { blobFiles, walk } from '../helpers/storage.js';

const admin = (registry: TestApp, path: string) => registry.get(path).auth(ADMIN.user, ADMIN.password);

function blobPath(digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return `blobs/sha256/${hex.slice(0, 2)}/${hex}`;
}

describe('deleting versions', () => {
  it('deletes a version and its blob, and the pack once its last version is gone', async () => {
    const registry = await createTestApp();
    const storage = join(registry.dir, 'storage');
    const first = await pushArchive(registry, await packFixture('hello-universe-1.3.1')).expect(201);
    const second = await pushArchive(
      registry,
      await packFixture('hello-universe-1.3.1', {
        editPackJson: (pj) => {
          pj.version = '1.4.0';
        },
      }),
    ).expect(201);
    expect(await blobFiles(storage)).toEqual([blobPath(first.body.archiveDigest), blobPath(second.body.archiveDigest)].sort());

    await registry.del('/v1/packs/hello-universe/1.4.0').auth(ADMIN.user, ADMIN.password).expect(204);
    expect(await blobFiles(storage)).toEqual([blobPath(first.body.archiveDigest)]);
    const pack = await admin(registry, '/v1/packs/hello-universe').expect(200);
    expect(pack.body.latestVersion).toBe('1.3.1');
    expect(pack.body.versions).toHaveLength(1);
    await admin(registry, '/v1/packs/hello-universe/1.4.0').expect(404);

    // By content digest this time: every reference form works for deletes too.
    await registry.del(`/v1/packs/hello-universe/${first.body.digest}`).auth(ADMIN.user, ADMIN.password).expect(204);
    expect(await blobFiles(storage)).toEqual([]);
    expect((await admin(registry, '/v1/_catalog').expect(200)).body.repositories).toEqual([]);
    await admin(registry, '/v1/packs/hello-universe').expect(404);
    const missing = await registry.del('/v1/packs/hello-universe/1.3.1').auth(ADMIN.user, ADMIN.password).expect(404);
    expect(missing.body.errors[0].code).toBe('PACK_NOT_FOUND');
  });
});

describe('restarts', () => {
  it('keeps every pack, version and archive across a restart', async () => {
    const first = await createTestApp();
    const archive = await packFixture('oam-app-controller-0.0.3');
    const pushed = await pushArchive(first, archive).expect(201);
    await first.stop();

    const second = await createTestApp({ dir: first.dir });
    const version = await admin(second, '/v1/packs/oam-app-controller/0.0.3').expect(200);
    // The same document, but for `logoUrl`'s origin: the second app listens on another port.
    expect(version.body).toEqual({ ...pushed.body, logoUrl: (pushed.body.logoUrl as string).replace(first.url, second.url) });
    const downloaded = await admin(second, '/v1/packs/oam-app-controller/0.0.3/archive').buffer(true).expect(200);
    expect(Buffer.compare(downloaded.body as Buffer, archive)).toBe(0);
    await pushArchive(second, archive).expect(409);
  });
});

describe('storage: inmemory', () => {
  it('pushes, lists, serves and deletes packs without writing to the storage folder', async () => {
    const registry = await createTestApp({ env: { REGISTRY_STORAGE: 'inmemory' } });
    const archive = await packFixture('permission-manager-1.0.0');
    const pushed = await pushArchive(registry, archive).expect(201);
    expect((await admin(registry, '/v1/_catalog').expect(200)).body.repositories).toEqual(['permission-manager']);
    const downloaded = await admin(registry, '/v1/packs/permission-manager/1.0.0/archive').buffer(true).expect(200);
    expect(Buffer.compare(downloaded.body as Buffer, archive)).toBe(0);
    await admin(registry, '/v1/packs/permission-manager/1.0.0/files/values.yaml').expect(200);
    expect((await pushArchive(registry, archive).expect(409)).body.errors[0].code).toBe('PACK_EXISTS');
    const refused = await pushArchive(registry, Buffer.from('not a tarball')).expect(400);
    expect(refused.body.errors[0].code).toBe('PACK_INVALID');
    await registry.del(`/v1/packs/permission-manager/${pushed.body.digest}`).auth(ADMIN.user, ADMIN.password).expect(204);
    await admin(registry, '/v1/packs/permission-manager').expect(404);
    // Only the htpasswd file lives in the test folder (the app has no certificates); no storage folder was made.
    const files = (await walk(registry.dir)).map((path) => path.slice(registry.dir.length + 1));
    expect(files.sort()).toEqual(['htpasswd']);
  });

  it('starts empty every time', async () => {
    const first = await createTestApp({ env: { REGISTRY_STORAGE: 'inmemory' } });
    await pushArchive(first, await packFixture('permission-manager-1.0.0')).expect(201);
    await first.stop();
    const second = await createTestApp({ dir: first.dir, env: { REGISTRY_STORAGE: 'inmemory' } });
    expect((await admin(second, '/v1/_catalog').expect(200)).body.repositories).toEqual([]);
  });
});

describe('/health', () => {
  it('answers 503 DOWN naming the storage check when storage cannot be written', async () => {
    const registry = await createTestApp();
    const uploads = join(registry.dir, 'storage', 'uploads');
    await rm(uploads, { recursive: true });
    await writeFile(uploads, 'not a folder');
    const response = await registry.get('/health').expect(503);
    expect(response.body.status).toBe('DOWN');
    expect(response.body.checks.storage).toMatch(/^DOWN/);
    expect(response.body.checks.index).toBe('UP');
    await rm(uploads);
    await mkdir(uploads);
    await registry.get('/health').expect(200);
  });

  it('answers 503 DOWN naming the index check when the index is unusable', async () => {
    const registry = await createTestApp();
    await (registry.registry as unknown as { db: { close(): Promise<void> } }).db.close();
    const response = await registry.get('/health').expect(503);
    expect(response.body.checks.index).toMatch(/^DOWN/);
    expect(response.body.checks.storage).toBe('UP');
  });
});

describe('unknown endpoints', () => {
  it('answers 404 in the contract error shape', async () => {
    const registry = await createTestApp();
    const response = await admin(registry, '/v1/nothing/here/at/all/really').expect(404);
    expect(response.body.errors[0].code).toBe('NOT_FOUND');
  });
});
