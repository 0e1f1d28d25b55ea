import type { ServerResponse } from 'node:http';
import multer from 'multer';
import { ERROR_CATALOGUE, type ErrorBody } from '../api/index.js';
import { IndexUnavailableError, RegistryError, StorageUnavailableError } from '../registry/errors.js';
import { UploadTooLargeError } from '../registry/registry.js';
import type { ErrorMiddleware } from './middleware.js';

/** Headers a route may have set for the body it meant to send (an archive, a pack file), not for an error. */
const BODY_HEADERS = ['Content-Disposition', 'ETag', 'Pack-Digest', 'Pack-Version', 'Content-Length'] as const;

/**
 * Every code's status is the contract's (src/api/errors.ts); this is the one place that sends it. An error is
 * always JSON, whatever the route had already set up for its body (a 416 of the archive route must not say
 * `application/gzip`).
 *
 * Written with Node's response API alone, so express's routes and the archive fast path (dispatch.ts) send the
 * same bytes: what express's `res.status(s).json(body)` sent — Content-Type, then Content-Length, and no body
 * for HEAD (nothing is written that Node would drop, so the traffic count stays true).
 */
export function sendError(res: ServerResponse, error: RegistryError): void {
  const body: ErrorBody = { errors: error.entries() };
  const json = JSON.stringify(body);
  for (const name of BODY_HEADERS) res.removeHeader(name);
  // The storage or the index is expected back: tell clients (and packctl's retry) when to ask again.
  if (error.code === 'STORAGE_UNAVAILABLE' || error.code === 'INDEX_UNAVAILABLE') res.setHeader('Retry-After', String(error.detail.retryAfter ?? STORAGE_RETRY_AFTER_SECONDS));
  res.statusCode = ERROR_CATALOGUE[error.code].status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', String(Buffer.byteLength(json)));
  if (res.req.method === 'HEAD') res.end();
  else res.end(json, 'utf8');
}

/** Translate anything thrown below the routes into the contract's error shape; never leak a stack trace. */
export function errorHandler(log: (error: unknown) => void): ErrorMiddleware {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      // The body is already streaming: all that is left is to cut the connection so the client sees a failure.
      res.destroy();
      return;
    }
    const registryError = toRegistryError(error);
    if (registryError.code === 'INTERNAL') log(error);
    sendError(res, registryError);
    void next;
  };
}

const STORAGE_RETRY_AFTER_SECONDS = 10;

export function toRegistryError(error: unknown): RegistryError {
  if (error instanceof RegistryError) return error;
  if (error instanceof StorageUnavailableError) {
    return new RegistryError('STORAGE_UNAVAILABLE', `the registry's storage cannot be reached now: ${error.message}; nothing was changed, retry later`, {
      retryAfter: error.retryAfterSeconds,
    });
  }
  if (error instanceof IndexUnavailableError) {
    return new RegistryError('INDEX_UNAVAILABLE', `the registry's index cannot be reached now: ${error.message}; nothing was changed, retry later`, {
      retryAfter: error.retryAfterSeconds,
    });
  }
  if (error instanceof UploadTooLargeError) {
    return new RegistryError('PACK_TOO_LARGE', `the pack archive is larger than the limit of ${error.limit} bytes`, {
      limit: error.limit,
    });
  }
  if (error instanceof multer.MulterError) {
    return new RegistryError('PACK_INVALID', multerMessage(error), { field: error.field ?? null, reason: error.code });
  }
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  if (errno === 'ENOSPC' || errno === 'EDQUOT') {
    return new RegistryError('STORAGE_FULL', 'the registry storage is full; the push was not stored');
  }
  // body-parser errors (malformed or oversized JSON bodies) carry a 4xx status and are the client's fault.
  const status = (error as { status?: number } | undefined)?.status;
  if (status === 400 || status === 413 || status === 415) {
    return new RegistryError('BODY_INVALID', `the request body could not be read: ${(error as Error).message}`);
  }
  return new RegistryError('INTERNAL', 'an internal error occurred; see the server log');
}

function multerMessage(error: multer.MulterError): string {
  switch (error.code) {
    case 'LIMIT_UNEXPECTED_FILE':
      return `unexpected file field "${error.field ?? ''}": send the archive in the field "pack"`;
    case 'LIMIT_FILE_COUNT':
      return 'send exactly one archive, in the field "pack"';
    default:
      return `the upload form is invalid: ${error.message}`;
  }
}
