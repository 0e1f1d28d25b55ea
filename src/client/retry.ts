// When packctl sends an upload again: only when the registry said "not now" (`503 TOO_MANY_UPLOADS`, or
// `503 STORAGE_UNAVAILABLE` / `INDEX_UNAVAILABLE`: its bucket or its database is away) or the connection was cut before any
// byte of an answer came. Nothing else is retried — a 4xx, `503 READ_ONLY` or any
// other 5xx means the same upload would meet the same answer, or that the registry may have acted on it.
// The waits honour `Retry-After`, else back off exponentially; at most 5 retries, none starting later than 60 s
// after the first attempt did, each one said on stderr in one line.
import { ApiError } from './errors.js';
import { NoAnswerError } from './http.js';

export interface RetryPolicy {
  /** Attempts after the first. */
  retries: number;
  /** No retry starts later than this after the first attempt started. */
  budgetMs: number;
  /** The first wait without `Retry-After`; each next one doubles, up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
}

export const UPLOAD_RETRY_POLICY: Readonly<RetryPolicy> = { retries: 5, budgetMs: 60_000, firstDelayMs: 1_000, maxDelayMs: 16_000 };

/** Why a failed attempt may be tried again, and how long the other end asked to wait. */
export interface Transient {
  /** Shown in the retry line: `503 TOO_MANY_UPLOADS`, `connection reset`. */
  reason: string;
  /** From `Retry-After`; undefined: the backoff decides. */
  retryAfterMs?: number;
}

export interface RetryOptions {
  policy?: Readonly<RetryPolicy>;
  /** Told each retry, as one line (without its line break). */
  say: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** The registry's "not now" answers: nothing of the upload was kept, and it says when to ask again. */
const NOT_NOW_CODES: ReadonlySet<string> = new Set(['TOO_MANY_UPLOADS', 'STORAGE_UNAVAILABLE', 'INDEX_UNAVAILABLE']);

/** The connection failures that prove nothing was answered and that sending again is the cure. */
const CUT_CONNECTION_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE']);

/**
 * Whether an upload's failure is transient: `503 TOO_MANY_UPLOADS` (with its Retry-After), or a connection
 * reset before any byte of the answer. Anything else: undefined, never retried.
 */
export function transientUploadFailure(error: unknown, nowMs: number = Date.now()): Transient | undefined {
  if (error instanceof ApiError) {
    if (error.status !== 503 || error.code === undefined || !NOT_NOW_CODES.has(error.code)) return undefined;
    const retryAfterMs = parseRetryAfter(error.retryAfter, nowMs);
    return { reason: `503 ${error.code}`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }
  if (error instanceof NoAnswerError && error.code !== undefined && CUT_CONNECTION_CODES.has(error.code)) {
    return { reason: 'connection reset' };
  }
  return undefined;
}

/** `Retry-After` as delay-seconds or an HTTP date, in whole seconds' milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at) || !/[a-z]/i.test(text)) return undefined;
  return Math.max(0, Math.ceil((at - nowMs) / 1000)) * 1000;
}

/** The wait before retry number `retry` (1 for the first): `Retry-After` when given, else 1 s, 2 s, 4 s, ... */
export function retryDelayMs(retry: number, transient: Transient, policy: Readonly<RetryPolicy> = UPLOAD_RETRY_POLICY): number {
  if (transient.retryAfterMs !== undefined) return transient.retryAfterMs;
  return Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** (retry - 1));
}

/** The line a retry is announced with, e.g. `retrying in 2 s (503 TOO_MANY_UPLOADS), attempt 2 of 6`. */
export function retryLine(delayMs: number, transient: Transient, attempt: number, attempts: number): string {
  return `retrying in ${Math.ceil(delayMs / 1000)} s (${transient.reason}), attempt ${attempt} of ${attempts}`;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` (told its number, from 1) until it succeeds, fails for good, or the policy is spent: the last
 * failure is then thrown as it is. `transientOf` says which failures may be tried again.
 */
export async function withRetries<T>(
  attempt: (number: number) => Promise<T>,
  transientOf: (error: unknown) => Transient | undefined,
  options: RetryOptions,
): Promise<T> {
  const policy = options.policy ?? UPLOAD_RETRY_POLICY;
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const attempts = policy.retries + 1;
  const started = now();
  for (let number = 1; ; number++) {
    try {
      return await attempt(number);
    } catch (error) {
      const transient = number < attempts ? transientOf(error) : undefined;
      if (transient === undefined) throw error;
      const delay = retryDelayMs(number, transient, policy);
      if (now() + delay - started > policy.budgetMs) throw error;
      options.say(retryLine(delay, transient, number + 1, attempts));
      await sleep(delay);
    }
  }
}
