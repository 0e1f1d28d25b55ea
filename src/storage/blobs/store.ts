// The blob store's contract. Every driver (filesystem.ts, memory.ts, and the cache in front of either)
// implements it and runs the one conformance suite, test/storage/blob-store-suite.ts; a new driver (S3) is
// done when that suite passes against it.
import type { Readable, Writable } from 'node:stream';
import { isNotFound } from '../fs.js';

/** An inclusive byte range, as HTTP Range requests express it: `start <= end < size`. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * An open blob. Opening pins the bytes (an open file survives its unlink), so a download that has opened
 * its blob is never cut short by a force-push or delete that removes the blob meanwhile.
 */
export interface OpenBlob {
  /** The blob's whole size in bytes, as it was when opened. */
  size: number;
  /** The bytes, when the blob is already in memory: answered in one write, without a stream. */
  bytes?: Buffer;
  /**
   * The bytes, or one range of them (the caller has checked it against `size`); call at most once. The blob
   * is closed when the stream ends or is destroyed.
   */
  stream(range?: ByteRange): Readable;
  /** Release the blob without reading it (HEAD, 304, 416). Call it instead of `stream`, not after it. */
  close(): Promise<void>;
}

/** A blob as a listing finds it: for garbage collection, which spares what is younger than its grace period. */
export interface ListedBlob {
  digest: string;
  size: number;
  /** When the blob was last written (a file's mtime, an object's LastModified), in ms since the epoch. */
  modifiedMs: number;
}

/**
 * An upload being received into the store's staging area (`uploads/` in layout.ts), not yet a blob. The
 * caller writes the bytes to `writable` and ends it; the writable finishes only once every byte is stored in
 * the staging area (for S3: the multipart upload is complete), so a finished staging is ready for `put`.
 */
export interface Staging {
  /** Names the staged bytes for `put` and `discardStaged`: a file path, or an object key (see each driver). */
  readonly path: string;
  readonly writable: Writable;
}

/** What an interrupted push left in the staging area, for garbage collection. */
export interface StagedLeftover {
  /** The staging's name, as `discardStaged` takes it. */
  path: string;
  /** The root-relative key (layout.ts), for reports. */
  key: string;
  bytes: number;
  modifiedMs: number;
}

/**
 * Content-addressed bytes. Blobs are named by the SHA-256 of their bytes (`sha256:<hex>`), so a blob never
 * changes once written and two versions with identical archives share one blob. `put` refuses a digest that
 * is not `sha256:` and 64 lower-case hex digits (digestHex); the other methods may refuse one or treat it as
 * missing, since no such blob can exist.
 *
 * Drivers keep no state a caller must flush: every method's effect is complete when its promise resolves.
 * A driver whose storage cannot be reached now (a network store) rejects with StorageUnavailableError.
 */
export interface BlobStore {
  /**
   * Start receiving an upload into the staging area (see Staging): a push streams its bytes there while it
   * hashes and inspects them (staging.ts), and staged bytes are never visible as a blob.
   */
  stage(): Staging;
  /**
   * Move a finished staging (Staging.path) in as the blob `digest`; the caller has hashed it and vouches
   * that `digest` is its SHA-256. On success the staging is consumed (gone).
   * - Atomic visibility: until `put` resolves, readers see no blob or the whole of it, never a part.
   * - Durable: once it resolves, the blob survives a crash.
   * - Idempotent: putting a digest that exists (or is being put concurrently) is not an error; the bytes are
   *   the same by definition, and either write may win.
   * On failure the staging may remain; the caller removes it (discardStaged).
   */
  put(staged: string, digest: string): Promise<void>;
  /** Remove a staging, finished or not (a refused or failed push). Removing one that is gone succeeds. */
  discardStaged(staged: string): Promise<void>;
  /** Read a finished staging back (a push that was not inspected while it was received). */
  readStaged(staged: string): Readable;
  /**
   * What the staging area holds: stagings of pushes in flight, and leftovers of pushes that never finished
   * (for S3 also multipart uploads never completed). For garbage collection, which spares the young ones.
   */
  listStaged(): AsyncIterable<StagedLeftover>;
  /** The blob's size, or null when it does not exist (never an error for a missing blob). */
  stat(digest: string): Promise<{ size: number } | null>;
  /**
   * Open the blob for reading (see OpenBlob: the bytes stay readable after a delete). Rejects with a
   * not-found error (`code: 'ENOENT'`, see blobNotFound and isBlobNotFound) when it does not exist.
   */
  open(digest: string): Promise<OpenBlob>;
  /**
   * Remove the blob. Deleting a blob that does not exist succeeds (a concurrent delete may have won).
   * Blobs already opened stay readable until closed.
   */
  delete(digest: string): Promise<void>;
  /**
   * Every stored blob, each once, in no particular order; nothing else (no staging, no stray names). A blob
   * put or deleted while the listing runs may or may not appear. For garbage collection.
   */
  list(): AsyncIterable<ListedBlob>;
  /** Resolves when the storage can be written to, rejects with the reason when not; used by /health. */
  check(): Promise<void>;
}

/**
 * The storage cannot be reached now (a network store that refuses connections or does not answer in time):
 * nothing was changed, and the same request may succeed later. The HTTP layer answers 503
 * STORAGE_UNAVAILABLE with Retry-After, never a stack trace.
 */
export class StorageUnavailableError extends Error {
  readonly retryAfterSeconds = 10;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageUnavailableError';
  }
}

const DIGEST_PATTERN = /^sha256:([0-9a-f]{64})$/;

/** The hex part of a blob digest; refuses anything else so a digest can never become a path trick. */
export function digestHex(digest: string): string {
  const match = DIGEST_PATTERN.exec(digest);
  if (!match?.[1]) throw new Error(`not a sha256 digest: ${digest}`);
  return match[1];
}

/**
 * The error `open` rejects with for a missing blob. It carries the filesystem's code, ENOENT, so that one
 * test (isBlobNotFound) recognises it whichever driver threw it.
 */
export function blobNotFound(digest: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`blob ${digest} not found`), { code: 'ENOENT' });
}

/** Whether `open` rejected because the blob does not exist. */
export function isBlobNotFound(error: unknown): boolean {
  return isNotFound(error);
}
