// The archive fast path (src/http/dispatch.ts) serves plain downloads without express, by running the same
// shared steps. Proof that it answers as express does: two registries with the same configuration and the same
// pushes, one with the fast path and one without, get the same requests — downloads, HEAD, readers, tokens,
// every kind of refusal, lockout, missing packs, Range, If-None-Match, odd paths — and must give the same
// status, headers (in order, the security headers included), body, request log line and metrics.
import express from 'express';
import { request as httpRequest } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { packFixture } from '../helpers/archives.js';
import { ADMIN, READER, createTestApp, pushArchive, type TestApp } from '../helpers/app.js';

interface Answer {
  status: number;
  /** Raw header lines in order, Date left out (it is the clock, not the answer). */
  headers: string[];
  body: string;
}

/** Only what says which request it was and how it went: time, pid and duration differ between any two runs. */
interface LogLine {
  level: number;
  msg: string;
  requestId?: string;
  [field: string]: unknown;
}

/** One registry of the pair, with the log lines it wrote and its tokens. */
interface Side {
  app: TestApp;
  logs: LogLine[];
  tokens: Record<string, string>;
}

function send(app: TestApp, method: string, path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${app.url}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const raw: string[] = [];
        for (let at = 0; at < res.rawHeaders.length; at += 2) {
          if (res.rawHeaders[at]?.toLowerCase() !== 'date') raw.push(`${res.rawHeaders[at]}: ${res.rawHeaders[at + 1]}`);
        }
        resolve({ status: res.statusCode ?? 0, headers: raw, body: Buffer.concat(chunks).toString('latin1') });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

async function createSide(fastPath: boolean, env: Record<string, string>): Promise<Side> {
  const logs: LogLine[] = [];
  const app = await createTestApp({
    archiveFastPath: fastPath,
    logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) }),
    env: { REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED: 'true', ...env },
  });
  return { app, logs, tokens: {} };
}

async function createToken(side: Side, name: string): Promise<string> {
  const response = await side.app.post('/v1/tokens').auth(ADMIN.user, ADMIN.password).send({ name, scope: 'read' }).expect(201);
  return response.body.token as string;
}

/** The request log lines of requests this test tagged with an X-Request-Id, without what is timing. */
function requestLines(side: Side): LogLine[] {
  return side.logs
    .filter((line) => typeof line.requestId === 'string' && line.requestId.startsWith('same-'))
    .map(({ time: _time, pid: _pid, hostname: _hostname, durationMs, ...rest }) => {
      expect(durationMs).toEqual(expect.any(Number));
      return rest;
    });
}

/** The request, byte and download counters (not durations: those are the clock). */
async function counters(side: Side): Promise<string[]> {
  const metrics = side.app.metrics;
  if (!metrics) throw new Error('metrics are off');
  const { body } = await metrics.exposition();
  return body
    .split('\n')
    .filter((line) => /^pack_registry_(http_requests_total|http_sent_bytes_total|http_received_bytes_total|pulls_total|auth_failures_total|http_request_duration_seconds_count)\b/.test(line));
}

interface Case {
  title: string;
  method?: 'GET' | 'HEAD';
  path: string;
  headers?: (side: Side) => Record<string, string>;
  /** Whether the fast path takes the request (plain downloads) or leaves it to express. */
  fast: boolean;
  status: number;
}

const ARCHIVE = '/v1/packs/hellouniverse/1.0.0/archive';
const admin = () => ({ authorization: basic(ADMIN.user, ADMIN.password) });

