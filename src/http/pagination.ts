import type { Request, Response } from 'express';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../api/index.js';
import { RegistryError } from '../registry/errors.js';
import type { Page, PageOf } from '../registry/registry.js';
import { singleQueryValue } from './query.js';

/**
 * `?n=&last=` as Distribution reads them; `n` above the maximum is lowered to it, as Distribution does. Each
 * may be given once: a repeated one is PAGINATION_INVALID.
 */
export function readPage(req: Request): Page {
  const n = singleQueryValue(req, 'n', 'PAGINATION_INVALID');
  const last = singleQueryValue(req, 'last', 'PAGINATION_INVALID');
  let limit = DEFAULT_PAGE_SIZE;
  if (n !== undefined) {
    limit = Number(n);
    if (!/^\d+$/.test(n) || limit < 1) {
      throw new RegistryError('PAGINATION_INVALID', `n must be a whole number from 1 to ${MAX_PAGE_SIZE}`, { n });
    }
  }
  return { limit: Math.min(limit, MAX_PAGE_SIZE), last: last ?? '' };
}

/** Sets `Link: <...>; rel="next"` (keeping the other query parameters) when more items follow. */
export function setNextLink<T>(req: Request, res: Response, page: Page, result: PageOf<T>): void {
  if (result.next === undefined) return;
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(req.query)) {
    if (key !== 'n' && key !== 'last' && typeof value === 'string') query.set(key, value);
  }
  query.set('n', String(page.limit));
  query.set('last', result.next);
  res.setHeader('Link', `<${req.baseUrl}${req.path}?${query.toString()}>; rel="next"`);
}
