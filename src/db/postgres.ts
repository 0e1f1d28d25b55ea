// The PostgreSQL index: the PackIndex of the SQLite driver, on a database several replicas share. Every query
// answers what the SQLite driver's answers (the same rows, order, paging and refusals;
// test/helpers/pack-index-conformance.ts holds both to it), in PostgreSQL's dialect over the schema of
// postgres-migrations.ts.
//
// No read cache yet: the SQLite driver may forget its cached answers on its own writes because it is the only
// writer, but here another replica writes too, so a cache needs cross-replica invalidation first (a later step
// of issue 16).
//
// Transactions and scopes. `transaction(scope, work)` takes a pooled connection, BEGINs (READ COMMITTED: each
// statement after the lock sees everything committed before it was granted, which a REPEATABLE READ snapshot
// taken at the lock statement would not), takes the scope's transaction-level advisory lock, runs `work` on that
// connection, and COMMITs, or ROLLBACKs and rethrows. The locks, held until the transaction ends:
// - a pack's scope: the registry lock SHARED, then the pack's own lock (a hash of its name) EXCLUSIVE;
// - '' (the whole registry, as reindex): the registry lock EXCLUSIVE.
// So writers of one pack serialise across every replica, writers of different packs run side by side, and a
// whole-registry transaction waits for every pack writer and holds every new one off. Every transaction takes
// the registry lock first, so two scopes never wait on each other in opposite orders. Two names whose hashes
// collide merely serialise.
//
// The feed's order. A feed id comes from a sequence when the row is inserted, but transactions commit in their
// own order: a reader could see id 11 committed before id 10 and move its cursor past 10 for good. addFeedEvent
// therefore takes the feed lock, held until commit, so feed ids are committed in increasing order and what a
// reader sees of the feed is always a prefix.
import { createHash } from 'node:crypto';
import pg from 'pg';
import type {
  DeliveryRecord,
  DeliveryState,
  DownloadRecord,
  EventRecord,
  FeedBounds,
  FeedRecord,
  IndexQueries,
  Leadership,
  NewDelivery,
  NewVersion,
  PackFacets,
  PackFilter,
  PackIndex,
  PackRecord,
  PackTagRecord,
  TagKind,
  TagRecord,
  VersionEntryRecord,
  VersionRecord,
} from './pack-index.js';
import type { PackFile } from '../packs/types.js';
import { POSTGRES_MIGRATIONS } from './postgres-migrations.js';
import { IndexUnavailableError } from './pack-index.js';

export interface PostgresIndexOptions {
  /** `postgres://user:password@host:port/database` (libpq's URI form, as `pg` reads it). */
  dsn: string;
  /** Connections at most; each transaction holds one until it ends. */
  poolSize: number;
}

/** The advisory lock keys (the two-int form) of this index; `PACK_SCOPE_CLASS` with a hash of the pack name. */
export const LOCK_CLASS = 0x70726567; // "preg"
const REGISTRY_LOCK = 0;
const MIGRATION_LOCK = 1;
const FEED_LOCK = 2;
const LEADER_LOCK = 3;
/** Creating the access tokens' table (db/postgres-tokens.ts), once whichever replica gets there first. */
export const TOKEN_TABLE_LOCK = 4;
const PACK_SCOPE_CLASS = LOCK_CLASS + 1;

/**
 * How long opening a connection may take before the query fails (an outage, see isIndexUnavailable): a server
 * whose packets are dropped would otherwise hold every request for the system's TCP timeout, minutes.
 */
export const CONNECT_TIMEOUT_MS = 10_000;

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * int8 (ids, sizes, counts, epoch milliseconds) and numeric (`sum`) as numbers, as better-sqlite3 gives them;
 * only for this pool's connections (pg's global parsers are left alone).
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

/**
 * Whether `error` means the index cannot be reached or lost its connection (the HTTP layer answers 503 and the
 * next request tries again), as opposed to a refusal of the query itself: refused or reset connections, a
 * server shutting down or starting (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now) or
 * taking no more connections (53300), the connection exception class 08, and pg's own errors for a connection
 * that ended or never came up in time.
 */
export function isIndexUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof AggregateError && error.errors.some(isIndexUnavailable)) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (UNREACHABLE_SOCKET_CODES.has(code) || UNAVAILABLE_SERVER_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  if (LOST_CONNECTION_MESSAGES.some((message) => error.message.startsWith(message))) return true;
  return error.cause !== undefined && isIndexUnavailable(error.cause);
}

const UNREACHABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const UNAVAILABLE_SERVER_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
const LOST_CONNECTION_MESSAGES = [
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
];

/** What runs a statement: the pool (each statement alone) or the one connection of a transaction. */
export interface Queryable {
  query<Row extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<Row>>;
}

const VERSION_COLUMNS = `id, pack, version, normalized_version AS "normalizedVersion", grp AS "group",
  content_digest AS "contentDigest", archive_digest AS "archiveDigest", size, pushed_at AS "pushedAt",
  pushed_by AS "pushedBy", message, root_prefix AS "rootPrefix", manifest, files, details`;

const PACK_COLUMNS = `name, latest_version_id AS "latestVersionId", latest_version AS "latestVersion",
  display_name AS "displayName", layer, addon_type AS "addonType", cloud_types AS "cloudTypes", has_logo AS "hasLogo",
  updated_at AS "updatedAt"`;

const TAG_COLUMNS = 't.tag, t.version_id AS "versionId", v.version, t.kind';

const EVENT_COLUMNS = 'id, pack, at, "user", action, version, tag, digest, message';

const DELIVERY_COLUMNS = `id, endpoint, event_id AS "eventId", delivery_id AS "deliveryId", body, state, attempts,
  next_attempt AS "nextAttempt", last_error AS "lastError", created_at AS "createdAt", dead_at AS "deadAt"`;

const DOWNLOAD_COLUMNS = 'pack, normalized_version AS "normalizedVersion", count, last_pulled_at AS "lastPulledAt"';

type VersionRow = Omit<VersionRecord, 'manifest' | 'files' | 'details'> & { manifest: string; files: string; details: string | null };
type PackRow = Omit<PackRecord, 'cloudTypes'> & { cloudTypes: string };

/** Thrown by insertVersion when the pack has the version already; the transaction it ran in stays usable. */
export class DuplicateVersionError extends Error {
  /** PostgreSQL's unique_violation, which this stands for. */
  readonly code = '23505';

  constructor(pack: string, normalizedVersion: string) {
    super(`UNIQUE constraint failed: versions.pack, versions.normalized_version (${pack} ${normalizedVersion})`);
    this.name = 'DuplicateVersionError';
  }
}

/**
 * Every read and write of the index, on the pool or on one transaction's connection. `atomically` runs a
 * method's several statements as one transaction: a transaction of its own on the pool, the enclosing one inside
 * `transaction()`.
 */
class PostgresQueries implements IndexQueries {
  constructor(
    private readonly db: Queryable,
    private readonly atomically: <T>(work: (db: Queryable) => Promise<T>) => Promise<T>,
  ) {}

  private async rows<Row extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<Row[]> {
    return (await this.db.query<Row>(text, values)).rows;
  }

  private async row<Row extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<Row | undefined> {
    return (await this.db.query<Row>(text, values)).rows[0];
  }

  private async version(where: string, values: unknown[]): Promise<VersionRecord | undefined> {
    return toVersion(await this.row<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM versions WHERE ${where}`, values));
  }

  versionById(id: number): Promise<VersionRecord | undefined> {
    return this.version('id = $1', [id]);
  }

  versionByString(pack: string, version: string): Promise<VersionRecord | undefined> {
    return this.version('pack = $1 AND version = $2', [pack, version]);
  }

  versionByNormalized(pack: string, normalizedVersion: string): Promise<VersionRecord | undefined> {
    return this.version('pack = $1 AND normalized_version = $2', [pack, normalizedVersion]);
  }

  versionByTag(pack: string, tag: string): Promise<VersionRecord | undefined> {
    return this.version('id = (SELECT version_id FROM tags WHERE pack = $1 AND tag = $2)', [pack, tag]);
  }

  versionByContentDigest(pack: string, digest: string): Promise<VersionRecord | undefined> {
    return this.version('pack = $1 AND content_digest = $2 ORDER BY id DESC LIMIT 1', [pack, digest]);
  }

  versionByArchiveDigest(pack: string, digest: string): Promise<VersionRecord | undefined> {
    return this.version('pack = $1 AND archive_digest = $2 ORDER BY id DESC LIMIT 1', [pack, digest]);
  }

  versionWithFile(pack: string, sha256: string): Promise<VersionRecord | undefined> {
    return this.version(
      `pack = $1 AND EXISTS (SELECT 1 FROM json_array_elements(versions.files::json) f(value) WHERE f.value ->> 'sha256' = $2) ORDER BY id DESC LIMIT 1`,
      [pack, sha256],
    );
  }

  // In no promised order: SQLite's follows whichever index its planner picks (today (pack, content_digest)), and
  // every caller sorts by semver. Here oldest first.
  async versionsOfPack(pack: string): Promise<VersionRecord[]> {
    const rows = await this.rows<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM versions WHERE pack = $1 ORDER BY id`, [pack]);
    return rows.map((row) => toVersion(row) as VersionRecord);
  }

