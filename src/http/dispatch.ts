import type { Express } from 'express';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { runChain, type ErrorMiddleware, type Middleware, type RegistryRequest } from './middleware.js';

/**
 * The archive download route as the fast path serves it: the steps express runs before the route (traffic,
 * request log, metrics, response headers, authentication, the read-only guard — the SAME functions, in the
 * same order), the route's own function, and the error handler express would reach.
 */
export interface ArchiveFastPath {
  steps: readonly Middleware[];
  serve(req: RegistryRequest, res: ServerResponse, name: string, ref: string): Promise<void>;
  onError: ErrorMiddleware;
}

/**
 * The request listener: express for everything, except the one request a registry answers far more often than
 * any other — an archive download — which skips express's per-request work (swapping the request's and the
 * response's prototypes, walking every route's pattern) and runs the same steps directly (runChain).
 *
 * Only a plain download takes the fast path (see plainArchiveDownload); anything else about it (a query, a
 * Range, a conditional header, a path express would match only case-insensitively or after decoding trouble)
 * goes to express, which answers it as it always did. There is no second implementation of anything: every
 * step and the answer itself are the functions express's app calls for the same route.
 */
export function dispatch(app: Express, archive: ArchiveFastPath | undefined): RequestListener {
  if (!archive) return app;
  return (req, res) => {
    const target = plainArchiveDownload(req);
    if (target === undefined) {
      app(req, res);
      return;
    }
    runChain(archive.steps, (request, response) => archive.serve(request, response, target.name, target.ref), archive.onError, req, res);
  };
}

/**
 * Segments of URL characters only (RFC 3986 unreserved, sub-delims, `:`, `@`, percent escapes): the path parser
 * express uses (parseurl) reads those literally, and hands anything else (`#`, white space, non-ASCII bytes) to
 * url.parse, whose reading the fast path does not try to copy.
 */
const ARCHIVE_PATH = /^\/v1\/packs\/([\w\-.~%!$&'()*+,;=:@]+)\/([\w\-.~%!$&'()*+,;=:@]+)\/archive$/;

/**
 * `GET|HEAD /v1/packs/{name}/{ref}/archive` exactly as express's route `/v1/packs/:name/:ref/archive` would
 * match it (two non-empty segments, each percent-decoded), with no query and none of the headers that change
 * the answer (Range, If-Range, If-None-Match, If-Modified-Since: express's req.range and req.fresh read those).
 * Undefined for anything else, which express then answers.
 */
export function plainArchiveDownload(req: IncomingMessage): { name: string; ref: string } | undefined {
  const { method, headers } = req;
  if (method !== 'GET' && method !== 'HEAD') return undefined;
  const match = ARCHIVE_PATH.exec(req.url ?? '');
  if (!match?.[1] || !match[2]) return undefined;
  if (
    headers.range !== undefined ||
    headers['if-range'] !== undefined ||
    headers['if-none-match'] !== undefined ||
    headers['if-modified-since'] !== undefined
  ) {
    return undefined;
  }
  const name = decodeSegment(match[1]);
  const ref = decodeSegment(match[2]);
  return name === undefined || ref === undefined ? undefined : { name, ref };
}

/** As express's router decodes a path parameter; a malformed escape is left to express (it answers 400). */
function decodeSegment(segment: string): string | undefined {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
