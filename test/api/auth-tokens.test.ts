import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { TokenStore } from '../../src/auth/tokens.js';
import { gcCommand, reindexCommand, type Output } from '../../src/cli/admin.js';
import { packFixture } from '../helpers/archives.js';
import { ADMIN, READER, createTestApp, makeTempDir, pushArchive, type TestApp } from '../helpers/app.js';

const quiet: Output = { out: () => {}, err: () => {} };

async function createToken(registry: TestApp, name: string, scope: string, expires?: string): Promise<string> {
  const response = await registry
    .post('/v1/tokens')
    .auth(ADMIN.user, ADMIN.password)
    .send({ name, scope, ...(expires ? { expires } : {}) })
    .expect(201);
  expect(response.body).toMatchObject({ name, scope, revoked: null, lastUsed: null });
  expect(response.body.token).toMatch(/^prt_[A-Za-z0-9_-]{43}$/);
  return response.body.token as string;
}

function codeOf(response: { body: { errors?: { code: string }[] } }): string | undefined {
  return response.body.errors?.[0]?.code;
}

describe('anonymous reads (auth.anonymous.read)', () => {
  let open: TestApp;
  let archive: Buffer;

  beforeAll(async () => {
    open = await createTestApp({ env: { REGISTRY_AUTH_ANONYMOUS_READ: 'true' } });
    archive = await packFixture('hello-universe-pack');
    await pushArchive(open, archive).expect(201);
  });

  it('answers GET and HEAD under /v1 without credentials, /v1/ included', async () => {
    await open.get('/v1/').expect(200, {});
    const list = await open.get('/v1/packs').expect(200);
    expect(list.body.packs.map((pack: { name: string }) => pack.name)).toEqual(['hellouniverse']);
    await open.get('/v1/packs/hellouniverse/1.0.0/archive').expect(200);
    await open.head('/v1/packs/hellouniverse/1.0.0/archive').expect(200);
  });

  it('still refuses wrong credentials with 401, so a client validating them learns they are wrong', async () => {
    const response = await open.get('/v1/').auth(ADMIN.user, 'wrong').expect(401);
    expect(codeOf(response)).toBe('UNAUTHORIZED');
    await open.get('/v1/').set('Authorization', 'Bearer prt_not-a-real-token').expect(401);
  });

  it('refuses anonymous writes with 401 and a reader\'s with 403 DENIED', async () => {
    const anonymous = await open.post('/v1/packs').attach('pack', archive, 'pack.tar.gz').expect(401);
    expect(codeOf(anonymous)).toBe('UNAUTHORIZED');
    expect(anonymous.headers['www-authenticate']).toBe('Basic realm="Test Realm"');
    await open.del('/v1/packs/hellouniverse/1.0.0').expect(401);
    await open.put('/v1/packs/hellouniverse/tags/stable').send({ reference: '1.0.0' }).expect(401);
    await open.get('/v1/tokens').expect(403);
    const reader = await pushArchive(open, archive, { force: 'true', message: 'again' }, READER).expect(403);
    expect(codeOf(reader)).toBe('DENIED');
  });

  it('is off by default: no credentials, 401', async () => {
    const closed = await createTestApp();
    expect(codeOf(await closed.get('/v1/').expect(401))).toBe('UNAUTHORIZED');
    await closed.get('/v1/packs').expect(401);
  });
});

