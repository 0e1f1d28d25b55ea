import express, { type Express } from 'express';
import type { Registry } from '../registry/registry.js';
import { RegistryError } from '../registry/errors.js';
import { authenticate, type AuthSettings } from './authenticate.js';
import { errorHandler, sendError } from './errors.js';
import { catalogRoutes } from './routes/catalog.js';
import { healthRoutes } from './routes/health.js';
import { packRoutes } from './routes/packs.js';
import { tagRoutes } from './routes/tags.js';

export interface AppDependencies {
  registry: Registry;
  auth: AuthSettings;
  /** Response headers set on every answer (`http.headers`), e.g. the security headers. */
  headers: Record<string, string[]>;
  maxUploadSize: number;
  /** Where unexpected errors are reported; they reach the client only as INTERNAL. */
  logError: (error: unknown) => void;
}

/** The HTTP layer: no listening, no TLS (see server.ts), so tests can drive it with supertest. */
export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  // Archives carry their own strong ETag; express's weak body hashes would cost CPU for nothing on JSON.
  app.set('etag', false);

  app.use((_req, res, next) => {
    for (const [name, values] of Object.entries(deps.headers)) res.setHeader(name, values);
    next();
  });

  app.use(healthRoutes(deps.registry));
  app.use('/v1', authenticate(deps.auth));
  app.use(catalogRoutes(deps.registry));
  // Before the pack routes: `/v1/packs/{name}/tags` and `/history` must not be read as `{ref}`.
  app.use(express.json({ limit: '16kb' }), tagRoutes(deps.registry));
  app.use(packRoutes(deps.registry, deps.maxUploadSize));

  app.use((req, res) => {
    sendError(res, new RegistryError('NOT_FOUND', `no such endpoint: ${req.method} ${req.path}`));
  });
  app.use(errorHandler(deps.logError));
  return app;
}
