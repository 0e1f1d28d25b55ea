// What the access tokens are when they are stored: the document of every token (names, scopes, times, keyed
// hashes — never a secret), the key the hashes are made with, and the seam where a keeper keeps them between
// processes: in two files beside the index (token-file.ts), in the shared PostgreSQL database of a registry's
// replicas (db/postgres-tokens.ts), or in memory (`storage: inmemory`, tokens.ts).

/** What a token may do: `read` GET/HEAD; `push` read + push and tag; `admin` everything (delete, tokens). */
export const TOKEN_SCOPES = ['read', 'push', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export function isTokenScope(value: unknown): value is TokenScope {
  return typeof value === 'string' && (TOKEN_SCOPES as readonly string[]).includes(value);
}

/** A token as it is listed: never its secret. Times are ISO 8601; `null` when never (used, expiring, revoked). */
export interface TokenInfo {
  name: string;
  scope: TokenScope;
  created: string;
  expires: string | null;
  lastUsed: string | null;
  revoked: string | null;
}

export interface StoredToken extends TokenInfo {
  /** HMAC-SHA256 of the secret under the key, hex. */
  hash: string;
}

/** The tokens and their key as a process last read them; `key` is undefined until the first token is made. */
export interface TokenSnapshot {
  readonly tokens: readonly StoredToken[];
  readonly key: Buffer | undefined;
}

export const EMPTY_TOKENS: readonly StoredToken[] = Object.freeze([]);

/**
 * Where the tokens live between processes. `current()` is on every token request's path, so it answers from
 * memory (a keeper may look at its source there, cheaply and at most every so often); `refresh()` brings it up
 * to date with every change committed before the call; `change()` reads the newest tokens, lets `apply` make
 * the new list (it may throw, changing nothing) and stores it, making the key first when `withKey` asks for it.
 */
export interface TokenKeeper {
  current(): TokenSnapshot;
  refresh(): Promise<void>;
  change(apply: (tokens: readonly StoredToken[], key: Buffer | undefined) => StoredToken[], withKey: boolean): Promise<TokenSnapshot>;
  close(): Promise<void>;
}

interface TokenDocument {
  version: 1;
  tokens: StoredToken[];
}

/** The document as it is written (tokens.json, or the database's row): pretty JSON, one token per object. */
export function serializeTokenDocument(tokens: readonly StoredToken[]): string {
  const document: TokenDocument = { version: 1, tokens: [...tokens] };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** Entries that are not a token of this registry (a hand edit) are left out rather than trusted. */
export function parseTokenDocument(text: string, where: string): StoredToken[] {
  const parsed = JSON.parse(text) as Partial<TokenDocument>;
  if (parsed.version !== 1 || !Array.isArray(parsed.tokens)) throw new Error(`${where} is not a token document of this registry`);
  return parsed.tokens.filter((token) => typeof token.hash === 'string' && isTokenScope(token.scope) && typeof token.name === 'string');
}

/** The key as written: base64 of at least 32 bytes. */
export function decodeTokenKey(text: string, where: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length < 32) throw new Error(`${where} does not hold a token key (32 bytes, base64)`);
  return key;
}

export function encodeTokenKey(key: Buffer): string {
  return `${key.toString('base64')}\n`;
}
