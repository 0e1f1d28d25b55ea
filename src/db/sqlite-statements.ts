import Database from 'better-sqlite3';
import type { PackFile } from '../packs/types.js';
import { MIGRATIONS } from './migrations.js';
import type {
  CarriedState,
  DeliveryRecord,
  DeliveryState,
  DownloadRecord,
  EventRecord,
  FeedBounds,
  FeedRecord,
  IndexQueries,
  NewDelivery,
  NewVersion,
  PackFacets,
  PackFilter,
  PackRecord,
  PackTagRecord,
  TagKind,
  TagRecord,
  VersionDetails,
  VersionEntryRecord,
  VersionRecord,
} from './pack-index.js';
import { ReadCache } from './read-cache.js';

interface VersionRow {
  id: number;
  pack: string;
  version: string;
  normalized_version: string;
  grp: string | null;
  content_digest: string;
  archive_digest: string;
  size: number;
  pushed_at: string;
  pushed_by: string;
  message: string | null;
  root_prefix: string;
  manifest: string;
  files: string;
  details: string | null;
}

interface PackRow {
  name: string;
  latest_version_id: number;
  latest_version: string;
  display_name: string;
  layer: string;
  addon_type: string | null;
  cloud_types: string;
  has_logo: number;
  updated_at: string;
}

/** Single versions and a version's tags: enough for every reference a busy registry's clients resolve. */
const ROW_CACHE_ENTRIES = 10_000;
/**
 * Catalog and list pages and a pack's tag list: up to 1,000 rows each, so far fewer are kept (at most
 * about 100k small rows in all), however many filters and page positions clients ask for.
 */
const LIST_CACHE_ENTRIES = 100;
/**
 * The versions and tags of a list page's packs (`?expand=versions`): a page of 1,000 packs may hold tens of
 * thousands of versions, so only a few such answers are kept.
 */
const EXPANSION_CACHE_ENTRIES = 16;

const VERSION_COLUMNS = `id, pack, version, normalized_version, grp, content_digest, archive_digest, size, pushed_at,
  pushed_by, message, root_prefix, manifest, files, details`;

/** IndexQueries as better-sqlite3 answers them: the same queries, each answer returned at once. */
type SynchronousQueries = {
  [Name in keyof IndexQueries]: (...args: Parameters<IndexQueries[Name]>) => Awaited<ReturnType<IndexQueries[Name]>>;
};

/**
 * The SQLite index's connection and every statement, synchronous as better-sqlite3 is: each call runs to its
 * end before any other JavaScript does. SqliteIndex (sqlite.ts) is its one user: it makes these calls the
 * asynchronous PackIndex, and decides when each may run (never beside an open transaction but its own).
 */
export class SqliteStatements implements SynchronousQueries {
  private readonly sqlite: Database.Database;
  private readonly statements;
  /**
   * Answers of the reads a client repeats (resolving a tag, list pages), forgotten on every write and when a
   * transaction ends: a read inside one may have seen rows that were then rolled back.
   */
  private readonly rows = new ReadCache(ROW_CACHE_ENTRIES);
  private readonly lists = new ReadCache(LIST_CACHE_ENTRIES);
  private readonly expansions = new ReadCache(EXPANSION_CACHE_ENTRIES);

  /** `path` is a file, or `:memory:` for `storage: inmemory`. */
  constructor(path: string) {
    this.sqlite = new Database(path);
    this.sqlite.pragma('journal_mode = WAL');
    // NORMAL is durable in WAL mode except for the last transactions before a power loss, never corrupt.
    this.sqlite.pragma('synchronous = NORMAL');
    this.sqlite.pragma('foreign_keys = ON');
    this.sqlite.pragma('busy_timeout = 5000');
    this.migrate();
    this.statements = this.prepare();
  }

  private migrate(): void {
    const applied = this.sqlite.pragma('user_version', { simple: true }) as number;
    for (let index = applied; index < MIGRATIONS.length; index++) {
      this.sqlite.transaction(() => {
        this.sqlite.exec(MIGRATIONS[index] as string);
        this.sqlite.pragma(`user_version = ${index + 1}`);
      })();
    }
  }

