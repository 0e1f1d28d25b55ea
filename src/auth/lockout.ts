/**
 * Counts failed logins per key — a (user, client) pair, or a client alone — in fixed windows. From
 * `maxFailures` in one window the key is throttled until the window ends: guessing costs a long wait and,
 * since the check comes before bcrypt, nothing on the server.
 *
 * Verifications still running count as failures until they end, so a burst of parallel guesses cannot all
 * pass the check before the first of them fails.
 *
 * From `LOCK_FACTOR × maxFailures` failures in one window the key is locked: even a remembered credential
 * (see LoginGuard) waits. That bounds what an attacker who shares a victim's address learns from "accepted
 * while throttled" to that many guesses per window.
 */
export class FailureLimiter {
  private readonly windows = new Map<string, { failures: number; endsAt: number }>();
  private readonly running = new Map<string, number>();
  private nextSweepAt = 0;
  private latestEndsAt = 0;

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Nothing is counted anywhere: the common case, checked without building a key. */
  get idle(): boolean {
    if (this.running.size > 0) return false;
    // Once the newest window has ended they all have: forget them at once, so the answer is true again.
    if (this.windows.size > 0 && this.now() >= this.latestEndsAt) this.windows.clear();
    return this.windows.size === 0;
  }

  /** Seconds until the key may try again, or 0 when it may try now. */
  retryAfterSeconds(key: string): number {
    const window = this.currentWindow(key);
    const failures = (window?.failures ?? 0) + (this.running.get(key) ?? 0);
    if (failures < this.maxFailures) return 0;
    // Throttled by verifications still running, before any window exists: they end within a second or two.
    if (!window) return 1;
    return Math.max(1, Math.ceil((window.endsAt - this.now()) / 1000));
  }

  /** Locked: throttled so hard that not even a remembered credential is let through. */
  isLocked(key: string): boolean {
    return (this.currentWindow(key)?.failures ?? 0) >= LOCK_FACTOR * this.maxFailures;
  }

  /** Whether the key has failures in the current window. */
  hasFailures(key: string): boolean {
    return this.currentWindow(key) !== undefined;
  }

  /** A verification for the key starts: it counts as a failure until `endAttempt`. */
  startAttempt(key: string): void {
    this.running.set(key, (this.running.get(key) ?? 0) + 1);
  }

  endAttempt(key: string): void {
    const count = (this.running.get(key) ?? 0) - 1;
    if (count > 0) this.running.set(key, count);
    else this.running.delete(key);
  }

  /** A wrong credential, or an attempt refused while throttled. */
  recordFailure(key: string): void {
    const now = this.now();
    const window = this.currentWindow(key);
    if (window) {
      window.failures += 1;
    } else {
      this.windows.set(key, { failures: 1, endsAt: now + this.windowMs });
      this.latestEndsAt = now + this.windowMs;
    }
    if (this.windows.size > SWEEP_ABOVE_ENTRIES && now >= this.nextSweepAt) this.forgetExpired(now);
  }

  /** A successful login clears the key's failures. */
  recordSuccess(key: string): void {
    // Nothing to forget while nobody has failed: no lookup at all.
    if (this.windows.size > 0) this.windows.delete(key);
  }

  private currentWindow(key: string): { failures: number; endsAt: number } | undefined {
    const window = this.windows.get(key);
    if (!window) return undefined;
    if (window.endsAt > this.now()) return window;
    this.windows.delete(key);
    return undefined;
  }

  // Bounded memory under a flood of distinct keys: expired windows carry no information. At most once a
  // second, so that a large map is not walked on every failure.
  private forgetExpired(now: number): void {
    this.nextSweepAt = now + 1000;
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
  }
}

/** Failures, as a multiple of the limit, after which a key is locked (see FailureLimiter). */
export const LOCK_FACTOR = 2;

const SWEEP_ABOVE_ENTRIES = 10_000;
