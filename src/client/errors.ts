// packctl's failures and their exit codes. Every failure reaches the user as one or more
// `error: ...` lines on stderr and one of these codes, so scripts can tell a typo from a refused push.

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

/** One entry of the registry's `{"errors": [...]}` answer. */
export interface ApiErrorEntry {
  code: string;
  message: string;
  detail?: Record<string, unknown>;
}

/** Codes of a 400 answer that mean the command was called wrongly rather than that something failed. */
const USAGE_CODES: ReadonlySet<string> = new Set(['NAME_INVALID', 'TAG_INVALID', 'MESSAGE_REQUIRED', 'PAGINATION_INVALID']);
const INVALID_PACK_CODES: ReadonlySet<string> = new Set(['PACK_INVALID', 'PACK_TOO_LARGE']);

export function exitCodeForAnswer(status: number, code: string | undefined): ExitCode {
  if (code !== undefined && INVALID_PACK_CODES.has(code)) return EXIT.INVALID_PACK;
  if (code !== undefined && USAGE_CODES.has(code)) return EXIT.USAGE;
  if (status === 401 || status === 403) return EXIT.AUTH;
  if (status === 404) return EXIT.NOT_FOUND;
  if (status === 409) return EXIT.CONFLICT;
  return EXIT.FAILURE;
}

/** An error answer of the registry, every entry of it kept so that a multi-problem refusal is shown whole. */
export class ApiError extends CliError {
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

/** A message from the network or a server is printed on one line, whatever it holds. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}