  private prepare() {
    const s = this.sqlite;
    return {
      ping: s.prepare('SELECT 1 AS ok'),
      versionById: s.prepare(`SELECT ${VERSION_COLUMNS} FROM versions WHERE id = ?`),
      versionByString: s.prepare(`SELECT ${VERSION_COLUMNS} FROM versions WHERE pack = ? AND version = ?`),
      versionByNormalized: s.prepare(`SELECT ${VERSION_COLUMNS} FROM versions WHERE pack = ? AND normalized_version = ?`),
      versionByTag: s.prepare(
        `SELECT ${VERSION_COLUMNS} FROM versions WHERE id = (SELECT version_id FROM tags WHERE pack = ? AND tag = ?)`,
      ),
      versionByContentDigest: s.prepare(
        `SELECT ${VERSION_COLUMNS} FROM versions WHERE pack = ? AND content_digest = ? ORDER BY id DESC LIMIT 1`,
      ),
      versionByArchiveDigest: s.prepare(
        `SELECT ${VERSION_COLUMNS} FROM versions WHERE pack = ? AND archive_digest = ? ORDER BY id DESC LIMIT 1`,
      ),
      versionsOfPack: s.prepare(`SELECT ${VERSION_COLUMNS} FROM versions WHERE pack = ?`),
      // The newest version of a pack listing a file with this SHA-256 (`/v1/{name}/blobs/sha256:…`). SQLite
      // walks the pack's file lists itself (json_each), so no JSON is parsed in JavaScript per request.
      versionWithFile: s.prepare(`SELECT ${VERSION_COLUMNS} FROM versions v WHERE pack = ?
        AND EXISTS (SELECT 1 FROM json_each(v.files) f WHERE json_extract(f.value, '$.sha256') = ?) ORDER BY id DESC LIMIT 1`),
      insertVersion: s.prepare(`INSERT INTO versions (pack, version, normalized_version, grp, content_digest,
          archive_digest, size, pushed_at, pushed_by, message, root_prefix, manifest, files, details)
        VALUES (@pack, @version, @normalized_version, @grp, @content_digest, @archive_digest, @size, @pushed_at,
          @pushed_by, @message, @root_prefix, @manifest, @files, @details)`),
      replaceVersion: s.prepare(`UPDATE versions SET version = @version, grp = @grp, content_digest = @content_digest,
          archive_digest = @archive_digest, size = @size, pushed_at = @pushed_at, pushed_by = @pushed_by,
          message = @message, root_prefix = @root_prefix, manifest = @manifest, files = @files, details = @details
        WHERE id = @id`),
      deleteVersion: s.prepare('DELETE FROM versions WHERE id = ?'),
      archiveReferences: s.prepare('SELECT count(*) AS n FROM versions WHERE archive_digest = ?'),
      allArchiveDigests: s.prepare('SELECT DISTINCT archive_digest AS digest FROM versions'),
      packByName: s.prepare('SELECT * FROM packs WHERE name = ?'),
      upsertPack: s.prepare(`INSERT INTO packs (name, latest_version_id, latest_version, display_name, layer, addon_type, cloud_types,
          has_logo, updated_at)
        VALUES (@name, @latest_version_id, @latest_version, @display_name, @layer, @addon_type, @cloud_types, @has_logo, @updated_at)
        ON CONFLICT (name) DO UPDATE SET latest_version_id = excluded.latest_version_id,
          latest_version = excluded.latest_version,
          display_name = excluded.display_name, layer = excluded.layer, addon_type = excluded.addon_type,
          cloud_types = excluded.cloud_types, has_logo = excluded.has_logo, updated_at = excluded.updated_at`),
      deletePack: s.prepare('DELETE FROM packs WHERE name = ?'),
      catalogPage: s.prepare('SELECT name FROM packs WHERE name > ? ORDER BY name LIMIT ?'),
      tagsOfPack: s.prepare(`SELECT t.tag, t.version_id AS versionId, v.version, t.kind FROM tags t
        JOIN versions v ON v.id = t.version_id WHERE t.pack = ? ORDER BY t.tag`),
      // The packs of one list page, passed as one JSON array: one statement whatever the page's size.
      versionEntriesOfPacks: s.prepare(`SELECT id, pack, version, normalized_version AS normalizedVersion,
        content_digest AS contentDigest, size, pushed_at AS pushedAt, pushed_by AS pushedBy FROM versions
        WHERE pack IN (SELECT value FROM json_each(?)) ORDER BY pack, id`),
      // The SHA-256 of a file at `path` in the latest version of each pack of a list page (its logo).
      latestFileOfPacks: s.prepare(`SELECT p.name AS pack, json_extract(f.value, '$.sha256') AS sha256 FROM packs p
        JOIN versions v ON v.id = p.latest_version_id, json_each(v.files) f
        WHERE p.name IN (SELECT value FROM json_each(?)) AND json_extract(f.value, '$.path') = ?`),
      tagsOfPacks: s.prepare(`SELECT t.pack, t.tag, t.version_id AS versionId, v.version, t.kind FROM tags t
        JOIN versions v ON v.id = t.version_id WHERE t.pack IN (SELECT value FROM json_each(?)) ORDER BY t.pack, t.tag`),
      tagsOfVersion: s.prepare(`SELECT t.tag, t.version_id AS versionId, v.version, t.kind FROM tags t
        JOIN versions v ON v.id = t.version_id WHERE t.version_id = ? ORDER BY t.tag`),
      tagByName: s.prepare(`SELECT t.tag, t.version_id AS versionId, v.version, t.kind FROM tags t
        JOIN versions v ON v.id = t.version_id WHERE t.pack = ? AND t.tag = ?`),
      upsertTag: s.prepare(`INSERT INTO tags (pack, tag, version_id, kind) VALUES (?, ?, ?, ?)
        ON CONFLICT (pack, tag) DO UPDATE SET version_id = excluded.version_id, kind = excluded.kind`),
      deleteTag: s.prepare('DELETE FROM tags WHERE pack = ? AND tag = ?'),
      deleteTagsOfKind: s.prepare('DELETE FROM tags WHERE pack = ? AND kind = ?'),
      insertEvent: s.prepare(`INSERT INTO events (pack, at, user, action, version, tag, digest, message)
        VALUES (@pack, @at, @user, @action, @version, @tag, @digest, @message)`),
      eventsPage: s.prepare(`SELECT id, pack, at, user, action, version, tag, digest, message FROM events
        WHERE pack = ? AND id < ? ORDER BY id DESC LIMIT ?`),
    };
  }

