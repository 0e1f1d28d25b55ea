// What the real listener does (src/http/server.ts, TLS): refuse clients that do not trust its certificate,
// drop connections whose headers trickle in, and read the rest of a refused upload for http.timeouts.linger
// so a client still sending reads the answer. These need the server itself; the app's own limits are tested
// in process (test/api/limits.test.ts).
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from 'node:tls';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/client/errors.js';
import { RegistryClient } from '../../src/client/http.js';
import { multipartBody } from '../../src/client/multipart.js';
import { ADMIN, READER, startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { startRawUpload } from '../helpers/raw-upload.js';

describe('TLS', () => {
  it('refuses a client that does not trust the certificate', async () => {
    const registry = await startTestRegistry();
    await expect(request(registry.url).get('/health')).rejects.toThrow(/self[- ]signed|certificate/i);
  });
});

describe('HTTP hygiene', () => {
  it('closes a connection whose headers trickle in slower than http.timeouts.header (slowloris)', async () => {
    const registry = await startTestRegistry({ env: { REGISTRY_HTTP_TIMEOUTS_HEADER: '1s' } });
    const port = Number(new URL(registry.url).port);
    const socket = connect({ host: '127.0.0.1', port, ca: registry.ca, servername: 'localhost' });
    await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
    socket.write('GET /v1/ HTTP/1.1\r\nHost: localhost\r\n');
    const outcome = await new Promise<string>((resolve) => {
      let received = '';
      const keepTrickling = setInterval(() => socket.write('X-Slow: 1\r\n'), 200);
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
      socket.once('close', () => {
        clearInterval(keepTrickling);
        resolve(received);
      });
      // Bounded: the test fails rather than hangs if the server never closes.
      setTimeout(() => {
        clearInterval(keepTrickling);
        resolve('still open');
      }, 10_000);
    });
    socket.destroy();
    expect(outcome).not.toBe('still open');
    expect(outcome).toMatch(/^$|408/);
  });
});

describe('uploads the registry refuses before reading them whole', () => {
  it('lets a client that is still sending read the refusal (413 before or during the upload, 503), never a reset', async () => {
    const registry = await startTestRegistry({ env: { REGISTRY_LIMITS_MAXUPLOADSIZE: '1000', REGISTRY_LIMITS_MAXCONCURRENTUPLOADS: '1' } });
    // 100 kB is refused from its Content-Length before any byte is read, 19 kB as the upload passes the limit.
    // Closing at once made packctl's transport report "connection closed while sending" for most of these.
    const announced = await writeRandomFile(registry, 100_000);
    const passing = await writeRandomFile(registry, 19_000);
    const outcomes: string[] = [];
    for (let round = 0; round < 20; round++) {
      outcomes.push(await pushWithPackctlTransport(registry, announced), await pushWithPackctlTransport(registry, passing));
    }
    expect(new Set(outcomes)).toEqual(new Set(['413 PACK_TOO_LARGE']));

    // Beyond limits.maxconcurrentuploads the refusal comes before the body too.
    const slow = startRawUpload(registry.url, { ca: registry.ca, user: ADMIN.user, password: ADMIN.password, archive: Buffer.alloc(500) });
    await slow.send(100);
    await expect.poll(() => pushWithPackctlTransport(registry, announced)).toBe('503 TOO_MANY_UPLOADS');
    const busy: string[] = [];
    for (let round = 0; round < 20; round++) busy.push(await pushWithPackctlTransport(registry, announced));
    expect(new Set(busy)).toEqual(new Set(['503 TOO_MANY_UPLOADS']));
    slow.request.destroy();

    await registry.get('/health').expect(200);
    expect((await registry.get('/v1/_catalog').auth(READER.user, READER.password).expect(200)).body.repositories).toEqual([]);
  });

  it('reads and drops the rest of a refused body for http.timeouts.linger at most, then closes the connection', async () => {
    const registry = await startTestRegistry({ env: { REGISTRY_LIMITS_MAXUPLOADSIZE: '1000', REGISTRY_HTTP_TIMEOUTS_LINGER: '500ms' } });
    // Chunked, so the size is only noticed while reading; the client then goes on sending regardless.
    const upload = startRawUpload(registry.url, { ca: registry.ca, user: ADMIN.user, password: ADMIN.password, archive: Buffer.alloc(0), chunked: true });
    let answeredAt = 0;
    void upload.response.then(() => (answeredAt = Date.now()));
    const closedAt = new Promise<number>((resolve) => upload.request.once('close', () => resolve(Date.now())));
    await upload.send(); // the form's head; the zeros below are the archive's bytes
    const filler = Buffer.alloc(64 * 1024);
    const sendUntilClosed = setInterval(() => {
      if (!upload.request.destroyed) upload.request.write(filler, () => {});
    }, 5);
    // Bounded: the test fails rather than hangs if the registry never closes.
    const closed = await Promise.race([closedAt, new Promise<number>((resolve) => setTimeout(() => resolve(0), 15_000))]);
    clearInterval(sendUntilClosed);
    upload.request.destroy();
    expect((await upload.response).status).toBe(413);
    expect(closed).toBeGreaterThan(0);
    // It lingered (closing at once is what lost answers), and for the configured time, not the 5 s default.
    expect(closed - answeredAt).toBeGreaterThanOrEqual(400);
    expect(closed - answeredAt).toBeLessThan(4_000);
    await registry.get('/health').expect(200);
  });
});

async function writeRandomFile(registry: TestRegistry, bytes: number): Promise<{ path: string; size: number }> {
  const path = join(registry.dir, `random-${bytes}.tar.gz`);
  await writeFile(path, randomBytes(bytes));
  return { path, size: bytes };
}

/** One push through packctl's own transport; answers `<status> <code>` or the network error it met. */
async function pushWithPackctlTransport(registry: TestRegistry, file: { path: string; size: number }): Promise<string> {
  const client = new RegistryClient({ server: new URL(registry.url).host, credentials: ADMIN, trust: { insecure: true, expectedCaFile: '' } });
  try {
    const body = multipartBody({}, { field: 'pack', path: file.path, size: file.size, filename: 'pack.tar.gz', contentType: 'application/gzip' });
    const answer = await client.send('/v1/packs', { method: 'POST', body });
    await client.readJson(answer);
    return `${answer.statusCode}`;
  } catch (error) {
    return error instanceof ApiError ? `${error.status} ${error.entries[0]!.code}` : (error as Error).message;
  } finally {
    client.close();
  }
}
