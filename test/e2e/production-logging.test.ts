// Logs: one JSON line per request with its id, user, method, path, status, bytes and duration; a text
// formatter for people; and never a password or an Authorization header, at any level.
import { join } from 'node:path';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { packFixture } from '../helpers/archives.js';
import { makeTempDir, writeHtpasswd } from '../helpers/files.js';
import { startRegistryProcess, type RegistryProcess } from '../helpers/server-process.js';

// A password with colons (Basic auth splits at the first one only) and one that is merely wrong.
const ADMIN = { user: 'admin', password: 'Adm1n:s3cret:with:colons' };
const READER = { user: 'reader', password: 'r3ader-pass-4711' };
const WRONG = { user: 'admin', password: 'Wr0ng:guess:0815' };

const secretsOf = (credentials: { user: string; password: string }[]) =>
  credentials.flatMap(({ user, password }) => [password, Buffer.from(`${user}:${password}`).toString('base64')]);
const SECRETS = secretsOf([ADMIN, READER, WRONG]);

interface RequestLine {
  level: string;
  requestId: string;
  method: string;
  path: string;
  status: number;
  user: string | null;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  msg: string;
}

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir();
  await writeHtpasswd(join(dir, 'htpasswd'), [ADMIN, READER]);
});

describe('log.formatter json at REGISTRY_LOG_LEVEL=debug', () => {
  let server: RegistryProcess;
  let stdout = '';
  let stderr = '';
  const answers: { method: string; path: string; status: number; requestId: string }[] = [];

  beforeAll(async () => {
    server = await startRegistryProcess({ dir, env: { REGISTRY_LOG_LEVEL: 'debug' } });
    const remember = (method: string, path: string) => (response: request.Response) => {
      answers.push({ method, path, status: response.status, requestId: String(response.headers['x-request-id']) });
      return response;
    };
    const archive = await packFixture('hello-universe-pack');
    const api = request(server.url);
    await api.get('/health').ca(server.ca).then(remember('GET', '/health'));
    await api.get('/v1/').ca(server.ca).auth(ADMIN.user, ADMIN.password).then(remember('GET', '/v1/'));
    await api.get('/v1/').ca(server.ca).auth(WRONG.user, WRONG.password).then(remember('GET', '/v1/'));
    await api.get('/v1/').ca(server.ca).set('Authorization', `Basic ${Buffer.from(`${READER.user}:${READER.password}`).toString('base64')}`).then(remember('GET', '/v1/'));
    await api.get('/v1/_catalog').ca(server.ca).set('Authorization', 'Basic !!!not-base64').then(remember('GET', '/v1/_catalog'));
    await api.post('/v1/packs').ca(server.ca).auth(ADMIN.user, ADMIN.password)
      .attach('pack', archive, 'pack.tar.gz').then(remember('POST', '/v1/packs'));
    await api.post('/v1/packs').ca(server.ca).auth(WRONG.user, WRONG.password)
      .attach('pack', archive, 'pack.tar.gz').then(remember('POST', '/v1/packs'));
    await api.get('/v1/packs/hellouniverse/1.0.0/archive').ca(server.ca).auth(READER.user, READER.password)
      .then(remember('GET', '/v1/packs/hellouniverse/1.0.0/archive'));
    await api.get('/v1/packs?name=hello').ca(server.ca).auth(READER.user, READER.password)
      .set('X-Request-Id', 'trace-from-client-42').then(remember('GET', '/v1/packs'));
    expect(await server.stop()).toBe(0);
    stdout = server.process.stdout();
    stderr = server.process.stderr();
  });

  const lines = () => stdout.split('\n').filter((line) => line.trim() !== '');
  const records = () => lines().map((line) => JSON.parse(line) as Record<string, unknown>);
  const requestLines = () => records().filter((record) => typeof record.requestId === 'string' && 'status' in record) as unknown as RequestLine[];

  it('writes every stdout line as one JSON object with a level, a time and a message', () => {
    expect(lines().length).toBeGreaterThan(answers.length);
    for (const line of lines()) {
      const record = JSON.parse(line) as Record<string, unknown>;
      expect(record).toMatchObject({ level: expect.any(String), time: expect.any(String), msg: expect.any(String) });
    }
  });

  it('logs one line per request with id, user, method, path, status, bytes and duration, its id sent back as X-Request-Id', () => {
    const logged = requestLines();
    expect(logged).toHaveLength(answers.length);
    for (const answer of answers) {
      const line = logged.find((candidate) => candidate.requestId === answer.requestId);
      expect(line, `a log line for ${answer.method} ${answer.path} (${answer.requestId})`).toBeDefined();
      expect(line).toMatchObject({ method: answer.method, path: answer.path, status: answer.status });
      expect(line!.durationMs).toBeGreaterThanOrEqual(0);
      expect(line!.bytesOut).toBeGreaterThanOrEqual(0);
    }
    expect(new Set(logged.map((line) => line.requestId)).size).toBe(answers.length);

    const push = logged.find((line) => line.method === 'POST' && line.status === 201)!;
    expect(push.user).toBe(ADMIN.user);
    expect(push.bytesIn).toBeGreaterThan(1000);
    const download = logged.find((line) => line.path.endsWith('/archive'))!;
    expect(download).toMatchObject({ user: READER.user, status: 200 });
    expect(download.bytesOut).toBeGreaterThan(1000);
    const refused = logged.filter((line) => line.status === 401);
    expect(refused).toHaveLength(3);
    for (const line of refused) expect(line.user).toBeNull();
    // A tame id from the client is kept, so a request can be followed across proxies.
    expect(logged.find((line) => line.path === '/v1/packs' && line.method === 'GET')!.requestId).toBe('trace-from-client-42');
    // /health is logged at debug level (probes would drown everything else at info).
    expect(logged.find((line) => line.path === '/health')!.level).toBe('debug');
  });

  it('never writes a password or a Basic credential to stdout or stderr', () => {
    expect(stdout.length).toBeGreaterThan(0);
    for (const secret of SECRETS) {
      expect(stdout).not.toContain(secret);
      expect(stderr).not.toContain(secret);
    }
    expect(stdout).not.toMatch(/authorization/i);
    expect(stdout).not.toContain('Basic ');
  });
});

describe('log.formatter text', () => {
  it('writes readable single lines with the same request fields, and no secrets', async () => {
    const server = await startRegistryProcess({
      dir,
      storage: join(dir, 'storage-text'),
      env: { REGISTRY_LOG_FORMATTER: 'text', REGISTRY_LOG_LEVEL: 'debug' },
    });
    const api = request(server.url);
    const refused = await api.get('/v1/').ca(server.ca).auth(WRONG.user, WRONG.password).expect(401);
    await api.get('/v1/_catalog').ca(server.ca).auth(READER.user, READER.password).expect(200);
    expect(await server.stop()).toBe(0);

    const stdout = server.process.stdout();
    const lines = stdout.split('\n').filter((line) => line.trim() !== '');
    for (const line of lines) {
      expect(() => JSON.parse(line)).toThrow();
      expect(line).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d{4}\] (DEBUG|INFO|WARN|ERROR)/);
    }
    const refusedLine = lines.find((line) => line.includes(String(refused.headers['x-request-id'])));
    expect(refusedLine).toContain('GET /v1/ 401');
    expect(refusedLine).toContain('"durationMs"');
    expect(lines.some((line) => line.includes('GET /v1/_catalog 200') && line.includes('"user":"reader"'))).toBe(true);
    for (const secret of SECRETS) {
      expect(stdout).not.toContain(secret);
      expect(server.process.stderr()).not.toContain(secret);
    }
  });
});