  /**
   * BEGIN IMMEDIATE: takes the write lock now, so a transaction never fails half-way because another
   * connection (a reindex's) wrote first. COMMIT and ROLLBACK are SqliteIndex's to call, across its awaits.
   */
  begin(): void {
    this.sqlite.exec('BEGIN IMMEDIATE');
  }

  commit(): void {
    this.sqlite.exec('COMMIT');
  }

  /** Undo the open transaction; none is open when SQLite already rolled it back itself (some errors do). */
  rollback(): void {
    if (this.sqlite.inTransaction) this.sqlite.exec('ROLLBACK');
  }

  /**
   * Every write forgets the cached reads: any of them may now be stale. So does the end of a transaction: a
   * read inside it may have remembered rows that were then rolled back.
   */
  changed(): void {
    this.facets = undefined;
    this.rows.clear();
    this.lists.clear();
    this.expansions.clear();
  }

  ping(): void {
    this.statements.ping.get();
  }

  close(): void {
    if (this.sqlite.open) this.sqlite.close();
  }

  versionById(id: number): VersionRecord | undefined {
    return toVersion(this.statements.versionById.get(id) as VersionRow | undefined);
  }

  versionByString(pack: string, version: string): VersionRecord | undefined {
    return this.rows.get(`vs\0${pack}\0${version}`, () => toVersion(this.statements.versionByString.get(pack, version) as VersionRow | undefined));
  }

  versionByNormalized(pack: string, normalizedVersion: string): VersionRecord | undefined {
    return this.rows.get(`vn\0${pack}\0${normalizedVersion}`, () =>
      toVersion(this.statements.versionByNormalized.get(pack, normalizedVersion) as VersionRow | undefined),
    );
  }

  versionByTag(pack: string, tag: string): VersionRecord | undefined {
    return this.rows.get(`vt\0${pack}\0${tag}`, () => toVersion(this.statements.versionByTag.get(pack, tag) as VersionRow | undefined));
  }

  versionByContentDigest(pack: string, digest: string): VersionRecord | undefined {
    return this.rows.get(`vc\0${pack}\0${digest}`, () =>
      toVersion(this.statements.versionByContentDigest.get(pack, digest) as VersionRow | undefined),
    );
  }

  versionByArchiveDigest(pack: string, digest: string): VersionRecord | undefined {
    return this.rows.get(`va\0${pack}\0${digest}`, () =>
      toVersion(this.statements.versionByArchiveDigest.get(pack, digest) as VersionRow | undefined),
    );
  }

  /**
   * The newest version of `pack` that lists a file whose SHA-256 is `sha256` (lower-case hex). A query over the
   * pack's file lists, remembered like the other single-row reads until the next write: a logo asked for again
   * and again costs one lookup per write, not one per request.
   */
  versionWithFile(pack: string, sha256: string): VersionRecord | undefined {
    return this.rows.get(`vf\0${pack}\0${sha256}`, () =>
      toVersion(this.statements.versionWithFile.get(pack, sha256) as VersionRow | undefined),
    );
  }

  versionsOfPack(pack: string): VersionRecord[] {
    return (this.statements.versionsOfPack.all(pack) as VersionRow[]).map((row) => toVersion(row) as VersionRecord);
  }

