import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildRawTarGz, fixtureNames, gzipBomb, packFixture } from '../helpers/archives.js';
import { ADMIN, READER, pushArchive, createTestApp, type TestApp } from '../helpers/app.js';
import { blobFiles, snapshotStorage } from '../helpers/storage.js';

let registry: TestApp;
let storageRoot: string;

beforeAll(async () => {
  registry = await createTestApp({
    // Small limits so the limit refusals are cheap to provoke.
    env: { REGISTRY_LIMITS_MAXUPLOADSIZE: String(4 * 1024 * 1024), REGISTRY_LIMITS_MAXENTRIES: '500' },
  });
  storageRoot = join(registry.dir, 'storage');
});

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

describe('pushing real packs', () => {
  it.each(fixtureNames())('stores %s and answers 201 with the version document', async (folder) => {
    const archive = await packFixture(folder);
    const response = await pushArchive(registry, archive).expect(201);
    const version = response.body;
    expect(version.archiveDigest).toBe(sha256(archive));
    expect(version.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(version.size).toBe(archive.length);
    expect(version.pushedBy).toBe(ADMIN.user);
    expect(version.files.map((file: { path: string }) => file.path)).toContain('pack.json');
    expect(version.tags).toContain(version.version);
    expect(response.headers.location).toBe(`/v1/packs/${version.name}/${encodeURIComponent(version.version)}`);
    const stored = await registry.get(response.headers.location!).auth(READER.user, READER.password).expect(200);
    expect(stored.body.digest).toBe(version.digest);
  });

  it('accepts files at the archive root as well as under one top-level folder, with the same content digest', async () => {
    const edit = (pj: Record<string, unknown>) => {
      pj.name = 'layout-check';
    };
    const nested = await packFixture('hello-universe-pack', { editPackJson: edit });
    const flat = await packFixture('hello-universe-pack', { editPackJson: edit, topDir: null });
    const first = await pushArchive(registry, nested).expect(201);
    const second = await pushArchive(registry, flat, { force: 'true', message: 're-tarred', skipDigestCheck: 'true' }).expect(201);
    expect(second.body.digest).toBe(first.body.digest);
    expect(second.body.archiveDigest).not.toBe(first.body.archiveDigest);
  });
});

describe('overwrite rules', () => {
  const name = 'overwrite-demo';
  const withValues = (values: string) =>
    packFixture('nfs-subdir-external-4.0.13', {
      editPackJson: (pj) => {
        pj.name = name;
      },
      extraFiles: { 'values.yaml': values },
    });

  it('refuses a second push of the same version with 409 PACK_EXISTS', async () => {
    await pushArchive(registry, await withValues('a: 1\n')).expect(201);
    const before = await snapshotStorage(storageRoot);
    const response = await pushArchive(registry, await withValues('a: 2\n')).expect(409);
    expect(response.body.errors[0].code).toBe('PACK_EXISTS');
    expect(response.body.errors[0].message).toContain(`${name}:4.0.13`);
    expect(await snapshotStorage(storageRoot)).toEqual(before);
  });

  it('refuses force without a message with 400 MESSAGE_REQUIRED', async () => {
    const before = await snapshotStorage(storageRoot);
    const response = await pushArchive(registry, await withValues('a: 2\n'), { force: 'true' }).expect(400);
    expect(response.body.errors[0].code).toBe('MESSAGE_REQUIRED');
    expect(await snapshotStorage(storageRoot)).toEqual(before);
  });

  it('refuses a forced push of identical content with 409 PACK_UNCHANGED, even re-tarred', async () => {
    const before = await snapshotStorage(storageRoot);
    const sameFilesNewTar = await packFixture('nfs-subdir-external-4.0.13', {
      topDir: null,
      editPackJson: (pj) => {
        pj.name = name;
      },
      extraFiles: { 'values.yaml': 'a: 1\n' },
    });
    const response = await pushArchive(registry, sameFilesNewTar, { force: 'true', message: 'again' }).expect(409);
    expect(response.body.errors[0].code).toBe('PACK_UNCHANGED');
    expect(await snapshotStorage(storageRoot)).toEqual(before);
  });

  it('overwrites with force and a message, keeps the message, and removes the replaced blob', async () => {
    const old = await registry.get(`/v1/packs/${name}/4.0.13`).auth(ADMIN.user, ADMIN.password).expect(200);
    const response = await pushArchive(registry, await withValues('a: 3\n'), { force: 'true', message: 'fix values' }).expect(201);
    expect(response.body.message).toBe('fix values');
    expect(response.body.digest).not.toBe(old.body.digest);
    const oldBlob = `blobs/sha256/${old.body.archiveDigest.slice(7, 9)}/${old.body.archiveDigest.slice(7)}`;
    expect(await blobFiles(storageRoot)).not.toContain(oldBlob);
    const values = await registry.get(`/v1/packs/${name}/4.0.13/files/values.yaml`).auth(ADMIN.user, ADMIN.password).expect(200);
    expect(values.text).toBe('a: 3\n');
  });

  it('overwrites identical content when skipDigestCheck is set', async () => {
    const response = await pushArchive(registry, await withValues('a: 3\n'), {
      force: 'true',
      message: 'rebuild',
      skipDigestCheck: 'true',
    }).expect(201);
    expect(response.body.message).toBe('rebuild');
  });

  it('treats 1.5 and 1.5.0 as the same version', async () => {
    const spelled = (version: string) =>
      packFixture('kubeflow-pipelines-1.5.0', {
        editPackJson: (pj) => {
          pj.name = 'spelling-demo';
          pj.version = version;
        },
      });
    await pushArchive(registry, await spelled('1.5')).expect(201);
    const response = await pushArchive(registry, await spelled('1.5.0')).expect(409);
    expect(response.body.errors[0].code).toBe('PACK_EXISTS');
    expect(response.body.errors[0].message).toContain('stored as 1.5');
  });
});

describe('refusals leave storage exactly as it was', () => {
  const validPackJson = JSON.stringify({ name: 'hostile', displayName: 'Hostile', version: '1.0.0', layer: 'addon' });
  const base = [
    { path: 'pack.json', body: validPackJson },
    { path: 'values.yaml', body: 'a: 1\n' },
  ];

  async function expectRefused(archive: Buffer, status: number, code: string): Promise<{ code: string; message: string }[]> {
    const before = await snapshotStorage(storageRoot);
    const response = await pushArchive(registry, archive).expect(status);
    expect(response.body.errors.length).toBeGreaterThan(0);
    for (const error of response.body.errors) expect(error.code).toBe(code);
    expect(await snapshotStorage(storageRoot)).toEqual(before);
    return response.body.errors;
  }

  it.each([
    ['a symlink', { path: 'link', type: 'symlink' as const, linkpath: '/etc/passwd' }, 'link'],
    ['a hard link', { path: 'hard', type: 'hardlink' as const, linkpath: 'pack.json' }, 'hard'],
    ['a device', { path: 'dev', type: 'chardev' as const }, 'dev'],
    ['a fifo', { path: 'pipe', type: 'fifo' as const }, 'pipe'],
    ['an absolute path', { path: '/etc/cron.d/evil', body: 'x' }, '/etc/cron.d/evil'],
    ['a .. segment', { path: 'charts/../../evil', body: 'x' }, '../'],
    ['a duplicate path', { path: 'values.yaml', body: 'b: 2\n' }, 'values.yaml'],
  ])('refuses %s with PACK_INVALID naming the entry', async (_label, entry, named) => {
    const errors = await expectRefused(await buildRawTarGz([...base, entry]), 400, 'PACK_INVALID');
    expect(errors.map((error) => error.message).join('\n')).toContain(named);
  });

  it('refuses more entries than limits.maxentries', async () => {
    const many = Array.from({ length: 501 }, (_, index) => ({ path: `manifests/m${index}.yaml`, body: 'a: 1\n' }));
    const errors = await expectRefused(await buildRawTarGz([...base, ...many]), 400, 'PACK_INVALID');
    expect(errors[0]?.message).toMatch(/500/);
  });

  it('refuses an archive that unpacks to more than limits.maxunpackedsize', async () => {
    const local = await createTestApp({ env: { REGISTRY_LIMITS_MAXUNPACKEDSIZE: String(1024 * 1024) } });
    const before = await snapshotStorage(join(local.dir, 'storage'));
    const response = await pushArchive(local, await gzipBomb(64 * 1024 * 1024)).expect(400);
    expect(response.body.errors[0].code).toBe('PACK_INVALID');
    expect(await snapshotStorage(join(local.dir, 'storage'))).toEqual(before);
  });

  it('refuses a corrupt gzip stream', async () => {
    const archive = await packFixture('hello-universe-pack');
    const corrupt = Buffer.from(archive);
    for (let index = 200; index < 260; index++) corrupt[index] = (corrupt[index] ?? 0) ^ 0xff;
    await expectRefused(corrupt, 400, 'PACK_INVALID');
  });

  it('refuses a truncated archive and something that is not gzip at all', async () => {
    const archive = await packFixture('hello-universe-pack');
    await expectRefused(archive.subarray(0, Math.floor(archive.length / 2)), 400, 'PACK_INVALID');
    await expectRefused(Buffer.from('definitely not a tarball'), 400, 'PACK_INVALID');
  });

  it('reports every problem at once', async () => {
    const archive = await buildRawTarGz([
      { path: 'pack.json', body: JSON.stringify({ name: 'x', displayName: 'X', version: 'latest', layer: 'gpu' }) },
      { path: 'link', type: 'symlink', linkpath: 'pack.json' },
    ]);
    const errors = await expectRefused(archive, 400, 'PACK_INVALID');
    const text = errors.map((error) => error.message).join('\n');
    expect(errors.length).toBeGreaterThanOrEqual(4);
    expect(text).toContain('values.yaml');
    expect(text).toContain('latest');
    expect(text).toContain('gpu');
    expect(text).toContain('link');
  });

  it('refuses a pack.json chart path that is not in the archive', async () => {
    const archive = await packFixture('antrea-1.9.0', { omit: ['charts/antrea-1.9.0.tgz'] });
    const errors = await expectRefused(archive, 400, 'PACK_INVALID');
    expect(errors.map((error) => error.message).join('\n')).toContain('charts/antrea-1.9.0.tgz');
  });

  it('refuses an upload over limits.maxuploadsize with 413 PACK_TOO_LARGE', async () => {
    const big = await packFixture('hello-universe-pack', { extraFiles: { 'blob.bin': randomBytes(5 * 1024 * 1024) } });
    await expectRefused(big, 413, 'PACK_TOO_LARGE');
  });

  it('refuses a push from a user who may only read with 403 DENIED', async () => {
    const before = await snapshotStorage(storageRoot);
    const response = await pushArchive(registry, await packFixture('hello-universe-pack'), {}, READER).expect(403);
    expect(response.body.errors[0].code).toBe('DENIED');
    expect(await snapshotStorage(storageRoot)).toEqual(before);
  });

  it('refuses a form without the pack field', async () => {
    const response = await registry
      .post('/v1/packs')
      .auth(ADMIN.user, ADMIN.password)
      .field('message', 'no file')
      .expect(400);
    expect(response.body.errors[0].code).toBe('PACK_INVALID');
    expect(response.body.errors[0].message).toContain('"pack"');
  });

  it('refuses an archive sent in another field', async () => {
    const response = await registry
      .post('/v1/packs')
      .auth(ADMIN.user, ADMIN.password)
      .attach('archive', await packFixture('hello-universe-pack'), 'x.tar.gz')
      .expect(400);
    expect(response.body.errors[0].code).toBe('PACK_INVALID');
    expect(response.body.errors[0].message).toContain('archive');
  });

  it('leaves no staged upload behind', async () => {
    expect(await walkUploads()).toEqual([]);
  });
});

async function walkUploads(): Promise<string[]> {
  return (await readdir(join(storageRoot, 'uploads'))).filter((name) => !name.startsWith('.'));
}
