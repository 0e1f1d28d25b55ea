// The index behind the registry, whatever database holds it: SQLite in one process (the default, sqlite.ts), or
// PostgreSQL shared by several replicas (postgres.ts). Every read and write is asynchronous, because a
// networked database is; the SQLite driver answers from memory or a local file without waiting on a socket.
//
// Transactions take the connection with them: inside `transaction`, every query goes through `tx`, never
// through the index itself, so a driver with a pool can run them on the one connection that holds the
// transaction, and a reader outside never sees a write before it is committed.
import type { ChartInfo, PackFile } from '../packs/types.js';

export interface VersionRecord {
  id: number;
  pack: string;
  version: string;
  normalizedVersion: string;
  group: string | null;
  contentDigest: string;
  archiveDigest: string;
  size: number;
  pushedAt: string;
  pushedBy: string;
  message: string | null;
  rootPrefix: string;
  manifest: Record<string, unknown>;
  files: PackFile[];
  /** What the push read beside pack.json; `null` for versions pushed before the registry read it. */
  details: VersionDetails | null;
}

/** presets.yaml and schema.yaml as written (`null` when the pack has none) and the charts' Chart.yaml facts. */
export interface VersionDetails {
  presets: string | null;
  schema: string | null;
  charts: ChartInfo[];
}

export type NewVersion = Omit<VersionRecord, 'id'>;

export interface PackRecord {
  name: string;
  latestVersionId: number;
  latestVersion: string;
  displayName: string;
  layer: string;
  addonType: string | null;
  cloudTypes: string[];
  hasLogo: boolean;
  updatedAt: string;
}

/** What a pack list shows of a version (no manifest, no file list): see `versionEntriesOfPacks`. */
export type VersionEntryRecord = Pick<VersionRecord, 'id' | 'pack' | 'version' | 'normalizedVersion' | 'contentDigest' | 'size' | 'pushedAt' | 'pushedBy'>;

export type TagKind = 'version' | 'user' | 'parent';

export interface TagRecord {
  tag: string;
  versionId: number;
  version: string;
  kind: TagKind;
}

/** A tag with the pack it belongs to, as `tagsOfPacks` reads several packs' tags at once. */
export interface PackTagRecord extends TagRecord {
  pack: string;
}

export type EventAction = 'push' | 'force-push' | 'tag-add' | 'tag-delete' | 'delete';

export interface EventRecord {
  id: number;
  pack: string;
  at: string;
  user: string;
  action: EventAction;
  version: string | null;
  tag: string | null;
  digest: string | null;
  message: string | null;
}

/** One entry of the change feed (`GET /v1/events`): what changed, in the order it was committed. */
export interface FeedRecord {
  id: number;
  at: string;
  action: EventAction;
  pack: string;
  version: string | null;
  tag: string | null;
  digest: string | null;
  user: string;
  message: string | null;
}

/** Where the feed stands: its name, the newest id given, and the highest id that may have been pruned. */
export interface FeedBounds {
  epoch: string;
  lastId: number;
  prunedThrough: number;
}

export type DeliveryState = 'pending' | 'dead';

/** A webhook delivery of one event to one endpoint (the outbox). */
export interface DeliveryRecord {
  id: number;
  endpoint: string;
  eventId: number;
  deliveryId: string;
  body: string;
  state: DeliveryState;
  attempts: number;
  /** Epoch milliseconds: not tried again before. */
  nextAttempt: number;
  lastError: string | null;
  createdAt: string;
  deadAt: string | null;
}

export type NewDelivery = Pick<DeliveryRecord, 'endpoint' | 'eventId' | 'deliveryId' | 'body' | 'createdAt' | 'nextAttempt'>;

/** Pulls of one version, as flushed from memory (see registry/downloads.ts). */
export interface DownloadRecord {
  pack: string;
  normalizedVersion: string;
  count: number;
  lastPulledAt: string;
}

