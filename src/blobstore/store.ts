import type { Readable } from 'node:stream';

/** An inclusive byte range, as HTTP Range requests express it. */
export interface ByteRange {
  start: number;
  end: number;
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
  /** A stream of the blob's bytes (or of one range of them). Throws when it does not exist. */
  openRead(digest: string, range?: ByteRange): Promise<Readable>;
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
