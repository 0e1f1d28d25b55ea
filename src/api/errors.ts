// The error catalogue: every code the registry answers with, its HTTP status and what it means. It is the
// one home of both lists: the server derives each answer's status from it, packctl decides its exit codes
// from it, and docs/API.md's "Errors" table is checked against it by test/unit/api-contract.test.ts.

/** One code's place in the contract. */
export interface ErrorDescription {
  status: number;
  /** One line, as the docs' table says it. */
  meaning: string;
}

export const ERROR_CATALOGUE = {
  UNAUTHORIZED: { status: 401, meaning: 'credentials are missing or wrong; the answer carries WWW-Authenticate: Basic' },
  DENIED: { status: 403, meaning: 'the user is authenticated but may not write (not an admin), or the token\'s scope does not allow it' },
  TOKEN_EXPIRED: { status: 401, meaning: 'the access token has expired; create a new one' },
  TOKEN_REVOKED: { status: 401, meaning: 'the access token was revoked' },
  TOKEN_INVALID: { status: 400, meaning: 'a token request with a malformed name, an unknown scope or a malformed expiry' },
  TOKEN_EXISTS: { status: 409, meaning: 'a token that is not revoked already has this name' },
  TOKEN_NOT_FOUND: { status: 404, meaning: 'no token that is not revoked has this name' },
  NAME_INVALID: { status: 400, meaning: 'a pack name does not match the name pattern' },
  PACK_INVALID: { status: 400, meaning: 'the archive breaks the pack rules; one entry per problem found' },
  PACK_TOO_LARGE: { status: 413, meaning: 'the upload is larger than limits.maxuploadsize' },
  PACK_EXISTS: { status: 409, meaning: 'the version exists and force is not set' },
  PACK_UNCHANGED: { status: 409, meaning: 'a forced push has the content digest already stored (and no skipDigestCheck)' },
  MESSAGE_REQUIRED: { status: 400, meaning: 'a forced push came without a message' },
  PACK_NOT_FOUND: { status: 404, meaning: 'no such pack, or the reference resolves to no version of it' },
  TAG_NOT_FOUND: { status: 404, meaning: 'the pack has no such tag' },
  TAG_INVALID: { status: 400, meaning: 'a malformed tag or group, or a tag body without a reference' },
  TAG_AUTO: { status: 409, meaning: 'a parent tag, which only the server sets, moves and deletes' },
  VERSION_REQUIRED: { status: 400, meaning: 'a version delete named a tag: a version is deleted by its version or digest only' },
  FILE_NOT_FOUND: { status: 404, meaning: 'the version has no file at that path' },
  BLOB_NOT_FOUND: { status: 404, meaning: 'no version of the pack has a file with that SHA-256, or the digest is not sha256:<64 hex>' },
  RANGE_INVALID: { status: 416, meaning: 'an unsatisfiable or malformed bytes= range' },
  PAGINATION_INVALID: { status: 400, meaning: 'n is not a whole number of at least 1, or last is malformed, or either is given twice' },
  CURSOR_INVALID: { status: 400, meaning: 'a change-feed cursor (since) or limit is malformed, or given twice' },
  CURSOR_EXPIRED: {
    status: 410,
    meaning: 'the change-feed cursor is older than the feed keeps, or from a feed since rebuilt: resync from the catalog, then follow from detail.head',
  },
  QUERY_INVALID: { status: 400, meaning: 'a query parameter (a list filter, `expand`) is given more than once, or `expand` is not `versions`' },
  TOO_MANY_REQUESTS: { status: 429, meaning: 'too many failed logins for this user from this address, or from this address; wait for Retry-After' },
  TOO_MANY_LOGINS: { status: 503, meaning: 'limits.maxqueuedlogins password checks are already waiting; retry after Retry-After' },
  TOO_MANY_UPLOADS: { status: 503, meaning: 'limits.maxconcurrentuploads uploads are already running; retry after Retry-After' },
  TOO_MANY_FILE_READS: {
    status: 503,
    meaning: 'limits.maxconcurrentfilereads /files reads are already searching their archives; retry after Retry-After',
  },
  READ_ONLY: { status: 503, meaning: 'the registry is in read-only maintenance mode; writes are refused' },
  STORAGE_FULL: { status: 507, meaning: 'the disk filled up during a push; nothing of it was stored' },
  STORAGE_UNAVAILABLE: {
    status: 503,
    meaning: 'the storage (the S3 bucket) cannot be reached or does not answer in time; nothing was changed, retry after Retry-After',
  },
  INDEX_UNAVAILABLE: {
    status: 503,
    meaning: 'the index (the PostgreSQL database) cannot be reached or lost its connection; nothing was changed (unless the connection was lost during the commit itself: a retried push then answers 409 PACK_EXISTS), retry after Retry-After',
  },
  NOT_FOUND: { status: 404, meaning: 'no such endpoint' },
  BODY_INVALID: { status: 400, meaning: 'the request body could not be read (malformed JSON, a malformed multipart form, a body cut short)' },
  INTERNAL: { status: 500, meaning: 'an unexpected server failure; the server log has the details' },
} as const satisfies Record<string, ErrorDescription>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as readonly ErrorCode[];

/** For text from the network: a client may meet a code from a newer registry, or none at all. */
export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CATALOGUE, value);
}

/** One entry of an error answer. */
export interface ErrorEntry {
  code: ErrorCode;
  message: string;
  detail: Record<string, unknown>;
}

/**
 * Every error answer's body (Distribution's shape): `{"errors": [{code, message, detail}]}`. A validation
 * failure has one entry per problem, not only the first.
 */
export interface ErrorBody {
  errors: ErrorEntry[];
}
