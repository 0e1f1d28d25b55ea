// The access tokens of a registry's replicas, in the PostgreSQL database they share: one row holding the
// token document (the same JSON as tokens.json), its key and a version that every change raises. A token made
// or revoked through one replica is then one the others know: each looks at the version once a second (one
// tiny query) and reads the document when it moved, and a secret a replica does not know yet makes it look at
// once (TokenStore.checkFresh), so a token works on every replica from its first request.
//
// The table is not one of the index's migrations: the index is a cache that `reindex` rebuilds from storage,
// the tokens are not, and `reindex` never touches this table. It is made here, once, under an advisory lock
// (CREATE TABLE IF NOT EXISTS alone fails when two replicas run it at the same moment).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  decodeTokenKey,
  EMPTY_TOKENS,
  encodeTokenKey,
  parseTokenDocument,
  serializeTokenDocument,
  type StoredToken,
  type TokenKeeper,
  type TokenSnapshot,
} from '../auth/token-document.js';
import { CONNECT_TIMEOUT_MS, inTransaction, LOCK_CLASS, rethrowAsUnavailable, TOKEN_TABLE_LOCK } from './postgres.js';

const WHERE = 'the access_tokens table';

const CREATE_TABLE = `
  CREATE TABLE IF NOT EXISTS access_tokens (
    id         smallint PRIMARY KEY CHECK (id = 1),
    version    bigint NOT NULL,   -- raised by every change: what the replicas compare
    token_key  text,              -- base64; NULL until the first token is made
    document   text NOT NULL      -- {"version":1,"tokens":[...]}, as tokens.json
  )`;

export interface PostgresTokenOptions {
  dsn: string;
  /** How often the version is compared (default 1 s): the longest a revocation takes to reach every replica. */
  pollMs?: number;
  /** Told once when the comparisons start failing (the database is away); the tokens known until then stay in use. */
  onPollFailure?: (error: unknown) => void;
}

interface TokenRow {
  version: string;
  token_key: string | null;
  document: string | null;
}

export class PostgresTokenKeeper implements TokenKeeper {
  private snapshot: TokenSnapshot = { tokens: EMPTY_TOKENS, key: undefined };
  /** The version of `snapshot`: 0 before the row exists. Versions only grow, so an older read never wins. */
  private version = 0n;
  private reading: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private failing = false;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly options: PostgresTokenOptions,
  ) {
    this.timer = setInterval(() => this.poll(), options.pollMs ?? 1000);
    this.timer.unref();
  }

  /** Connect, make the table when it is missing, and read the tokens. */
  static async open(options: PostgresTokenOptions): Promise<PostgresTokenKeeper> {
    // Two connections: the once-a-second look, and a change or a fresh check beside it.
    const pool = new pg.Pool({ connectionString: options.dsn, max: 2, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    // An idle connection the server drops (a restart) is an 'error' on the pool; the next query opens another.
    pool.on('error', () => {});
    try {
      await inTransaction(pool, (db) => db.query(CREATE_TABLE), `SELECT pg_advisory_xact_lock(${LOCK_CLASS}, ${TOKEN_TABLE_LOCK});`);
      const keeper = new PostgresTokenKeeper(pool, options);
      await keeper.refresh().catch(async (error: unknown) => {
        await keeper.close();
        throw error;
      });
      return keeper;
    } catch (error) {
      await pool.end().catch(() => {});
      throw error;
    }
  }

  current(): TokenSnapshot {
    return this.snapshot;
  }

  /**
   * One query at a time. A caller that arrives while one is under way waits for the next one (which began after
   * its call, so it sees every change committed before it); every caller arriving meanwhile shares that one.
   */
  refresh(): Promise<void> {
    if (!this.reading) {
      this.reading = this.read().finally(() => (this.reading = undefined));
      return this.reading;
    }
    this.queued ??= this.reading
      .catch(() => {})
      .then(() => {
        this.queued = undefined;
        return this.refresh();
      });
    return this.queued;
  }

  async change(apply: (tokens: readonly StoredToken[], key: Buffer | undefined) => StoredToken[], withKey: boolean): Promise<TokenSnapshot> {
    const { version, snapshot } = await inTransaction(this.pool, async (db) => {
      // The row's lock orders every change of every replica: each reads what the one before it wrote.
      await db.query('INSERT INTO access_tokens (id, version, token_key, document) VALUES (1, 0, NULL, $1) ON CONFLICT (id) DO NOTHING', [
        serializeTokenDocument([]),
      ]);
      const row = (await db.query<TokenRow>('SELECT version::text AS version, token_key, document FROM access_tokens WHERE id = 1 FOR UPDATE')).rows[0];
      if (!row?.document) throw new Error(`${WHERE} lost its row during a change`);
      let key = row.token_key === null ? undefined : decodeTokenKey(row.token_key, WHERE);
      if (!key && withKey) key = randomBytes(32);
      const tokens = apply(parseTokenDocument(row.document, WHERE), key);
      const updated = await db.query<{ version: string }>(
        'UPDATE access_tokens SET version = version + 1, token_key = $1, document = $2 WHERE id = 1 RETURNING version::text AS version',
        [key ? encodeTokenKey(key).trim() : null, serializeTokenDocument(tokens)],
      );
      return { version: BigInt(updated.rows[0]?.version ?? '0'), snapshot: { tokens, key } };
    });
    this.accept(version, snapshot);
    return this.snapshot;
  }

  /**
   * The tokens of a registry that kept them in files before it shared a database (its tokens.json and
   * tokens.key), taken as they are when the database has none yet. False when it had some: those stay.
   */
  async adopt(tokens: readonly StoredToken[], key: Buffer): Promise<boolean> {
    const inserted = await this.pool
      .query('INSERT INTO access_tokens (id, version, token_key, document) VALUES (1, 1, $1, $2) ON CONFLICT (id) DO NOTHING', [
        encodeTokenKey(key).trim(),
        serializeTokenDocument(tokens),
      ])
      .catch(rethrowAsUnavailable);
    await this.refresh();
    return inserted.rowCount === 1;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.queued?.catch(() => {});
    await this.reading?.catch(() => {});
    await this.pool.end().catch(() => {});
  }

  private poll(): void {
    this.refresh().then(
      () => (this.failing = false),
      (error: unknown) => {
        if (!this.failing) this.options.onPollFailure?.(error);
        this.failing = true;
      },
    );
  }

  /** The document only when its version moved: most looks cost a row of three small values. */
  private async read(): Promise<void> {
    const known = this.version;
    const result = await this.pool
      .query<TokenRow>(
        'SELECT version::text AS version, token_key, CASE WHEN version = $1::bigint THEN NULL ELSE document END AS document FROM access_tokens WHERE id = 1',
        [known.toString()],
      )
      .catch(rethrowAsUnavailable);
    const row = result.rows[0];
    if (!row) {
      // No token was ever made (or the row was deleted by hand: then there are none) — unless a change of this
      // process committed while the query was under way: its snapshot is newer than this answer.
      if (this.version !== known) return;
      this.version = 0n;
      this.snapshot = { tokens: EMPTY_TOKENS, key: undefined };
      return;
    }
    if (row.document === null) return;
    const key = row.token_key === null ? undefined : decodeTokenKey(row.token_key, WHERE);
    this.accept(BigInt(row.version), { tokens: parseTokenDocument(row.document, WHERE), key });
  }

  private accept(version: bigint, snapshot: TokenSnapshot): void {
    if (version <= this.version) return;
    this.version = version;
    this.snapshot = snapshot;
  }
}
