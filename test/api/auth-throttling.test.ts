// Login limits per client address, the verification queue, remembered credentials while throttled, and the
// client address behind trusted proxies (docs/API.md, "Login limits"). Every client is on loopback: 127.0.0.x
// source addresses stand for different clients.
import bcrypt from 'bcrypt';
import { randomBytes } from 'node:crypto';
import { get, type IncomingHttpHeaders } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADMIN, READER, createTestApp, type TestApp } from '../helpers/app.js';

afterEach(() => {
  vi.restoreAllMocks();
});

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  code: string | undefined;
}

interface LoginRequest {
  from?: string;
  as?: { user: string; password: string };
  forwardedFor?: string;
}

/** GET /v1/ from a chosen loopback source address, with chosen credentials and X-Forwarded-For. */
function login(registry: TestApp, { from = '127.0.0.1', as = randomUser(), forwardedFor }: LoginRequest = {}): Promise<Answer> {
  const headers = forwardedFor === undefined ? {} : { 'X-Forwarded-For': forwardedFor };
  return new Promise((resolve, reject) => {
    const req = get(`${registry.url}/v1/`, { localAddress: from, auth: `${as.user}:${as.password}`, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const code = body.startsWith('{') ? (JSON.parse(body) as { errors?: { code: string }[] }).errors?.[0]?.code : undefined;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, code });
      });
    });
    req.on('error', reject);
  });
}

function randomUser() {
  return { user: `user-${randomBytes(6).toString('hex')}`, password: 'whatever' };
}

async function failTimes(registry: TestApp, times: number, request: LoginRequest = {}): Promise<void> {
  for (let attempt = 0; attempt < times; attempt++) {
    expect((await login(registry, { as: randomUser(), ...request })).status).toBe(401);
  }
}

describe('failed logins per client address', () => {
  it('answers 429 TOO_MANY_REQUESTS with Retry-After to an address that failed with many user names, before bcrypt runs', async () => {
    const registry = await createTestApp({ env: { REGISTRY_LIMITS_AUTHFAILURESPERADDRESS: '3', REGISTRY_LIMITS_AUTHWINDOW: '1m' } });
    const compare = vi.spyOn(bcrypt, 'compare');
    await failTimes(registry, 3);
    const refused = await login(registry);
    expect(refused.status).toBe(429);
    expect(refused.code).toBe('TOO_MANY_REQUESTS');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    // A valid user who never logged in from there waits too; the limit is the address's.
    expect((await login(registry, { as: READER })).status).toBe(429);
    expect(compare).toHaveBeenCalledTimes(3);
    // Another address is another client.
    expect((await login(registry, { from: '127.0.0.2', as: READER })).status).toBe(200);
  });
});

describe('remembered credentials while throttled', () => {
  it('lets the admin in with its remembered credentials after ten wrong passwords, and while its address is throttled, without bcrypt', async () => {
    const registry = await createTestApp({ env: { REGISTRY_LIMITS_AUTHFAILURES: '10', REGISTRY_LIMITS_AUTHFAILURESPERADDRESS: '30' } });
    expect((await login(registry, { as: ADMIN })).status).toBe(200);
    for (let attempt = 0; attempt < 10; attempt++) {
      expect((await login(registry, { as: { user: ADMIN.user, password: `guess-${attempt}` } })).status).toBe(401);
    }
    expect((await login(registry, { as: { user: ADMIN.user, password: 'guess-10' } })).status).toBe(429);
    const compare = vi.spyOn(bcrypt, 'compare');
    expect((await login(registry, { as: ADMIN })).status).toBe(200);
    expect(compare).not.toHaveBeenCalled();

    // Now the address as a whole: 30 failures in all (10 of them above).
    await failTimes(registry, 20);
    expect((await login(registry)).status).toBe(429);
    compare.mockClear();
    expect((await login(registry, { as: ADMIN })).status).toBe(200);
    expect((await login(registry, { as: READER })).status).toBe(429);
    expect(compare).not.toHaveBeenCalled();
  });
});

describe('the verification queue', () => {
  it('refuses logins beyond limits.maxqueuedlogins with 503 TOO_MANY_LOGINS and Retry-After, before bcrypt runs', async () => {
    const registry = await createTestApp({
      env: {
        REGISTRY_LIMITS_MAXCONCURRENTLOGINS: '1',
        REGISTRY_LIMITS_MAXQUEUEDLOGINS: '2',
        REGISTRY_LIMITS_AUTHFAILURESPERADDRESS: '1000',
      },
    });
    // bcrypt held until the test lets it go, so "running" and "waiting" do not depend on the machine's speed.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const compare = vi.spyOn(bcrypt, 'compare').mockImplementation((async () => {
      await held;
      return false;
    }) as unknown as typeof bcrypt.compare);
    const answers: Answer[] = [];
    const flood = Array.from({ length: 20 }, () => login(registry).then((answer) => answers.push(answer)));
    await expect.poll(() => answers.length, { timeout: 20_000 }).toBe(17);
    expect(answers.every((answer) => answer.status === 503 && answer.code === 'TOO_MANY_LOGINS')).toBe(true);
    expect(answers[0]?.headers['retry-after']).toBe('2');
    release();
    await Promise.all(flood);
    expect(answers.filter((answer) => answer.status === 401)).toHaveLength(3);
    expect(compare).toHaveBeenCalledTimes(3);
    // Cached credentials never wait in the queue.
    compare.mockRestore();
    expect((await login(registry, { as: READER })).status).toBe(200);
  });
});

describe('trusted proxies (http.trustedproxies)', () => {
  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const registry = await createTestApp({ env: { REGISTRY_LIMITS_AUTHFAILURESPERADDRESS: '3' } });
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await login(registry, { from: '127.0.0.3', forwardedFor: `203.0.113.${attempt}` })).status).toBe(401);
    }
    // A new forwarded address every time does not make a new client.
    expect((await login(registry, { from: '127.0.0.3', forwardedFor: '203.0.113.99' })).status).toBe(429);
  });

  it('counts the clients of a trusted proxy by their forwarded address, never by addresses they prepend', async () => {
    const registry = await createTestApp({
      env: { REGISTRY_HTTP_TRUSTEDPROXIES: '[127.0.0.2]', REGISTRY_LIMITS_AUTHFAILURESPERADDRESS: '3' },
    });
    const proxy = '127.0.0.2';
    await failTimes(registry, 3, { from: proxy, forwardedFor: '203.0.113.1' });
    expect((await login(registry, { from: proxy, forwardedFor: '203.0.113.1' })).status).toBe(429);
    // The proxy's other clients, and the proxy itself, are not affected.
    expect((await login(registry, { from: proxy, forwardedFor: '203.0.113.2' })).status).toBe(401);
    expect((await login(registry, { from: proxy })).status).toBe(401);
    // The client's own spoofed entry is left of the address the proxy appended: the proxy's word counts.
    expect((await login(registry, { from: proxy, forwardedFor: '198.51.100.7, 203.0.113.1' })).status).toBe(429);
    // Not trusted: the same header from another peer is ignored, and that peer is counted by its own address.
    expect((await login(registry, { from: '127.0.0.3', forwardedFor: '203.0.113.1' })).status).toBe(401);
  });
});
