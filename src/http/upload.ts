import type { Request, RequestHandler } from 'express';
import type { Readable } from 'node:stream';
import multer from 'multer';
import type { InspectionResult } from '../packs/types.js';
import { RegistryError, StorageUnavailableError } from '../registry/errors.js';
import { UploadTooLargeError, type InspectedUpload } from '../registry/registry.js';
import { sendError, toRegistryError } from './errors.js';

/** Room for the multipart boundaries and the small text fields around the archive. */
const FORM_OVERHEAD_BYTES = 64 * 1024;

type StagedFile = Express.Multer.File & { archiveDigest: string; inspection?: InspectionResult };

/**
 * Answers a request at once, before multer has drained its body. multer reads a refused upload to its end
 * before it reports the error; for an upload over the size limit that could be gigabytes, so the 413 is sent
 * as soon as the limit is passed. The rest of the body is then read and dropped only for `http.timeouts.linger`
 * (see linger.ts), never stored.
 */
const answerNow = new WeakMap<Express.Request, (error: unknown) => void>();

/** Stages one upload's bytes, hashing and inspecting them as they arrive (Registry.receiveUpload). */
export type ReceiveUpload = (bytes: Readable, maxBytes: number) => Promise<InspectedUpload>;

/** Removes a staged upload that will not be pushed (Registry.discardUpload). */
export type DiscardUpload = (path: string) => Promise<void>;

/**
 * Failures of the registry's own side while it received an upload (the staging disk, a bug): they stay what
 * they are (STORAGE_FULL, INTERNAL). Every other failure of the form parser is the body's (see formFailure).
 */
const receiverFailures = new WeakSet<object>();

/**
 * Each request's staging of its archive, settled once its failure (if any) has been judged. multer may report a
 * failure before that (it listens to the part's stream too), so the judgement waits for it (receivePack).
 */
const receptions = new WeakMap<Express.Request, Promise<void>>();

/**
 * A multer storage engine that streams the `pack` field into the blob store's staging folder while hashing
 * and inspecting it (see receiveUpload): the archive is never held in memory, nor read back to be inspected.
 */
function stagingStorage(receive: ReceiveUpload, discard: DiscardUpload, maxBytes: number): multer.StorageEngine {
  return {
    _handleFile(req, file, done) {
      // busboy fails the part's stream when the form ends inside it (a truncated body): staging then fails
      // with that very error, which is the body's fault. A failure of the staging disk reaches the part's
      // stream too (pipeline destroys it with the disk's error), but that one is a system error (`syscall`).
      let streamError: unknown;
      file.stream.once('error', (error) => {
        streamError = error;
      });
      const reception = receive(file.stream, maxBytes).then(
        (staged) =>
          done(null, { path: staged.path, size: staged.size, archiveDigest: staged.digest, inspection: staged.inspection } as Partial<StagedFile>),
        (error: unknown) => {
          if (error instanceof UploadTooLargeError) answerNow.get(req)?.(error);
          else if (isObject(error) && (error !== streamError || isSystemError(error) || error instanceof StorageUnavailableError)) {
            receiverFailures.add(error);
          }
          done(error);
        },
      );
      receptions.set(req, reception);
    },
    _removeFile(_req, file, done) {
      discard(file.path).then(
        () => done(null),
        (error: Error) => done(error),
      );
    },
  };
}

/** Parses the push form: exactly one file in the field `pack`, and a few small text fields. */
export function receivePack(receive: ReceiveUpload, discard: DiscardUpload, maxUploadSize: number): RequestHandler {
  const parse = multer({
    storage: stagingStorage(receive, discard, maxUploadSize),
    limits: { files: 1, fields: 10, fieldSize: 64 * 1024, parts: 12 },
  }).single('pack');
  return (req, res, next) => {
    // Refuse an announced oversize body before reading any of it.
    const announced = Number(req.headers['content-length'] ?? 0);
    if (announced > maxUploadSize + FORM_OVERHEAD_BYTES) {
      return next(new UploadTooLargeError(maxUploadSize));
    }
    let answered = false;
    answerNow.set(req, (error) => {
      answered = true;
      sendError(res, toRegistryError(error));
    });
    parse(req, res, (error?: unknown) => {
      answerNow.delete(req);
      if (answered) return;
      if (error === undefined) return next();
      // The staging has ended by now or is ending (its input failed or was cut); wait for its own verdict.
      void (receptions.get(req) ?? Promise.resolve()).catch(() => {}).then(() => {
        // A client that hung up mid-upload cannot read an answer; its partial upload is already removed
        // (stageUpload), and it is no failure of the registry worth a log line.
        if (req.socket.destroyed || !req.socket.writable) {
          res.destroy();
          return;
        }
        next(formFailure(error));
      });
    });
  };
}

/**
 * What a failure of the form parser means for the client. multer's own refusals (a wrong field name, too
 * many parts) are PACK_INVALID, an upload over the limit PACK_TOO_LARGE, a full disk STORAGE_FULL, and a
 * failure of the registry's own side INTERNAL; anything else is busboy finding the body malformed (no
 * boundary, a wrong boundary, a truncated form, a malformed part header), which is BODY_INVALID: 400,
 * never a 500 with a stack trace in the log.
 */
function formFailure(error: unknown): unknown {
  if (
    error instanceof RegistryError ||
    error instanceof UploadTooLargeError ||
    error instanceof multer.MulterError ||
    (isObject(error) && (receiverFailures.has(error) || isSystemError(error)))
  ) {
    return error;
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new RegistryError('BODY_INVALID', `the upload is not a readable multipart form: ${reason}`, { reason });
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/** An operating-system error (ENOSPC, EACCES, EIO, …): never the body's fault. busboy's errors carry no syscall. */
function isSystemError(error: object): boolean {
  return typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

/**
 * At most `max` uploads are received at once; more get 503 TOO_MANY_UPLOADS with Retry-After, so a crowd of
 * slow uploads cannot fill the staging disk or starve reads.
 */
export function limitConcurrentUploads(max: number): RequestHandler {
  let active = 0;
  return (_req, res, next) => {
    if (active >= max) {
      res.setHeader('Retry-After', '5');
      return sendError(
        res,
        new RegistryError('TOO_MANY_UPLOADS', `the registry is receiving ${max} uploads already; retry in a few seconds`, { max }),
      );
    }
    active += 1;
    res.once('close', () => {
      active -= 1;
    });
    next();
  };
}

export interface PushForm {
  upload: InspectedUpload;
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
    upload: { path: file.path, digest: file.archiveDigest, size: file.size, inspection: file.inspection },
    force: isTrue(body.force),
    message: typeof body.message === 'string' ? body.message : undefined,
    skipDigestCheck: isTrue(body.skipDigestCheck),
  };
}

function isTrue(value: unknown): boolean {
  return typeof value === 'string' && ['true', '1', 'yes'].includes(value.toLowerCase());
}
