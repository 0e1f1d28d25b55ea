import type { Readable } from 'node:stream';

/** An inclusive byte range, as HTTP Range requests express it. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * An open blob. Opening pins the bytes (an open file survives its unlink), so a download that has opened
 * its blob is never cut short by a force-push or delete that removes the blob meanwhile.
 */
export interface OpenBlob {
  size: number;
  /** The bytes, when the blob is already in memory: answered in one write, without a stream. */
  bytes?: Buffer;
  /** The bytes, or one range of them; call at most once. The blob is closed when the stream ends. */
  stream(range?: ByteRange): Readable;
  /** Release the blob without reading it (HEAD, 304, 416). */
  close(): Promise<void>;
}

/**
 * Content-addressed bytes. Blobs are named by the SHA-256 of their bytes (`sha256:<hex>`), so a blob never
 * changes once written and two versions with identical archives share one blob.
 */
export interface BlobStore {
  /**
   * Folder where uploads are staged. It is on the same filesystem as the blobs so that `put` can be an
   * atomic rename: a reader sees the whole blob or none of it.
   */
  readonly uploadDir: string;
  /** Move a finished, fully written staging file in as the blob `digest`. The staging file is consumed. */
  put(stagedFile: string, digest: string): Promise<void>;
  /** Size of the blob, or null when it does not exist. */
  stat(digest: string): Promise<{ size: number } | null>;
  /** Open the blob; rejects with an ENOENT error when it does not exist. */
  open(digest: string): Promise<OpenBlob>;
  delete(digest: string): Promise<void>;
  /** Every stored digest, for garbage collection and health checks. */
  list(): AsyncIterable<string>;
  /** Throws when the storage cannot be written to; used by /health. */
  check(): Promise<void>;
}

const DIGEST_PATTERN = /^sha256:([0-9a-f]{64})$/;

/** The hex part of a blob digest; refuses anything else so a digest can never become a path trick. */
export function digestHex(digest: string): string {
  const match = DIGEST_PATTERN.exec(digest);
  if (!match?.[1]) throw new Error(`not a sha256 digest: ${digest}`);
  return match[1];
}
