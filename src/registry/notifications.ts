// Webhook deliveries from the durable outbox (the index's `outbox` table, written in the transaction of each
// change). One worker per endpoint sends that endpoint's deliveries one at a time, in feed order, at least
// once: a row is removed only after the receiver answered 2xx, so a crash or a stop in the middle of a
// delivery sends it again at the next start (the delivery id lets the receiver drop the duplicate).
//
// A failure (no answer within `timeout`, a connection error, a status other than 2xx) is retried after
// `backoff`, doubling with each failure up to `maxbackoff`. After `threshold` failed attempts the delivery is
// a dead letter: kept, visible over the API and in the metrics, retried only when an administrator asks —
// and the endpoint goes on with its next event. So later events wait behind a failing one until it is given
// up on, never longer; a dead letter retried is delivered after whatever is pending before it in feed order.
//
// Nothing here runs on a request's path: a push only inserts rows, so a hung or slow receiver never slows it.
import { createHmac } from 'node:crypto';
import type { DeliveryRecord, PackIndex } from '../db/pack-index.js';

export interface WebhookEndpoint {
  name: string;
  url: string;
  /** Sent with every delivery (Distribution's `headers`: a list of values per name). */
  headers: Record<string, string[]>;
  timeoutMs: number;
  /** Failed attempts before a delivery becomes a dead letter. */
  threshold: number;
  backoffMs: number;
  maxBackoffMs: number;
  /** Signs every body (X-Pack-Registry-Signature); none: unsigned. */
  secret?: string | undefined;
}

export type DeliveryOutcome = 'delivered' | 'failed' | 'dead';

export interface DispatcherOptions {
  now?: () => number;
  /** How often an idle worker looks at the outbox without being woken (rows another process wrote). */
  pollMs?: number;
  /** Every attempt's end, for the metrics and the log. */
  onAttempt?: (endpoint: string, outcome: DeliveryOutcome, seconds: number, error?: string) => void;
  /** The outbox could not be read or written (the index failed): logged, and tried again after pollMs. */
  onError?: (error: unknown, endpoint: string) => void;
}

export const SIGNATURE_HEADER = 'X-Pack-Registry-Signature';
export const DELIVERY_HEADER = 'X-Pack-Registry-Delivery';
export const EVENT_HEADER = 'X-Pack-Registry-Event';

/** `sha256=<hex>`: HMAC-SHA256 of the exact body bytes under the endpoint's secret (GitHub's scheme). */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The wait before attempt `failures + 1`: `backoff · 2^(failures-1)`, at most `maxBackoff`. */
export function backoffAfter(failures: number, endpoint: Pick<WebhookEndpoint, 'backoffMs' | 'maxBackoffMs'>): number {
  return Math.min(endpoint.backoffMs * 2 ** Math.min(failures - 1, 40), endpoint.maxBackoffMs);
}

export class NotificationDispatcher {
  private readonly now: () => number;
  private readonly pollMs: number;
  private readonly stopping = new AbortController();
  private readonly wakers = new Map<string, () => void>();
  private workers: Promise<void>[] = [];

  constructor(
    private readonly db: PackIndex,
    private readonly endpoints: readonly WebhookEndpoint[],
    private readonly options: DispatcherOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.pollMs = options.pollMs ?? 2000;
  }

  /** Start one worker per endpoint; what the outbox holds from before (a restart) goes out first. */
  start(): void {
    if (this.workers.length > 0 || this.endpoints.length === 0) return;
    // Node loads its fetch implementation on the first call: about 25 ms of CPU on the event loop. Paid here,
    // at start, rather than by whichever request runs beside the first delivery.
    const warm = fetch('data:,').then((response) => response.arrayBuffer(), () => undefined);
    this.workers = this.endpoints.map((endpoint) => warm.then(() => this.run(endpoint)));
  }

  /** A change was committed: idle workers look at the outbox now rather than at their next poll. */
  wake(): void {
    for (const wake of this.wakers.values()) wake();
  }

