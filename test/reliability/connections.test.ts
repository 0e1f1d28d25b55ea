// What the real listener (src/http/server.ts) does with connections before any request: one that never starts
// TLS is closed after http.timeouts.handshake (Node's default would hold it 120 s), connections beyond
// http.maxconnections are closed as soon as they are accepted, and bytes that are not HTTP get the contract's
// JSON 400.
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

function portOf(registry: TestRegistry): number {
  return Number(new URL(registry.url).port);
}

/** A plain TCP connection that sends nothing; resolves once connected. */
async function silentSocket(registry: TestRegistry): Promise<Socket> {
  const socket = connectTcp(portOf(registry), '127.0.0.1');
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return socket;
}

/** Milliseconds until the server closes `socket`, or `undefined` when it is still open after `withinMs`. */
function closedWithin(socket: Socket, withinMs: number): Promise<number | undefined> {
  const started = Date.now();
  return new Promise((resolve) => {
    const giveUp = setTimeout(() => resolve(undefined), withinMs);
    socket.once('close', () => {
      clearTimeout(giveUp);
      resolve(Date.now() - started);
    });
  });
}

function openConnections(registry: TestRegistry): Promise<number> {
  return new Promise((resolve, reject) => registry.running.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
}

describe('connections that never send a request', () => {
  it('closes a connection that never starts TLS after http.timeouts.handshake', async () => {
    const registry = await startTestRegistry({ env: { REGISTRY_HTTP_TIMEOUTS_HANDSHAKE: '500ms' } });
    const socket = await silentSocket(registry);
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    // Bounded: the test fails rather than waits Node's 120 s default.
    const closedAfter = await closedWithin(socket, 10_000);
    socket.destroy();
    expect(closedAfter).toBeDefined();
    expect(closedAfter).toBeGreaterThanOrEqual(400);
    expect(closedAfter).toBeLessThan(5_000);
    expect(Buffer.concat(received).length).toBe(0);
    await registry.get('/health').expect(200);
  });

  it('closes each connection beyond http.maxconnections at once, and accepts again once one has gone', async () => {
    const registry = await startTestRegistry({ env: { REGISTRY_HTTP_MAXCONNECTIONS: '3' } });
    const held = [await silentSocket(registry), await silentSocket(registry), await silentSocket(registry)];
    await expect.poll(() => openConnections(registry)).toBe(3);

    const refused = await silentSocket(registry);
    expect(await closedWithin(refused, 5_000)).toBeDefined();
    // The three within the cap are still open (the handshake timeout, 10 s by default, is far away).
    expect(held.map((socket) => socket.destroyed)).toEqual([false, false, false]);
    await expect(registry.get('/health')).rejects.toThrow(/socket hang up|ECONNRESET|disconnected/i);

    held.pop()?.destroy();
    await expect.poll(() => openConnections(registry)).toBe(2);
    await registry.get('/health').expect(200);
    for (const socket of held) socket.destroy();
  });
});

describe('bytes that are not HTTP', () => {
  it('answers them over TLS with 400 BODY_INVALID as JSON, and closes the connection', async () => {
    const registry = await startTestRegistry();
    const socket = connectTls({ host: '127.0.0.1', port: portOf(registry), ca: registry.ca, servername: 'localhost' });
    await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('POST /v1/packs HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n');
    await closed;
    const text = Buffer.concat(received).toString('utf8');
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(text).toContain('Content-Type: application/json; charset=utf-8');
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).errors[0].code).toBe('BODY_INVALID');
  });
});
