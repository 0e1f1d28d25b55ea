// Webhooks against real HTTP receivers on 127.0.0.1: signatures a receiver checks itself, one delivery in
// flight per endpoint and in feed order, pushes that never wait for a hung or slow receiver, retries with a
// doubling backoff, dead letters over the API and in the metrics, their retry, and a server killed in the
// middle of a delivery that sends everything again after its restart.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import type { ChangePage, DeadLetterPage, WebhookBody } from '../../src/api/index.js';
import { packFixture } from '../helpers/archives.js';
import { ADMIN, createTestApp, makeTempDir, pushArchive, READER, writeHtpasswd } from '../helpers/app.js';
import { startTestRegistry } from '../helpers/registry.js';
import { startRegistryProcess } from '../helpers/server-process.js';
import { startWebhookReceiver, type ReceivedRequest } from '../helpers/webhook-receiver.js';

const SECRET = 'a shared secret';

function version(number: string) {
  return packFixture('hello-universe-1.3.1', { editPackJson: (pj) => void (pj.version = number) });
}

function endpoints(list: Record<string, unknown>[]): Record<string, string> {
  return { REGISTRY_NOTIFICATIONS_ENDPOINTS: JSON.stringify(list) };
}

/** What a receiver does with the signature: HMAC-SHA256 of the exact body under the shared secret. */
function signatureValid(received: ReceivedRequest): boolean {
  const header = received.headers['x-pack-registry-signature'];
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = createHmac('sha256', SECRET).update(received.body).digest();
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const eventOf = (received: ReceivedRequest) => (JSON.parse(received.body) as WebhookBody).events[0];
const deliveryIdOf = (received: ReceivedRequest) => received.headers['x-pack-registry-delivery'];
const sequence = (id: string) => Number(id.split('.')[1]);

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('webhook deliveries', () => {
  it('signs each body, sends in feed order one at a time, and never makes a push wait for a hung or slow receiver', async () => {
    // The checking receiver refuses a bad signature (401): a wrong one would show as retries, and is asserted below.
    const checker = await startWebhookReceiver((received) => (signatureValid(received) ? 204 : 401));
    const hung = await startWebhookReceiver(() => 'hang');
    const slow = await startWebhookReceiver(() => ({ status: 200, afterMs: 500 }));
    const registry = await createTestApp({
      env: endpoints([
        { name: 'checker', url: checker.url, secret: SECRET, headers: { Authorization: ['Bearer receiver-token'] } },
        { name: 'hung', url: hung.url, timeout: '2s', threshold: 100 },
        { name: 'slow', url: slow.url, timeout: '5s' },
        { name: 'off', url: checker.url, disabled: true },
      ]),
    });

    await pushArchive(registry, await version('1.0.0')).expect(201);
    await hung.waitForRequests(1);
    await pushArchive(registry, await version('1.1.0')).expect(201);
    await pushArchive(registry, await version('1.2.0')).expect(201);
    await registry.put('/v1/packs/hello-universe/tags/stable').auth(ADMIN.user, ADMIN.password).send({ reference: '1.1.0' }).expect(201);
    // Every change was answered while the hung receiver still held the first delivery unanswered: the push
    // path does not wait for deliveries, and the endpoint's later events wait behind its first.
    expect(hung.received).toHaveLength(1);
    expect(hung.received[0]?.status).toBeUndefined();

    const feed = (await registry.get('/v1/events').auth(READER.user, READER.password).expect(200)).body as ChangePage;
    expect(feed.events).toHaveLength(4);
    const delivered = await checker.waitForRequests(4);
    expect(delivered.map((received) => received.status)).toEqual([204, 204, 204, 204]);
    expect(delivered.every(signatureValid)).toBe(true);
    // The body is the feed's own event, in feed order; the headers name it and the delivery.
    expect(delivered.map(eventOf)).toEqual(feed.events);
    for (const received of delivered) {
      expect(received.headers['x-pack-registry-event']).toBe(eventOf(received)?.id);
      expect(received.headers['content-type']).toBe('application/json');
      expect(received.headers.authorization).toBe('Bearer receiver-token');
    }
    expect(new Set(delivered.map(deliveryIdOf)).size).toBe(4);
    // A disabled endpoint gets nothing: the checker saw exactly the four, no more.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(checker.received).toHaveLength(4);

    // One in flight: each request to the slow receiver came after the previous one was answered.
    const slowOnes = await slow.waitForRequests(4);
    expect(slowOnes.map((received) => sequence(eventOf(received)?.id ?? ''))).toEqual(feed.events.map((event) => sequence(event.id)));
    for (let i = 1; i < slowOnes.length; i++) {
      expect((slowOnes[i]?.at ?? 0) - (slowOnes[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(490);
    }
    // The hung one timed out and got the same delivery again, not the next event.
    const [first, retry] = await hung.waitForRequests(2);
    expect(deliveryIdOf(retry as ReceivedRequest)).toBe(deliveryIdOf(first as ReceivedRequest));
    expect(eventOf(retry as ReceivedRequest)?.version).toBe('1.0.0');
  });

  it('retries with a doubling backoff, then keeps a dead letter, shown over the API and in the metrics, until retried', async () => {
    const failing = await startWebhookReceiver(() => 500);
    const registry = await startTestRegistry({
      env: {
        ...endpoints([{ name: 'failing', url: failing.url, threshold: 3, backoff: '200ms', maxbackoff: '10s' }]),
        REGISTRY_HTTP_DEBUG_ADDR: '127.0.0.1:0',
        REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED: 'true',
      },
    });
    await pushArchive(registry, await version('1.0.0')).expect(201);
    await pushArchive(registry, await version('1.1.0')).expect(201);

    const attempts = await failing.waitForRequests(6);
    const firstEvent = attempts.slice(0, 3);
    expect(new Set(firstEvent.map(deliveryIdOf)).size).toBe(1);
    expect(firstEvent.map((received) => eventOf(received)?.version)).toEqual(['1.0.0', '1.0.0', '1.0.0']);
    // 200 ms after the first failure, 400 ms after the second (timers never fire early; 5 ms for clock rounding).
    expect((attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0)).toBeGreaterThanOrEqual(195);
    expect((attempts[2]?.at ?? 0) - (attempts[1]?.at ?? 0)).toBeGreaterThanOrEqual(395);
    // Given up on after three: the endpoint goes on with its next event.
    expect(attempts.slice(3).map((received) => eventOf(received)?.version)).toEqual(['1.1.0', '1.1.0', '1.1.0']);

    const admin = () => registry.get('/v1/notifications/deadletters').auth(ADMIN.user, ADMIN.password).expect(200);
    const dead = (await until(admin, (answer) => (answer.body as DeadLetterPage).deadLetters.length === 2)).body as DeadLetterPage;
    expect(dead.deadLetters.map((letter) => [letter.endpoint, letter.event.version, letter.attempts, letter.lastError])).toEqual([
      ['failing', '1.0.0', 3, 'the receiver answered 500'],
      ['failing', '1.1.0', 3, 'the receiver answered 500'],
    ]);
    expect(dead.deadLetters[0]?.deliveryId).toBe(deliveryIdOf(attempts[0] as ReceivedRequest));
    await registry.get('/v1/notifications/deadletters').auth(READER.user, READER.password).expect(403);

    const metrics = (await request(registry.running.debugUrl as string).get('/metrics').expect(200)).text;
    expect(metrics).toContain('pack_registry_notification_deliveries{endpoint="failing",state="dead"} 2');
    expect(metrics).toContain('pack_registry_notification_attempts_total{endpoint="failing",outcome="failed"} 4');
    expect(metrics).toContain('pack_registry_notification_attempts_total{endpoint="failing",outcome="dead"} 2');

    // The receiver is back; an administrator sends the dead letters again, in their order, with their ids.
    failing.answerWith(() => 204);
    const retried = await registry.post('/v1/notifications/deadletters/retry?endpoint=failing').auth(ADMIN.user, ADMIN.password).expect(200);
    expect(retried.body).toEqual({ retried: 2 });
    const redelivered = (await failing.waitForRequests(8)).slice(6);
    expect(redelivered.map((received) => eventOf(received)?.version)).toEqual(['1.0.0', '1.1.0']);
    expect(redelivered.map(deliveryIdOf)).toEqual([deliveryIdOf(attempts[0] as ReceivedRequest), deliveryIdOf(attempts[3] as ReceivedRequest)]);
    await until(admin, (answer) => (answer.body as DeadLetterPage).deadLetters.length === 0);
  });

  it('keeps retrying a receiver that refuses connections, and delivers once it is back', async () => {
    const gone = await startWebhookReceiver();
    const port = Number(new URL(gone.url).port);
    await gone.close();
    const registry = await createTestApp({ env: endpoints([{ name: 'down', url: gone.url, backoff: '50ms', maxbackoff: '100ms', threshold: 1000 }]) });
    await pushArchive(registry, await version('1.0.0')).expect(201);
    await pushArchive(registry, await version('1.1.0')).expect(201);
    // Several refused attempts go by (50 ms, then every 100 ms); nothing is given up on.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const none = (await registry.get('/v1/notifications/deadletters').auth(ADMIN.user, ADMIN.password).expect(200)).body as DeadLetterPage;
    expect(none.deadLetters).toEqual([]);
    const back = await startWebhookReceiver(() => 204, port);
    const delivered = await back.waitForRequests(2);
    expect(delivered.map((received) => eventOf(received)?.version)).toEqual(['1.0.0', '1.1.0']);
  });

  it('sends everything again after the server is killed in the middle of a delivery (at least once, same delivery id)', async () => {
    const receiver = await startWebhookReceiver(() => 'hang');
    const dir = await makeTempDir();
    await writeHtpasswd(join(dir, 'htpasswd'), [ADMIN, READER]);
    const env = endpoints([{ name: 'receiver', url: receiver.url, timeout: '60s' }]);
    let server = await startRegistryProcess({ dir, env });
    const push = (number: string) => async () =>
      pushArchive({ post: (path) => request(server.url).post(path).ca(server.ca) }, await version(number)).expect(201);
    await push('1.0.0')();
    await push('1.1.0')();
    await push('1.2.0')();
    const [inFlight] = await receiver.waitForRequests(1);
    expect(inFlight?.status).toBeUndefined();

    await server.process.stop('SIGKILL');
    receiver.answerWith(() => 204);
    server = await startRegistryProcess({ dir, env });
    const after = (await receiver.waitForRequests(4)).slice(1);
    expect(after.map((received) => eventOf(received)?.version)).toEqual(['1.0.0', '1.1.0', '1.2.0']);
    expect(after.map((received) => received.status)).toEqual([204, 204, 204]);
    expect(deliveryIdOf(after[0] as ReceivedRequest)).toBe(deliveryIdOf(inFlight as ReceivedRequest));
    expect(await server.stop()).toBe(0);
  });
});
