// Access tokens: long random secrets with a scope, for CI jobs and clients that should not hold a user's
// password. Only a keyed hash of each secret is kept, so the file of tokens alone lets nobody in.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isNotFound, writeAtomically } from '../storage/fs.js';

/** What a token may do: `read` GET/HEAD; `push` read + push and tag; `admin` everything (delete, tokens). */
export const TOKEN_SCOPES = ['read', 'push', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** Every secret starts so: the HTTP layer checks tokens only for credentials that look like one. */
export const TOKEN_PREFIX = 'prt_';

/** 32 random bytes (256 bits) as base64url: 43 characters after the prefix. */
const SECRET_BYTES = 32;
const SECRET_PATTERN = /^prt_[A-Za-z0-9_-]{43}$/;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A token as it is listed: never its secret. Times are ISO 8601; `null` when never (used, expiring, revoked). */
export interface TokenInfo {
  name: string;
  scope: TokenScope;
  created: string;
  expires: string | null;
  lastUsed: string | null;
  revoked: string | null;
}

interface StoredToken extends TokenInfo {
  /** HMAC-SHA256 of the secret under the server key, hex. */
  hash: string;
}

interface TokenFile {
  version: 1;
  tokens: StoredToken[];
}

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
  /** At most this often the file's identity is compared, to pick up a `pack-registry token` run beside the server. */
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

export function isTokenScope(value: unknown): value is TokenScope {
  return typeof value === 'string' && (TOKEN_SCOPES as readonly string[]).includes(value);
}

/**
 * The tokens, in a file of their own beside the index (never in index.db: reindex rebuilds that) or, for
 * `storage: inmemory`, in memory only. A check costs one HMAC and a map lookup — microseconds, unlike bcrypt,
 * which is pointless for 256-bit random secrets.
 *
 * A `pack-registry token` command may change the file while a server runs: the server compares the file's
 * identity at most once a second when a token is checked and reads it again when it changed, and every change
 * re-reads the file before writing it. "Last used" times are kept in memory and written at most every
 * `lastUsedFlushMs` (and at close), so a busy token does not cost a write per request.
 */
export class TokenStore {
  private tokens: StoredToken[] = [];
  private byHash = new Map<string, StoredToken>();
  private readonly lastUsed = new Map<string, number>();
  private fileIdentity = '';
  private lastCheck = 0;
  private writing: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly reloadCheckMs: number;
  private readonly lastUsedFlushMs: number;

  private constructor(
    /** Undefined until the first token is created: a server that never makes one writes nothing (a read-only mount). */
    private key: Buffer | undefined,
    private readonly path: string | undefined,
    private readonly keyPath: string | undefined,
    options: TokenStoreOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.reloadCheckMs = options.reloadCheckMs ?? 1000;
    this.lastUsedFlushMs = options.lastUsedFlushMs ?? 30_000;
  }

  /** Tokens that live as long as the process (`storage: inmemory`). */
  static inMemory(options: TokenStoreOptions = {}): TokenStore {
    return new TokenStore(randomBytes(32), undefined, undefined, options);
  }

  /** Tokens in `paths.tokens`, hashed with the key in `paths.key` (created once, 0600, with the first token). */
  static async open(paths: { tokens: string; key: string }, options: TokenStoreOptions = {}): Promise<TokenStore> {
    const store = new TokenStore(await readKey(paths.key), paths.tokens, paths.key, options);
    store.reloadIfChanged(true);
    return store;
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
    this.key ??= this.keyPath ? await readOrCreateKey(this.keyPath) : randomBytes(32);
    const token = `${TOKEN_PREFIX}${randomBytes(SECRET_BYTES).toString('base64url')}`;
    const now = this.now();
    const stored: StoredToken = {
      name,
      scope,
      created: new Date(now).toISOString(),
      expires: lifetimeMs === undefined ? null : new Date(now + lifetimeMs).toISOString(),
      lastUsed: null,
      revoked: null,
      hash: this.hashOf(token).toString('hex'),
    };
    await this.change((tokens) => {
      if (tokens.some((existing) => existing.name === name && existing.revoked === null)) {
        throw new TokenError('TOKEN_EXISTS', `a token named "${name}" exists; revoke it first or choose another name`);
      }
      tokens.push(stored);
    });
    return { token, info: publicInfo(stored) };
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
  list(): TokenInfo[] {
    this.reloadIfChanged(true);
    return this.tokens.map((token) => publicInfo(this.withLastUse(token)));
  }

  /** The hot path of a token's request: one HMAC, one lookup, a constant-time comparison. */
  check(secret: string): TokenCheck {
    if (!SECRET_PATTERN.test(secret)) return UNKNOWN;
    this.reloadIfChanged();
    if (this.byHash.size === 0 || !this.key) return UNKNOWN;
    const hash = this.hashOf(secret);
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

  /** Write the remembered "last used" times and stop the timer. */
  async close(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.lastUsed.size > 0) await this.change(() => {});
    await this.writing;
  }

  private hashOf(secret: string): Buffer {
    if (!this.key) throw new Error('no token key yet');
    return createHmac('sha256', this.key).update(secret).digest();
  }

  private withLastUse(token: StoredToken): StoredToken {
    const seen = this.lastUsed.get(token.hash);
    if (seen === undefined) return token;
    const written = token.lastUsed === null ? 0 : Date.parse(token.lastUsed);
    return seen > written ? { ...token, lastUsed: new Date(seen).toISOString() } : token;
  }

  private scheduleFlush(): void {
    if (this.flushTimer || !this.path) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.change(() => {}).catch(() => {
        // A failed write of "last used" times loses nothing else; the next use schedules another.
      });
    }, this.lastUsedFlushMs);
    this.flushTimer.unref();
  }

  /** One change at a time: read the file again (another process may have changed it), change, write. */
  private change(apply: (tokens: StoredToken[]) => void): Promise<void> {
    const run = async () => {
      this.reloadIfChanged(true);
      const tokens = this.tokens.map((token) => ({ ...this.withLastUse(token) }));
      apply(tokens);
      if (this.path) {
        const file: TokenFile = { version: 1, tokens };
        await writeAtomically(this.path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
      }
      this.replace(tokens);
      this.fileIdentity = this.path ? identityOf(this.path) : '';
    };
    const done = this.writing.then(run, run);
    this.writing = done.catch(() => {});
    return done;
  }

  private replace(tokens: StoredToken[]): void {
    this.tokens = tokens;
    this.byHash = new Map(tokens.map((token) => [token.hash, token]));
  }

  private reloadIfChanged(force = false): void {
    if (!this.path) return;
    const now = Date.now();
    if (!force && now - this.lastCheck < this.reloadCheckMs) return;
    this.lastCheck = now;
    const identity = identityOf(this.path);
    if (identity === this.fileIdentity) return;
    if (identity === '') {
      this.replace([]);
    } else {
      const tokens = parseTokenFile(readFileSync(this.path, 'utf8'), this.path);
      // Tokens made by another process (`pack-registry token create`) come with the key it made.
      // Without it (deleted) every token is unknown; the next token created makes a new one.
      if (!this.key && this.keyPath && tokens.length > 0) this.key = readKeySync(this.keyPath);
      this.replace(tokens);
    }
    this.fileIdentity = identity;
  }
}

function publicInfo(token: StoredToken): TokenInfo {
  return { name: token.name, scope: token.scope, created: token.created, expires: token.expires, lastUsed: token.lastUsed, revoked: token.revoked };
}

/** inode, size and mtime; '' when the file does not exist (yet). */
function identityOf(path: string): string {
  try {
    const info = statSync(path);
    return `${info.ino}:${info.size}:${info.mtimeMs}`;
  } catch (error) {
    if (isNotFound(error)) return '';
    throw error;
  }
}

function parseTokenFile(text: string, path: string): StoredToken[] {
  const parsed = JSON.parse(text) as Partial<TokenFile>;
  if (parsed.version !== 1 || !Array.isArray(parsed.tokens)) throw new Error(`${path} is not a token file of this registry`);
  return parsed.tokens.filter((token) => typeof token.hash === 'string' && isTokenScope(token.scope) && typeof token.name === 'string');
}

/** The key, when one was made; undefined when not (yet). */
async function readKey(path: string): Promise<Buffer | undefined> {
  try {
    return decodeKey(await readFile(path, 'utf8'), path);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

function readKeySync(path: string): Buffer | undefined {
  try {
    return decodeKey(readFileSync(path, 'utf8'), path);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** The key is made once and never changes: a new key would turn every token into an unknown one. */
async function readOrCreateKey(path: string): Promise<Buffer> {
  try {
    return decodeKey(await readFile(path, 'utf8'), path);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  await mkdir(dirname(path), { recursive: true });
  const key = randomBytes(32);
  let handle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (error) {
    // Another process made it first: use that one.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return decodeKey(await readFile(path, 'utf8'), path);
    throw error;
  }
  try {
    await handle.writeFile(`${key.toString('base64')}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  return key;
}

function decodeKey(text: string, path: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length < 32) throw new Error(`${path} does not hold a token key (32 bytes, base64)`);
  return key;
}
