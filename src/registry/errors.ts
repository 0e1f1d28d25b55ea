// The domain's one error type. Only http/errors.ts knows which HTTP status each code maps to.

export const ERROR_CODES = [
  'UNAUTHORIZED',
  'DENIED',
  'NAME_INVALID',
  'PACK_INVALID',
  'PACK_TOO_LARGE',
  'PACK_EXISTS',
  'PACK_UNCHANGED',
  'MESSAGE_REQUIRED',
  'PACK_NOT_FOUND',
  'TAG_NOT_FOUND',
  'TAG_INVALID',
  'TAG_AUTO',
  'FILE_NOT_FOUND',
  'RANGE_INVALID',
  'PAGINATION_INVALID',
  'TOO_MANY_REQUESTS',
  'TOO_MANY_UPLOADS',
  'READ_ONLY',
  'STORAGE_FULL',
  'NOT_FOUND',
  'BODY_INVALID',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorEntry {
  code: ErrorCode;
  message: string;
  detail: Record<string, unknown>;
}

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