  insertVersion(version: NewVersion): number {
    this.changed();
    return Number(this.statements.insertVersion.run(versionParams(version)).lastInsertRowid);
  }

  /** Overwrite a version in place (force push): its id, and so the tags pointing at it, stay. */
  replaceVersion(id: number, version: NewVersion): void {
    this.changed();
    this.statements.replaceVersion.run({ ...versionParams(version), id });
  }

  /** Deletes the version; its tags go with it (ON DELETE CASCADE). */
  deleteVersion(id: number): void {
    this.changed();
    this.statements.deleteVersion.run(id);
  }

  archiveReferenceCount(archiveDigest: string): number {
    return (this.statements.archiveReferences.get(archiveDigest) as { n: number }).n;
  }

  referencedArchiveDigests(): Set<string> {
    return new Set((this.statements.allArchiveDigests.all() as { digest: string }[]).map((row) => row.digest));
  }

  pack(name: string): PackRecord | undefined {
    return this.rows.get(`p\0${name}`, () => toPack(this.statements.packByName.get(name) as PackRow | undefined));
  }

  upsertPack(pack: PackRecord): void {
    this.changed();
    this.statements.upsertPack.run({
      name: pack.name,
      latest_version_id: pack.latestVersionId,
      latest_version: pack.latestVersion,
      display_name: pack.displayName,
      layer: pack.layer,
      addon_type: pack.addonType,
      cloud_types: JSON.stringify(pack.cloudTypes),
      has_logo: pack.hasLogo ? 1 : 0,
      updated_at: pack.updatedAt,
    });
  }

  deletePack(name: string): void {
    this.changed();
    this.statements.deletePack.run(name);
  }

  /** Pack names after `last`, in byte order, at most `limit`. */
  catalogPage(last: string, limit: number): readonly string[] {
    return this.lists.get(`c\0${last}\0${limit}`, () =>
      Object.freeze((this.statements.catalogPage.all(last, limit) as { name: string }[]).map((row) => row.name)),
    );
  }

  /** Packs after `last` by name that match every given filter, at most `limit`. */
  packsPage(filter: PackFilter, last: string, limit: number): readonly PackRecord[] {
    const { nameContains = '', layer = '', addonType = '', cloudType = '', group = '', addonSubType = '' } = filter;
    const key = `l\0${last}\0${limit}\0${nameContains}\0${layer}\0${addonType}\0${cloudType}\0${group}\0${addonSubType}`;
    return this.lists.get(key, () => Object.freeze(this.readPacksPage(filter, last, limit)));
  }

  private readPacksPage(filter: PackFilter, last: string, limit: number): PackRecord[] {
    const conditions = ['name > @last'];
    if (filter.nameContains) conditions.push("instr(lower(name), lower(@nameContains)) > 0");
    if (filter.layer) conditions.push('layer = @layer');
    if (filter.addonType) conditions.push('addon_type = @addonType');
    // A pack made for cloud type "all" runs on every cloud, so it matches any cloudType filter.
    if (filter.cloudType) {
      conditions.push("EXISTS (SELECT 1 FROM json_each(cloud_types) WHERE value IN (@cloudType, 'all'))");
    }
    // A group is per version (a pack may keep versions in several groups): any version in it matches.
    if (filter.group) conditions.push('EXISTS (SELECT 1 FROM versions v WHERE v.pack = packs.name AND v.grp = @group)');
    // Like addonType, the latest version's; read from its pack.json rather than kept in a column of its own.
    if (filter.addonSubType) {
      conditions.push("EXISTS (SELECT 1 FROM versions v WHERE v.id = packs.latest_version_id AND json_extract(v.manifest, '$.addonSubType') = @addonSubType)");
    }
    // Only six filters exist, so at most 64 distinct statements; better-sqlite3 caches none, we keep them.
    const sql = `SELECT * FROM packs WHERE ${conditions.join(' AND ')} ORDER BY name LIMIT @limit`;
    let statement = this.filterStatements.get(sql);
    if (!statement) {
      statement = this.sqlite.prepare(sql);
      this.filterStatements.set(sql, statement);
    }
    const params = { ...definedOnly({ ...filter }), last, limit };
    return (statement.all(params) as PackRow[]).map((row) => toPack(row) as PackRecord);
  }

  private readonly filterStatements = new Map<string, Database.Statement>();

  /** Kept apart from the list cache: every pack list page of the web UI asks for them. */
  private facets: PackFacets | undefined;

