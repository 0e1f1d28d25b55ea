// Push bodies that are not a well-formed multipart form, written byte for byte on a raw socket: each is refused
// with 400 (or, when the client hangs up, not answered at all), never a 500, never with a stack trace in the
// log, and storage is left exactly as it was.
import { connect } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { packFixture } from '../helpers/archives.js';
import { ADMIN, createTestApp, pushArchive, type TestApp } from '../helpers/app.js';
import { snapshotStorage, walk } from '../helpers/storage.js';

/** Every line the app logged, parsed. */
const logged: Record<string, unknown>[] = [];
let registry: TestApp;
let archive: Buffer;

beforeAll(async () => {
  const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) });
  // Room for the 20 truncated uploads sent at once below: each must meet the parser, not the upload limit's 503.
  registry = await createTestApp({ logger, env: { REGISTRY_LIMITS_MAXCONCURRENTUPLOADS: '32' } });
  archive = await packFixture('hello-universe-pack');
  // Something stored already, so "unchanged" is about more than an empty folder.
  await pushArchive(registry, await packFixture('kubevious-1.0.10')).expect(201);
});

const BOUNDARY = 'pack-registry-raw-form';
const AUTHORIZATION = `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64')}`;

function form(boundary: string, body: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="pack"; filename="pack.tar.gz"\r\nContent-Type: application/gzip\r\n\r\n`),
    body,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

interface RawAnswer {
  /** 0 when the connection closed without an answer. */
  status: number;
  body: unknown;
}

/**
 * Sends a POST /v1/packs with exactly these headers and body bytes on a fresh connection, then either keeps
 * the connection open for the answer or (`hangUp`) ends it at once, as a client that gives up does.
 */
async function rawPush(
  contentType: string,
  body: Buffer,
  options: { contentLength?: number; hangUp?: 'half-close' | 'reset' } = {},
): Promise<RawAnswer> {
  const { port } = new URL(registry.url);
  const socket = connect(Number(port), '127.0.0.1');
  const head = [
    'POST /v1/packs HTTP/1.1',
    'Host: 127.0.0.1',
    `Authorization: ${AUTHORIZATION}`,
    `Content-Type: ${contentType}`,
    `Content-Length: ${options.contentLength ?? body.length}`,
    'Connection: close',
    '',
    '',
  ].join('\r\n');
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  socket.write(Buffer.concat([Buffer.from(head), body]));
  if (options.hangUp === 'half-close') socket.end();
  if (options.hangUp === 'reset') setTimeout(() => socket.resetAndDestroy(), 50);
  await closed;
  const text = Buffer.concat(received).toString('utf8');
  const match = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n[\s\S]*?\r\n\r\n([\s\S]*)$/.exec(text);
  if (!match) return { status: 0, body: text };
  const payload = match[2] ?? '';
  // The first answer only: a short Content-Length leaves bytes that node reads as a second (bad) request.
  const json = /^\{[\s\S]*?\}\]\}/.exec(payload)?.[0];
  return { status: Number(match[1]), body: json ? (JSON.parse(json) as unknown) : payload };
}

function errorCode(answer: RawAnswer): string | undefined {
  return (answer.body as { errors?: { code: string }[] }).errors?.[0]?.code;
}

/** No line at error level, and no stack anywhere in the log. */
function expectNoStackLogged(): void {
  expect(logged.filter((line) => Number(line.level) >= 50)).toEqual([]);
  expect(JSON.stringify(logged)).not.toMatch(/"stack"|\n\s+at /);
}

async function expectStorageUnchanged(before: Awaited<ReturnType<typeof snapshotStorage>>): Promise<void> {
  // A hung-up upload's staging file is removed as the server notices; give it that moment.
  await expect.poll(() => walk(join(registry.dir, 'storage', 'uploads')), { timeout: 5_000 }).toEqual([]);
  expect(await snapshotStorage(join(registry.dir, 'storage'))).toEqual(before);
}

describe('a malformed multipart push', () => {
  const cases: { name: string; send: () => Promise<RawAnswer>; code: string; message?: RegExp }[] = [
    {
      name: 'a multipart content type without a boundary',
      send: () => rawPush('multipart/form-data', form(BOUNDARY, archive)),
      code: 'BODY_INVALID',
    },
    {
      name: 'a body written with another boundary than the header names',
      send: () => rawPush(`multipart/form-data; boundary=${BOUNDARY}`, form('some-other-boundary', archive)),
      code: 'BODY_INVALID',
    },
    {
      name: 'a form cut off inside the archive part (no closing boundary)',
      send: () => rawPush(`multipart/form-data; boundary=${BOUNDARY}`, form(BOUNDARY, archive).subarray(0, 300)),
      code: 'BODY_INVALID',
    },
    {
      name: 'a form cut off inside a part header',
      send: () => rawPush(`multipart/form-data; boundary=${BOUNDARY}`, Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-da`)),
      code: 'BODY_INVALID',
    },
    {
      name: 'a part header that is not a header',
      send: () => rawPush(`multipart/form-data; boundary=${BOUNDARY}`, Buffer.from(`--${BOUNDARY}\r\n${'x'.repeat(100)}\r\n\r\nbody\r\n--${BOUNDARY}--\r\n`)),
      code: 'BODY_INVALID',
    },
    {
      name: 'a Content-Length shorter than the form',
      send: () => {
        const body = form(BOUNDARY, archive);
        return rawPush(`multipart/form-data; boundary=${BOUNDARY}`, body, { contentLength: body.length - 200 });
      },
      code: 'BODY_INVALID',
      // The bytes beyond the Content-Length reach node's HTTP parser as a request of their own.
      message: /could not be read as HTTP/,
    },
  ];

  it.each(cases)('refuses $name with 400 $code, logs no stack and stores nothing', async ({ send, code, message }) => {
    const before = await snapshotStorage(join(registry.dir, 'storage'));
    const answer = await send();
    expect(answer.status).toBe(400);
    expect(errorCode(answer)).toBe(code);
    expect((answer.body as { errors: { message: string }[] }).errors[0]?.message).toMatch(message ?? /not a readable multipart form/);
    await expectStorageUnchanged(before);
    expectNoStackLogged();
  });

  it('answers a body that ends before its Content-Length (the client half-closed) with 400 BODY_INVALID', async () => {
    for (const cut of [0, 150, 5_000]) {
      const before = await snapshotStorage(join(registry.dir, 'storage'));
      const body = form(BOUNDARY, archive).subarray(0, cut);
      const answer = await rawPush(`multipart/form-data; boundary=${BOUNDARY}`, body, { contentLength: body.length + 10_000, hangUp: 'half-close' });
      expect(answer.status).toBe(400);
      expect(errorCode(answer)).toBe('BODY_INVALID');
      await expectStorageUnchanged(before);
    }
    expectNoStackLogged();
  });

  it('does not answer, nor log, an upload whose client reset the connection half-way, and keeps none of it', async () => {
    for (const cut of [150, 5_000]) {
      const before = await snapshotStorage(join(registry.dir, 'storage'));
      const body = form(BOUNDARY, archive).subarray(0, cut);
      const answer = await rawPush(`multipart/form-data; boundary=${BOUNDARY}`, body, { contentLength: body.length + 10_000, hangUp: 'reset' });
      expect(answer.status).toBe(0);
      await expectStorageUnchanged(before);
    }
    // The registry has seen the resets by the time it answers another request on a new connection.
    await registry.get('/health').expect(200);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expectNoStackLogged();
  });

  it('leaves no staging file behind when many truncated uploads fail at once', async () => {
    // Each fails before its staging file has finished opening; a removal at that moment came too early.
    const before = await snapshotStorage(join(registry.dir, 'storage'));
    const truncated = form(BOUNDARY, archive).subarray(0, 300);
    const answers = await Promise.all(Array.from({ length: 20 }, () => rawPush(`multipart/form-data; boundary=${BOUNDARY}`, truncated)));
    expect(new Set(answers.map((answer) => `${answer.status} ${errorCode(answer)}`))).toEqual(new Set(['400 BODY_INVALID']));
    await expectStorageUnchanged(before);
    expectNoStackLogged();
  });

  it('still takes a well-formed push afterwards', async () => {
    await pushArchive(registry, archive).expect(201);
    await registry.get('/health').expect(200);
  });
});