/** The values the pack list can be filtered by, for the web UI's filter choices (see `packFacets`). */
export interface PackFacets {
  layers: readonly string[];
  cloudTypes: readonly string[];
  addonTypes: readonly string[];
  groups: readonly string[];
}

export interface PackFilter {
  nameContains?: string;
  layer?: string;
  cloudType?: string;
  addonType?: string;
  /** Packs with at least one version in this group (pack.json `group`, trimmed). */
  group?: string;
  /** pack.json `addonSubType` of the pack's latest version. */
  addonSubType?: string;
}

/** Every read and write of the index; each one alone is atomic. */
export interface IndexQueries {
  versionById(id: number): Promise<VersionRecord | undefined>;
  versionByString(pack: string, version: string): Promise<VersionRecord | undefined>;
  versionByNormalized(pack: string, normalizedVersion: string): Promise<VersionRecord | undefined>;
  versionByTag(pack: string, tag: string): Promise<VersionRecord | undefined>;
  versionByContentDigest(pack: string, digest: string): Promise<VersionRecord | undefined>;
  versionByArchiveDigest(pack: string, digest: string): Promise<VersionRecord | undefined>;
  /** The newest version of `pack` listing a file with this SHA-256 (lower-case hex). */
  versionWithFile(pack: string, sha256: string): Promise<VersionRecord | undefined>;
  versionsOfPack(pack: string): Promise<VersionRecord[]>;
  /** Refused when (pack, normalizedVersion) exists: the unique key is the last word on racing pushes. */
  insertVersion(version: NewVersion): Promise<number>;
  replaceVersion(id: number, version: NewVersion): Promise<void>;
  deleteVersion(id: number): Promise<void>;
  archiveReferenceCount(archiveDigest: string): Promise<number>;
  referencedArchiveDigests(): Promise<Set<string>>;

  pack(name: string): Promise<PackRecord | undefined>;
  upsertPack(pack: PackRecord): Promise<void>;
  deletePack(name: string): Promise<void>;
  catalogPage(last: string, limit: number): Promise<readonly string[]>;
  packsPage(filter: PackFilter, last: string, limit: number): Promise<readonly PackRecord[]>;
  packFacets(): Promise<PackFacets>;
  versionEntriesOfPacks(packs: readonly string[]): Promise<readonly VersionEntryRecord[]>;
  latestFileOfPacks(packs: readonly string[], path: string): Promise<readonly { pack: string; sha256: string }[]>;

  tagsOfPack(pack: string): Promise<readonly TagRecord[]>;
  tagsOfPacks(packs: readonly string[]): Promise<readonly PackTagRecord[]>;
  tagsOfVersion(versionId: number): Promise<readonly TagRecord[]>;
  tag(pack: string, tag: string): Promise<TagRecord | undefined>;
  setTag(pack: string, tag: string, versionId: number, kind: TagKind): Promise<void>;
  deleteTag(pack: string, tag: string): Promise<void>;
  deleteTagsOfKind(pack: string, kind: TagKind): Promise<void>;

  addEvent(event: Omit<EventRecord, 'id'>): Promise<void>;
  eventsPage(pack: string, beforeId: number, limit: number): Promise<EventRecord[]>;
  latestPushEvent(pack: string, version: string): Promise<EventRecord | undefined>;

  addFeedEvent(event: Omit<FeedRecord, 'id'>): Promise<number>;
  feedBounds(): Promise<FeedBounds>;
  feedPage(afterId: number, limit: number): Promise<FeedRecord[]>;
  pruneFeed(before: string): Promise<number>;

  addDelivery(delivery: NewDelivery): Promise<void>;
  nextDelivery(endpoint: string): Promise<DeliveryRecord | undefined>;
  deliveryDone(id: number): Promise<void>;
  deliveryFailed(id: number, failure: { attempts: number; nextAttempt: number; lastError: string; deadAt: string | null }): Promise<void>;
  deadLetters(endpoint: string | undefined, afterId: number, limit: number): Promise<DeliveryRecord[]>;
  retryDeadLetters(endpoint: string | undefined, now: number): Promise<number>;
  outboxCounts(): Promise<{ endpoint: string; state: DeliveryState; count: number }[]>;