  // ON CONFLICT DO NOTHING instead of the unique violation: a failed statement would abort the whole
  // transaction, where SQLite's leaves it usable (reindex skips such a version and goes on).
  async insertVersion(version: NewVersion): Promise<number> {
    const inserted = await this.row<{ id: number }>(
      `INSERT INTO versions (pack, version, normalized_version, grp, content_digest, archive_digest, size, pushed_at,
          pushed_by, message, root_prefix, manifest, files, details)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
        ON CONFLICT (pack, normalized_version) DO NOTHING RETURNING id`,
      versionValues(version),
    );
    if (!inserted) throw new DuplicateVersionError(version.pack, version.normalizedVersion);
    return inserted.id;
  }

  async replaceVersion(id: number, version: NewVersion): Promise<void> {
    const [, versionText, , group, contentDigest, archiveDigest, size, pushedAt, pushedBy, message, rootPrefix, manifest, files, details] =
      versionValues(version);
    await this.db.query(
      `UPDATE versions SET version = $2, grp = $3, content_digest = $4, archive_digest = $5, size = $6, pushed_at = $7,
          pushed_by = $8, message = $9, root_prefix = $10, manifest = $11, files = $12, details = $13
        WHERE id = $1`,
      [id, versionText, group, contentDigest, archiveDigest, size, pushedAt, pushedBy, message, rootPrefix, manifest, files, details],
    );
  }

  async deleteVersion(id: number): Promise<void> {
    await this.db.query('DELETE FROM versions WHERE id = $1', [id]);
  }

  async archiveReferenceCount(archiveDigest: string): Promise<number> {
    return (await this.row<{ n: number }>('SELECT count(*) AS n FROM versions WHERE archive_digest = $1', [archiveDigest]))?.n ?? 0;
  }

  async referencedArchiveDigests(): Promise<Set<string>> {
    return new Set((await this.rows<{ digest: string }>('SELECT DISTINCT archive_digest AS digest FROM versions')).map((row) => row.digest));
  }

  async pack(name: string): Promise<PackRecord | undefined> {
    return toPack(await this.row<PackRow>(`SELECT ${PACK_COLUMNS} FROM packs WHERE name = $1`, [name]));
  }