  /**
   * Every layer, cloud type and addon type of the packs' latest versions and every group of any version, sorted.
   * Four scans (the groups' over every version: tens of ms at 100k versions), so the answer is kept until the
   * next write.
   */
  packFacets(): PackFacets {
    if (this.facets) return this.facets;
    const column = (sql: string): readonly string[] => Object.freeze((this.maintenanceStatement(sql).all() as { value: string }[]).map((row) => row.value));
    this.facets = Object.freeze({
      layers: column("SELECT DISTINCT layer AS value FROM packs WHERE layer <> '' ORDER BY 1"),
      cloudTypes: column('SELECT DISTINCT j.value AS value FROM packs, json_each(packs.cloud_types) j WHERE typeof(j.value) = \'text\' ORDER BY 1'),
      addonTypes: column('SELECT DISTINCT addon_type AS value FROM packs WHERE addon_type IS NOT NULL ORDER BY 1'),
      groups: column('SELECT DISTINCT grp AS value FROM versions WHERE grp IS NOT NULL ORDER BY 1'),
    });
    return this.facets;
  }

  tagsOfPack(pack: string): readonly TagRecord[] {
    return this.lists.get(`tp\0${pack}`, () => Object.freeze(this.statements.tagsOfPack.all(pack) as TagRecord[]));
  }

  /** The versions of every pack in `packs` (a list page), in one query, grouped by pack; no order among versions. */
  versionEntriesOfPacks(packs: readonly string[]): readonly VersionEntryRecord[] {
    if (packs.length === 0) return [];
    return this.expansions.get(`v\0${packs.join('\0')}`, () =>
      Object.freeze(this.statements.versionEntriesOfPacks.all(JSON.stringify(packs)) as VersionEntryRecord[]),
    );
  }

  /** For each pack of `packs` (a list page) whose latest version has a file at `path`, that file's SHA-256: one query. */
  latestFileOfPacks(packs: readonly string[], path: string): readonly { pack: string; sha256: string }[] {
    if (packs.length === 0) return [];
    return this.expansions.get(`f\0${path}\0${packs.join('\0')}`, () =>
      Object.freeze(this.statements.latestFileOfPacks.all(JSON.stringify(packs), path) as { pack: string; sha256: string }[]),
    );
  }

  /** The tags of every pack in `packs` (a list page), in one query, by pack then tag (as `tagsOfPack` orders them). */
  tagsOfPacks(packs: readonly string[]): readonly PackTagRecord[] {
    if (packs.length === 0) return [];
    return this.expansions.get(`t\0${packs.join('\0')}`, () =>
      Object.freeze(this.statements.tagsOfPacks.all(JSON.stringify(packs)) as PackTagRecord[]),
    );
  }

  tagsOfVersion(versionId: number): readonly TagRecord[] {
    return this.rows.get(`tv\0${versionId}`, () => Object.freeze(this.statements.tagsOfVersion.all(versionId) as TagRecord[]));
  }

  tag(pack: string, tag: string): TagRecord | undefined {
    return this.statements.tagByName.get(pack, tag) as TagRecord | undefined;
  }

  setTag(pack: string, tag: string, versionId: number, kind: TagKind): void {
    this.changed();
    this.statements.upsertTag.run(pack, tag, versionId, kind);
  }

  deleteTag(pack: string, tag: string): void {
    this.changed();
    this.statements.deleteTag.run(pack, tag);
  }

  deleteTagsOfKind(pack: string, kind: TagKind): void {
    this.changed();
    this.statements.deleteTagsOfKind.run(pack, kind);
  }

  addEvent(event: Omit<EventRecord, 'id'>): void {
    this.changed();
    this.statements.insertEvent.run(event);
  }

  /** History of one pack, newest first, with ids below `beforeId`. */
  eventsPage(pack: string, beforeId: number, limit: number): EventRecord[] {
    return this.statements.eventsPage.all(pack, beforeId, limit) as EventRecord[];
  }

  // -------------------------------------------------------------------------------------------------
  // The change feed, the webhook outbox and download statistics. Plain SQL, prepared on first use; none of
  // it is in the read caches, so these writes leave the caches alone (a flush of download counts every few
  // seconds must not make every download's lookup miss).

  /** Append to the feed; call inside the transaction of the change it describes. Returns its id. */
  addFeedEvent(event: Omit<FeedRecord, 'id'>): number {
    return Number(
      this.maintenanceStatement(`INSERT INTO feed (at, action, pack, version, tag, digest, user, message)
        VALUES (@at, @action, @pack, @version, @tag, @digest, @user, @message)`).run(event).lastInsertRowid,
    );
  }

