import type { ErrorRequestHandler, RequestHandler } from 'express';
import passport from 'passport';
import { BasicStrategy } from 'passport-http';
import type { Htpasswd } from '../auth/htpasswd.js';
import type { FailureLimiter } from '../auth/lockout.js';
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

export type AuthSettings =
  | { kind: 'htpasswd'; htpasswd: Htpasswd; realm: string; admins: readonly string[]; failures?: FailureLimiter }
  | { kind: 'none' };

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

class TooManyFailures extends RegistryError {
  constructor(
    user: string,
    readonly retryAfterSeconds: number,
  ) {
    super('TOO_MANY_REQUESTS', `too many failed logins for ${user} from this address; try again in ${retryAfterSeconds} s`, {
      retryAfter: retryAfterSeconds,
    });
  }
}

class HtpasswdStrategy extends BasicStrategy {
  constructor(
    private readonly htpasswd: Htpasswd,
    private readonly admins: ReadonlySet<string>,
    private readonly challenge: string,
    private readonly failures: FailureLimiter | undefined,
  ) {
    super((_user, _password, done) => done(null, false));
  }

  override authenticate(req: Parameters<BasicStrategy['authenticate']>[0]): void {
    const actions = this as unknown as StrategyActions;
    const credentials = parseBasicAuthorization(req.headers.authorization);
    if (!credentials) return actions.fail(this.challenge);
    const address = req.socket.remoteAddress ?? '';
    const retryAfter = this.failures?.retryAfterSeconds(credentials.user, address) ?? 0;
    // Refused before bcrypt runs: a locked-out guesser costs the server nothing.
    if (retryAfter > 0) return actions.error(new TooManyFailures(credentials.user, retryAfter));
    this.htpasswd.verify(credentials.user, credentials.password).then(
      (ok) => {
        if (ok) {
          this.failures?.recordSuccess(credentials.user, address);
          actions.success({ name: credentials.user, admin: this.admins.has(credentials.user) });
        } else {
          this.failures?.recordFailure(credentials.user, address);
          actions.fail(this.challenge);
        }
      },
      (error: unknown) => actions.error(error),
    );
  }
}

/** Middleware that sets `req.user` or answers 401 with the configured realm (429 while locked out). */
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
  authenticator.use('htpasswd', new HtpasswdStrategy(settings.htpasswd, new Set(settings.admins), challenge, settings.failures));
  // Built once, not per request: every request passes here, and a per-request custom callback cost a tenth
  // of a small download's CPU. `assignProperty` sets req.user without passport's session/login machinery;
  // `failWithError` hands a refusal (401 and WWW-Authenticate already set by passport) to `refuse` below.
  const check = authenticator.authenticate('htpasswd', { session: false, failWithError: true, assignProperty: 'user', authInfo: false });
  const refuse: ErrorRequestHandler = (error: unknown, _req, res, next) => {
    if (error instanceof TooManyFailures) {
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