describe('the archive fast path answers exactly as express does', () => {
  let fast: Side;
  let slow: Side;
  let etag: string;
  // express's app.handle (copied onto every app as it is created, so spied on before the apps exist): counted
  // to prove which path a request took — the fast path never enters express. Not in express's typings.
  const expressHandle = vi.spyOn(express.application as typeof express.application & { handle: (...args: unknown[]) => void }, 'handle');

  beforeAll(async () => {
    const env = { REGISTRY_LIMITS_AUTHFAILURES: '2', REGISTRY_LIMITS_AUTHFAILURESPERADDRESS: '1000' };
    [fast, slow] = await Promise.all([createSide(true, env), createSide(false, env)]);
    const archive = await packFixture('hello-universe-pack');
    for (const side of [fast, slow]) {
      await pushArchive(side.app, archive).expect(201);
      side.tokens.valid = await createToken(side, 'reader-token');
      side.tokens.revoked = await createToken(side, 'gone-token');
      await side.app.del('/v1/tokens/gone-token').auth(ADMIN.user, ADMIN.password).expect(204);
      // The same archive on both sides, so the same ETag (asked of both, so that their metrics stay alike).
      etag = (await side.app.head(ARCHIVE).auth(ADMIN.user, ADMIN.password).expect(200)).headers.etag as string;
    }
  });

  afterAll(() => {
    expressHandle.mockRestore();
  });

  const cases: Case[] = [
    { title: 'a download', path: ARCHIVE, headers: admin, fast: true, status: 200 },
    { title: 'HEAD', method: 'HEAD', path: ARCHIVE, headers: admin, fast: true, status: 200 },
    { title: 'a reader (password with colons)', path: ARCHIVE, headers: () => ({ authorization: basic(READER.user, READER.password) }), fast: true, status: 200 },
    { title: 'a user agent, logged', path: ARCHIVE, headers: () => ({ ...admin(), 'user-agent': 'packctl/1.0' }), fast: true, status: 200 },
    { title: 'a Bearer token', path: ARCHIVE, headers: (side) => ({ authorization: `Bearer ${side.tokens.valid}` }), fast: true, status: 200 },
    { title: 'a token as a basic password', path: ARCHIVE, headers: (side) => ({ authorization: basic('ci', side.tokens.valid ?? '') }), fast: true, status: 200 },
    { title: 'a revoked token', path: ARCHIVE, headers: (side) => ({ authorization: `Bearer ${side.tokens.revoked}` }), fast: true, status: 401 },
    { title: 'an unknown token', path: ARCHIVE, headers: () => ({ authorization: 'Bearer prt_not-a-real-token' }), fast: true, status: 401 },
    { title: 'no credentials', path: ARCHIVE, fast: true, status: 401 },
    { title: 'no credentials, HEAD', method: 'HEAD', path: ARCHIVE, fast: true, status: 401 },
    { title: 'a malformed Authorization', path: ARCHIVE, headers: () => ({ authorization: 'Basic !!!' }), fast: true, status: 401 },
    { title: 'an unknown user', path: ARCHIVE, headers: () => ({ authorization: basic('nobody', 'x') }), fast: true, status: 401 },
    { title: 'a wrong password (1)', path: ARCHIVE, headers: () => ({ authorization: basic(READER.user, 'wrong') }), fast: true, status: 401 },
    { title: 'a wrong password (2)', path: ARCHIVE, headers: () => ({ authorization: basic(READER.user, 'wrong') }), fast: true, status: 401 },
    { title: 'lockout after the failures', path: ARCHIVE, headers: () => ({ authorization: basic(READER.user, 'wrong') }), fast: true, status: 429 },
    { title: 'a missing pack', path: '/v1/packs/nosuchpack/1.0.0/archive', headers: admin, fast: true, status: 404 },
    { title: 'a missing version, HEAD', method: 'HEAD', path: '/v1/packs/hellouniverse/9.9.9/archive', headers: admin, fast: true, status: 404 },
    { title: 'a percent-encoded name', path: '/v1/packs/hello%75niverse/1.0.0/archive', headers: admin, fast: true, status: 200 },
    { title: 'a malformed percent escape', path: '/v1/packs/%zz/1.0.0/archive', headers: admin, fast: false, status: 400 },
    { title: 'a query', path: `${ARCHIVE}?x=1`, headers: admin, fast: false, status: 200 },
    { title: 'a trailing slash', path: `${ARCHIVE}/`, headers: admin, fast: false, status: 200 },
    { title: 'a Range', path: ARCHIVE, headers: () => ({ ...admin(), range: 'bytes=0-99' }), fast: false, status: 206 },
    { title: 'an unsatisfiable Range', path: ARCHIVE, headers: () => ({ ...admin(), range: 'bytes=99999999-' }), fast: false, status: 416 },
    { title: 'If-None-Match', path: ARCHIVE, headers: () => ({ ...admin(), 'if-none-match': etag }), fast: false, status: 304 },
    { title: 'If-None-Match without credentials', path: ARCHIVE, headers: () => ({ 'if-none-match': etag }), fast: false, status: 401 },
  ];

  it.each(cases.map((testCase, index) => [testCase.title, testCase, index] as const))('%s', async (_title, testCase, index) => {
    const method = testCase.method ?? 'GET';
    const answers: Answer[] = [];
    for (const side of [fast, slow]) {
      expressHandle.mockClear();
      const headers = { ...testCase.headers?.(side), 'x-request-id': `same-${index}` };
      answers.push(await send(side.app, method, testCase.path, headers));
      // The fast side enters express only for what the fast path leaves to it; the other side always does.
      expect(expressHandle.mock.calls.length).toBe(side === fast && testCase.fast ? 0 : 1);
    }
    const [viaFastPath, viaExpress] = answers;
    expect(viaFastPath?.status).toBe(testCase.status);
    expect(viaFastPath).toEqual(viaExpress);
  });

  it('wrote the same request log lines and counted the same metrics on both sides', async () => {
    const lines = requestLines(fast);
    expect(lines).toHaveLength(cases.length);
    expect(lines).toEqual(requestLines(slow));
    const fastCounters = await counters(fast);
    expect(fastCounters.some((line) => /^pack_registry_pulls_total \d/.test(line))).toBe(true);
    expect(fastCounters).toEqual(await counters(slow));
  });
});

describe('the archive fast path with anonymous reads', () => {
  it('answers anonymous downloads and refusals as express does', async () => {
    const env = { REGISTRY_AUTH_ANONYMOUS_READ: 'true' };
    const [fast, slow] = await Promise.all([createSide(true, env), createSide(false, env)]);
    const archive = await packFixture('hello-universe-pack');
    for (const side of [fast, slow]) await pushArchive(side.app, archive).expect(201);
    const requests: [string, Record<string, string>, number][] = [
      ['GET', {}, 200],
      ['HEAD', {}, 200],
      ['GET', { authorization: basic(ADMIN.user, 'wrong') }, 401],
    ];
    for (const [index, [method, headers, status]] of requests.entries()) {
      const viaFastPath = await send(fast.app, method, ARCHIVE, { ...headers, 'x-request-id': `same-${index}` });
      const viaExpress = await send(slow.app, method, ARCHIVE, { ...headers, 'x-request-id': `same-${index}` });
      expect(viaFastPath.status).toBe(status);
      expect(viaFastPath).toEqual(viaExpress);
    }
    expect(requestLines(fast)).toEqual(requestLines(slow));
    expect(requestLines(fast).map((line) => line.user)).toEqual(['anonymous', 'anonymous', null]);
  });
});
