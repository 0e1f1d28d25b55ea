// packctl's failures and their exit codes. Every failure reaches the user as one or more
// `error: ...` lines on stderr and one of these codes, so scripts can tell a typo from a refused push.
import { isErrorCode, type ErrorCode, type ErrorEntry } from '../api/index.js';
import { printable } from './printable.js';

export const EXIT = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  /** 401/403: wrong credentials, or a reader trying to write. */
  AUTH: 3,
  NOT_FOUND: 4,
  /** 409: the version or tag exists, or a target folder is in the way. */
  CONFLICT: 5,
  /** The registry could not be reached or its TLS certificate is not trusted. */
  NETWORK: 6,
  /** The pack breaks the pack rules (found locally or by the registry). */
  INVALID_PACK: 7,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure to report: each line is printed as `error: <line>`. */
export class CliError extends Error {
  readonly lines: string[];

  constructor(
    readonly exitCode: ExitCode,
    lines: string | string[],
  ) {
    const all = typeof lines === 'string' ? [lines] : lines;
    super(all.join('\n'));
    this.name = 'CliError';
    this.lines = all;
  }
}

export function usageError(message: string): CliError {
  return new CliError(EXIT.USAGE, message);
}

/**
 * One entry of the registry's error answer (`ErrorBody` in src/api) as packctl receives it: the code may be
 * one this packctl does not know (a newer registry) or made up from a bare status (`HTTP_502`), and a
 * proxy's answer has no detail.
 */
export type ApiErrorEntry = Omit<ErrorEntry, 'code' | 'detail'> & { code: string; detail?: ErrorEntry['detail'] };

/**
 * What each of the registry's error codes means to a script. A Record over the contract's codes, so that a
 * code added to the catalogue does not compile until packctl has decided its exit code.
 */
export const EXIT_FOR_ERROR_CODE: Readonly<Record<ErrorCode, ExitCode>> = {
  UNAUTHORIZED: EXIT.AUTH,
  DENIED: EXIT.AUTH,
  TOKEN_EXPIRED: EXIT.AUTH,
  TOKEN_REVOKED: EXIT.AUTH,
  TOKEN_INVALID: EXIT.USAGE,
  TOKEN_EXISTS: EXIT.CONFLICT,
  TOKEN_NOT_FOUND: EXIT.NOT_FOUND,
  // Refusals of a 400 that mean the command was called wrongly rather than that something failed.
  NAME_INVALID: EXIT.USAGE,
  TAG_INVALID: EXIT.USAGE,
  VERSION_REQUIRED: EXIT.USAGE,
  MESSAGE_REQUIRED: EXIT.USAGE,
  PAGINATION_INVALID: EXIT.USAGE,
  CURSOR_INVALID: EXIT.USAGE,
  CURSOR_EXPIRED: EXIT.FAILURE,
  QUERY_INVALID: EXIT.USAGE,
  PACK_INVALID: EXIT.INVALID_PACK,
  PACK_TOO_LARGE: EXIT.INVALID_PACK,
  PACK_NOT_FOUND: EXIT.NOT_FOUND,
  TAG_NOT_FOUND: EXIT.NOT_FOUND,
  FILE_NOT_FOUND: EXIT.NOT_FOUND,
  BLOB_NOT_FOUND: EXIT.NOT_FOUND,
  NOT_FOUND: EXIT.NOT_FOUND,
  PACK_EXISTS: EXIT.CONFLICT,
  PACK_UNCHANGED: EXIT.CONFLICT,
  TAG_AUTO: EXIT.CONFLICT,
  // Nothing a different command line would fix: the registry's state, its load, or a fault.
  BODY_INVALID: EXIT.FAILURE,
  RANGE_INVALID: EXIT.FAILURE,
  TOO_MANY_REQUESTS: EXIT.FAILURE,
  TOO_MANY_UPLOADS: EXIT.FAILURE,
  TOO_MANY_LOGINS: EXIT.FAILURE,
  TOO_MANY_FILE_READS: EXIT.FAILURE,
  READ_ONLY: EXIT.FAILURE,
  STORAGE_FULL: EXIT.FAILURE,
  STORAGE_UNAVAILABLE: EXIT.FAILURE,
  INDEX_UNAVAILABLE: EXIT.FAILURE,
  INTERNAL: EXIT.FAILURE,
};

export function exitCodeForAnswer(status: number, code: string | undefined): ExitCode {
  if (code !== undefined && isErrorCode(code)) return EXIT_FOR_ERROR_CODE[code];
  return exitCodeForStatus(status);
}

/** For a code this packctl does not know, or an answer without one (a proxy's page): the status decides. */
export function exitCodeForStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.AUTH;
  if (status === 404) return EXIT.NOT_FOUND;
  if (status === 409) return EXIT.CONFLICT;
  return EXIT.FAILURE;
}

/** `CODE: message`, the way every refusal with a registry code is shown. */
export function codeLine(code: ErrorCode, message: string): string {
  return `${code}: ${oneLine(message)}`;
}

/** A refusal packctl makes itself before asking the registry, with the code and exit code the registry's would get. */
export function localRefusal(code: ErrorCode, message: string): CliError {
  return new CliError(EXIT_FOR_ERROR_CODE[code], codeLine(code, message));
}

/** An error answer of the registry, every entry of it kept so that a multi-problem refusal is shown whole. */
export class ApiError extends CliError {
  /** The answer's `Retry-After` header, when it had one (503 TOO_MANY_UPLOADS: see retry.ts). */
  retryAfter: string | undefined;

  constructor(
    readonly status: number,
    readonly entries: ApiErrorEntry[],
  ) {
    super(
      exitCodeForAnswer(status, entries[0]?.code),
      entries.map((entry) => `${entry.code}: ${oneLine(entry.message)}`),
    );
    this.name = 'ApiError';
  }

  get code(): string | undefined {
    return this.entries[0]?.code;
  }
}

/** A message from the network or a server, on one line and without control characters (see printable.ts). */
export function oneLine(text: string): string {
  return printable(text).trim();
}
