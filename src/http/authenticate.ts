import type { ServerResponse } from 'node:http';
import type { LoginGuard, LoginOutcome } from '../auth/login-guard.js';
import { TOKEN_PREFIX, type TokenCheck, type TokenStore } from '../auth/tokens.js';
import { RegistryError } from '../registry/errors.js';
import { sendError } from './errors.js';
import type { Middleware, Next, RegistryRequest, RequestUser } from './middleware.js';

export type RegistryUser = RequestUser;

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // What authenticate sets: the name and the rights, on express's requests as on plain ones (middleware.ts).
    interface Request {
      user?: RegistryUser | undefined;
    }
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
/** `auth: none`: everyone may do everything (a registry on a private network or a laptop). */
const ANONYMOUS_ADMIN: RegistryUser = Object.freeze({ name: 'anonymous', admin: true, push: true });

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

/**
 * Basic auth over the htpasswd file, access tokens and anonymous reads, decided for one request. Each request
 * ends in exactly one of: `next()` with `req.user` set, a refusal sent here (401 with the challenge, 401
 * TOKEN_EXPIRED / TOKEN_REVOKED, 429 / 503 with Retry-After), or `next(error)` for an unexpected failure.
 *
 * Plain (req, res, next) over Node's request and response (see middleware.ts): express mounts it in front of
 * every /v1 route and the archive fast path calls the same function. (It used to be a passport strategy; the
 * answers are the ones passport gave — 401, `WWW-Authenticate`, then the contract's UNAUTHORIZED body — without
 * passport's per-request closures and request decorations.)
 */
class HtpasswdAuthenticator {
  constructor(
    private readonly guard: LoginGuard,
    private readonly admins: ReadonlySet<string>,
    private readonly challenge: string,
    private readonly anonymousRead: boolean,
    private readonly tokens: TokenStore | undefined,
    private readonly renderUnauthorized: UnauthorizedRenderer | undefined,
  ) {}

  authenticate(req: RegistryRequest, res: ServerResponse, next: Next): void {
    const header = req.headers.authorization;
    // Anonymous only without any Authorization header: credentials sent anyway are checked, so a client
    // validating wrong ones learns that they are wrong.
    if (header === undefined) {
      if (this.anonymousRead && (req.method === 'GET' || req.method === 'HEAD')) return succeed(req, next, ANONYMOUS_READER);
      return this.unauthorized(req, res);
    }
    // Tokens only for what looks like one, so cached basic credentials cost no more than before: `Bearer`
    // (its second letter tells it from `Basic`), or a basic password with the token prefix.
    if (this.tokens && (header.charCodeAt(1) | 0x20) === 0x65) {
      const bearer = BEARER.exec(header)?.[1];
      if (bearer !== undefined) return this.checkToken(bearer, this.tokens, req, res, next);
    }
    const credentials = parseBasicAuthorization(header);
    if (!credentials) return this.unauthorized(req, res);
    if (this.tokens && credentials.password.startsWith(TOKEN_PREFIX)) return this.checkToken(credentials.password, this.tokens, req, res, next);
    // The client address is asked for only when a failure limit has to be looked at.
    let outcome: ReturnType<LoginGuard['check']>;
    try {
      outcome = this.guard.check(credentials.user, credentials.password, () => clientAddressOf(req));
    } catch (error) {
      return next(error);
    }
    if (!(outcome instanceof Promise)) return this.settle(outcome, credentials.user, req, res, next);
    outcome.then(
      (settled) => this.settle(settled, credentials.user, req, res, next),
      (error: unknown) => next(error),
    );
  }

  /**
   * One HMAC and a lookup (see TokenStore.check); a secret not known yet is looked for once more after the store
   * has caught up (made a moment ago on another replica, or by the CLI). Unknown tokens count against the address
   * (LoginGuard).
   */
  private checkToken(secret: string, tokens: TokenStore, req: RegistryRequest, res: ServerResponse, next: Next): void {
    let checked: TokenCheck;
    try {
      checked = tokens.check(secret);
    } catch (error) {
      return next(error);
    }
    if (checked.kind !== 'unknown') return this.judgeToken(checked, req, res, next);
    tokens.checkFresh(secret).then(
      (fresh) => this.judgeToken(fresh, req, res, next),
      (error: unknown) => next(error),
    );
  }

