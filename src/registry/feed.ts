// The change feed's cursors and documents. A cursor is `<epoch>.<id>`: the feed's name (a random value made
// with the index, carried over by reindex) and the id of the last event seen. Clients treat it as opaque;
// the registry can tell a cursor of another feed (an index made anew) from one it pruned past, and refuses
// both with CURSOR_EXPIRED: the client resyncs from the catalog, then follows the feed from `detail.head`.
import type { ChangeEvent, ChangePage, DeadLetter, WebhookBody } from '../api/index.js';
import type { DeliveryRecord, FeedBounds, FeedRecord } from '../db/pack-index.js';
import { RegistryError } from './errors.js';

/** Events in a feed page when `limit` is not given, and the most one page holds. */
export const DEFAULT_FEED_LIMIT = 100;
export const MAX_FEED_LIMIT = 1000;

const CURSOR = /^([0-9a-f]{1,32})\.(\d{1,15})$/;

export function feedCursor(epoch: string, id: number): string {
  return `${epoch}.${id}`;
}

/** The id after which to read for `since` (none: from the oldest event kept), or CURSOR_INVALID / CURSOR_EXPIRED. */
export function feedPosition(since: string | undefined, bounds: FeedBounds): number {
  if (since === undefined) return bounds.prunedThrough;
  const match = CURSOR.exec(since);
  if (!match) {
    throw new RegistryError('CURSOR_INVALID', 'since must be a cursor from this feed (the id of an event, or next of a page)', { since });
  }
  const id = Number(match[2]);
  const head = feedCursor(bounds.epoch, bounds.lastId);
  if (match[1] !== bounds.epoch || id > bounds.lastId) {
    throw expired(since, head, 'it belongs to a feed this registry no longer keeps (its index was made anew)');
  }
  if (id < bounds.prunedThrough) {
    throw expired(since, head, 'the events after it are older than the feed keeps (changefeed.maxage)');
  }
  return id;
}

function expired(since: string, head: string, why: string): RegistryError {
  return new RegistryError(
    'CURSOR_EXPIRED',
    `the cursor ${since} has expired: ${why}. Resync from the catalog (GET /v1/_catalog), then follow the feed from ${head} (detail.head)`,
    { since, head },
  );
}

/** `limit` as the query gives it: a whole number from 1, lowered to MAX_FEED_LIMIT. */
export function feedLimit(limit: string | undefined): number {
  if (limit === undefined) return DEFAULT_FEED_LIMIT;
  if (!/^\d{1,9}$/.test(limit) || Number(limit) < 1) {
    throw new RegistryError('CURSOR_INVALID', `limit must be a whole number from 1 to ${MAX_FEED_LIMIT}`, { limit });
  }
  return Math.min(Number(limit), MAX_FEED_LIMIT);
}

/** Field by field, so that a column added to the feed is not published by accident. */
export function changeEvent(epoch: string, event: FeedRecord): ChangeEvent {
  return {
    id: feedCursor(epoch, event.id),
    action: event.action,
    pack: event.pack,
    version: event.version,
    tag: event.tag,
    digest: event.digest,
    user: event.user,
    at: event.at,
    message: event.message,
  };
}

export function changePage(epoch: string, after: number, events: readonly FeedRecord[]): ChangePage {
  const last = events.at(-1);
  return { events: events.map((event) => changeEvent(epoch, event)), next: feedCursor(epoch, last ? last.id : after) };
}

export function webhookBody(event: ChangeEvent): WebhookBody {
  return { events: [event] };
}

export function deadLetter(record: DeliveryRecord): DeadLetter {
  const [event] = (JSON.parse(record.body) as WebhookBody).events;
  return {
    id: record.id,
    endpoint: record.endpoint,
    deliveryId: record.deliveryId,
    event,
    attempts: record.attempts,
    lastError: record.lastError,
    createdAt: record.createdAt,
    deadAt: record.deadAt ?? record.createdAt,
  };
}