describe('access tokens over HTTP', () => {
  let registry: TestApp;
  let archive: Buffer;
  const logged: string[] = [];

  beforeAll(async () => {
    registry = await createTestApp({
      logger: pino({ level: 'info' }, { write: (line: string) => void logged.push(line) }),
      env: { REGISTRY_LIMITS_AUTHFAILURESPERADDRESS: '1000' },
    });
    archive = await packFixture('hello-universe-pack');
  });

  it('creates a token once, lists it without its secret, and accepts it as Bearer and as any user\'s password', async () => {
    const token = await createToken(registry, 'ci-read', 'read');
    await registry.get('/v1/').set('Authorization', `Bearer ${token}`).expect(200);
    await registry.get('/v1/packs').set('Authorization', `bearer ${token}`).expect(200);
    await registry.get('/v1/').auth('anything', token).expect(200);
    await registry.get('/v1/').auth('ci', token).expect(200);

    const list = await registry.get('/v1/tokens').auth(ADMIN.user, ADMIN.password).expect(200);
    const entry = list.body.tokens.find((listed: { name: string }) => listed.name === 'ci-read');
    expect(entry).toMatchObject({ name: 'ci-read', scope: 'read', expires: null, revoked: null });
    expect(entry.lastUsed).toEqual(expect.any(String));
    expect(JSON.stringify(list.body)).not.toContain(token);
    expect(JSON.stringify(list.body)).not.toContain(token.slice(4));
  });

  it('enforces scopes: read reads, push pushes and tags but does not delete or manage tokens, admin does all', async () => {
    const read = await createToken(registry, 'scope-read', 'read');
    const push = await createToken(registry, 'scope-push', 'push');
    const admin = await createToken(registry, 'scope-admin', 'admin');
    const bearer = (token: string) => `Bearer ${token}`;

    expect(codeOf(await registry.post('/v1/packs').set('Authorization', bearer(read)).attach('pack', archive, 'pack.tar.gz').expect(403))).toBe('DENIED');
    const pushed = await registry.post('/v1/packs').set('Authorization', bearer(push)).attach('pack', archive, 'pack.tar.gz').expect(201);
    expect(pushed.body.pushedBy).toBe('token:scope-push');
    await registry.put('/v1/packs/hellouniverse/tags/stable').set('Authorization', bearer(push)).send({ reference: '1.0.0' }).expect(201);
    await registry.put('/v1/packs/hellouniverse/tags/beta').set('Authorization', bearer(read)).send({ reference: '1.0.0' }).expect(403);
    await registry.del('/v1/packs/hellouniverse/tags/stable').set('Authorization', bearer(push)).expect(204);
    expect(codeOf(await registry.del('/v1/packs/hellouniverse/1.0.0').set('Authorization', bearer(push)).expect(403))).toBe('DENIED');
    await registry.get('/v1/tokens').set('Authorization', bearer(push)).expect(403);
    await registry.post('/v1/tokens').set('Authorization', bearer(push)).send({ name: 'sneaky', scope: 'admin' }).expect(403);

    await registry.get('/v1/tokens').set('Authorization', bearer(admin)).expect(200);
    await registry.post('/v1/tokens').set('Authorization', bearer(admin)).send({ name: 'made-by-token', scope: 'read' }).expect(201);
    await registry.del('/v1/packs/hellouniverse/1.0.0').set('Authorization', bearer(admin)).expect(204);
  });

  it('answers a revoked token 401 TOKEN_REVOKED and an expired one 401 TOKEN_EXPIRED', async () => {
    const revoked = await createToken(registry, 'to-revoke', 'read');
    await registry.del('/v1/tokens/to-revoke').auth(ADMIN.user, ADMIN.password).expect(204);
    const refused = await registry.get('/v1/').set('Authorization', `Bearer ${revoked}`).expect(401);
    expect(codeOf(refused)).toBe('TOKEN_REVOKED');
    expect(refused.headers['www-authenticate']).toBe('Basic realm="Test Realm"');
    expect(codeOf(await registry.get('/v1/').auth('x', revoked).expect(401))).toBe('TOKEN_REVOKED');
    expect(codeOf(await registry.del('/v1/tokens/to-revoke').auth(ADMIN.user, ADMIN.password).expect(404))).toBe('TOKEN_NOT_FOUND');
    // The name is free again once revoked; the old secret stays revoked.
    const renewed = await createToken(registry, 'to-revoke', 'read');
    await registry.get('/v1/').set('Authorization', `Bearer ${renewed}`).expect(200);
    expect(codeOf(await registry.get('/v1/').set('Authorization', `Bearer ${revoked}`).expect(401))).toBe('TOKEN_REVOKED');

    const expiring = await createToken(registry, 'short-lived', 'read', '1s');
    await registry.get('/v1/').set('Authorization', `Bearer ${expiring}`).expect(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(codeOf(await registry.get('/v1/').set('Authorization', `Bearer ${expiring}`).expect(401))).toBe('TOKEN_EXPIRED');
  });

  it('refuses malformed token requests and taken names', async () => {
    const admin = (path: string) => registry.post(path).auth(ADMIN.user, ADMIN.password);
    expect(codeOf(await admin('/v1/tokens').send({ name: 'x', scope: 'root' }).expect(400))).toBe('TOKEN_INVALID');
    expect(codeOf(await admin('/v1/tokens').send({ name: '../x', scope: 'read' }).expect(400))).toBe('TOKEN_INVALID');
    expect(codeOf(await admin('/v1/tokens').send({ name: 'x', scope: 'read', expires: 'soon' }).expect(400))).toBe('TOKEN_INVALID');
    expect(codeOf(await admin('/v1/tokens').send({ scope: 'read' }).expect(400))).toBe('TOKEN_INVALID');
    await createToken(registry, 'taken', 'read');
    expect(codeOf(await admin('/v1/tokens').send({ name: 'taken', scope: 'read' }).expect(409))).toBe('TOKEN_EXISTS');
    await registry.get('/v1/tokens').auth(READER.user, READER.password).expect(403);
  });

  it('checks no token for basic credentials with an ordinary password, nor for anonymous requests', async () => {
    await createToken(registry, 'hot-path', 'read');
    const check = vi.spyOn(TokenStore.prototype, 'check');
    try {
      for (let request = 0; request < 3; request += 1) await registry.get('/v1/packs').auth(READER.user, READER.password).expect(200);
      await registry.get('/v1/').expect(401);
      expect(check).not.toHaveBeenCalled();
    } finally {
      check.mockRestore();
    }
  });

  it('answers an unknown token 401 UNAUTHORIZED', async () => {
    const unknown = `prt_${'A'.repeat(43)}`;
    expect(codeOf(await registry.get('/v1/').set('Authorization', `Bearer ${unknown}`).expect(401))).toBe('UNAUTHORIZED');
    expect(codeOf(await registry.get('/v1/').auth('admin', unknown).expect(401))).toBe('UNAUTHORIZED');
  });

  it('logs the token\'s name as the user, never its secret', async () => {
    const token = await createToken(registry, 'logged', 'read');
    logged.length = 0;
    await registry.get('/v1/packs').set('Authorization', `Bearer ${token}`).expect(200);
    await registry.get('/v1/packs').auth('someone', token).expect(200);
    const created = await registry.post('/v1/tokens').auth(ADMIN.user, ADMIN.password).send({ name: 'logged-2', scope: 'read' }).expect(201);
    const secrets = [token, created.body.token as string];
    const lines = logged.join('');
    expect(lines).toContain('"user":"token:logged"');
    for (const secret of secrets) {
      expect(lines).not.toContain(secret);
      expect(lines).not.toContain(secret.slice(4));
      expect(lines).not.toContain(Buffer.from(`someone:${secret}`).toString('base64'));
    }
    expect(lines.toLowerCase()).not.toContain('authorization');
  });
});

describe('access tokens: failure limits', () => {
  it('counts unknown tokens against the address, and lets a known token through until the address is locked', async () => {
    const registry = await createTestApp({ env: { REGISTRY_LIMITS_AUTHFAILURESPERADDRESS: '3' } });
    const good = await createToken(registry, 'good', 'read');
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await registry.get('/v1/').set('Authorization', `Bearer prt_${String(attempt).repeat(43)}`).expect(401);
    }
    const throttled = await registry.get('/v1/').set('Authorization', `Bearer prt_${'z'.repeat(43)}`).expect(429);
    expect(codeOf(throttled)).toBe('TOO_MANY_REQUESTS');
    expect(throttled.headers['retry-after']).toMatch(/^\d+$/);
    // Guessing passwords from the same address is throttled by the same count.
    await registry.get('/v1/').auth('nobody', 'guess').expect(429);
    await registry.get('/v1/').set('Authorization', `Bearer ${good}`).expect(200);
  });
});

