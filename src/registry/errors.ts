// The domain's one error type. Its codes, and the HTTP status of each, are the contract's error catalogue
// (src/api/errors.ts); the domain only names the code, http/errors.ts turns it into an answer.
import type { ErrorCode, ErrorEntry } from '../api/index.js';

export class RegistryError extends Error {
  readonly code: ErrorCode;
  readonly detail: Record<string, unknown>;
  /** Further problems reported with this one (a validation failure lists every problem). */
  readonly more: ErrorEntry[];

  constructor(code: ErrorCode, message: string, detail: Record<string, unknown> = {}, more: ErrorEntry[] = []) {
    super(message);
    this.name = 'RegistryError';
    this.code = code;
    this.detail = detail;
    this.more = more;
  }

  entries(): ErrorEntry[] {
    return [{ code: this.code, message: this.message, detail: this.detail }, ...this.more];
  }
}

/**
 * The storage cannot be reached now (S3 refuses connections or does not answer): 503 STORAGE_UNAVAILABLE with
 * Retry-After. Thrown by the storage drivers; re-exported here so the HTTP layer meets it through registry/.
 */
export { StorageUnavailableError } from '../storage/blobs/store.js';

/**
 * The index cannot be reached now (a PostgreSQL index that is restarting or unreachable): 503
 * INDEX_UNAVAILABLE with Retry-After. Thrown by the index drivers; re-exported for the HTTP layer likewise.
 */
export { IndexUnavailableError } from '../db/pack-index.js';