  async upsertPack(pack: PackRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO packs (name, latest_version_id, latest_version, display_name, layer, addon_type, cloud_types, has_logo, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (name) DO UPDATE SET latest_version_id = excluded.latest_version_id, latest_version = excluded.latest_version,
          display_name = excluded.display_name, layer = excluded.layer, addon_type = excluded.addon_type,
          cloud_types = excluded.cloud_types, has_logo = excluded.has_logo, updated_at = excluded.updated_at`,
      [
        pack.name,
        pack.latestVersionId,
        pack.latestVersion,
        pack.displayName,
        pack.layer,
        pack.addonType,
        JSON.stringify(pack.cloudTypes),
        pack.hasLogo,
        pack.updatedAt,
      ],
    );
  }

  async deletePack(name: string): Promise<void> {
    await this.db.query('DELETE FROM packs WHERE name = $1', [name]);
  }

  async catalogPage(last: string, limit: number): Promise<readonly string[]> {
    return (await this.rows<{ name: string }>('SELECT name FROM packs WHERE name > $1 ORDER BY name LIMIT $2', [last, limit])).map((row) => row.name);
  }

  async packsPage(filter: PackFilter, last: string, limit: number): Promise<readonly PackRecord[]> {
    const values: unknown[] = [last];
    const parameter = (value: unknown): string => {
      values.push(value);
      return `$${values.length}`;
    };
    const conditions = ['name > $1'];
    // SQLite's lower() folds ASCII only; so does PostgreSQL's under "C" (the column's, and the one given here).
    if (filter.nameContains) conditions.push(`strpos(lower(name), lower(${parameter(filter.nameContains)} COLLATE "C")) > 0`);
    if (filter.layer) conditions.push(`layer = ${parameter(filter.layer)}`);
    if (filter.addonType) conditions.push(`addon_type = ${parameter(filter.addonType)}`);
    // A pack made for cloud type "all" runs on every cloud, so it matches any cloudType filter. Strings only,
    // as SQLite's comparison of a JSON number with the text given never holds.
    if (filter.cloudType) {
      conditions.push(`EXISTS (SELECT 1 FROM json_array_elements(packs.cloud_types::json) c(value)
        WHERE json_typeof(c.value) = 'string' AND c.value #>> '{}' IN (${parameter(filter.cloudType)}, 'all'))`);
    }
    // A group is per version (a pack may keep versions in several groups): any version in it matches.
    if (filter.group) conditions.push(`EXISTS (SELECT 1 FROM versions v WHERE v.pack = packs.name AND v.grp = ${parameter(filter.group)})`);
    // Like addonType, the latest version's; read from its pack.json rather than kept in a column of its own.
    if (filter.addonSubType) {
      conditions.push(`EXISTS (SELECT 1 FROM versions v WHERE v.id = packs.latest_version_id
        AND json_typeof(v.manifest::json -> 'addonSubType') = 'string' AND v.manifest::json ->> 'addonSubType' = ${parameter(filter.addonSubType)})`);
    }
    const sql = `SELECT ${PACK_COLUMNS} FROM packs WHERE ${conditions.join(' AND ')} ORDER BY name LIMIT ${parameter(limit)}`;
    return (await this.rows<PackRow>(sql, values)).map((row) => toPack(row) as PackRecord);
  }

  /** Every layer, cloud type and addon type of the packs' latest versions and every group of any version, byte-sorted. */
  async packFacets(): Promise<PackFacets> {
    const column = async (sql: string): Promise<readonly string[]> => Object.freeze((await this.rows<{ value: string }>(sql)).map((row) => row.value));
    return Object.freeze({
      layers: await column(`SELECT DISTINCT layer AS value FROM packs WHERE layer <> '' ORDER BY 1`),
      cloudTypes: await column(`SELECT DISTINCT (c.value #>> '{}') COLLATE "C" AS value FROM packs, json_array_elements(packs.cloud_types::json) c(value)
        WHERE json_typeof(c.value) = 'string' ORDER BY 1`),
      addonTypes: await column('SELECT DISTINCT addon_type AS value FROM packs WHERE addon_type IS NOT NULL ORDER BY 1'),
      groups: await column('SELECT DISTINCT grp AS value FROM versions WHERE grp IS NOT NULL ORDER BY 1'),
    });
  }

  async versionEntriesOfPacks(packs: readonly string[]): Promise<readonly VersionEntryRecord[]> {
    if (packs.length === 0) return [];
    return this.rows<VersionEntryRecord>(
      `SELECT id, pack, version, normalized_version AS "normalizedVersion", content_digest AS "contentDigest", size,
          pushed_at AS "pushedAt", pushed_by AS "pushedBy"
        FROM versions WHERE pack = ANY($1::text[]) ORDER BY pack, id`,
      [packs],
    );
  }

  async latestFileOfPacks(packs: readonly string[], path: string): Promise<readonly { pack: string; sha256: string }[]> {
    if (packs.length === 0) return [];
    return this.rows<{ pack: string; sha256: string }>(
      `SELECT p.name AS pack, f.value ->> 'sha256' AS sha256 FROM packs p
        JOIN versions v ON v.id = p.latest_version_id CROSS JOIN LATERAL json_array_elements(v.files::json) f(value)
        WHERE p.name = ANY($1::text[]) AND f.value ->> 'path' = $2`,
      [packs, path],
    );
  }

  tagsOfPack(pack: string): Promise<readonly TagRecord[]> {
    return this.rows<TagRecord>(`SELECT ${TAG_COLUMNS} FROM tags t JOIN versions v ON v.id = t.version_id WHERE t.pack = $1 ORDER BY t.tag`, [pack]);
  }

  async tagsOfPacks(packs: readonly string[]): Promise<readonly PackTagRecord[]> {
    if (packs.length === 0) return [];
    return this.rows<PackTagRecord>(
      `SELECT t.pack, ${TAG_COLUMNS} FROM tags t JOIN versions v ON v.id = t.version_id WHERE t.pack = ANY($1::text[]) ORDER BY t.pack, t.tag`,
      [packs],
    );
  }

  tagsOfVersion(versionId: number): Promise<readonly TagRecord[]> {
    return this.rows<TagRecord>(`SELECT ${TAG_COLUMNS} FROM tags t JOIN versions v ON v.id = t.version_id WHERE t.version_id = $1 ORDER BY t.tag`, [
      versionId,
    ]);
  }

  tag(pack: string, tag: string): Promise<TagRecord | undefined> {
    return this.row<TagRecord>(`SELECT ${TAG_COLUMNS} FROM tags t JOIN versions v ON v.id = t.version_id WHERE t.pack = $1 AND t.tag = $2`, [pack, tag]);
  }

  async setTag(pack: string, tag: string, versionId: number, kind: TagKind): Promise<void> {
    await this.db.query(
      `INSERT INTO tags (pack, tag, version_id, kind) VALUES ($1, $2, $3, $4)
        ON CONFLICT (pack, tag) DO UPDATE SET version_id = excluded.version_id, kind = excluded.kind`,
      [pack, tag, versionId, kind],
    );
  }

  async deleteTag(pack: string, tag: string): Promise<void> {
    await this.db.query('DELETE FROM tags WHERE pack = $1 AND tag = $2', [pack, tag]);
  }

  async deleteTagsOfKind(pack: string, kind: TagKind): Promise<void> {
    await this.db.query('DELETE FROM tags WHERE pack = $1 AND kind = $2', [pack, kind]);
  }

  async addEvent(event: Omit<EventRecord, 'id'>): Promise<void> {
    await this.db.query(
      'INSERT INTO events (pack, at, "user", action, version, tag, digest, message) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [event.pack, event.at, event.user, event.action, event.version, event.tag, event.digest, event.message],
    );
  }

  eventsPage(pack: string, beforeId: number, limit: number): Promise<EventRecord[]> {
    return this.rows<EventRecord>(`SELECT ${EVENT_COLUMNS} FROM events WHERE pack = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, [pack, beforeId, limit]);
  }

  latestPushEvent(pack: string, version: string): Promise<EventRecord | undefined> {
    return this.row<EventRecord>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE pack = $1 AND version = $2 AND action IN ('push', 'force-push') ORDER BY id DESC LIMIT 1`,
      [pack, version],
    );
  }

  /** Feed ids are committed in increasing order: see the feed lock at the top of this file. */
  addFeedEvent(event: Omit<FeedRecord, 'id'>): Promise<number> {
    return this.atomically(async (db) => {
      await db.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, FEED_LOCK]);
      const inserted = await db.query<{ id: number }>(
        `INSERT INTO feed (at, action, pack, version, tag, digest, "user", message) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
        [event.at, event.action, event.pack, event.version, event.tag, event.digest, event.user, event.message],
      );
      return (inserted.rows[0] as { id: number }).id;
    });
  }

  async feedBounds(): Promise<FeedBounds> {
    const row = (await this.row<{ epoch: string; prunedThrough: string; lastId: number }>(`SELECT
        (SELECT value FROM feed_state WHERE key = 'epoch') AS epoch,
        (SELECT value FROM feed_state WHERE key = 'pruned_through') AS "prunedThrough",
        (SELECT coalesce(max(id), 0) FROM feed) AS "lastId"`)) as { epoch: string; prunedThrough: string; lastId: number };
    const prunedThrough = Number(row.prunedThrough);
    return { epoch: row.epoch, prunedThrough, lastId: Math.max(row.lastId, prunedThrough) };
  }

  feedPage(afterId: number, limit: number): Promise<FeedRecord[]> {
    return this.rows<FeedRecord>(`SELECT id, at, action, pack, version, tag, digest, "user", message FROM feed WHERE id > $1 ORDER BY id LIMIT $2`, [
      afterId,
      limit,
    ]);
  }

  /** Drop entries older than `before`, always keeping the newest (it carries the highest id given), as SQLite's does. */
  pruneFeed(before: string): Promise<number> {
    return this.atomically(async (db) => {
      const newest = (await db.query<{ id: number | null }>('SELECT max(id) AS id FROM feed WHERE at < $1 AND id < (SELECT max(id) FROM feed)', [before]))
        .rows[0]?.id;
      if (newest === null || newest === undefined) return 0;
      const removed = (await db.query('DELETE FROM feed WHERE id <= $1', [newest])).rowCount ?? 0;
      await db.query(`UPDATE feed_state SET value = GREATEST(value::bigint, $1)::text WHERE key = 'pruned_through'`, [newest]);
      return removed;
    });
  }

  async addDelivery(delivery: NewDelivery): Promise<void> {
    await this.db.query(
      `INSERT INTO outbox (endpoint, event_id, delivery_id, body, state, attempts, next_attempt, created_at)
        VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6)`,
      [delivery.endpoint, delivery.eventId, delivery.deliveryId, delivery.body, delivery.nextAttempt, delivery.createdAt],
    );
  }

  nextDelivery(endpoint: string): Promise<DeliveryRecord | undefined> {
    return this.row<DeliveryRecord>(`SELECT ${DELIVERY_COLUMNS} FROM outbox WHERE endpoint = $1 AND state = 'pending' ORDER BY event_id LIMIT 1`, [endpoint]);
  }

  async deliveryDone(id: number): Promise<void> {
    await this.db.query('DELETE FROM outbox WHERE id = $1', [id]);
  }

  async deliveryFailed(id: number, failure: { attempts: number; nextAttempt: number; lastError: string; deadAt: string | null }): Promise<void> {
    await this.db.query(
      `UPDATE outbox SET attempts = $2, next_attempt = $3, last_error = $4, dead_at = $5,
          state = CASE WHEN $5::text IS NULL THEN 'pending' ELSE 'dead' END WHERE id = $1`,
      [id, failure.attempts, failure.nextAttempt, failure.lastError, failure.deadAt],
    );
  }

  deadLetters(endpoint: string | undefined, afterId: number, limit: number): Promise<DeliveryRecord[]> {
    return this.rows<DeliveryRecord>(
      `SELECT ${DELIVERY_COLUMNS} FROM outbox WHERE state = 'dead' AND ($1::text IS NULL OR endpoint = $1) AND id > $2 ORDER BY id LIMIT $3`,
      [endpoint ?? null, afterId, limit],
    );
  }

  async retryDeadLetters(endpoint: string | undefined, now: number): Promise<number> {
    const result = await this.db.query(
      `UPDATE outbox SET state = 'pending', attempts = 0, next_attempt = $2, dead_at = NULL WHERE state = 'dead' AND ($1::text IS NULL OR endpoint = $1)`,
      [endpoint ?? null, now],
    );
    return result.rowCount ?? 0;
  }

  outboxCounts(): Promise<{ endpoint: string; state: DeliveryState; count: number }[]> {
    return this.rows('SELECT endpoint, state, count(*) AS count FROM outbox GROUP BY endpoint, state ORDER BY endpoint, state');
  }

  /**
   * One upsert per entry in one transaction, each only for a version that is still the one counted (a version
   * deleted, or deleted and pushed again under a new id, since its pulls were counted gets no row back).
   * In key order, so two replicas flushing the same versions take the rows' locks in the same order and never
   * deadlock.
   */
  addDownloads(entries: readonly (DownloadRecord & { versionId: number })[]): Promise<number> {
    const ordered = [...entries].sort((a, b) => compareBytes(a.pack, b.pack) || compareBytes(a.normalizedVersion, b.normalizedVersion));
    return this.atomically(async (db) => {
      let written = 0;
      for (const entry of ordered) {
        const result = await db.query(
          `INSERT INTO downloads (pack, normalized_version, count, last_pulled_at)
            SELECT $1, $2, $3, $4
            WHERE EXISTS (SELECT 1 FROM versions WHERE id = $5 AND pack = $1 AND normalized_version = $2)
            ON CONFLICT (pack, normalized_version) DO UPDATE SET count = downloads.count + excluded.count,
              last_pulled_at = GREATEST(downloads.last_pulled_at, excluded.last_pulled_at)`,
          [entry.pack, entry.normalizedVersion, entry.count, entry.lastPulledAt, entry.versionId],
        );
        written += result.rowCount ?? 0;
      }
      return written;
    });
  }

  downloadsOfPack(pack: string): Promise<DownloadRecord[]> {
    return this.rows<DownloadRecord>(`SELECT ${DOWNLOAD_COLUMNS} FROM downloads WHERE pack = $1 ORDER BY normalized_version`, [pack]);
  }

  async downloadsOfPacks(packs: readonly string[]): Promise<DownloadRecord[]> {
    if (packs.length === 0) return [];
    return this.rows<DownloadRecord>(`SELECT ${DOWNLOAD_COLUMNS} FROM downloads WHERE pack = ANY($1::text[]) ORDER BY pack, normalized_version`, [packs]);
  }

  downloadsOf(pack: string, normalizedVersion: string): Promise<DownloadRecord | undefined> {
    return this.row<DownloadRecord>(`SELECT ${DOWNLOAD_COLUMNS} FROM downloads WHERE pack = $1 AND normalized_version = $2`, [pack, normalizedVersion]);
  }

  async deleteDownloads(pack: string, normalizedVersion: string): Promise<void> {
    await this.db.query('DELETE FROM downloads WHERE pack = $1 AND normalized_version = $2', [pack, normalizedVersion]);
  }

  async statistics(): Promise<{ packs: number; versions: number; blobs: number; blobBytes: number }> {
    return (await this.row<{ packs: number; versions: number; blobs: number; blobBytes: number }>(`SELECT
        (SELECT count(*) FROM packs) AS packs,
        (SELECT count(*) FROM versions) AS versions,
        count(*) AS blobs,
        coalesce(sum(size), 0) AS "blobBytes"
      FROM (SELECT archive_digest, max(size) AS size FROM versions GROUP BY archive_digest) blobs`)) as {
      packs: number;
      versions: number;
      blobs: number;
      blobBytes: number;
    };
  }

  async versionCount(): Promise<number> {
    return (await this.row<{ n: number }>('SELECT count(*) AS n FROM versions'))?.n ?? 0;
  }

  versionKeys(): Promise<{ id: number; pack: string; normalizedVersion: string }[]> {
    return this.rows('SELECT id, pack, normalized_version AS "normalizedVersion" FROM versions ORDER BY id');
  }

  /** DELETE, not TRUNCATE: TRUNCATE would lock the tables against the other replicas' readers until the commit. */
  async clearCatalog(): Promise<void> {
    // Tags go with their versions (ON DELETE CASCADE).
    await this.atomically(async (db) => {
      for (const table of ['events', 'versions', 'packs']) await db.query(`DELETE FROM ${table}`);
    });
  }
}

/** The PackIndex on PostgreSQL: a pool of connections to one database, migrated when opened. */
export class PostgresIndex extends PostgresQueries implements PackIndex {
  readonly driver = 'postgres' as const;
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly options: PostgresIndexOptions,
  ) {
    super(
      { query: (text, values) => pool.query(text, values).catch(rethrowAsUnavailable) },
      (work) => inTransaction(pool, work),
    );
  }

  /** Connect and bring the schema up to date (once, whichever replica gets there first). */
  static async open(options: PostgresIndexOptions): Promise<PostgresIndex> {
    const pool = new pg.Pool({ connectionString: options.dsn, max: options.poolSize, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, types });
    // An idle connection the server drops (a restart) is an 'error' on the pool, which would end the process
    // unheard: the pool has already discarded it, and the next query opens a new one.
    pool.on('error', () => {});
    try {
      await migrate(pool);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PostgresIndex(pool, options);
  }

  async transaction<T>(scope: string, work: (tx: IndexQueries) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, (db) => work(new PostgresQueries(db, (inner) => inner(db))), scopeLocks(scope));
  }

  /** One REPEATABLE READ snapshot, taken at the first read and kept by every read after it; READ ONLY. */
  async snapshot<T>(work: (reads: IndexQueries) => Promise<T>): Promise<T> {
    return transactionOnce(this.pool, (db) => work(new PostgresQueries(db, (inner) => inner(db))), 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY').catch(
      rethrowAsUnavailable,
    );
  }

  /**
   * A session advisory lock on a connection of its own, outside the pool: held as long as that session lives.
   * PostgreSQL releases it when the session ends, however it ends (the replica killed, the server restarted),
   * and TCP keepalive notices a peer that vanished; `lost` then resolves, and another replica can take it.
   */
  async tryLead(): Promise<Leadership | undefined> {
    const client = new pg.Client({ connectionString: this.options.dsn, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true, types });
    let markLost!: () => void;
    const lost = new Promise<void>((resolve) => (markLost = resolve));
    client.on('error', () => markLost());
    client.on('end', () => markLost());
    try {
      await client.connect();
      const held = (await client.query<{ held: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS held', [LOCK_CLASS, LEADER_LOCK])).rows[0]?.held;
      if (held) return { lost, release: () => client.end().catch(() => {}) };
    } catch (error) {
      await client.end().catch(() => {});
      rethrowAsUnavailable(error);
    }
    await client.end().catch(() => {});
    return undefined;
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1').catch(rethrowAsUnavailable);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/** The statements that take a scope's locks (see the top of this file); numbers only, so written inline. */
function scopeLocks(scope: string): string {
  if (scope === '') return `SELECT pg_advisory_xact_lock(${LOCK_CLASS}, ${REGISTRY_LOCK})`;
  const hash = createHash('sha256').update(scope).digest().readInt32BE(0);
  return `SELECT pg_advisory_xact_lock_shared(${LOCK_CLASS}, ${REGISTRY_LOCK}); SELECT pg_advisory_xact_lock(${PACK_SCOPE_CLASS}, ${hash})`;
}

/**
 * Run `work` on one pooled connection between BEGIN (and `locks`, in the same round trip) and COMMIT; on a throw,
 * ROLLBACK and rethrow. A connection whose ROLLBACK fails is broken and is dropped rather than pooled again. After
 * the transaction, its connection refuses the `work`'s leftover queries instead of running them in another's.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (db: Queryable) => Promise<T>, locks = ''): Promise<T> {
  return transactionOnce(pool, work, `BEGIN ISOLATION LEVEL READ COMMITTED; ${locks}`).catch(rethrowAsUnavailable);
}

/** An outage (isIndexUnavailable) as IndexUnavailableError, which the HTTP layer answers 503; anything else as it is. */
export function rethrowAsUnavailable(error: unknown): never {
  if (error instanceof IndexUnavailableError || !isIndexUnavailable(error)) throw error;
  throw new IndexUnavailableError((error as Error).message || 'the database did not answer', { cause: error });
}

async function transactionOnce<T>(pool: pg.Pool, work: (db: Queryable) => Promise<T>, begin: string): Promise<T> {
  const client = await pool.connect();
  let over = false;
  const db: Queryable = {
    query: <Row extends pg.QueryResultRow>(text: string, values?: unknown[]) => {
      if (over) return Promise.reject(new Error('the transaction is over: a query after it ended was refused'));
      return client.query<Row>(text, values);
    },
  };
  let broken: Error | undefined;
  try {
    await client.query(begin);
    const result = await work(db);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackFailure: unknown) => {
      broken = rollbackFailure instanceof Error ? rollbackFailure : new Error(String(rollbackFailure));
    });
    throw error;
  } finally {
    over = true;
    client.release(broken);
  }
}

/**
 * Apply the migrations not yet applied, under a session advisory lock: replicas starting at once wait for the
 * first, then find nothing left to do. Each migration and its schema_version row commit together. A schema newer
 * than this code knows is refused: its meaning may have changed under queries written for an older one.
 */
async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_CLASS, MIGRATION_LOCK]);
    try {
      await client.query('CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
      const applied = (await client.query<{ version: number }>('SELECT coalesce(max(version), 0) AS version FROM schema_version')).rows[0]?.version ?? 0;
      if (applied > POSTGRES_MIGRATIONS.length) {
        throw new Error(`the index's schema is version ${applied}, newer than this registry knows (${POSTGRES_MIGRATIONS.length}): upgrade the registry`);
      }
      for (let index = applied; index < POSTGRES_MIGRATIONS.length; index++) {
        await client.query('BEGIN');
        try {
          await client.query(POSTGRES_MIGRATIONS[index] as string);
          await client.query('INSERT INTO schema_version (version) VALUES ($1)', [index + 1]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS, MIGRATION_LOCK]);
    }
  } catch (error) {
    // The session lock goes with the connection: a connection that failed here is closed, not pooled.
    broken = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.release(broken);
  }
}