describe('access tokens: storage', () => {
  it('keeps tokens in their own 0600 files, across a restart, a reindex and a gc', async () => {
    const dir = await makeTempDir();
    const first = await createTestApp({ dir });
    const archive = await packFixture('hello-universe-pack');
    await pushArchive(first, archive).expect(201);
    const token = await createToken(first, 'durable', 'push');
    await first.get('/v1/').set('Authorization', `Bearer ${token}`).expect(200);
    const revoked = await createToken(first, 'gone', 'read');
    await first.del('/v1/tokens/gone').auth(ADMIN.user, ADMIN.password).expect(204);
    await first.stop();

    const root = join(dir, 'storage');
    for (const file of ['tokens.json', 'tokens.key']) expect((await stat(join(root, file))).mode & 0o777).toBe(0o600);
    expect(await reindexCommand(first.config, quiet)).toBe(0);
    expect(await gcCommand(first.config, {}, quiet)).toBe(0);
    expect(await readdir(root)).toEqual(expect.arrayContaining(['tokens.json', 'tokens.key', 'index.db']));

    const second = await createTestApp({ dir, writeUsers: false });
    await second.get('/v1/packs/hellouniverse').set('Authorization', `Bearer ${token}`).expect(200);
    expect(codeOf(await second.get('/v1/').set('Authorization', `Bearer ${revoked}`).expect(401))).toBe('TOKEN_REVOKED');
    const list = await second.get('/v1/tokens').auth(ADMIN.user, ADMIN.password).expect(200);
    const durable = list.body.tokens.find((listed: { name: string }) => listed.name === 'durable');
    // "Last used" is written when the server stops, so it survived too.
    expect(durable.lastUsed).toEqual(expect.any(String));
  });

  it('keeps tokens in memory with storage: inmemory', async () => {
    const registry = await createTestApp({ env: { REGISTRY_STORAGE: 'inmemory' } });
    const token = await createToken(registry, 'memory', 'read');
    await registry.get('/v1/').set('Authorization', `Bearer ${token}`).expect(200);
    expect(await readdir(registry.dir)).not.toContain('tokens.json');
  });
});
