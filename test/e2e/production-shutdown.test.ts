// Graceful shutdown: on SIGTERM the server stops accepting, lets an upload in flight finish, closes the
// index cleanly and exits 0; past http.draintimeout it cuts what is left and still exits 0.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { packFixture } from '../helpers/archives.js';
import { makeTempDir, writeHtpasswd } from '../helpers/files.js';
import { startRegistryProcess, type RegistryProcess } from '../helpers/server-process.js';

const ADMIN = { user: 'admin', password: 'drain-admin' };

/** A multipart push whose body the test writes piece by piece, pausing where it likes. */
function slowPush(server: RegistryProcess, archive: Buffer) {
  const boundary = `----pack-registry-test-${Date.now()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="pack"; filename="pack.tar.gz"\r\nContent-Type: application/gzip\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const body = Buffer.concat([head, archive, tail]);
  const pending: { request?: ReturnType<typeof httpsRequest> } = {};
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpsRequest(
      `${server.url}/v1/packs`,
      {
        method: 'POST',
        ca: server.ca,
        auth: `${ADMIN.user}:${ADMIN.password}`,
        headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': body.length },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    pending.request = req;
  });
  const half = Math.floor(body.length / 2);
  return {
    answer,
    writeFirstHalf: () => new Promise<void>((resolve) => pending.request!.write(body.subarray(0, half), () => resolve())),
    finish: () => pending.request!.end(body.subarray(half)),
  };
}

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The server is receiving the upload once its staging file exists (not merely once the bytes were sent). */
async function uploadReceiving(): Promise<void> {
  await expect.poll(async () => (await readdir(join(dir, 'storage', 'uploads'))).length, { timeout: 15_000, interval: 50 }).toBeGreaterThan(0);
}

const servers: RegistryProcess[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.process.shutDown();
});

async function start(env: Record<string, string> = {}): Promise<RegistryProcess> {
  const server = await startRegistryProcess({ dir, env });
  servers.push(server);
  return server;
}

let dir: string;
let archive: Buffer;
beforeAll(async () => {
  dir = await makeTempDir();
  await writeHtpasswd(join(dir, 'htpasswd'), [ADMIN]);
  archive = await packFixture('elastic-stack-0.19.0');
});

describe('SIGTERM while an upload is in flight', () => {
  it('refuses new connections, finishes the upload with 201, closes the index cleanly and exits 0', async () => {
    const server = await start();
    const push = slowPush(server, archive);
    await push.writeFirstHalf();
    await uploadReceiving();

    server.process.child.kill('SIGTERM');
    await server.process.waitForLine(/not accepting connections/);
    const refused = await connectionRefused(server.port);
    expect(refused, `stdout:\n${server.process.stdout()}\nstderr:\n${server.process.stderr()}`).toBe(true);
    expect(server.process.child.exitCode).toBeNull();

    await pause(300);
    push.finish();
    const answer = await push.answer;
    expect(answer.status, answer.body).toBe(201);
    expect(JSON.parse(answer.body).name).toBe('elastic-stack');
    expect(await server.process.exited).toBe(0);
    expect(server.process.stdout()).toMatch(/"msg":"stopped"/);
    // A clean close checkpoints the write-ahead log into index.db and removes it.
    expect(existsSync(join(dir, 'storage', 'index.db-wal'))).toBe(false);

    const again = await start();
    const stored = await request(again.url).get('/v1/packs/elastic-stack/0.19.0').ca(again.ca).auth(ADMIN.user, ADMIN.password).expect(200);
    expect(stored.body.size).toBe(archive.length);
    expect(await again.stop()).toBe(0);
  });

  it('cuts requests still running after http.draintimeout and still exits 0', async () => {
    const server = await start({ REGISTRY_HTTP_DRAINTIMEOUT: '1s' });
    const push = slowPush(server, archive);
    const outcome = push.answer.then(
      () => 'answered',
      () => 'cut',
    );
    await push.writeFirstHalf();
    await uploadReceiving();
    const signalledAt = Date.now();
    server.process.child.kill('SIGTERM');
    expect(await server.process.exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(await outcome).toBe('cut');
    expect(server.process.stdout()).toMatch(/drain timeout passed/);
    expect(existsSync(join(dir, 'storage', 'index.db-wal'))).toBe(false);
  });
});
