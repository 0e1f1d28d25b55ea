import type { ErrorRequestHandler, RequestHandler } from 'express';
import passport from 'passport';
import { BasicStrategy } from 'passport-http';
import type { LoginGuard, LoginOutcome } from '../auth/login-guard.js';
import { TOKEN_PREFIX, type TokenCheck, type TokenStore } from '../auth/tokens.js';
import { RegistryError } from '../registry/errors.js';
import { sendError } from './errors.js';

export interface RegistryUser {
  /** The htpasswd user, `token:NAME` for an access token, or `anonymous` (never a secret: it is logged). */
  name: string;
  /** Admins may push, tag, delete and manage tokens; every other valid user may read. */
  admin: boolean;
  /** May push and tag (admins, and tokens of scope `push`). */
  push: boolean;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // Passport types req.user as Express.User; ours carries the name and the write right.
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface User extends RegistryUser {}
  }
}

export type AuthSettings =
  | {
      kind: 'htpasswd';
      guard: LoginGuard;
      realm: string;
      admins: readonly string[];
      /** `auth.anonymous.read`: GET and HEAD without an Authorization header pass as the reader `anonymous`. */
      anonymousRead?: boolean;
      /** Access tokens (Bearer, or a basic password with the token prefix); none: tokens are not accepted. */
      tokens?: TokenStore;
    }
  | { kind: 'none' };

const ANONYMOUS_READER: RegistryUser = Object.freeze({ name: 'anonymous', admin: false, push: false });

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

/** `Bearer <token>`; the scheme is case-insensitive (RFC 7235). */
const BEARER = /^Bearer +(\S+) *$/i;

/** A token that is known but may no longer be used: 401 with its own code. */
class TokenRefused extends RegistryError {
  constructor(
    code: 'TOKEN_EXPIRED' | 'TOKEN_REVOKED',
    message: string,
    readonly challenge: string,
  ) {
    super(code, message);
  }
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
    private readonly anonymousRead: boolean,
    private readonly tokens: TokenStore | undefined,
  ) {
    super((_user, _password, done) => done(null, false));
  }

  override authenticate(req: Parameters<BasicStrategy['authenticate']>[0]): void {
    const actions = this as unknown as StrategyActions;
    const header = req.headers.authorization;
    // Anonymous only without any Authorization header: credentials sent anyway are checked, so a client
    // validating wrong ones learns that they are wrong.
    if (header === undefined) {
      if (this.anonymousRead && (req.method === 'GET' || req.method === 'HEAD')) return actions.success(ANONYMOUS_READER);
      return actions.fail(this.challenge);
    }
    // Tokens only for what looks like one, so cached basic credentials cost no more than before: `Bearer`
    // (its second letter tells it from `Basic`), or a basic password with the token prefix.
    if (this.tokens && (header.charCodeAt(1) | 0x20) === 0x65) {
      const bearer = BEARER.exec(header)?.[1];
      if (bearer !== undefined) return this.checkToken(bearer, this.tokens, req, actions);
    }
    const credentials = parseBasicAuthorization(header);
    if (!credentials) return actions.fail(this.challenge);
    if (this.tokens && credentials.password.startsWith(TOKEN_PREFIX)) return this.checkToken(credentials.password, this.tokens, req, actions);
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

  /** One HMAC and a lookup (see TokenStore.check); unknown tokens count against the address (LoginGuard). */
  private checkToken(secret: string, tokens: TokenStore, req: Parameters<BasicStrategy['authenticate']>[0], actions: StrategyActions): void {
    let checked: TokenCheck;
    let outcome: LoginOutcome;
    try {
      checked = tokens.check(secret);
      outcome = this.guard.judgeToken(checked.kind !== 'unknown', () => req.ip ?? req.socket.remoteAddress ?? '');
    } catch (error) {
      return actions.error(error);
    }
    if (outcome.kind === 'rejected') return actions.fail(this.challenge);
    if (outcome.kind !== 'accepted') return actions.error(refusalFor(outcome, 'this token'));
    switch (checked.kind) {
      case 'valid': {
        const admin = checked.scope === 'admin';
        return actions.success({ name: `token:${checked.name}`, admin, push: admin || checked.scope === 'push' });
      }
      case 'expired':
        return actions.error(new TokenRefused('TOKEN_EXPIRED', `the token "${checked.name}" has expired`, this.challenge));
      case 'revoked':
        return actions.error(new TokenRefused('TOKEN_REVOKED', `the token "${checked.name}" was revoked`, this.challenge));
      default:
        return actions.fail(this.challenge);
    }
  }

  private settle(outcome: LoginOutcome, user: string, actions: StrategyActions): void {
    switch (outcome.kind) {
      case 'accepted': {
        const admin = this.admins.has(user);
        return actions.success({ name: user, admin, push: admin });
      }
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
      req.user = { name: 'anonymous', admin: true, push: true };
      next();
    };
    return [anonymousAdmin];
  }
  const challenge = `Basic realm="${settings.realm.replaceAll('"', "'")}"`;
  const authenticator = new passport.Passport();
  authenticator.use(
    'htpasswd',
    new HtpasswdStrategy(settings.guard, new Set(settings.admins), challenge, settings.anonymousRead ?? false, settings.tokens),
  );
  // Built once, not per request: every request passes here, and a per-request custom callback cost a tenth
  // of a small download's CPU. `assignProperty` sets req.user without passport's session/login machinery;
  // `failWithError` hands a refusal (401 and WWW-Authenticate already set by passport) to `refuse` below.
  const check = authenticator.authenticate('htpasswd', { session: false, failWithError: true, assignProperty: 'user', authInfo: false });
  const refuse: ErrorRequestHandler = (error: unknown, _req, res, next) => {
    if (error instanceof TokenRefused) {
      res.setHeader('WWW-Authenticate', error.challenge);
      return sendError(res, error);
    }
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

/** Guards deletes and token management: an authenticated reader (or a push token) gets 403 DENIED. */
export const requireAdmin: RequestHandler = (req, res, next) => {
  if (req.user?.admin) return next();
  const may = req.user?.push ? 'push and tag but not delete or manage tokens in' : 'read but not write to';
  sendError(res, new RegistryError('DENIED', `user ${req.user?.name ?? ''} may ${may} this registry`));
};

/** Guards pushes and tag changes: admins and push tokens pass; a reader gets 403 DENIED. */
export const requirePush: RequestHandler = (req, res, next) => {
  if (req.user?.push || req.user?.admin) return next();
  sendError(res, new RegistryError('DENIED', `user ${req.user?.name ?? ''} may read but not write to this registry`));
};