  /** Adds counted pulls to the totals of versions that still exist; returns how many rows it wrote. */
  addDownloads(entries: readonly (DownloadRecord & { versionId: number })[]): Promise<number>;
  downloadsOfPack(pack: string): Promise<DownloadRecord[]>;
  downloadsOfPacks(packs: readonly string[]): Promise<DownloadRecord[]>;
  downloadsOf(pack: string, normalizedVersion: string): Promise<DownloadRecord | undefined>;
  deleteDownloads(pack: string, normalizedVersion: string): Promise<void>;

  statistics(): Promise<{ packs: number; versions: number; blobs: number; blobBytes: number }>;
  versionCount(): Promise<number>;
  versionKeys(): Promise<{ id: number; pack: string; normalizedVersion: string }[]>;
  /**
   * Remove every pack, version, tag and history event, for a reindex in place: the change feed, the webhook
   * outbox and the download counts stay (the storage does not hold them). Meant inside a transaction whose
   * work then restores the versions from the storage.
   */
  clearCatalog(): Promise<void>;
}

export interface PackIndex extends IndexQueries {
  readonly driver: 'sqlite' | 'postgres';
  /**
   * Run `work` as one transaction: everything it writes through `tx` becomes visible together, or nothing
   * does (a throw rolls back and is rethrown). Writers of the same `scope` (a pack name; '' for the whole
   * registry, as reindex) never interleave, in this process or any other replica sharing the index, so a
   * check-then-write inside `work` (the overwrite rule, the parent tags) holds when it commits.
   */
  transaction<T>(scope: string, work: (tx: IndexQueries) => Promise<T>): Promise<T>;
  /**
   * Run `work`'s reads as of one moment: no transaction commits in between them, so a document built from
   * several reads (a pack with its versions and tags) never shows half of a push. Reads only: PostgreSQL
   * refuses a write here, and a transaction asked for inside `work` would wait for it forever.
   */
  snapshot<T>(work: (reads: IndexQueries) => Promise<T>): Promise<T>;
  /**
   * Become the one process of those sharing this index that runs the work only one may run at a time (webhook
   * deliveries, which must leave in order and once; scheduled retention), or undefined when another holds it.
   * One process alone on its index (SQLite) always leads.
   */
  tryLead(): Promise<Leadership | undefined>;
  /** Throws when the database cannot answer (`/health`). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What a reindex carried over from the index it replaces: rows of the feed, the outbox and the download counts. */
export interface CarriedState {
  feed: number;
  deliveries: number;
  downloads: number;
}

/**
 * An index rebuilt as a new database beside the one it replaces (SQLite: a new file, renamed over the old one
 * at the end). The storage does not hold the change feed, the webhook outbox or the download counts, so the
 * rebuilt index takes them from `source` before anything else writes its feed.
 */
export interface RebuiltIndex<Source extends PackIndex> extends PackIndex {
  copyDurableStateFrom(source: Source): Promise<CarriedState>;
}

/**
 * The index cannot be reached now (PostgreSQL refuses connections, restarts, or lost the connection mid-query):
 * 503 INDEX_UNAVAILABLE with Retry-After. Nothing the request asked for was committed; the next request tries
 * again on a new connection, so the registry recovers by itself when the database is back.
 */
export class IndexUnavailableError extends Error {
  readonly retryAfterSeconds = 5;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IndexUnavailableError';
  }
}

/** Held until released, or lost (the database dropped the session that held it: another replica may lead now). */
export interface Leadership {
  /** Resolves when the leadership is lost; never, for an index no other process shares. */
  readonly lost: Promise<void>;
  release(): Promise<void>;
}
