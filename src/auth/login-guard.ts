import { throttleKeyOf } from './client-address.js';
import type { Credentials, Htpasswd } from './htpasswd.js';
import { FailureLimiter } from './lockout.js';
import { VerificationQueueFull } from './verification-queue.js';

/** What a login attempt comes to; the HTTP layer turns each into its answer. */
export type LoginOutcome =
  | { kind: 'accepted' }
  /** Wrong user name or password (401). */
  | { kind: 'rejected' }
  /** Too many failures for this user from this client, or from this client at all (429). */
  | { kind: 'throttled'; scope: 'user' | 'address'; retryAfterSeconds: number }
  /** The verification queue is full (503); nothing was verified. */
  | { kind: 'busy'; retryAfterSeconds: number };

export interface LoginLimits {
  /** Failures for one user from one client within the window before that pair is throttled. */
  failuresPerUser: number;
  /** Failures from one client, whatever the user names, within the window before the client is throttled. */
  failuresPerAddress: number;
  windowMs: number;
}

const ACCEPTED: LoginOutcome = Object.freeze({ kind: 'accepted' });
const REJECTED: LoginOutcome = Object.freeze({ kind: 'rejected' });

/**
 * Decides a Basic-auth login: the remembered verifications first (no bcrypt), then the failure limits, then
 * bcrypt through the htpasswd file's verification queue. Every refusal for a limit comes before bcrypt, so
 * an attacker who keeps failing costs a map lookup per request.
 *
 * Limits count per (user, client) — password guessing — and per client alone — a new user name per request
 * would otherwise never be counted twice. A client is its address as the HTTP layer sees it (the forwarded
 * one behind a trusted proxy), IPv6 grouped by /64 (see throttleKeyOf).
 */
export class LoginGuard {
  private readonly perUser: FailureLimiter;
  private readonly perAddress: FailureLimiter;

  constructor(
    private readonly htpasswd: Htpasswd,
    limits: LoginLimits,
    now: () => number = Date.now,
  ) {
    this.perUser = new FailureLimiter(limits.failuresPerUser, limits.windowMs, now);
    this.perAddress = new FailureLimiter(limits.failuresPerAddress, limits.windowMs, now);
  }

  /**
   * `clientAddress` is asked only when a limit has to be looked at. A remembered credential while nobody is
   * failing is answered at once, synchronously: that is nearly every request of a busy registry.
   */
  check(user: string, password: string, clientAddress: () => string): LoginOutcome | Promise<LoginOutcome> {
    const credentials = this.htpasswd.identify(user, password);
    const remembered = this.htpasswd.recall(credentials);
    if (remembered && this.perUser.idle && this.perAddress.idle) return ACCEPTED;

    const client = throttleKeyOf(clientAddress());
    const pair = pairKey(user, client);
    const throttle = this.throttleOf(pair, client);
    if (remembered) {
      if (!throttle) {
        this.perUser.recordSuccess(pair);
        return ACCEPTED;
      }
      // The cache proves the password, and so does this client, which ran (or shared) the bcrypt run behind
      // it: someone failing from the same address must not lock its owner out. Only from that client, so that
      // "accepted while throttled" answers nobody else's guesses, and only until the pair is locked, so that
      // it answers a co-located guesser a bounded number of them (see FailureLimiter).
      if (remembered.provenFrom.has(client) && !this.perUser.isLocked(pair)) return ACCEPTED;
    }
    if (throttle) return this.refuse(throttle, user, pair);
    return this.verify(credentials, pair, client);
  }

  /**
   * A token's request: the token itself is judged by the caller (one HMAC, no queue); the failures of unknown
   * tokens count against the client's address, the limit password guesses from it count against too. A known
   * token (valid, expired or revoked: its secret is proven) is let through unless the address is locked, as a
   * remembered password is — a 256-bit secret cannot be guessed, so this answers nobody's guesses.
   */
  judgeToken(known: boolean, clientAddress: () => string): LoginOutcome {
    if (known && this.perAddress.idle) return ACCEPTED;
    const client = throttleKeyOf(clientAddress());
    if (known && !this.perAddress.isLocked(client)) return ACCEPTED;
    const wait = this.perAddress.retryAfterSeconds(client);
    if (wait > 0 || known) return { kind: 'throttled', scope: 'address', retryAfterSeconds: Math.max(1, wait) };
    this.perAddress.recordFailure(client);
    return REJECTED;
  }

  private throttleOf(pair: string, client: string): LoginOutcome | undefined {
    const addressWait = this.perAddress.retryAfterSeconds(client);
    const userWait = this.perUser.retryAfterSeconds(pair);
    if (addressWait === 0 && userWait === 0) return undefined;
    return addressWait >= userWait
      ? { kind: 'throttled', scope: 'address', retryAfterSeconds: addressWait }
      : { kind: 'throttled', scope: 'user', retryAfterSeconds: userWait };
  }

  /**
   * A refused attempt counts against its (user, client) pair, so that guesses at line rate reach the lock.
   * Only for names in the file or pairs already counted: a flood of random names must not fill memory.
   */
  private refuse(throttle: LoginOutcome, user: string, pair: string): LoginOutcome {
    if (this.htpasswd.hasUser(user) || this.perUser.hasFailures(pair)) this.perUser.recordFailure(pair);
    return throttle;
  }

  private async verify(credentials: Credentials, pair: string, client: string): Promise<LoginOutcome> {
    // Parallel requests with the same credentials share one bcrypt run (see Htpasswd); only the request that
    // starts it counts as running, so a client's burst of parallel first requests is one attempt, not many.
    const starts = !this.htpasswd.isVerifying(credentials);
    if (starts) {
      this.perUser.startAttempt(pair);
      this.perAddress.startAttempt(client);
    }
    try {
      if (await this.htpasswd.verifyCredentials(credentials, client)) {
        this.perUser.recordSuccess(pair);
        return ACCEPTED;
      }
      this.perUser.recordFailure(pair);
      this.perAddress.recordFailure(client);
      return REJECTED;
    } catch (error) {
      if (error instanceof VerificationQueueFull) return { kind: 'busy', retryAfterSeconds: error.retryAfterSeconds };
      throw error;
    } finally {
      if (starts) {
        this.perUser.endAttempt(pair);
        this.perAddress.endAttempt(client);
      }
    }
  }
}

function pairKey(user: string, client: string): string {
  return `${user}\0${client}`;
}
