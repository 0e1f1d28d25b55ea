/**
 * Counts failed logins per (user, client address) in fixed windows. After `maxFailures` in one window that
 * pair is refused until the window ends, so guessing a password costs a long wait, while other users and
 * the same user from elsewhere are not slowed at all.
 */
export class FailureLimiter {
  private readonly windows = new Map<string, { failures: number; endsAt: number }>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until the pair may try again, or 0 when it may try now. */
  retryAfterSeconds(user: string, address: string): number {
    const window = this.windows.get(keyOf(user, address));
    if (!window || window.failures < this.maxFailures) return 0;
    const remaining = window.endsAt - this.now();
    return remaining > 0 ? Math.ceil(remaining / 1000) : 0;
  }

  recordFailure(user: string, address: string): void {
    const key = keyOf(user, address);
    const now = this.now();
    const window = this.windows.get(key);
    if (window && window.endsAt > now) window.failures += 1;
    else this.windows.set(key, { failures: 1, endsAt: now + this.windowMs });
    if (this.windows.size > 10_000) this.forgetExpired(now);
  }

  /** A successful login clears the pair's failures. */
  recordSuccess(user: string, address: string): void {
    this.windows.delete(keyOf(user, address));
  }

  // Bounded memory under a flood of distinct user names: expired windows carry no information.
  private forgetExpired(now: number): void {
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
  }
}

function keyOf(user: string, address: string): string {
  return `${user}\0${address}`;
}
