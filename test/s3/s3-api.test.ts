// The registry's API with `storage: s3` on a real S3-protocol server (moto on loopback), composed in process
// exactly as the server composes it (createTestApp → composeRegistry): the whole lifecycle, reindex and gc
// on the bucket, and the faults of a network store — S3 cut mid-push, S3 gone, a slow S3.
import { HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { gcCommand, reindexCommand, type Output } from '../../src/cli/admin.js';
import { S3BlobStore } from '../../src/storage/blobs/s3.js';
import { openBucket, type S3Bucket } from '../../src/storage/s3/client.js';
import { buildRawTarGz, minimalPackEntries, packFixture } from '../helpers/archives.js';
import { ADMIN, createTestApp, makeTempDir, pushArchive, type TestApp } from '../helpers/app.js';
import { whenDone } from '../helpers/cleanup.js';
import { createBucket, MOTO_CREDENTIALS, s3SettingsFor, startMoto, type MotoServer } from '../helpers/moto.js';
import { putBytes } from '../storage/blob-store-suite.js';
import { available, motoServer } from '../helpers/real-components.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

const moto = motoServer();

/** REGISTRY_* variables for the s3 driver on `endpoint`, the index and tokens in `<dir>/local`. */
function s3Env(endpoint: string, bucket: string, dir: string): Record<string, string> {
  return {
    REGISTRY_STORAGE_S3_REGION: 'us-east-1',
    REGISTRY_STORAGE_S3_BUCKET: bucket,
    REGISTRY_STORAGE_S3_ROOTDIRECTORY: '/registry/',
    REGISTRY_STORAGE_S3_REGIONENDPOINT: endpoint,
    REGISTRY_STORAGE_S3_ACCESSKEY: MOTO_CREDENTIALS.accessKeyId,
    REGISTRY_STORAGE_S3_SECRETKEY: MOTO_CREDENTIALS.secretAccessKey,
    REGISTRY_STORAGE_S3_ENCRYPT: 'true',
    REGISTRY_STORAGE_S3_CHUNKSIZE: String(5 * 1024 * 1024),
    REGISTRY_STORAGE_S3_LOCALDIRECTORY: join(dir, 'local'),
  };
}

async function s3App(endpoint: string, bucket: string, dir?: string): Promise<TestApp> {
  const folder = dir ?? (await makeTempDir());
  return createTestApp({ dir: folder, env: s3Env(endpoint, bucket, folder) });
}

function bucketOf(endpoint: string, bucket: string): S3Bucket {
  const opened = openBucket(s3SettingsFor(endpoint, bucket));
  whenDone(() => opened.close());
  return opened;
}

async function keysIn(bucket: S3Bucket, prefix = ''): Promise<string[]> {
  const page = await bucket.client.send(new ListObjectsV2Command({ Bucket: bucket.bucket, Prefix: `registry/${prefix}` }));
  return (page.Contents ?? []).map((object) => (object.Key ?? '').slice('registry/'.length)).sort();
}

async function incompleteUploads(bucket: S3Bucket): Promise<number> {
  const page = await bucket.client.send(new ListMultipartUploadsCommand({ Bucket: bucket.bucket }));
  return (page.Uploads ?? []).length;
}

function captured(): Output & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (line) => lines.push(line), err: (line) => errors.push(line) };
}

/** A valid pack whose archive is about `bytes` long: random bytes do not compress. */
async function largePack(version: string, bytes: number): Promise<Buffer> {
  return buildRawTarGz([...minimalPackEntries({ name: 'large', version }), { path: 'payload.bin', body: randomBytes(bytes) }]);
}

const admin = (app: TestApp, path: string) => app.get(path).auth(ADMIN.user, ADMIN.password);

