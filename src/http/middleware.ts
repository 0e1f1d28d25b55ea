import type { IncomingMessage, ServerResponse } from 'node:http';

/** Who a request is from, once authenticate.ts has decided (see RegistryUser there). */
export interface RequestUser {
  /** The htpasswd user, `token:NAME` for an access token, or `anonymous` (never a secret: it is logged). */
  name: string;
  /** Admins may push, tag, delete and manage tokens; every other valid user may read. */
  admin: boolean;
  /** May push and tag (admins, and tokens of scope `push`). */
  push: boolean;
}

/**
 * A request as the shared steps (traffic, logging, metrics, headers, authentication, errors) see it: Node's own
 * request, with what they add. express's Request is one (it sets `originalUrl`); so is the plain request the
 * archive fast path (dispatch.ts) hands them without express.
 */
export interface RegistryRequest extends IncomingMessage {
  /** Set by authenticate.ts. */
  user?: RequestUser | undefined;
  /** The URL as it arrived (express sets it; a plain request has only `url`, which nobody rewrote). */
  originalUrl?: string;
}

/** The URL as the client sent it: express's `originalUrl` (its mounted routers rewrite `url`), else Node's `url`. */
export function originalUrlOf(req: RegistryRequest): string {
  return req.originalUrl ?? req.url ?? '/';
}

export type Next = (error?: unknown) => void;

/**
 * The one shape of every step both request paths run: express mounts these very functions with `app.use`, and
 * the archive fast path calls them in the same order (see runChain). They may use only Node's request and
 * response API — never express's additions (res.json, req.ip, req.params, …) — so one implementation serves
 * both paths.
 */
export type Middleware = (req: RegistryRequest, res: ServerResponse, next: Next) => void;
export type ErrorMiddleware = (error: unknown, req: RegistryRequest, res: ServerResponse, next: Next) => void;

/**
 * Runs `steps` in order as express's router would (a thrown error or `next(error)` skips to `onError`), then
 * `last` — without express's router, prototype swap or path matching.
 */
export function runChain(
  steps: readonly Middleware[],
  last: (req: RegistryRequest, res: ServerResponse) => Promise<void>,
  onError: ErrorMiddleware,
  req: RegistryRequest,
  res: ServerResponse,
): void {
  let index = 0;
  const fail = (error: unknown) => onError(error, req, res, ignoreNext);
  const next: Next = (error) => {
    // express treats any falsy argument as "no error", so does this.
    if (error) return fail(error);
    const step = steps[index++];
    try {
      if (step) step(req, res, next);
      else last(req, res).catch((rejection: unknown) => fail(rejection ?? new Error('Rejected promise')));
    } catch (thrown) {
      fail(thrown);
    }
  };
  next();
}

function ignoreNext(): void {}
