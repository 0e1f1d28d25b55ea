// `pack push` against a registry that is busy or whose connection drops: the built packctl retries an upload
// answered `503 TOO_MANY_UPLOADS` (waiting as Retry-After says) or cut by a reset before any answer, sending the
// whole archive again each time, and says each retry on stderr; it retries nothing else. The registry is the
// in-process app behind a proxy of this test (test/helpers/recording-proxy.ts) that plays the failures.
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureFiles } from '../helpers/archives.js';
import { ADMIN, createTestApp, type TestApp } from '../helpers/app.js';
import { loggedInUserAt, writePackFolder } from '../helpers/packctl.js';
import { afterBody, sendError, startRecordingProxy, type ProxyHandler, type RecordingProxy } from '../helpers/recording-proxy.js';

let registry: TestApp;

beforeAll(async () => {
  registry = await createTestApp();
});

async function packFolder(name: string): Promise<string> {
  const files = await fixtureFiles('hello-universe-pack', { editPackJson: (packJson) => (packJson.name = name) });
  return writePackFolder(files, name);
}

/** What the proxy does with the n-th upload (`POST /v1/packs`, from 1); everything else goes to the registry. */
type Play = 'busy' | 'busy-now' | 'reset' | 'forward' | { status: number; code: string; retryAfter?: string };

function playing(plays: Play[]): ProxyHandler {
  let uploads = 0;
  return (request, response, forward) => {
    if (request.method !== 'POST' || request.url !== '/v1/packs') return forward();
    uploads += 1;
    const play = plays[Math.min(uploads, plays.length) - 1] ?? 'forward';
    if (play === 'forward') return forward();
    if (play === 'reset') {
      // Before any byte of an answer: the client sees ECONNRESET.
      request.socket.resetAndDestroy();
      return;
    }
    if (play === 'busy' || play === 'busy-now') {
      const retryAfter = play === 'busy' ? '1' : '0';
      return afterBody(request, () => sendError(response, 503, 'TOO_MANY_UPLOADS', { 'Retry-After': retryAfter }));
    }
    afterBody(request, () => sendError(response, play.status, play.code, play.retryAfter === undefined ? {} : { 'Retry-After': play.retryAfter }));
  };
}

async function pushThrough(plays: Play[], name: string) {
  const proxy = await startRecordingProxy(registry.url, playing(plays));
  const user = await loggedInUserAt(proxy.server, ADMIN, { insecure: true });
  const started = Date.now();
  const result = await user.run(['pack', 'push', await packFolder(name)]);
  return { result, proxy, seconds: (Date.now() - started) / 1000 };
}

function uploads(proxy: RecordingProxy) {
  return proxy.seen.filter((seen) => seen.method === 'POST' && seen.url === '/v1/packs');
}

const retryLines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('retrying'));

describe('packctl pack push retries a busy or dropped upload', () => {
  it('waits out two 503 TOO_MANY_UPLOADS (Retry-After: 1) and pushes on the third attempt, the whole archive each time', async () => {
    const { result, proxy, seconds } = await pushThrough(['busy', 'busy', 'forward'], 'retry-busy');

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Pushed retry-busy:1\.0\.0 to 127\.0\.0\.1:\d+\n/);
    expect(retryLines(result.stderr)).toEqual([
      'retrying in 1 s (503 TOO_MANY_UPLOADS), attempt 2 of 6',
      'retrying in 1 s (503 TOO_MANY_UPLOADS), attempt 3 of 6',
    ]);
    const attempts = uploads(proxy);
    expect(attempts).toHaveLength(3);
    for (const attempt of attempts) expect(attempt.bytes).toBe(attempt.contentLength);
    expect(seconds).toBeGreaterThanOrEqual(2);
    expect((await registry.get('/v1/packs/retry-busy/1.0.0').auth(ADMIN.user, ADMIN.password)).status).toBe(200);
  });

  it('sends the upload again after a connection reset before any answer', async () => {
    const { result, proxy } = await pushThrough(['reset', 'forward'], 'retry-reset');

    expect(result.code, result.stderr).toBe(0);
    expect(retryLines(result.stderr)).toEqual(['retrying in 1 s (connection reset), attempt 2 of 6']);
    expect(uploads(proxy)).toHaveLength(2);
    expect((await registry.get('/v1/packs/retry-reset/1.0.0').auth(ADMIN.user, ADMIN.password)).status).toBe(200);
  });

  it('gives up after 5 retries with the registry’s error and its exit code', async () => {
    const { result, proxy } = await pushThrough(['busy-now'], 'retry-never');

    expect(result.code).toBe(1);
    expect(uploads(proxy)).toHaveLength(6);
    expect(retryLines(result.stderr)).toEqual([2, 3, 4, 5, 6].map((n) => `retrying in 0 s (503 TOO_MANY_UPLOADS), attempt ${n} of 6`));
    expect(result.stderr).toContain("error: TOO_MANY_UPLOADS: TOO_MANY_UPLOADS (said by the test's proxy)");
  });

  it.each([
    ['400 BODY_INVALID', { status: 400, code: 'BODY_INVALID' }, 1],
    ['409 PACK_EXISTS', { status: 409, code: 'PACK_EXISTS' }, 5],
    ['503 READ_ONLY', { status: 503, code: 'READ_ONLY', retryAfter: '1' }, 1],
    ['502 from a proxy', { status: 502, code: 'HTTP_502' }, 1],
  ])('does not retry %s: one attempt, no retry line', async (_name, play, exitCode) => {
    const { result, proxy } = await pushThrough([play, 'forward'], `no-retry-${play.status}`);

    expect(result.code).toBe(exitCode);
    expect(uploads(proxy)).toHaveLength(1);
    expect(retryLines(result.stderr)).toEqual([]);
    expect(result.stderr).toContain(`error: ${play.code}: `);
  });
});
