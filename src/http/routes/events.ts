import type { IRouter, Request } from 'express';
import type { ChangePage, DeadLetterPage, DeadLetterRetry } from '../../api/index.js';
import { feedLimit } from '../../registry/feed.js';
import type { Registry } from '../../registry/registry.js';
import { requireAdmin } from '../authenticate.js';
import { readPage, setNextLink } from '../pagination.js';
import { singleQueryValue } from '../query.js';

/** The change feed (any reader) and the webhooks' dead letters (admins). */
export function addEventRoutes(router: IRouter, registry: Registry): void {
  router.get('/v1/events', async (req, res) => {
    const since = singleQueryValue(req, 'since', 'CURSOR_INVALID');
    const limit = feedLimit(singleQueryValue(req, 'limit', 'CURSOR_INVALID'));
    res.json((await registry.changes(since === '' ? undefined : since, limit)) satisfies ChangePage);
  });

  router.get('/v1/notifications/deadletters', requireAdmin, async (req, res) => {
    const page = readPage(req);
    const result = await registry.deadLetters(endpointOf(req), page);
    setNextLink(req, res, page, result);
    res.json({ deadLetters: result.items } satisfies DeadLetterPage);
  });

  router.post('/v1/notifications/deadletters/retry', requireAdmin, async (req, res) => {
    res.json({ retried: await registry.retryDeadLetters(endpointOf(req)) } satisfies DeadLetterRetry);
  });
}

/** `?endpoint=` given once, or none (every endpoint). */
function endpointOf(req: Request): string | undefined {
  const value = singleQueryValue(req, 'endpoint');
  return value === '' ? undefined : value;
}
