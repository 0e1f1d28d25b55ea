import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { originalUrlOf, type Middleware, type RegistryRequest } from './middleware.js';
import { elapsedMs, trafficOf } from './traffic.js';

/** A client's own request id is kept when it is this tame; anything else is replaced by a new UUID. */
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** The fields of the one line logged per request. No header is ever copied: Authorization cannot leak. */
export interface RequestLogFields {
  method: string;
  path: string;
  query?: string;
  status: number;
  user: string | null;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  remoteAddress: string | null;
  userAgent?: string;
  /** Set when the client went away before the answer was complete. */
  aborted?: true;
}

/**
 * One log line per request, written when the answer is complete (or the client gave up): request id
 * (also sent back as `X-Request-Id`), user, method, path, status, bytes in and out, duration.
 * `/health` answers are logged at debug level: load balancers and Docker's HEALTHCHECK ask every few
 * seconds, and a line each would bury everything else.
 */
export function requestLogging(logger: Logger): Middleware {
  const middleware = pinoHttp<RegistryRequest, ServerResponse>({
    logger,
    quietReqLogger: true,
    quietResLogger: true,
    customAttributeKeys: { reqId: 'requestId' },
    genReqId: (req, res) => {
      const offered = req.headers['x-request-id'];
      const id = typeof offered === 'string' && ACCEPTABLE_REQUEST_ID.test(offered) ? offered : randomUUID();
      res.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
    customLogLevel: (req, res, error) => {
      if (error || res.statusCode >= 500) return 'error';
      if (pathOf(req) === '/health' && res.statusCode < 400) return 'debug';
      return 'info';
    },
    customSuccessMessage: (req, res) => `${req.method} ${pathOf(req)} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${pathOf(req)} ${res.statusCode}`,
    customSuccessObject: (req, res) => requestLogFields(req, res),
    customErrorObject: (req, res) => {
      const cause = (res as ServerResponse & { err?: unknown }).err;
      return cause ? { ...requestLogFields(req, res), err: cause } : requestLogFields(req, res);
    },
  });
  return (req, res, next) => middleware(req, res, next);
}

export function requestLogFields(req: RegistryRequest, res: ServerResponse): RequestLogFields {
  const traffic = trafficOf(res);
  const url = originalUrlOf(req);
  const queryAt = url.indexOf('?');
  const userAgent = req.headers['user-agent'];
  return {
    method: req.method ?? '',
    path: pathOf(req),
    ...(queryAt >= 0 ? { query: url.slice(queryAt + 1) } : {}),
    status: res.statusCode,
    user: req.user?.name ?? null,
    bytesIn: traffic.bytesIn,
    bytesOut: traffic.bytesOut,
    durationMs: Math.round(elapsedMs(res) * 1000) / 1000,
    remoteAddress: req.socket.remoteAddress ?? null,
    ...(userAgent ? { userAgent } : {}),
    ...(res.writableFinished ? {} : { aborted: true as const }),
  };
}

function pathOf(req: RegistryRequest): string {
  const url = originalUrlOf(req);
  const queryAt = url.indexOf('?');
  return queryAt >= 0 ? url.slice(0, queryAt) : url;
}
