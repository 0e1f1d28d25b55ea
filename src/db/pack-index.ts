// The index behind the registry, whatever database holds it: SQLite in one process (the default, db.ts), or
// PostgreSQL shared by several replicas (postgres.ts). Every read and write is asynchronous, because a
// networked database is; the SQLite driver answers from memory or a local file without waiting on a socket.
//
// Transactions take the connection with them: inside `transaction`, every query goes through `tx`, never
// through the index itself, so a driver with a pool can run them on the one connection that holds the
// transaction, and a reader outside never sees a write before it is committed.
import type {
  DeliveryRecord,
  DeliveryState,
  DownloadRecord,
  EventRecord,
  FeedBounds,
  FeedRecord,
  NewDelivery,
  NewVersion,
  PackFacets,
  PackFilter,
  PackRecord,
  PackTagRecord,
  TagKind,
  TagRecord,
  VersionEntryRecord,
  VersionRecord,
} from './db.js';

export type {
  DeliveryRecord,
  DeliveryState,
  DownloadRecord,
  EventRecord,
  FeedBounds,
  FeedRecord,
  NewDelivery,
  NewVersion,
  PackFacets,
  PackFilter,
  PackRecord,
  PackTagRecord,
  TagKind,
  TagRecord,
  VersionEntryRecord,
  VersionRecord,
};

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
  /** Throws when the database cannot answer (`/health`). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
