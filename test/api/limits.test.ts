// Limits the registry enforces in its app: password guessing, concurrent uploads, response headers, a full
// disk. What the listener enforces (header timeout, lingering close) is tested on the real server
// (test/reliability/listener.test.ts).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { get } from 'node:http';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packFixture } from '../helpers/archives.js';
import { ADMIN, READER, createTestApp, makeTempDir, pushArchive, type TestApp } from '../helpers/app.js';
import { whenDone } from '../helpers/cleanup.js';
import { startRawUpload } from '../helpers/raw-upload.js';
import { snapshotStorage, walk } from '../helpers/storage.js';

describe('password guessing', () => {
  it('answers 429 with Retry-After after repeated failures for one user from one address, without slowing others', async () => {
    const registry = await createTestApp({ env: { REGISTRY_LIMITS_AUTHFAILURES: '3', REGISTRY_LIMITS_AUTHWINDOW: '1m' } });
    for (let attempt = 0; attempt < 3; attempt++) await registry.get('/v1/').auth(ADMIN.user, `guess-${attempt}`).expect(401);
    const locked = await registry.get('/v1/').auth(ADMIN.user, 'guess-4').expect(429);
    expect(locked.body.errors[0].code).toBe('TOO_MANY_REQUESTS');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(60);
    // Even the right password waits: the pair is locked until the window ends.
    await registry.get('/v1/').auth(ADMIN.user, ADMIN.password).expect(429);
    // Another user from the same address is not affected.
    await registry.get('/v1/').auth(READER.user, READER.password).expect(200);
    // The same user from another address is not affected either (127.0.0.2 is loopback too).
    expect(await statusFrom('127.0.0.2', registry, ADMIN)).toBe(200);
    expect(await statusFrom('127.0.0.1', registry, ADMIN)).toBe(429);
  });

  it('forgets failures after a successful login', async () => {
    const registry = await createTestApp({ env: { REGISTRY_LIMITS_AUTHFAILURES: '3' } });
    for (let round = 0; round < 3; round++) {
      await registry.get('/v1/').auth(READER.user, 'wrong').expect(401);
      await registry.get('/v1/').auth(READER.user, 'wrong').expect(401);
      await registry.get('/v1/').auth(READER.user, READER.password).expect(200);
    }
  });
});

describe('HTTP hygiene', () => {
  it('refuses uploads beyond limits.maxconcurrentuploads with 503 TOO_MANY_UPLOADS and Retry-After', async () => {
    const registry = await createTestApp({ env: { REGISTRY_LIMITS_MAXCONCURRENTUPLOADS: '1' } });
    const archive = await packFixture('hello-universe-pack');
    const slow = startRawUpload(registry.url, { user: ADMIN.user, password: ADMIN.password, archive });
    await slow.send(100);
    await expect.poll(async () => (await pushArchive(registry, archive)).status).toBe(503);
    const refused = await pushArchive(registry, archive).expect(503);
    expect(refused.body.errors[0].code).toBe('TOO_MANY_UPLOADS');
    expect(refused.headers['retry-after']).toBe('5');
    // Reads are not uploads: they keep working.
    await registry.get('/v1/_catalog').auth(READER.user, READER.password).expect(200);
    await slow.finish();
    expect((await slow.response).status).toBe(201);
    await pushArchive(registry, await packFixture('hello-universe-1.3.1')).expect(201);
  });

  it('sets the configured security headers on errors and downloads too', async () => {
    const registry = await createTestApp({ env: { REGISTRY_HTTP_HEADERS: '{X-Frame-Options: [SAMEORIGIN]}' } });
    for (const response of [await registry.get('/v1/'), await registry.get('/v1/_catalog').auth(READER.user, READER.password)]) {
      expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
    }
  });
});

describe('storage errors during a push', () => {
  it('answers 507 STORAGE_FULL when the disk fills up, removes the partial file, leaves the index untouched and stays healthy', async (context) => {
    const dir = await makeTempDir();
    const storage = join(dir, 'storage');
    await mkdir(storage);
    try {
      // A real full disk: a 3 MiB tmpfs. Needs the mount privilege (root in CI and here); skipped otherwise.
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', storage], { stdio: 'ignore' });
    } catch {
      context.skip();
      return;
    }
    // Registered before the app, so it runs after the app has closed its files (cleanups run newest first).
    whenDone(() => unmount(storage));
    const registry = await createTestApp({ dir, env: { REGISTRY_LIMITS_MAXUPLOADSIZE: String(16 * 1024 * 1024) } });
    await pushArchive(registry, await packFixture('hello-universe-pack')).expect(201);
    const before = await snapshotStorage(storage);
    const big = await packFixture('hello-universe-1.3.1', { extraFiles: { 'blob.bin': randomBytes(6 * 1024 * 1024) } });
    const response = await pushArchive(registry, big).expect(507);
    expect(response.body.errors[0].code).toBe('STORAGE_FULL');
    expect(await walk(join(storage, 'uploads'))).toEqual([]);
    expect(await snapshotStorage(storage)).toEqual(before);
    await registry.get('/health').expect(200);
    await registry.get('/v1/packs/hellouniverse/1.0.0/archive').auth(READER.user, READER.password).expect(200);
    await registry.stop();
  });
});

/** GET /v1/ from a chosen loopback source address. */
function statusFrom(localAddress: string, registry: TestApp, as: { user: string; password: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get(`${registry.url}/v1/`, { localAddress, auth: `${as.user}:${as.password}`, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
}

/**
 * File handles closed by streams are released asynchronously; on a loaded machine the kernel may still count
 * one for a moment after the app stopped. Retry, then detach lazily: cleanup must not fail the test.
 */
async function unmount(path: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      execFileSync('umount', [path], { stdio: 'ignore' });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  execFileSync('umount', ['-l', path], { stdio: 'ignore' });
}
