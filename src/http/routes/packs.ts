import type { IRouter, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RegistryError } from '../../registry/errors.js';
import type { ByteRange, Registry } from '../../registry/registry.js';
import { requireAdmin, requirePush, type RegistryUser } from '../authenticate.js';
import { baseUrlOf } from '../base-url.js';
import { FILE_READ_RETRY_AFTER_SECONDS, type PackFileBody, type PackFileReads } from '../file-reads.js';
import { FILE_RESPONSE_HEADERS, packFileType } from '../file-types.js';
import { chooseRange } from '../ranges.js';
import { limitConcurrentUploads, readPushForm, receivePack } from '../upload.js';

export function addPackRoutes(
  router: IRouter,
  registry: Registry,
  limits: { maxUploadSize: number; maxConcurrentUploads: number; externalUrl?: string | undefined },
  files: PackFileReads,
): void {
  router.post(
    '/v1/packs',
    requirePush,
    limitConcurrentUploads(limits.maxConcurrentUploads),
    receivePack((bytes, maxBytes) => registry.receiveUpload(bytes, maxBytes), (path) => registry.discardUpload(path), limits.maxUploadSize),
    async (req, res) => {
      const form = readPushForm(req);
      const version = await registry.push(form.upload, { ...form, user: userName(req.user), baseUrl: baseUrlOf(req, limits.externalUrl) });
      res
        .status(201)
        .location(`/v1/packs/${encodeURIComponent(version.name)}/${encodeURIComponent(version.version)}`)
        .json(version);
    },
  );

  router.get('/v1/packs/:name', async (req, res) => {
    res.json(await registry.getPack(req.params.name, baseUrlOf(req, limits.externalUrl)));
  });

  router.get('/v1/packs/:name/:ref', async (req, res) => {
    res.json(await registry.getVersion(req.params.name, req.params.ref, baseUrlOf(req, limits.externalUrl)));
  });

  // Express answers HEAD with the GET handler and drops the body; the stream is then never opened.
  // The archive fast path (dispatch.ts) serves most downloads with the same serveArchive, without express.
  router.get('/v1/packs/:name/:ref/archive', (req, res) =>
    serveArchive(registry, req, res, req.params.name, req.params.ref, {
      fresh: () => req.fresh,
      range: (size, etag) => chooseRange(req, size, etag),
    }),
  );

  // A pack's files come from whoever may push: served so that nothing in them can run (see file-types.ts),
  // and read out of their archives without letting a reader burn CPU at will (see file-reads.ts).
  router.get('/v1/packs/:name/:ref/files/*path', async (req, res) => {
    // First, so that every answer of this route carries them, its errors included.
    for (const [header, value] of FILE_RESPONSE_HEADERS) res.setHeader(header, value);
    const params = req.params as unknown as { name: string; ref: string; path: string[] };
    const path = params.path.join('/');
    if (req.method === 'HEAD') {
      const { version, size } = await files.describe(params.name, params.ref, path);
      setFileHeaders(res, path, version.version, size);
      res.end();
      return;
    }
    let file: PackFileBody;
    try {
      file = await files.open(params.name, params.ref, path);
    } catch (error) {
      if (error instanceof RegistryError && error.code === 'TOO_MANY_FILE_READS') {
        res.setHeader('Retry-After', String(FILE_READ_RETRY_AFTER_SECONDS));
      }
      throw error;
    }
    setFileHeaders(res, path, file.version.version, file.size);
    if (Buffer.isBuffer(file.body)) {
      res.end(file.body);
      return;
    }
    await sendStream(res, file.body);
  });

  router.delete('/v1/packs/:name/:ref', requireAdmin, async (req, res) => {
    const { name, ref } = req.params as { name: string; ref: string };
    await registry.deleteVersion(name, ref, userName(req.user));
    res.status(204).end();
  });
}

/** How a request's conditional and Range headers bear on the archive answer. */
export interface ArchiveConditions {
  /** The client's copy is current (If-None-Match / If-Modified-Since; express's req.fresh): 304. */
  fresh(): boolean;
  /** The bytes asked for (see ranges.ts); throws RANGE_INVALID for a Range that cannot be satisfied. */
  range(size: number, etag: string): ByteRange | null;
}

/** A request without If-None-Match, If-Modified-Since, Range or If-Range: never fresh, always the whole body. */
export const UNCONDITIONAL: ArchiveConditions = { fresh: () => false, range: () => null };

/**
 * GET and HEAD of `/v1/packs/{name}/{ref}/archive`: the one function that answers an archive download, whichever
 * path the request came by (express's route above, or the fast path in dispatch.ts). Anything that has to happen
 * per download belongs here.
 */
export async function serveArchive(
  registry: Registry,
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
  ref: string,
  conditions: ArchiveConditions,
): Promise<void> {
  const { version, blob } = await registry.openArchive(name, ref);
  const etag = `"${version.archiveDigest}"`;
  res.setHeader('Content-Type', 'application/gzip');
  res.setHeader('ETag', etag);
  res.setHeader('Pack-Digest', version.contentDigest);
  res.setHeader('Pack-Version', version.version);
  res.setHeader('Content-Disposition', `attachment; filename="${version.pack}-${version.version}.tar.gz"`);
  if (conditions.fresh()) {
    await blob.close();
    res.statusCode = 304;
    res.end();
    return;
  }
  res.setHeader('Accept-Ranges', 'bytes');
  let range: ByteRange | null;
  try {
    range = conditions.range(blob.size, etag);
  } catch (error) {
    await blob.close();
    res.setHeader('Content-Range', `bytes */${blob.size}`);
    throw error;
  }
  if (range) {
    res.statusCode = 206;
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${blob.size}`);
  }
  res.setHeader('Content-Length', String(range ? range.end - range.start + 1 : blob.size));
  if (req.method === 'HEAD') {
    await blob.close();
    res.end();
    return;
  }
  // A pull is a download from the first byte: a resumed download's later ranges are the same pull.
  if (!range || range.start === 0) registry.countDownload(version);
  if (blob.bytes) {
    res.end(range ? blob.bytes.subarray(range.start, range.end + 1) : blob.bytes);
    return;
  }
  await sendStream(res, blob.stream(range ?? undefined));
}

function setFileHeaders(res: Response, path: string, version: string, size: number): void {
  const type = packFileType(path);
  res.setHeader('Content-Type', type.contentType);
  if (type.disposition) res.setHeader('Content-Disposition', type.disposition);
  res.setHeader('Content-Length', String(size));
  res.setHeader('Pack-Version', version);
}

function userName(user: RegistryUser | undefined): string {
  return user?.name ?? 'anonymous';
}

/** Stream a body; a client that goes away mid-download is not an error worth more than closing the stream. */
export async function sendStream(res: ServerResponse, body: Readable): Promise<void> {
  try {
    await pipeline(body, res);
  } catch (error) {
    if (res.destroyed || (error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    throw error;
  }
}
