import type { Request, RequestHandler } from 'express';
import { rm } from 'node:fs/promises';
import multer from 'multer';
import { stageUpload, UploadTooLargeError, type StagedUpload } from '../blobstore/staging.js';
import { RegistryError } from '../registry/errors.js';

/** Room for the multipart boundaries and the small text fields around the archive. */
const FORM_OVERHEAD_BYTES = 64 * 1024;

type StagedFile = Express.Multer.File & { archiveDigest: string };

/**
 * A multer storage engine that streams the `pack` field into the blob store's staging folder while hashing
 * it (see stageUpload): the archive is never held in memory.
 */
function stagingStorage(uploadDir: () => string, maxBytes: number): multer.StorageEngine {
  return {
    _handleFile(_req, file, done) {
      stageUpload(file.stream, uploadDir(), maxBytes).then(
        (staged) => done(null, { path: staged.path, size: staged.size, archiveDigest: staged.digest } as Partial<StagedFile>),
        (error: unknown) => done(error),
      );
    },
    _removeFile(_req, file, done) {
      rm(file.path, { force: true }).then(
        () => done(null),
        (error: Error) => done(error),
      );
    },
  };
}

/** Parses the push form: exactly one file in the field `pack`, and a few small text fields. */
export function receivePack(uploadDir: () => string, maxUploadSize: number): RequestHandler {
  const parse = multer({
    storage: stagingStorage(uploadDir, maxUploadSize),
    limits: { files: 1, fields: 10, fieldSize: 64 * 1024, parts: 12 },
  }).single('pack');
  return (req, res, next) => {
    // Refuse an announced oversize body before reading any of it.
    const announced = Number(req.headers['content-length'] ?? 0);
    if (announced > maxUploadSize + FORM_OVERHEAD_BYTES) {
      res.setHeader('Connection', 'close');
      return next(new UploadTooLargeError(maxUploadSize));
    }
    parse(req, res, next);
  };
}

export interface PushForm {
  upload: StagedUpload;
  force: boolean;
  message?: string;
  skipDigestCheck: boolean;
}

/** Reads the parsed push form; throws PACK_INVALID when the archive is missing. */
export function readPushForm(req: Request): PushForm {
  const file = req.file as StagedFile | undefined;
  if (!file) {
    throw new RegistryError('PACK_INVALID', 'no pack archive received: send it as multipart form field "pack"');
  }
  const body = (req.body ?? {}) as Record<string, unknown>;
  return {
    upload: { path: file.path, digest: file.archiveDigest, size: file.size },
    force: isTrue(body.force),
    message: typeof body.message === 'string' ? body.message : undefined,
    skipDigestCheck: isTrue(body.skipDigestCheck),
  };
}

function isTrue(value: unknown): boolean {
  return typeof value === 'string' && ['true', '1', 'yes'].includes(value.toLowerCase());
}
