import type { ErrorRequestHandler, RequestHandler } from 'express';
import passport from 'passport';
import { BasicStrategy } from 'passport-http';
import type { LoginGuard, LoginOutcome } from '../auth/login-guard.js';
import { RegistryError } from '../registry/errors.js';
import { sendError } from './errors.js';

export interface RegistryUser {
  name: string;
  /** Admins may push, tag and delete; every other valid user may read. */
  admin: boolean;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // Passport types req.user as Express.User; ours carries the name and the write right.
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface User extends RegistryUser {}
  }
}

export type AuthSettings = { kind: 'htpasswd'; guard: LoginGuard; realm: string; admins: readonly string[] } | { kind: 'none' };

/** What passport-strategy gives a strategy at run time; passport-http's typings leave it out. */
interface StrategyActions {
  success(user: RegistryUser): void;
  fail(challenge: string): void;
  error(error: unknown): void;
}

/**
 * Split `Authorization: Basic base64(user:password)` at the FIRST colon: a password may contain `:`.
 * (passport-http's own parser splits at every colon and would cut such a password short.)
 */
export function parseBasicAuthorization(header: string | undefined): { user: string; password: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** A refusal that tells the client when to come back (429 TOO_MANY_REQUESTS, 503 TOO_MANY_LOGINS). */
class RetryLater extends RegistryError {
  constructor(
    code: 'TOO_MANY_REQUESTS' | 'TOO_MANY_LOGINS',
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(code, message, { retryAfter: retryAfterSeconds });
  }
}

function refusalFor(outcome: Extract<LoginOutcome, { retryAfterSeconds: number }>, user: string): RetryLater {
  const wait = outcome.retryAfterSeconds;
  if (outcome.kind === 'busy') {
    return new RetryLater('TOO_MANY_LOGINS', `too many logins are being verified; try again in ${wait} s`, wait);
  }
  const who = outcome.scope === 'user' ? `for ${user} from this address` : 'from this address';
  return new RetryLater('TOO_MANY_REQUESTS', `too many failed logins ${who}; try again in ${wait} s`, wait);
}

class HtpasswdStrategy extends BasicStrategy {
  constructor(
    private readonly guard: LoginGuard,
    private readonly admins: ReadonlySet<string>,
    private readonly challenge: string,
  ) {
    super((_user, _password, done) => done(null, false));
  }

  override authenticate(req: Parameters<BasicStrategy['authenticate']>[0]): void {
    const actions = this as unknown as StrategyActions;
    const credentials = parseBasicAuthorization(req.headers.authorization);
    if (!credentials) return actions.fail(this.challenge);
    // req.ip is the forwarded client only when the peer is one of http.trustedproxies (express's
    // `trust proxy`); asked for only when a failure limit has to be looked at.
    let outcome: ReturnType<LoginGuard['check']>;
    try {
      outcome = this.guard.check(credentials.user, credentials.password, () => req.ip ?? req.socket.remoteAddress ?? '');
    } catch (error) {
      return actions.error(error);
    }
    if (!(outcome instanceof Promise)) return this.settle(outcome, credentials.user, actions);
    outcome.then(
      (settled) => this.settle(settled, credentials.user, actions),
      (error: unknown) => actions.error(error),
    );
  }

  private settle(outcome: LoginOutcome, user: string, actions: StrategyActions): void {
    switch (outcome.kind) {
      case 'accepted':
        return actions.success({ name: user, admin: this.admins.has(user) });
      case 'rejected':
        return actions.fail(this.challenge);
      default:
        return actions.error(refusalFor(outcome, user));
    }
  }
}

/**
 * Middleware that sets `req.user` or answers 401 with the configured realm; 429 while the user or the
 * client is throttled, 503 while the verification queue is full (both with Retry-After).
 */
export function authenticate(settings: AuthSettings): (RequestHandler | ErrorRequestHandler)[] {
  if (settings.kind === 'none') {
    const anonymousAdmin: RequestHandler = (req, _res, next) => {
      req.user = { name: 'anonymous', admin: true };
      next();
    };
    return [anonymousAdmin];
  }
  const challenge = `Basic realm="${settings.realm.replaceAll('"', "'")}"`;
  const authenticator = new passport.Passport();
  authenticator.use('htpasswd', new HtpasswdStrategy(settings.guard, new Set(settings.admins), challenge));
  // Built once, not per request: every request passes here, and a per-request custom callback cost a tenth
  // of a small download's CPU. `assignProperty` sets req.user without passport's session/login machinery;
  // `failWithError` hands a refusal (401 and WWW-Authenticate already set by passport) to `refuse` below.
  const check = authenticator.authenticate('htpasswd', { session: false, failWithError: true, assignProperty: 'user', authInfo: false });
  const refuse: ErrorRequestHandler = (error: unknown, _req, res, next) => {
    if (error instanceof RetryLater) {
      res.setHeader('Retry-After', String(error.retryAfterSeconds));
      return sendError(res, error);
    }
    if ((error as Error | undefined)?.name === 'AuthenticationError') {
      return sendError(res, new RegistryError('UNAUTHORIZED', 'authentication required: give a valid user name and password'));
    }
    next(error);
  };
  return [check as RequestHandler, refuse];
}

/** Guards the write routes: an authenticated reader gets 403 DENIED. */
export const requireAdmin: RequestHandler = (req, res, next) => {
  if (req.user?.admin) return next();
  sendError(res, new RegistryError('DENIED', `user ${req.user?.name ?? ''} may read but not write to this registry`));
};