describe.skipIf(!available(moto))(`the API on S3 storage ${moto.path ? '' : moto.skipReason}`, () => {
  let server: MotoServer;
  beforeAll(async () => {
    server = await startMoto();
  }, 60_000);

  it('pushes, lists, pulls (whole, by range, with ETag), tags and deletes, keeping the filesystem layout in the bucket', async () => {
    const name = await createBucket(server.endpoint);
    const bucket = bucketOf(server.endpoint, name);
    const app = await s3App(server.endpoint, name);
    const archive = await packFixture('hello-universe-1.3.1');
    const pushed = await pushArchive(app, archive).expect(201);
    const digest = pushed.body.archiveDigest as string;
    const hex = digest.slice('sha256:'.length);
    expect(await keysIn(bucket)).toEqual([`blobs/sha256/${hex.slice(0, 2)}/${hex}`, 'metadata/hello-universe/1.3.1.json']);
    // storage.s3.encrypt: every object written (the copied blob too) asks for SSE-S3.
    for (const key of await keysIn(bucket)) {
      const head = await bucket.client.send(new HeadObjectCommand({ Bucket: bucket.bucket, Key: `registry/${key}` }));
      expect(head.ServerSideEncryption, key).toBe('AES256');
    }

    expect((await admin(app, '/v1/_catalog').expect(200)).body.repositories).toEqual(['hello-universe']);
    const whole = await admin(app, '/v1/packs/hello-universe/1.3.1/archive').buffer(true).expect(200);
    expect(Buffer.compare(whole.body as Buffer, archive)).toBe(0);
    expect(whole.headers.etag).toBe(`"${digest}"`);
    await admin(app, '/v1/packs/hello-universe/1.3.1/archive').set('If-None-Match', `"${digest}"`).expect(304);
    const ranged = await admin(app, '/v1/packs/hello-universe/1.3.1/archive').set('Range', 'bytes=100-199').buffer(true).expect(206);
    expect(Buffer.compare(ranged.body as Buffer, archive.subarray(100, 200))).toBe(0);

    await app.put('/v1/packs/hello-universe/tags/stable').auth(ADMIN.user, ADMIN.password).send({ reference: '1.3.1' }).expect(201);
    expect((await admin(app, '/v1/packs/hello-universe/stable').expect(200)).body.version).toBe('1.3.1');
    await app.del('/v1/packs/hello-universe/1.3.1').auth(ADMIN.user, ADMIN.password).expect(204);
    expect(await keysIn(bucket)).toEqual([]);
    expect((await app.get('/health').expect(200)).body).toEqual({ status: 'UP' });
  });

  it('streams an archive larger than a part as a multipart upload, and serves it back whole', async () => {
    const name = await createBucket(server.endpoint);
    const app = await s3App(server.endpoint, name);
    const archive = await largePack('1.0.0', 12 * 1024 * 1024);
    const pushed = await pushArchive(app, archive).expect(201);
    expect(pushed.body.size).toBe(archive.length);
    const pulled = await admin(app, '/v1/packs/large/1.0.0/archive').buffer(true).expect(200);
    expect(Buffer.compare(pulled.body as Buffer, archive)).toBe(0);
    // Nothing staged is left: the staging object was copied to its digest's key and removed.
    expect(await keysIn(bucketOf(server.endpoint, name), 'uploads/')).toEqual([]);
  });

  it('rebuilds the index from the bucket on another machine (a new local folder), and with reindex', async () => {
    const name = await createBucket(server.endpoint);
    const first = await s3App(server.endpoint, name);
    await pushArchive(first, await packFixture('hello-universe-1.3.1')).expect(201);
    await first.put('/v1/packs/hello-universe/tags/stable').auth(ADMIN.user, ADMIN.password).send({ reference: '1.3.1' }).expect(201);
    await first.stop();

    // Another machine: only the bucket is shared. A start finds the index empty and rebuilds it from the bucket.
    const elsewhere = await s3App(server.endpoint, name);
    expect((await admin(elsewhere, '/v1/packs/hello-universe/stable').expect(200)).body.version).toBe('1.3.1');
    await elsewhere.stop();

    // `pack-registry reindex` with the index removed, from the bucket alone.
    await rm(join(elsewhere.dir, 'local', 'index.db'));
    const output = captured();
    expect(await reindexCommand(elsewhere.config, output)).toBe(0);
    expect(output.lines.join('\n')).toMatch(/1 pack, 1 version, 1 user tag/);
    const third = await s3App(server.endpoint, name, elsewhere.dir);
    expect((await admin(third, '/v1/packs/hello-universe/1.3.1').expect(200)).body.version).toBe('1.3.1');
  });

  it('collects garbage in the bucket: an unreferenced blob and a stale staging object go, the versions stay', async () => {
    const name = await createBucket(server.endpoint);
    const bucket = bucketOf(server.endpoint, name);
    const app = await s3App(server.endpoint, name);
    const pushed = await pushArchive(app, await packFixture('hello-universe-1.3.1')).expect(201);
    await app.stop();
    const store = new S3BlobStore(bucket);
    const orphan = await putBytes(store, randomBytes(1000));
    const staging = store.stage();
    staging.writable.end(randomBytes(10));
    await new Promise((resolve) => staging.writable.once('finish', resolve));

    const dry = captured();
    expect(await gcCommand(app.config, { dryRun: true }, dry)).toBe(0);
    expect(dry.lines[0]).toContain(`gc of s3://${name}/registry (dry run`);
    expect(await keysIn(bucket)).toHaveLength(4);
    const output = captured();
    expect(await gcCommand(app.config, { json: true }, output)).toBe(0);
    const report = JSON.parse(output.lines.join('\n')) as { blobs: { count: number }; uploads: { count: number } };
    expect(report.blobs.count).toBe(1);
    expect(report.uploads.count).toBe(1);
    const hex = (pushed.body.archiveDigest as string).slice('sha256:'.length);
    expect(await keysIn(bucket)).toEqual([`blobs/sha256/${hex.slice(0, 2)}/${hex}`, 'metadata/hello-universe/1.3.1.json']);
    expect(await store.stat(orphan)).toBeNull();
  });

  it('answers 503 STORAGE_UNAVAILABLE with Retry-After when S3 is cut mid-push, keeps no index row, and gc removes what the push left', async () => {
    const name = await createBucket(server.endpoint);
    const bucket = bucketOf(server.endpoint, name);
    const proxy = await startTcpProxy(server.port);
    const app = await s3App(proxy.endpoint, name);
    const archive = await largePack('1.0.0', 16 * 1024 * 1024);
    // Slow enough that the push is still sending parts when the link is cut.
    proxy.delayMs = 2;
    const pushing = pushArchive(app, archive).then((response) => response);
    await expect.poll(() => proxy.bytesUp, { timeout: 30_000, interval: 20 }).toBeGreaterThan(6 * 1024 * 1024);
    proxy.cut();
    const refused = await pushing;
    expect(refused.status).toBe(503);
    expect(refused.body.errors[0].code).toBe('STORAGE_UNAVAILABLE');
    expect(refused.body.errors[0].message).not.toMatch(/\n\s+at /);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

    // While S3 is away: /health says so, and reads of the index still answer.
    const health = await app.get('/health').expect(503);
    expect(health.body.checks.storage).toMatch(/^DOWN: S3 did not answer/);
    expect((await admin(app, '/v1/_catalog').expect(200)).body.repositories).toEqual([]);
    const again = await pushArchive(app, await packFixture('hello-universe-1.3.1')).expect(503);
    expect(again.body.errors[0].code).toBe('STORAGE_UNAVAILABLE');

    proxy.restore();
    await app.get('/health').expect(200);
    await admin(app, '/v1/packs/large/1.0.0').expect(404);
    // The cut upload could not be aborted while S3 was away: its parts wait in an incomplete upload.
    expect(await incompleteUploads(bucket)).toBeGreaterThan(0);
    await app.stop();
    const output = captured();
    expect(await gcCommand(app.config, {}, output)).toBe(0);
    expect(output.lines.join('\n')).toMatch(/stale uploads and temporary files: +[1-9]/);
    expect(await incompleteUploads(bucket)).toBe(0);
    expect(await keysIn(bucket)).toEqual([]);
  });

  it('serves a slow S3 correctly, only more slowly', async () => {
    const name = await createBucket(server.endpoint);
    const proxy = await startTcpProxy(server.port);
    proxy.delayMs = 20;
    const app = await s3App(proxy.endpoint, name);
    const archive = await packFixture('hello-universe-1.3.1');
    await pushArchive(app, archive).expect(201);
    const pulled = await admin(app, '/v1/packs/hello-universe/1.3.1/archive').buffer(true).expect(200);
    expect(Buffer.compare(pulled.body as Buffer, archive)).toBe(0);
    expect(proxy.bytesUp).toBeGreaterThan(archive.length);
  });
});

describe.skipIf(!available(moto))(`S3 gone mid-push ${moto.path ? '' : moto.skipReason}`, () => {
  it('answers 503 STORAGE_UNAVAILABLE when the S3 server is killed during a push, and keeps no index row', async () => {
    const own = await startMoto();
    const name = await createBucket(own.endpoint);
    const proxy = await startTcpProxy(own.port);
    const app = await s3App(proxy.endpoint, name);
    proxy.delayMs = 2;
    const pushing = pushArchive(app, await largePack('2.0.0', 16 * 1024 * 1024)).then((response) => response);
    await expect.poll(() => proxy.bytesUp, { timeout: 30_000, interval: 20 }).toBeGreaterThan(6 * 1024 * 1024);
    own.kill();
    const refused = await pushing;
    expect(refused.status).toBe(503);
    expect(refused.body.errors[0].code).toBe('STORAGE_UNAVAILABLE');
    await admin(app, '/v1/packs/large/2.0.0').expect(404);
    expect((await admin(app, '/v1/_catalog').expect(200)).body.repositories).toEqual([]);
  });
});
