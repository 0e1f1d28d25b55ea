import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packFixture } from '../helpers/archives.js';
import { ADMIN, READER, createTestApp, pushArchive, writeHtpasswd, type TestApp } from '../helpers/app.js';

let registry: TestApp;

beforeAll(async () => {
  // Polling for a reloaded user fails many times on purpose; the lockout has its own tests (limits.test.ts).
  registry = await createTestApp({ env: { REGISTRY_LIMITS_AUTHFAILURES: '100000', REGISTRY_LIMITS_AUTHFAILURESPERADDRESS: '100000' } });
});

describe('basic auth', () => {
  it('serves /health without credentials', async () => {
    const response = await registry.get('/health').expect(200);
    expect(response.body).toEqual({ status: 'UP' });
    await registry.head('/health').expect(200);
  });

  it('answers 401 with the configured realm when credentials are missing', async () => {
    const response = await registry.get('/v1/').expect(401);
    expect(response.headers['www-authenticate']).toBe('Basic realm="Test Realm"');
    expect(response.body.errors[0].code).toBe('UNAUTHORIZED');
  });

  it('answers 401 to a wrong password and to an unknown user', async () => {
    await registry.get('/v1/').auth(ADMIN.user, 'wrong').expect(401);
    await registry.get('/v1/').auth('nobody', ADMIN.password).expect(401);
  });

  it('answers 401, not 500, to malformed Authorization headers', async () => {
    for (const header of ['Basic', 'Basic !!!', 'Bearer abc', `Basic ${Buffer.from('no-colon').toString('base64')}`, 'Basic Og==']) {
      const response = await registry.get('/v1/').set('Authorization', header).expect(401);
      expect(response.body.errors[0].code).toBe('UNAUTHORIZED');
    }
  });

  it('accepts a password that contains colons', async () => {
    expect(READER.password).toContain(':');
    await registry.get('/v1/').auth(READER.user, READER.password).expect(200);
    await registry.get('/v1/').auth(READER.user, READER.password.split(':')[0]!).expect(401);
  });

  it('lets admins write and refuses writes from other users with 403 DENIED', async () => {
    const archive = await packFixture('hello-universe-pack');
    const denied = await pushArchive(registry, archive, {}, READER).expect(403);
    expect(denied.body.errors[0].code).toBe('DENIED');
    await pushArchive(registry, archive).expect(201);
    const deleteDenied = await registry.del('/v1/packs/hellouniverse/1.0.0').auth(READER.user, READER.password).expect(403);
    expect(deleteDenied.body.errors[0].code).toBe('DENIED');
  });

  it('picks up changes to the htpasswd file without a restart', async () => {
    const path = join(registry.dir, 'htpasswd');
    const newcomer = { user: 'newcomer', password: 'fresh-pass' };
    await registry.get('/v1/').auth(newcomer.user, newcomer.password).expect(401);
    await registry.get('/v1/').auth(READER.user, READER.password).expect(200);
    await writeHtpasswd(path, [ADMIN, newcomer]);
    // The file is checked at most once a second.
    await expect.poll(async () => (await registry.get('/v1/').auth(newcomer.user, newcomer.password)).status, { timeout: 5000 }).toBe(200);
    // The reader was removed: its cached verification must not outlive the file change.
    await registry.get('/v1/').auth(READER.user, READER.password).expect(401);
    await writeHtpasswd(path, [ADMIN, READER]);
    await expect.poll(async () => (await registry.get('/v1/').auth(READER.user, READER.password)).status, { timeout: 5000 }).toBe(200);
  });

  it('sets the configured security headers on every answer', async () => {
    for (const response of [await registry.get('/health'), await registry.get('/v1/'), await registry.get('/nowhere')]) {
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['strict-transport-security']).toBe('max-age=63072000; includeSubdomains; preload');
      expect(response.headers['x-frame-options']).toBe('DENY');
    }
  });
});
