import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Middleware } from './middleware.js';

/** What one exchange moved, shared by the request log line and the metrics. */
export interface Traffic {
  /** Request body bytes as announced by `Content-Length` (0 when the body is chunked or absent). */
  bytesIn: number;
  /** Response body bytes actually handed to the socket (headers not counted). */
  bytesOut: number;
  /** `performance.now()` when the request reached the application. */
  startedAt: number;
}

const trafficOfResponse = new WeakMap<ServerResponse, Traffic>();

/**
 * Counts the response body as it is written, so streamed archives (whose length the route knows) and
 * JSON answers (whose length express computes) are measured the same way, and an interrupted download
 * counts only what was sent. Mounted first, before anything can write.
 */
export function countTraffic(): Middleware {
  return (req, res, next) => {
    const traffic: Traffic = { bytesIn: announcedLength(req), bytesOut: 0, startedAt: performance.now() };
    trafficOfResponse.set(res, traffic);
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      traffic.bytesOut += byteLength(chunk, rest[0]);
      return write(chunk, ...rest);
    }) as ServerResponse['write'];
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (typeof chunk !== 'function') traffic.bytesOut += byteLength(chunk, rest[0]);
      return end(chunk, ...rest);
    }) as ServerResponse['end'];
    next();
  };
}

export function trafficOf(res: ServerResponse): Traffic {
  return trafficOfResponse.get(res) ?? { bytesIn: 0, bytesOut: 0, startedAt: performance.now() };
}

/** Milliseconds since the request reached the application. */
export function elapsedMs(res: ServerResponse): number {
  return performance.now() - trafficOf(res).startedAt;
}

function announcedLength(req: IncomingMessage): number {
  const length = Number(req.headers['content-length'] ?? 0);
  return Number.isSafeInteger(length) && length > 0 ? length : 0;
}

function byteLength(chunk: unknown, encoding: unknown): number {
  // A HEAD answer passes no body; Node drops any it is given, so nothing is counted either.
  if (chunk === undefined || chunk === null || typeof chunk === 'function') return 0;
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}