  feedBounds(): FeedBounds {
    const row = this.maintenanceStatement(`SELECT
        (SELECT value FROM feed_state WHERE key = 'epoch') AS epoch,
        (SELECT value FROM feed_state WHERE key = 'pruned_through') AS prunedThrough,
        (SELECT coalesce(max(id), 0) FROM feed) AS lastId`).get() as { epoch: string; prunedThrough: string; lastId: number };
    const prunedThrough = Number(row.prunedThrough);
    return { epoch: row.epoch, prunedThrough, lastId: Math.max(row.lastId, prunedThrough) };
  }

  /** Feed entries with ids above `afterId`, oldest first, at most `limit`. */
  feedPage(afterId: number, limit: number): FeedRecord[] {
    return this.maintenanceStatement(`SELECT id, at, action, pack, version, tag, digest, user, message FROM feed
      WHERE id > ? ORDER BY id LIMIT ?`).all(afterId, limit) as FeedRecord[];
  }

  /**
   * Drop feed entries older than `before` (ISO time); later cursors stay valid, earlier ones expire. The newest
   * entry always stays: it carries the highest id given into a reindex's copy (copyDurableStateFrom), so the
   * rebuilt index never gives an id again.
   */
  pruneFeed(before: string): number {
    return this.sqlite.transaction(() => {
      const newest = this.maintenanceStatement('SELECT max(id) AS id FROM feed WHERE at < ? AND id < (SELECT max(id) FROM feed)').get(before) as {
        id: number | null;
      };
      if (newest.id === null) return 0;
      const removed = this.maintenanceStatement('DELETE FROM feed WHERE id <= ?').run(newest.id).changes;
      this.maintenanceStatement(`UPDATE feed_state SET value = CAST(max(CAST(value AS INTEGER), ?) AS TEXT) WHERE key = 'pruned_through'`).run(newest.id);
      return removed;
    }).immediate();
  }

  /** Queue a delivery; call inside the transaction of the change, with addFeedEvent. */
  addDelivery(delivery: NewDelivery): void {
    this.maintenanceStatement(`INSERT INTO outbox (endpoint, event_id, delivery_id, body, state, attempts, next_attempt, created_at)
      VALUES (@endpoint, @eventId, @deliveryId, @body, 'pending', 0, @nextAttempt, @createdAt)`).run(delivery);
  }

  /** The endpoint's oldest pending delivery: deliveries go out one at a time, in feed order. */
  nextDelivery(endpoint: string): DeliveryRecord | undefined {
    return this.maintenanceStatement(`SELECT ${DELIVERY_COLUMNS} FROM outbox WHERE endpoint = ? AND state = 'pending'
      ORDER BY event_id LIMIT 1`).get(endpoint) as DeliveryRecord | undefined;
  }

  deliveryDone(id: number): void {
    this.maintenanceStatement('DELETE FROM outbox WHERE id = ?').run(id);
  }

  /** A failed attempt: retried at `nextAttempt`, or given up on (`deadAt` set: a dead letter). */
  deliveryFailed(id: number, failure: { attempts: number; nextAttempt: number; lastError: string; deadAt: string | null }): void {
    this.maintenanceStatement(`UPDATE outbox SET attempts = @attempts, next_attempt = @nextAttempt, last_error = @lastError,
        dead_at = @deadAt, state = CASE WHEN @deadAt IS NULL THEN 'pending' ELSE 'dead' END WHERE id = @id`).run({ id, ...failure });
  }

  /** Dead letters after outbox id `afterId`, oldest first; of one endpoint, or of all. */
  deadLetters(endpoint: string | undefined, afterId: number, limit: number): DeliveryRecord[] {
    return this.maintenanceStatement(`SELECT ${DELIVERY_COLUMNS} FROM outbox WHERE state = 'dead' AND (@endpoint IS NULL OR endpoint = @endpoint)
      AND id > @afterId ORDER BY id LIMIT @limit`).all({ endpoint: endpoint ?? null, afterId, limit }) as DeliveryRecord[];
  }

  /** Put dead letters back in the queue (all of them, or of one endpoint), to be tried at `now`; returns how many. */
  retryDeadLetters(endpoint: string | undefined, now: number): number {
    return this.maintenanceStatement(`UPDATE outbox SET state = 'pending', attempts = 0, next_attempt = @now, dead_at = NULL
      WHERE state = 'dead' AND (@endpoint IS NULL OR endpoint = @endpoint)`).run({ endpoint: endpoint ?? null, now }).changes;
  }

  /** Pending and dead deliveries by endpoint, for the metrics. */
  outboxCounts(): { endpoint: string; state: DeliveryState; count: number }[] {
    return this.maintenanceStatement('SELECT endpoint, state, count(*) AS count FROM outbox GROUP BY endpoint, state').all() as {
      endpoint: string;
      state: DeliveryState;
      count: number;
    }[];
  }