  /** Abort the attempts in flight (they stay in the outbox, sent again at the next start) and end the workers. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.wake();
    await Promise.all(this.workers);
  }

  private async run(endpoint: WebhookEndpoint): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      let delivery: DeliveryRecord | undefined;
      try {
        delivery = await this.db.nextDelivery(endpoint.name);
      } catch (error) {
        this.options.onError?.(error, endpoint.name);
        await this.idle(endpoint.name, this.pollMs);
        continue;
      }
      if (!delivery) {
        await this.idle(endpoint.name, this.pollMs);
        continue;
      }
      const wait = delivery.nextAttempt - this.now();
      if (wait > 0) {
        await this.idle(endpoint.name, Math.min(wait, this.pollMs));
        continue;
      }
      const started = this.now();
      const failure = await this.send(endpoint, delivery);
      // Cut short by our own stop: not the receiver's failure, and not counted. It is sent again at the next start.
      if (signal.aborted) break;
      const seconds = (this.now() - started) / 1000;
      try {
        if (failure === undefined) {
          await this.db.deliveryDone(delivery.id);
          this.options.onAttempt?.(endpoint.name, 'delivered', seconds);
          continue;
        }
        const attempts = delivery.attempts + 1;
        const dead = attempts >= endpoint.threshold;
        await this.db.deliveryFailed(delivery.id, {
          attempts,
          nextAttempt: this.now() + backoffAfter(attempts, endpoint),
          lastError: failure,
          deadAt: dead ? new Date(this.now()).toISOString() : null,
        });
        this.options.onAttempt?.(endpoint.name, dead ? 'dead' : 'failed', seconds, failure);
      } catch (error) {
        this.options.onError?.(error, endpoint.name);
        await this.idle(endpoint.name, this.pollMs);
      }
    }
  }

  /** One POST; undefined when the receiver answered 2xx, else why not. */
  private async send(endpoint: WebhookEndpoint, delivery: DeliveryRecord): Promise<string | undefined> {
    const headers = new Headers();
    for (const [name, values] of Object.entries(endpoint.headers)) for (const value of values) headers.append(name, value);
    headers.set('Content-Type', 'application/json');
    headers.set('User-Agent', 'pack-registry-notifications');
    headers.set(DELIVERY_HEADER, delivery.deliveryId);
    headers.set(EVENT_HEADER, eventIdOf(delivery));
    if (endpoint.secret !== undefined) headers.set(SIGNATURE_HEADER, signBody(endpoint.secret, delivery.body));
    // A controller and a timer of our own, not AbortSignal.any([AbortSignal.timeout(…), …]): Node 20 may
    // collect such a composite signal's timeout while the request waits, and a hung receiver then holds the
    // endpoint's worker for ever (seen in test/notifications).
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, endpoint.timeoutMs);
    const onStop = () => controller.abort();
    this.stopping.signal.addEventListener('abort', onStop, { once: true });
    try {
      const response = await fetch(endpoint.url, { method: 'POST', body: delivery.body, headers, redirect: 'manual', signal: controller.signal });
      // The answer's body means nothing to us; cancelling it frees the connection.
      await response.body?.cancel().catch(() => {});
      if (response.status >= 200 && response.status < 300) return undefined;
      return `the receiver answered ${response.status}`;
    } catch (error) {
      if (timedOut) return `no answer within ${endpoint.timeoutMs} ms`;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      return cause?.code ?? cause?.message ?? (error as Error).message;
    } finally {
      clearTimeout(timer);
      this.stopping.signal.removeEventListener('abort', onStop);
    }
  }

  /** Wait `ms`, or less when woken or stopped. */
  private idle(endpoint: string, ms: number): Promise<void> {
    if (this.stopping.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(endpoint);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.set(endpoint, done);
    });
  }
}

function eventIdOf(delivery: DeliveryRecord): string {
  try {
    const body = JSON.parse(delivery.body) as { events?: { id?: unknown }[] };
    const id = body.events?.[0]?.id;
    return typeof id === 'string' ? id : String(delivery.eventId);
  } catch {
    return String(delivery.eventId);
  }
}
