import type { IRouter, Response } from 'express';
import { RegistryError } from '../../registry/errors.js';
import { hasBlobRoute } from '../../registry/views.js';
import { FILE_READ_RETRY_AFTER_SECONDS, type PackFileReads } from '../file-reads.js';
import { FILE_RESPONSE_HEADERS, packFileType } from '../file-types.js';
import { sendStream } from './packs.js';

/**
 * `?type=` may only choose among raster images a browser decodes without running anything (what /files serves
 * inline anyway): never HTML, never SVG. Any other value is ignored and the file's own type (file-types.ts)
 * applies.
 */
const IMAGE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

const DIGEST = /^sha256:([0-9a-f]{64})$/;

/**
 * Content-addressed: the bytes of a digest never change. `private`, not `public`: reads need credentials
 * (unless anonymous reads are on), and a shared cache must not hand a pack's file to whoever asks it.
 */
const CACHE_CONTROL = 'private, max-age=31536000, immutable';

/**
 * `GET`/`HEAD /v1/{name}/blobs/sha256:{hex}`: any file of any stored version of pack `{name}` by its SHA-256 —
 * the logo above all, which Spectro Cloud's registries address this way (`logoUrl`). Registered after the
 * `/v1/packs/…` routes: `/v1/packs/blobs/sha256:…` stays pack `blobs` by digest, and pack names the route
 * cannot address (views.ts NAMES_WITHOUT_BLOB_ROUTE) fall through to the next route.
 */
export function addBlobRoutes(router: IRouter, files: PackFileReads): void {
  router.get('/v1/:name/blobs/:digest', async (req, res, next) => {
    const { name, digest } = req.params as { name: string; digest: string };
    if (!hasBlobRoute(name)) {
      next();
      return;
    }
    for (const [header, value] of FILE_RESPONSE_HEADERS) res.setHeader(header, value);
    const sha256 = DIGEST.exec(digest)?.[1];
    if (!sha256) {
      throw new RegistryError('BLOB_NOT_FOUND', `${digest} is not a blob digest (sha256:<64 lower-case hex>)`, { name, digest });
    }
    // The index answers HEAD and conditional GETs; the archive is opened only for bytes to send.
    const found = await files.describeBlob(name, sha256);
    res.setHeader('ETag', `"sha256:${sha256}"`);
    res.setHeader('Cache-Control', CACHE_CONTROL);
    setBlobHeaders(res, found.path, requestedType(req.query.type), found.size);
    if (req.fresh) {
      res.removeHeader('Content-Length');
      res.status(304).end();
      return;
    }
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    let file: Awaited<ReturnType<PackFileReads['openBlob']>>;
    try {
      file = await files.openBlob(name, sha256);
    } catch (error) {
      if (error instanceof RegistryError && error.code === 'TOO_MANY_FILE_READS') {
        res.setHeader('Retry-After', String(FILE_READ_RETRY_AFTER_SECONDS));
      }
      throw error;
    }
    res.setHeader('Content-Length', String(file.size));
    if (Buffer.isBuffer(file.body)) {
      res.end(file.body);
      return;
    }
    await sendStream(res, file.body);
  });
}

/** The `?type=` asked for when it is one of IMAGE_TYPES (given once); otherwise none. */
function requestedType(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const type = value.trim().toLowerCase();
  return IMAGE_TYPES.has(type) ? type : undefined;
}

function setBlobHeaders(res: Response, path: string, imageType: string | undefined, size: number): void {
  if (imageType) {
    res.setHeader('Content-Type', imageType);
  } else {
    const type = packFileType(path);
    res.setHeader('Content-Type', type.contentType);
    if (type.disposition) res.setHeader('Content-Disposition', type.disposition);
  }
  res.setHeader('Content-Length', String(size));
}