  /** Add counted pulls to the totals (one transaction per flush, whatever the number of downloads). */
  addDownloads(entries: readonly (DownloadRecord & { versionId: number })[]): number {
    // Only for a version that is still the one counted: one deleted (or deleted and pushed again under a new
    // id) since its pulls were counted gets no row back. Checked inside the write, so no delete slips between.
    const upsert = this.maintenanceStatement(`INSERT INTO downloads (pack, normalized_version, count, last_pulled_at)
      SELECT @pack, @normalizedVersion, @count, @lastPulledAt
      WHERE EXISTS (SELECT 1 FROM versions WHERE id = @versionId AND pack = @pack AND normalized_version = @normalizedVersion)
      ON CONFLICT (pack, normalized_version) DO UPDATE SET count = count + excluded.count,
        last_pulled_at = max(last_pulled_at, excluded.last_pulled_at)`);
    return this.sqlite.transaction(() => {
      let written = 0;
      for (const entry of entries) written += upsert.run(entry).changes;
      return written;
    }).immediate();
  }

  downloadsOfPack(pack: string): DownloadRecord[] {
    return this.maintenanceStatement(`SELECT pack, normalized_version AS normalizedVersion, count, last_pulled_at AS lastPulledAt
      FROM downloads WHERE pack = ?`).all(pack) as DownloadRecord[];
  }

  /** The counts of every version of the packs of a list page, in one query. */
  downloadsOfPacks(packs: readonly string[]): DownloadRecord[] {
    if (packs.length === 0) return [];
    return this.maintenanceStatement(`SELECT pack, normalized_version AS normalizedVersion, count, last_pulled_at AS lastPulledAt
      FROM downloads WHERE pack IN (SELECT value FROM json_each(?))`).all(JSON.stringify(packs)) as DownloadRecord[];
  }

  downloadsOf(pack: string, normalizedVersion: string): DownloadRecord | undefined {
    return this.maintenanceStatement(`SELECT pack, normalized_version AS normalizedVersion, count, last_pulled_at AS lastPulledAt
      FROM downloads WHERE pack = ? AND normalized_version = ?`).get(pack, normalizedVersion) as DownloadRecord | undefined;
  }

  /** A deleted version's counts go with it: a version pushed again under the number starts from zero. */
  deleteDownloads(pack: string, normalizedVersion: string): void {
    this.maintenanceStatement('DELETE FROM downloads WHERE pack = ? AND normalized_version = ?').run(pack, normalizedVersion);
  }

