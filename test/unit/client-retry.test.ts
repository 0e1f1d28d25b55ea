// The upload retry policy (src/client/retry.ts) on a clock of the test's own: which failures are tried
// again, how long each wait is, and where it stops.
import { describe, expect, it } from 'vitest';
import { ApiError, CliError, EXIT } from '../../src/client/errors.js';
import { NoAnswerError } from '../../src/client/http.js';
import { parseRetryAfter, retryDelayMs, transientUploadFailure, withRetries } from '../../src/client/retry.js';

function refusal(status: number, code: string, retryAfter?: string): ApiError {
  const error = new ApiError(status, [{ code, message: `${code} happened` }]);
  error.retryAfter = retryAfter;
  return error;
}

function cut(code: string): NoAnswerError {
  return new NoAnswerError(new CliError(EXIT.NETWORK, `cannot reach r: ${code}`), code);
}

/** Runs withRetries with a fake clock: each sleep moves it on; `outcomes` are thrown (or returned) in turn. */
async function run(outcomes: unknown[], start = 1_000_000) {
  let clock = start;
  const sleeps: number[] = [];
  const lines: string[] = [];
  let calls = 0;
  const attempt = async (number: number) => {
    calls += 1;
    expect(number).toBe(calls);
    const outcome = outcomes[Math.min(calls - 1, outcomes.length - 1)];
    if (outcome instanceof Error) throw outcome;
    return outcome;
  };
  const result = withRetries(attempt, (error) => transientUploadFailure(error, clock), {
    say: (line) => lines.push(line),
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    now: () => clock,
  }).then(
    (value) => ({ value, error: undefined as unknown }),
    (error: unknown) => ({ value: undefined, error }),
  );
  return { ...(await result), sleeps, lines, calls: () => calls };
}

describe('transientUploadFailure', () => {
  it('retries 503 TOO_MANY_UPLOADS and STORAGE_UNAVAILABLE with their Retry-After, and a connection cut before any answer', () => {
    expect(transientUploadFailure(refusal(503, 'TOO_MANY_UPLOADS', '5'))).toEqual({ reason: '503 TOO_MANY_UPLOADS', retryAfterMs: 5000 });
    expect(transientUploadFailure(refusal(503, 'STORAGE_UNAVAILABLE', '10'))).toEqual({ reason: '503 STORAGE_UNAVAILABLE', retryAfterMs: 10_000 });
    expect(transientUploadFailure(refusal(503, 'TOO_MANY_UPLOADS'))).toEqual({ reason: '503 TOO_MANY_UPLOADS' });
    expect(transientUploadFailure(cut('ECONNRESET'))).toEqual({ reason: 'connection reset' });
    expect(transientUploadFailure(cut('EPIPE'))).toEqual({ reason: 'connection reset' });
  });

  it.each([
    ['400 PACK_INVALID', refusal(400, 'PACK_INVALID')],
    ['401 UNAUTHORIZED', refusal(401, 'UNAUTHORIZED')],
    ['409 PACK_EXISTS', refusal(409, 'PACK_EXISTS')],
    ['413 TOO_LARGE', refusal(413, 'TOO_LARGE')],
    ['429 TOO_MANY_REQUESTS', refusal(429, 'TOO_MANY_REQUESTS', '1')],
    ['503 READ_ONLY', refusal(503, 'READ_ONLY', '1')],
    ['503 TOO_MANY_LOGINS', refusal(503, 'TOO_MANY_LOGINS', '1')],
    ['503 from a proxy', refusal(503, 'HTTP_503', '1')],
    ['500', refusal(500, 'INTERNAL')],
    ['502', refusal(502, 'HTTP_502')],
    ['a refused connection', cut('ECONNREFUSED')],
    ['a timeout', cut('PACKCTL_TIMEOUT')],
    ['an untrusted certificate', cut('DEPTH_ZERO_SELF_SIGNED_CERT')],
    ['a reset after the answer began (not a NoAnswerError)', new CliError(EXIT.NETWORK, 'cannot reach r: the connection was reset')],
    ['anything else', new Error('boom')],
  ])('never retries %s', (_name, error) => {
    expect(transientUploadFailure(error)).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates, and nothing else', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('5', now)).toBe(5000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
  });

  it('backs off 1, 2, 4, 8, 16 s without Retry-After', () => {
    expect([1, 2, 3, 4, 5].map((retry) => retryDelayMs(retry, { reason: 'x' }))).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(retryDelayMs(3, { reason: 'x', retryAfterMs: 7000 })).toBe(7000);
  });
});

describe('withRetries', () => {
  it('waits as Retry-After says, says each retry in one line, and returns the answer that came through', async () => {
    const busy = refusal(503, 'TOO_MANY_UPLOADS', '2');
    const outcome = await run([busy, busy, 'pushed']);
    expect(outcome.value).toBe('pushed');
    expect(outcome.calls()).toBe(3);
    expect(outcome.sleeps).toEqual([2000, 2000]);
    expect(outcome.lines).toEqual([
      'retrying in 2 s (503 TOO_MANY_UPLOADS), attempt 2 of 6',
      'retrying in 2 s (503 TOO_MANY_UPLOADS), attempt 3 of 6',
    ]);
  });

  it('backs off exponentially after a reset connection', async () => {
    const outcome = await run([cut('ECONNRESET'), cut('ECONNRESET'), cut('EPIPE'), 'pushed']);
    expect(outcome.value).toBe('pushed');
    expect(outcome.sleeps).toEqual([1000, 2000, 4000]);
    expect(outcome.lines[2]).toBe('retrying in 4 s (connection reset), attempt 4 of 6');
  });

  it('stops after 5 retries (6 attempts) and throws the last failure', async () => {
    const busy = refusal(503, 'TOO_MANY_UPLOADS', '1');
    const outcome = await run([busy]);
    expect(outcome.error).toBe(busy);
    expect(outcome.calls()).toBe(6);
    expect(outcome.lines).toHaveLength(5);
    expect(outcome.lines.at(-1)).toBe('retrying in 1 s (503 TOO_MANY_UPLOADS), attempt 6 of 6');
  });

  it('starts no retry past 60 s after the first attempt: a long Retry-After ends it at once', async () => {
    const outcome = await run([refusal(503, 'TOO_MANY_UPLOADS', '61')]);
    expect(outcome.calls()).toBe(1);
    expect(outcome.sleeps).toEqual([]);
    expect((outcome.error as ApiError).code).toBe('TOO_MANY_UPLOADS');
  });

  it('counts the waits against the 60 s: 25 s, 25 s, then a third 25 s would pass it', async () => {
    const outcome = await run([refusal(503, 'TOO_MANY_UPLOADS', '25')]);
    expect(outcome.sleeps).toEqual([25000, 25000]);
    expect(outcome.calls()).toBe(3);
  });

  it('does not retry anything else: one attempt, no line', async () => {
    for (const error of [refusal(409, 'PACK_EXISTS'), refusal(503, 'READ_ONLY', '1'), refusal(400, 'BODY_INVALID'), refusal(502, 'HTTP_502')]) {
      const outcome = await run([error, 'pushed']);
      expect(outcome.error).toBe(error);
      expect(outcome.calls()).toBe(1);
      expect(outcome.lines).toEqual([]);
    }
  });
});
