import express from 'express';
import type { RequestListener } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from '../registry/registry.js';
import { RegistryError } from '../registry/errors.js';
import { authenticate, type AuthSettings } from './authenticate.js';
import { dispatch } from './dispatch.js';
import { errorHandler, sendError } from './errors.js';
import { requestLogging } from './logging.js';
import type { HttpMetrics } from './metrics.js';
import type { Middleware } from './middleware.js';
import { addCatalogRoutes } from './routes/catalog.js';
import { addHealthRoutes } from './routes/health.js';
import { PackFileReads } from './file-reads.js';
import { addBlobRoutes } from './routes/blobs.js';
import { addEventRoutes } from './routes/events.js';
import { addPackRoutes, serveArchive, UNCONDITIONAL } from './routes/packs.js';
import { addTagRoutes } from './routes/tags.js';
import { addTokenRoutes } from './routes/tokens.js';
import { countTraffic } from './traffic.js';
import { addWebUi } from './ui/routes.js';

export interface AppDependencies {
  registry: Registry;
  auth: AuthSettings;
  /** Response headers set on every answer (`http.headers`), e.g. the security headers. */
  headers: Record<string, string[]>;
  maxUploadSize: number;
  maxConcurrentUploads: number;
  /** `/files` reads searching their archives at once (`limits.maxconcurrentfilereads`; see file-reads.ts). */
  maxConcurrentFileReads: number;
  /**
   * `http.trustedproxies`: peers whose X-Forwarded-For names the client (express's `trust proxy`, so `req.ip`
   * is the client the failure limits count). Empty or absent: the socket's peer, whatever the headers say.
   */
  trustedProxies?: readonly string[];
  /**
   * `http.host`: where clients reach the registry (`https://registry.example.com`), for the absolute URLs in
   * documents (`logoUrl`). Absent: the request's protocol and Host (see base-url.ts).
   */
  externalUrl?: string | undefined;
  /** Where unexpected errors are reported; they reach the client only as INTERNAL. */
  logError: (error: unknown) => void;
  /** One log line per request (see logging.ts); none when absent. */
  logger?: Logger;
  /** Prometheus metrics (see metrics.ts); none when absent. */
  metrics?: HttpMetrics;
  /** false: archive downloads go through express like everything else (tests compare both paths); default true. */
  archiveFastPath?: boolean | undefined;
}

/**
 * The HTTP layer: no listening, no TLS (see server.ts), so tests can drive it with supertest. A request listener:
 * express's app behind the archive fast path (dispatch.ts), which runs the very steps below for plain downloads.
 */
export function createApp(deps: AppDependencies): RequestListener {
  const app = express();
  app.disable('x-powered-by');
  // Archives carry their own strong ETag; express's weak body hashes would cost CPU for nothing on JSON.
  app.set('etag', false);
  if (deps.trustedProxies?.length) app.set('trust proxy', [...deps.trustedProxies]);

  // Every step in front of the routes is a plain (req, res, next) function (middleware.ts), mounted on express
  // AND run by the archive fast path: one implementation of each, whichever way a request is routed.
  // Request lines are written at info (debug for /health, which implies info): above that level nobody reads
  // them, and building them cost a fifth of a small download's CPU (bench/results).
  const logRequests = deps.logger?.isLevelEnabled('info') ?? false;
  const front: Middleware[] = [];
  if (logRequests || deps.metrics) front.push(countTraffic());
  if (deps.logger && logRequests) front.push(requestLogging(deps.logger));
  if (deps.metrics) front.push(deps.metrics.middleware());
  front.push(setResponseHeaders(deps.headers));
  const guards: Middleware[] = [authenticate(deps.auth), refuseWritesWhenReadOnly(deps.registry)];
  const onError = errorHandler(deps.logError);

  for (const step of front) app.use(step);
  addHealthRoutes(app, deps.registry);
  app.use('/v1', ...guards);
  // Routes go straight onto the app, not into one nested router per module: every nested router a request
  // enters and leaves again was a measurable share of a small download's CPU.
  // Tags before packs: `/v1/packs/{name}/tags` and `/history` must not be read as `{ref}`.
  addTagRoutes(app, deps.registry);
  if (deps.auth.kind === 'htpasswd' && deps.auth.tokens) addTokenRoutes(app, deps.auth.tokens);
  addCatalogRoutes(app, deps.registry, deps.externalUrl);
  addEventRoutes(app, deps.registry);
  // One reader for /files and /blobs: one cache, one bound on archives searched at once (file-reads.ts).
  const files = new PackFileReads(deps.registry, { maxConcurrent: deps.maxConcurrentFileReads });
  addPackRoutes(app, deps.registry, deps, files);
  // After the pack routes: `/v1/packs/blobs/sha256:…` is pack `blobs` by digest (see routes/blobs.ts).
  addBlobRoutes(app, files);
  // The web UI's pages at `/` (GET/HEAD outside /v1): after the API, so no API request passes through it.
  addWebUi(app, { registry: deps.registry, auth: deps.auth, files, externalUrl: deps.externalUrl, logError: deps.logError });

  app.use((req, res) => {
    sendError(res, new RegistryError('NOT_FOUND', `no such endpoint: ${req.method} ${req.path}`));
  });
  app.use(onError);

  // Behind trusted proxies the client address is express's req.ip (X-Forwarded-For, judged by express's
  // `trust proxy`), which only express computes: then every request goes through express.
  const fastPath =
    deps.archiveFastPath === false || deps.trustedProxies?.length
    ? undefined
    : {
        steps: [...front, ...guards],
        serve: (req: Parameters<Middleware>[0], res: Parameters<Middleware>[1], name: string, ref: string) =>
          serveArchive(deps.registry, req, res, name, ref, UNCONDITIONAL),
        onError,
      };
  return dispatch(app, fastPath);
}

/** `http.headers` (e.g. the security headers) on every answer, set before anything can answer. */
function setResponseHeaders(headers: Record<string, string[]>): Middleware {
  const entries = Object.entries(headers);
  return (_req, res, next) => {
    for (const [name, values] of entries) res.setHeader(name, values);
    next();
  };
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Maintenance mode (`storage.maintenance.readonly.enabled`): every write answers 503 READ_ONLY, whichever
 * route it is for, before any body is read; reads go on.
 */
function refuseWritesWhenReadOnly(registry: Registry): Middleware {
  return (req, _res, next) => {
    if (!READ_METHODS.has(req.method ?? '')) registry.assertWritable();
    next();
  };
}
