/**
 * Refused because the queue of password verifications is full. Nothing ran: the caller answers at once and
 * the client should come back after `retryAfterSeconds`.
 */
export class VerificationQueueFull extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`too many password verifications are waiting; retry in ${retryAfterSeconds} s`);
    this.name = 'VerificationQueueFull';
  }
}

export interface VerificationQueueLimits {
  /**
   * Verifications running at once. bcrypt's async compare runs on libuv's threadpool (4 threads unless
   * UV_THREADPOOL_SIZE says otherwise), the pool file reads and zlib share: fewer than its size keeps
   * threads free for them however many bad logins arrive.
   */
  maxRunning: number;
  /** Verifications waiting for a turn; one more is refused at once, so waiting never grows without bound. */
  maxWaiting: number;
  /** What a refusal tells the client to wait, in seconds. */
  retryAfterSeconds: number;
}

/**
 * Runs expensive verifications (bcrypt) at most `maxRunning` at a time, first come first served, with a
 * bounded wait: a flood of logins costs at most `maxRunning` threads and `maxWaiting` small closures.
 */
export class VerificationQueue {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limits: VerificationQueueLimits) {}

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `task` now or after the verifications ahead of it; rejects with VerificationQueueFull when full. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limits.maxRunning) {
      if (this.waiting.length >= this.limits.maxWaiting) throw new VerificationQueueFull(this.limits.retryAfterSeconds);
      // The slot is handed over by the task that finishes (see release): `active` never drops in between,
      // so a newcomer cannot overtake the ones already waiting.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active += 1;
    }
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active -= 1;
  }
}
