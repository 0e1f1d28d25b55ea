// Access tokens: long random secrets with a scope, for CI jobs and clients that should not hold a user's
// password. Only a keyed hash of each secret is kept, so the stored tokens alone let nobody in. Where they are
// kept is a TokenKeeper's business (token-document.ts); this module holds the rules.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { FileTokenKeeper } from './token-file.js';
import { EMPTY_TOKENS, isTokenScope, TOKEN_SCOPES, type StoredToken, type TokenInfo, type TokenKeeper, type TokenScope, type TokenSnapshot } from './token-document.js';

export { isTokenScope, TOKEN_SCOPES, type TokenInfo, type TokenScope } from './token-document.js';

/** Every secret starts so: the HTTP layer checks tokens only for credentials that look like one. */
export const TOKEN_PREFIX = 'prt_';

/** 32 random bytes (256 bits) as base64url: 43 characters after the prefix. */
const SECRET_BYTES = 32;
const SECRET_PATTERN = /^prt_[A-Za-z0-9_-]{43}$/;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export type TokenCheck =
  | { kind: 'valid'; name: string; scope: TokenScope }
  | { kind: 'unknown' }
  | { kind: 'expired'; name: string }
  | { kind: 'revoked'; name: string };

/** A token request the store refuses; its code is the catalogue's (the HTTP layer answers with it). */
export class TokenError extends Error {
  constructor(
    readonly code: 'TOKEN_INVALID' | 'TOKEN_EXISTS' | 'TOKEN_NOT_FOUND',
    message: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

export interface TokenStoreOptions {
  now?: () => number;
  /** TokenStore.open: at most this often the file's identity is compared, to pick up a `pack-registry token` run beside the server. */
  reloadCheckMs?: number;
  /** How long a token's "last used" time may wait in memory before it is written. */
  lastUsedFlushMs?: number;
}

const UNKNOWN: TokenCheck = Object.freeze({ kind: 'unknown' });

const LIFETIME_UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90d`, `12h`, `2w`, `30m`, `10s` → milliseconds; undefined for anything else (or zero). */
export function parseTokenLifetime(text: string): number | undefined {
  const match = /^(\d{1,6})([smhdw])$/.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * (LIFETIME_UNIT_MS[match[2] ?? ''] ?? Number.NaN);
  return ms > 0 ? ms : undefined;
}

/**
 * The rules of access tokens over a keeper: FileTokenKeeper (tokens.json and tokens.key beside the index),
 * a PostgreSQL keeper shared by replicas (db/postgres-tokens.ts), or memory (`storage: inmemory`). A check costs
 * one HMAC and a map lookup — microseconds, unlike bcrypt, which is pointless for 256-bit random secrets.
 *
 * A token made elsewhere (by `pack-registry token`, or on another replica) is found by the keeper's next look
 * at its source (at most a second later), or at once by `checkFresh`, which the HTTP layer calls for a secret it
 * does not know yet. "Last used" times are kept in memory and written at most every `lastUsedFlushMs` (and at
 * close), merged with what other processes wrote, so a busy token does not cost a write per request.
 */
export class TokenStore {
  private snapshot: TokenSnapshot = { tokens: EMPTY_TOKENS, key: undefined };
  private byHash = new Map<string, StoredToken>();
  private readonly lastUsed = new Map<string, number>();
  private writing: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private readonly now: () => number;
  private readonly lastUsedFlushMs: number;

  constructor(
    private readonly keeper: TokenKeeper,
    options: TokenStoreOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.lastUsedFlushMs = options.lastUsedFlushMs ?? 30_000;
  }

  /** Tokens that live as long as the process (`storage: inmemory`). */
  static inMemory(options: TokenStoreOptions = {}): TokenStore {
    return new TokenStore(new MemoryTokenKeeper(), options);
  }

  /** Tokens in `paths.tokens`, hashed with the key in `paths.key` (created once, 0600, with the first token). */
  static async open(paths: { tokens: string; key: string }, options: TokenStoreOptions = {}): Promise<TokenStore> {
    return new TokenStore(await FileTokenKeeper.open(paths, options.reloadCheckMs ?? 1000), options);
  }

  /** The secret once: it is not kept anywhere, only its keyed hash. */
  async create(request: { name: string; scope: string; expires?: string | undefined }): Promise<{ token: string; info: TokenInfo }> {
    const { name, scope } = request;
    if (!NAME_PATTERN.test(name)) {
      throw new TokenError('TOKEN_INVALID', `"${name}" is not a valid token name: 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit`);
    }
    if (!isTokenScope(scope)) throw new TokenError('TOKEN_INVALID', `the scope must be one of ${TOKEN_SCOPES.join(', ')}`);
    let lifetimeMs: number | undefined;
    if (request.expires !== undefined) {
      lifetimeMs = parseTokenLifetime(request.expires);
      if (lifetimeMs === undefined) {
        throw new TokenError('TOKEN_INVALID', `"${request.expires}" is not a lifetime: a whole number and a unit, like 90d, 12h, 2w, 30m or 10s`);
      }
    }
    const token = `${TOKEN_PREFIX}${randomBytes(SECRET_BYTES).toString('base64url')}`;
    const now = this.now();
    let stored: StoredToken | undefined;
    await this.change((tokens, key) => {
      if (tokens.some((existing) => existing.name === name && existing.revoked === null)) {
        throw new TokenError('TOKEN_EXISTS', `a token named "${name}" exists; revoke it first or choose another name`);
      }
      stored = {
        name,
        scope,
        created: new Date(now).toISOString(),
        expires: lifetimeMs === undefined ? null : new Date(now + lifetimeMs).toISOString(),
        lastUsed: null,
        revoked: null,
        hash: hmac(keyOrThrow(key), token).toString('hex'),
      };
      tokens.push(stored);
    }, true);
    return { token, info: publicInfo(stored as StoredToken) };
  }

  /** Revoked tokens are kept (without a use), so that their use is answered TOKEN_REVOKED, not a plain 401. */
  async revoke(name: string): Promise<TokenInfo> {
    let revoked: StoredToken | undefined;
    await this.change((tokens) => {
      revoked = tokens.find((token) => token.name === name && token.revoked === null);
      if (!revoked) throw new TokenError('TOKEN_NOT_FOUND', `no token named "${name}" (that is not revoked already)`);
      revoked.revoked = new Date(this.now()).toISOString();
    });
    return publicInfo(revoked as StoredToken);
  }

  /** Every token, revoked ones included, oldest first; with the last use this process saw. */
  async list(): Promise<TokenInfo[]> {
    await this.keeper.refresh();
    return this.keeper.current().tokens.map((token) => publicInfo(this.withLastUse(token)));
  }

  /** The hot path of a token's request: one HMAC, one lookup, a constant-time comparison. */
  check(secret: string): TokenCheck {
    if (!SECRET_PATTERN.test(secret)) return UNKNOWN;
    const snapshot = this.keeper.current();
    if (snapshot !== this.snapshot) this.use(snapshot);
    if (this.byHash.size === 0 || !snapshot.key) return UNKNOWN;
    const hash = hmac(snapshot.key, secret);
    const hex = hash.toString('hex');
    const token = this.byHash.get(hex);
    if (!token || !timingSafeEqual(Buffer.from(token.hash, 'hex'), hash)) return UNKNOWN;
    if (token.revoked !== null) return { kind: 'revoked', name: token.name };
    const now = this.now();
    if (token.expires !== null && Date.parse(token.expires) <= now) return { kind: 'expired', name: token.name };
    this.lastUsed.set(hex, now);
    this.scheduleFlush();
    return { kind: 'valid', name: token.name, scope: token.scope };
  }

  /**
   * `check` after the keeper has caught up with every change committed so far: for a secret `check` did not know,
   * which may have been made a moment ago by another process or replica. Guessed secrets cost a look at the
   * source each (a stat, or one small query), and count against the caller's address like wrong passwords.
   */
  async checkFresh(secret: string): Promise<TokenCheck> {
    if (!SECRET_PATTERN.test(secret)) return UNKNOWN;
    await this.keeper.refresh();
    return this.check(secret);
  }

  /** Write the remembered "last used" times, stop the timer and let the keeper go; once, however often called. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.flushTimer) clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      if (this.lastUsed.size > 0) await this.change(() => {});
      await this.writing;
      await this.keeper.close();
    })();
    return this.closing;
  }

  private use(snapshot: TokenSnapshot): void {
    this.snapshot = snapshot;
    this.byHash = new Map(snapshot.tokens.map((token) => [token.hash, token]));
  }

  private withLastUse(token: StoredToken): StoredToken {
    const seen = this.lastUsed.get(token.hash);
    if (seen === undefined) return token;
    const written = token.lastUsed === null ? 0 : Date.parse(token.lastUsed);
    return seen > written ? { ...token, lastUsed: new Date(seen).toISOString() } : token;
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.change(() => {}).catch(() => {
        // A failed write of "last used" times loses nothing else; the next use schedules another.
      });
    }, this.lastUsedFlushMs);
    this.flushTimer.unref();
  }

  /**
   * One change at a time in this process; the keeper reads the newest tokens (another process may have changed
   * them), this process's "last used" times are merged in (the later time wins), and `apply` changes the copy.
   */
  private change(apply: (tokens: StoredToken[], key: Buffer | undefined) => void, withKey = false): Promise<void> {
    const run = async () => {
      const snapshot = await this.keeper.change((current, key) => {
        const tokens = current.map((token) => ({ ...this.withLastUse(token) }));
        apply(tokens, key);
        return tokens;
      }, withKey);
      this.use(snapshot);
    };
    const done = this.writing.then(run, run);
    this.writing = done.catch(() => {});
    return done;
  }
}

/** `storage: inmemory`: the tokens and a key of this process only. */
class MemoryTokenKeeper implements TokenKeeper {
  private snapshot: TokenSnapshot = { tokens: EMPTY_TOKENS, key: randomBytes(32) };

  current(): TokenSnapshot {
    return this.snapshot;
  }

  async refresh(): Promise<void> {}

  async change(apply: (tokens: readonly StoredToken[], key: Buffer | undefined) => StoredToken[]): Promise<TokenSnapshot> {
    this.snapshot = { tokens: apply(this.snapshot.tokens, this.snapshot.key), key: this.snapshot.key };
    return this.snapshot;
  }

  async close(): Promise<void> {}
}

function hmac(key: Buffer, secret: string): Buffer {
  return createHmac('sha256', key).update(secret).digest();
}

function keyOrThrow(key: Buffer | undefined): Buffer {
  if (!key) throw new Error('the token keeper made no key for a new token');
  return key;
}

function publicInfo(token: StoredToken): TokenInfo {
  return { name: token.name, scope: token.scope, created: token.created, expires: token.expires, lastUsed: token.lastUsed, revoked: token.revoked };
}
