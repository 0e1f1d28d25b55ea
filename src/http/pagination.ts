import type { Request, Response } from 'express';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../api/index.js';
import { RegistryError } from '../registry/errors.js';
import type { Page, PageOf } from '../registry/registry.js';

/** `?n=&last=` as Distribution reads them; `n` above the maximum is lowered to it, as Distribution does. */
export function readPage(req: Request): Page {
  const { n, last } = req.query;
  let limit = DEFAULT_PAGE_SIZE;
  if (n !== undefined) {
    limit = Number(n);
    if (typeof n !== 'string' || !/^\d+$/.test(n) || limit < 1) {
      throw new RegistryError('PAGINATION_INVALID', `n must be a whole number from 1 to ${MAX_PAGE_SIZE}`, { n });
    }
  }
  if (last !== undefined && typeof last !== 'string') {
    throw new RegistryError('PAGINATION_INVALID', 'last must be given once', {});
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