function versionValues(version: NewVersion): unknown[] {
  return [
    version.pack,
    version.version,
    version.normalizedVersion,
    version.group,
    version.contentDigest,
    version.archiveDigest,
    version.size,
    version.pushedAt,
    version.pushedBy,
    version.message,
    version.rootPrefix,
    JSON.stringify(version.manifest),
    JSON.stringify(version.files),
    version.details === null ? null : JSON.stringify(version.details),
  ];
}

function toVersion(row: VersionRow | undefined): VersionRecord | undefined {
  if (!row) return undefined;
  let manifest: Record<string, unknown> | undefined;
  let files: PackFile[] | undefined;
  let details: VersionRecord['details'] | undefined;
  const { manifest: manifestText, files: filesText, details: detailsText, ...columns } = row;
  return {
    ...columns,
    // Parsed on first use, as the SQLite driver does: a download resolves a version on every request but never
    // reads these.
    get manifest() {
      return (manifest ??= JSON.parse(manifestText) as Record<string, unknown>);
    },
    get files() {
      return (files ??= JSON.parse(filesText) as PackFile[]);
    },
    get details() {
      if (details === undefined) details = detailsText === null ? null : (JSON.parse(detailsText) as VersionRecord['details']);
      return details;
    },
  };
}

function toPack(row: PackRow | undefined): PackRecord | undefined {
  if (!row) return undefined;
  return { ...row, cloudTypes: JSON.parse(row.cloudTypes) as string[] };
}

/** Byte order of UTF-16 code units is not UTF-8's; Buffer.compare is, as the "C" collation. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