  private judgeToken(checked: TokenCheck, req: RegistryRequest, res: ServerResponse, next: Next): void {
    let outcome: LoginOutcome;
    try {
      outcome = this.guard.judgeToken(checked.kind !== 'unknown', () => clientAddressOf(req));
    } catch (error) {
      return next(error);
    }
    if (outcome.kind === 'rejected') return this.unauthorized(req, res);
    if (outcome.kind !== 'accepted') return retryLater(res, refusalFor(outcome, 'this token'));
    switch (checked.kind) {
      case 'valid': {
        const admin = checked.scope === 'admin';
        return succeed(req, next, { name: `token:${checked.name}`, admin, push: admin || checked.scope === 'push' });
      }
      case 'expired':
        return this.tokenRefused(res, new RegistryError('TOKEN_EXPIRED', `the token "${checked.name}" has expired`));
      case 'revoked':
        return this.tokenRefused(res, new RegistryError('TOKEN_REVOKED', `the token "${checked.name}" was revoked`));
      default:
        return this.unauthorized(req, res);
    }
  }

  private settle(outcome: LoginOutcome, user: string, req: RegistryRequest, res: ServerResponse, next: Next): void {
    switch (outcome.kind) {
      case 'accepted': {
        const admin = this.admins.has(user);
        return succeed(req, next, { name: user, admin, push: admin });
      }
      case 'rejected':
        return this.unauthorized(req, res);
      default:
        return retryLater(res, refusalFor(outcome, user));
    }
  }

  /** Missing or wrong credentials: 401 with the realm's challenge, so a client knows to send some. */
  private unauthorized(req: RegistryRequest, res: ServerResponse): void {
    res.setHeader('WWW-Authenticate', this.challenge);
    if (this.renderUnauthorized) return this.renderUnauthorized(req, res);
    sendError(res, new RegistryError('UNAUTHORIZED', 'authentication required: give a valid user name and password'));
  }

  /** A known token that may no longer be used: 401 with its own code, and the challenge. */
  private tokenRefused(res: ServerResponse, error: RegistryError): void {
    res.setHeader('WWW-Authenticate', this.challenge);
    sendError(res, error);
  }
}

function succeed(req: RegistryRequest, next: Next, user: RegistryUser): void {
  req.user = user;
  next();
}

function retryLater(res: ServerResponse, error: RetryLater): void {
  res.setHeader('Retry-After', String(error.retryAfterSeconds));
  sendError(res, error);
}

/**
 * The client the failure limits count: express's `req.ip` where express has set it up (it follows
 * http.trustedproxies), else the socket's peer. The archive fast path runs only without trusted proxies
 * (dispatch.ts), where the two are the same address.
 */
function clientAddressOf(req: RegistryRequest): string {
  return (req as RegistryRequest & { ip?: string }).ip ?? req.socket.remoteAddress ?? '';
}

/** Writes the body of a 401 for missing or wrong credentials; the status and the challenge header are set. */
export type UnauthorizedRenderer = (req: RegistryRequest, res: ServerResponse) => void;

export interface AuthenticateOptions {
  /**
   * The 401 body for missing or wrong credentials, instead of the contract's JSON UNAUTHORIZED: the web UI's
   * page shown when the browser's prompt is dismissed. Every other refusal keeps the API's answer.
   */
  renderUnauthorized?: UnauthorizedRenderer;
}

/**
 * Middleware that sets `req.user` or answers 401 with the configured realm; 429 while the user or the
 * client is throttled, 503 while the verification queue is full (both with Retry-After).
 */
export function authenticate(settings: AuthSettings, options: AuthenticateOptions = {}): Middleware {
  if (settings.kind === 'none') {
    return (req, _res, next) => succeed(req, next, ANONYMOUS_ADMIN);
  }
  const challenge = `Basic realm="${settings.realm.replaceAll('"', "'")}"`;
  const authenticator = new HtpasswdAuthenticator(
    settings.guard,
    new Set(settings.admins),
    challenge,
    settings.anonymousRead ?? false,
    settings.tokens,
    options.renderUnauthorized,
  );
  return (req, res, next) => authenticator.authenticate(req, res, next);
}

/** Guards deletes and token management: an authenticated reader (or a push token) gets 403 DENIED. */
export const requireAdmin: Middleware = (req, res, next) => {
  if (req.user?.admin) return next();
  const may = req.user?.push ? 'push and tag but not delete or manage tokens in' : 'read but not write to';
  sendError(res, new RegistryError('DENIED', `user ${req.user?.name ?? ''} may ${may} this registry`));
};

/** Guards pushes and tag changes: admins and push tokens pass; a reader gets 403 DENIED. */
export const requirePush: Middleware = (req, res, next) => {
  if (req.user?.push || req.user?.admin) return next();
  sendError(res, new RegistryError('DENIED', `user ${req.user?.name ?? ''} may read but not write to this registry`));
};