  /**
   * Reindex: carry what the storage does not hold — the feed (with its epoch and pruning mark), the outbox and
   * the download counts — from the index being replaced into this rebuilt one, so cursors and pending
   * deliveries survive. Call on the new index before anything else writes its feed.
   */
  copyDurableStateFrom(source: SqliteStatements): CarriedState {
    const feed = source.sqlite.prepare('SELECT * FROM feed ORDER BY id').all() as Record<string, unknown>[];
    const outbox = source.sqlite.prepare('SELECT * FROM outbox ORDER BY id').all() as Record<string, unknown>[];
    const downloads = source.sqlite.prepare('SELECT * FROM downloads').all() as Record<string, unknown>[];
    const state = source.sqlite.prepare('SELECT key, value FROM feed_state').all() as { key: string; value: string }[];
    this.sqlite.transaction(() => {
      this.sqlite.prepare('DELETE FROM feed').run();
      this.sqlite.prepare('DELETE FROM outbox').run();
      this.sqlite.prepare('DELETE FROM downloads').run();
      const setState = this.sqlite.prepare('INSERT INTO feed_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
      for (const row of state) setState.run(row.key, row.value);
      copyRows(this.sqlite, 'feed', feed);
      copyRows(this.sqlite, 'outbox', outbox);
      copyRows(this.sqlite, 'downloads', downloads);
    }).immediate();
    return { feed: feed.length, deliveries: outbox.length, downloads: downloads.length };
  }

  // -------------------------------------------------------------------------------------------------
  // Maintenance: metrics, the per-version metadata documents, reindex. Prepared on first use.

  private readonly maintenanceStatements = new Map<string, Database.Statement>();

  private maintenanceStatement(sql: string): Database.Statement {
    let statement = this.maintenanceStatements.get(sql);
    if (!statement) {
      statement = this.sqlite.prepare(sql);
      this.maintenanceStatements.set(sql, statement);
    }
    return statement;
  }

  /** Counts for the metrics: packs, versions, distinct archive blobs and their bytes. */
  statistics(): { packs: number; versions: number; blobs: number; blobBytes: number } {
    return this.maintenanceStatement(`SELECT
        (SELECT count(*) FROM packs) AS packs,
        (SELECT count(*) FROM versions) AS versions,
        count(*) AS blobs,
        coalesce(sum(size), 0) AS blobBytes
      FROM (SELECT archive_digest, max(size) AS size FROM versions GROUP BY archive_digest)`).get() as {
      packs: number;
      versions: number;
      blobs: number;
      blobBytes: number;
    };
  }

  /** The push or force-push event that wrote this version's current content (the newest one). */
  latestPushEvent(pack: string, version: string): EventRecord | undefined {
    return this.maintenanceStatement(`SELECT id, pack, at, user, action, version, tag, digest, message FROM events
      WHERE pack = ? AND version = ? AND action IN ('push', 'force-push') ORDER BY id DESC LIMIT 1`).get(pack, version) as
      | EventRecord
      | undefined;
  }

  /** How many versions the index holds; 0 for a new or emptied index. */
  versionCount(): number {
    return (this.maintenanceStatement('SELECT count(*) AS n FROM versions').get() as { n: number }).n;
  }

  clearCatalog(): void {
    // Tags go with their versions (ON DELETE CASCADE).
    for (const table of ['events', 'versions', 'packs']) this.maintenanceStatement(`DELETE FROM ${table}`).run();
    this.changed();
  }

  /** Every version's identity, for checking that each has its metadata document. */
  versionKeys(): { id: number; pack: string; normalizedVersion: string }[] {
    return this.maintenanceStatement('SELECT id, pack, normalized_version AS normalizedVersion FROM versions ORDER BY id').all() as {
      id: number;
      pack: string;
      normalizedVersion: string;
    }[];
  }
}

const DELIVERY_COLUMNS = `id, endpoint, event_id AS eventId, delivery_id AS deliveryId, body, state, attempts,
  next_attempt AS nextAttempt, last_error AS lastError, created_at AS createdAt, dead_at AS deadAt`;

/** Insert rows read with `SELECT *` from the same table of another index (same schema: same migrations). */
function copyRows(sqlite: Database.Database, table: 'feed' | 'outbox' | 'downloads', rows: readonly Record<string, unknown>[]): void {
  const first = rows[0];
  if (!first) return;
  const columns = Object.keys(first);
  const insert = sqlite.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((column) => `@${column}`).join(', ')})`);
  for (const row of rows) insert.run(row);
}

function versionParams(version: NewVersion) {
  return {
    pack: version.pack,
    version: version.version,
    normalized_version: version.normalizedVersion,
    grp: version.group,
    content_digest: version.contentDigest,
    archive_digest: version.archiveDigest,
    size: version.size,
    pushed_at: version.pushedAt,
    pushed_by: version.pushedBy,
    message: version.message,
    root_prefix: version.rootPrefix,
    manifest: JSON.stringify(version.manifest),
    files: JSON.stringify(version.files),
    details: version.details === null ? null : JSON.stringify(version.details),
  };
}

function toVersion(row: VersionRow | undefined): VersionRecord | undefined {
  if (!row) return undefined;
  let manifest: Record<string, unknown> | undefined;
  let files: PackFile[] | undefined;
  let details: VersionDetails | null | undefined;
  return {
    id: row.id,
    pack: row.pack,
    version: row.version,
    normalizedVersion: row.normalized_version,
    group: row.grp,
    contentDigest: row.content_digest,
    archiveDigest: row.archive_digest,
    size: row.size,
    pushedAt: row.pushed_at,
    pushedBy: row.pushed_by,
    message: row.message,
    rootPrefix: row.root_prefix,
    // Parsed on first use: a download resolves a version on every request but never reads these two,
    // and parsing a pack's file list per request cost more than serving a small archive.
    get manifest() {
      return (manifest ??= JSON.parse(row.manifest) as Record<string, unknown>);
    },
    get files() {
      return (files ??= JSON.parse(row.files) as PackFile[]);
    },
    get details() {
      if (details === undefined) details = row.details === null ? null : (JSON.parse(row.details) as VersionDetails);
      return details;
    },
  };
}

function toPack(row: PackRow | undefined): PackRecord | undefined {
  if (!row) return undefined;
  return {
    name: row.name,
    latestVersionId: row.latest_version_id,
    latestVersion: row.latest_version,
    displayName: row.display_name,
    layer: row.layer,
    addonType: row.addon_type,
    cloudTypes: JSON.parse(row.cloud_types) as string[],
    hasLogo: row.has_logo === 1,
    updatedAt: row.updated_at,
  };
}

function definedOnly(params: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined && value !== ''));
}
