// The SQLite driver of the PackIndex: one better-sqlite3 connection (sqlite-statements.ts), made asynchronous.
//
// better-sqlite3 answers at once, so a read outside a transaction runs when it is called and returns a promise
// that is already resolved: resolving a tag for a download costs what it did when the index was synchronous.
//
// A transaction is what needs care. Its `work` awaits (storage, the metadata documents, other requests), and
// between its awaits other requests' continuations run — on the same connection, where they would read (and
// cache) rows not yet committed, or write into the transaction, or open a second one. So, while a transaction
// is open, every call not made through its `tx` waits for the transaction's end before it runs; and the
// transactions themselves take turns (one connection holds one transaction: the scope adds nothing here).
import type {
  CarriedState,
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
  PackRecord,
  PackTagRecord,
  RebuiltIndex,
  TagKind,
  TagRecord,
  VersionEntryRecord,
  VersionRecord,
} from './pack-index.js';
import { SqliteStatements } from './sqlite-statements.js';

/**
 * Every query of the index over the synchronous statements, each one run when `turn()` allows: the index's
 * own queries wait for an open transaction, a transaction's `tx` runs only while that transaction is open.
 */
abstract class SqliteQueries implements IndexQueries {
  constructor(protected readonly statements: SqliteStatements) {}

  /** Undefined when a query may run now; otherwise what to wait for before asking again. */
  protected abstract turn(): Promise<void> | undefined;

  /** Run `query` at once when it is this caller's turn (the answer already resolved), else after its turn comes. */
  protected run<T>(query: () => T): Promise<T> {
    const wait = this.turn();
    if (wait !== undefined) return wait.then(() => this.run(query));
    try {
      return Promise.resolve(query());
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  versionById(id: number): Promise<VersionRecord | undefined> {
    return this.run(() => this.statements.versionById(id));
  }

  versionByString(pack: string, version: string): Promise<VersionRecord | undefined> {
    return this.run(() => this.statements.versionByString(pack, version));
  }

  versionByNormalized(pack: string, normalizedVersion: string): Promise<VersionRecord | undefined> {
    return this.run(() => this.statements.versionByNormalized(pack, normalizedVersion));
  }

  versionByTag(pack: string, tag: string): Promise<VersionRecord | undefined> {
    return this.run(() => this.statements.versionByTag(pack, tag));
  }

  versionByContentDigest(pack: string, digest: string): Promise<VersionRecord | undefined> {
    return this.run(() => this.statements.versionByContentDigest(pack, digest));
  }

  versionByArchiveDigest(pack: string, digest: string): Promise<VersionRecord | undefined> {
    return this.run(() => this.statements.versionByArchiveDigest(pack, digest));
  }

  versionWithFile(pack: string, sha256: string): Promise<VersionRecord | undefined> {
    return this.run(() => this.statements.versionWithFile(pack, sha256));
  }

  versionsOfPack(pack: string): Promise<VersionRecord[]> {
    return this.run(() => this.statements.versionsOfPack(pack));
  }

  insertVersion(version: NewVersion): Promise<number> {
    return this.run(() => this.statements.insertVersion(version));
  }

  replaceVersion(id: number, version: NewVersion): Promise<void> {
    return this.run(() => this.statements.replaceVersion(id, version));
  }

  deleteVersion(id: number): Promise<void> {
    return this.run(() => this.statements.deleteVersion(id));
  }

  archiveReferenceCount(archiveDigest: string): Promise<number> {
    return this.run(() => this.statements.archiveReferenceCount(archiveDigest));
  }

  referencedArchiveDigests(): Promise<Set<string>> {
    return this.run(() => this.statements.referencedArchiveDigests());
  }

  pack(name: string): Promise<PackRecord | undefined> {
    return this.run(() => this.statements.pack(name));
  }

  upsertPack(pack: PackRecord): Promise<void> {
    return this.run(() => this.statements.upsertPack(pack));
  }

  deletePack(name: string): Promise<void> {
    return this.run(() => this.statements.deletePack(name));
  }

  catalogPage(last: string, limit: number): Promise<readonly string[]> {
    return this.run(() => this.statements.catalogPage(last, limit));
  }

  packsPage(filter: PackFilter, last: string, limit: number): Promise<readonly PackRecord[]> {
    return this.run(() => this.statements.packsPage(filter, last, limit));
  }

  packFacets(): Promise<PackFacets> {
    return this.run(() => this.statements.packFacets());
  }

  versionEntriesOfPacks(packs: readonly string[]): Promise<readonly VersionEntryRecord[]> {
    return this.run(() => this.statements.versionEntriesOfPacks(packs));
  }

  latestFileOfPacks(packs: readonly string[], path: string): Promise<readonly { pack: string; sha256: string }[]> {
    return this.run(() => this.statements.latestFileOfPacks(packs, path));
  }

  tagsOfPack(pack: string): Promise<readonly TagRecord[]> {
    return this.run(() => this.statements.tagsOfPack(pack));
  }

  tagsOfPacks(packs: readonly string[]): Promise<readonly PackTagRecord[]> {
    return this.run(() => this.statements.tagsOfPacks(packs));
  }

  tagsOfVersion(versionId: number): Promise<readonly TagRecord[]> {
    return this.run(() => this.statements.tagsOfVersion(versionId));
  }

  tag(pack: string, tag: string): Promise<TagRecord | undefined> {
    return this.run(() => this.statements.tag(pack, tag));
  }

  setTag(pack: string, tag: string, versionId: number, kind: TagKind): Promise<void> {
    return this.run(() => this.statements.setTag(pack, tag, versionId, kind));
  }

  deleteTag(pack: string, tag: string): Promise<void> {
    return this.run(() => this.statements.deleteTag(pack, tag));
  }

  deleteTagsOfKind(pack: string, kind: TagKind): Promise<void> {
    return this.run(() => this.statements.deleteTagsOfKind(pack, kind));
  }

  addEvent(event: Omit<EventRecord, 'id'>): Promise<void> {
    return this.run(() => this.statements.addEvent(event));
  }

  eventsPage(pack: string, beforeId: number, limit: number): Promise<EventRecord[]> {
    return this.run(() => this.statements.eventsPage(pack, beforeId, limit));
  }

  latestPushEvent(pack: string, version: string): Promise<EventRecord | undefined> {
    return this.run(() => this.statements.latestPushEvent(pack, version));
  }

  addFeedEvent(event: Omit<FeedRecord, 'id'>): Promise<number> {
    return this.run(() => this.statements.addFeedEvent(event));
  }

  feedBounds(): Promise<FeedBounds> {
    return this.run(() => this.statements.feedBounds());
  }

  feedPage(afterId: number, limit: number): Promise<FeedRecord[]> {
    return this.run(() => this.statements.feedPage(afterId, limit));
  }

  pruneFeed(before: string): Promise<number> {
    return this.run(() => this.statements.pruneFeed(before));
  }

  addDelivery(delivery: NewDelivery): Promise<void> {
    return this.run(() => this.statements.addDelivery(delivery));
  }

  nextDelivery(endpoint: string): Promise<DeliveryRecord | undefined> {
    return this.run(() => this.statements.nextDelivery(endpoint));
  }

  deliveryDone(id: number): Promise<void> {
    return this.run(() => this.statements.deliveryDone(id));
  }

  deliveryFailed(id: number, failure: { attempts: number; nextAttempt: number; lastError: string; deadAt: string | null }): Promise<void> {
    return this.run(() => this.statements.deliveryFailed(id, failure));
  }

  deadLetters(endpoint: string | undefined, afterId: number, limit: number): Promise<DeliveryRecord[]> {
    return this.run(() => this.statements.deadLetters(endpoint, afterId, limit));
  }

  retryDeadLetters(endpoint: string | undefined, now: number): Promise<number> {
    return this.run(() => this.statements.retryDeadLetters(endpoint, now));
  }

  outboxCounts(): Promise<{ endpoint: string; state: DeliveryState; count: number }[]> {
    return this.run(() => this.statements.outboxCounts());
  }

  addDownloads(entries: readonly (DownloadRecord & { versionId: number })[]): Promise<number> {
    return this.run(() => this.statements.addDownloads(entries));
  }

  downloadsOfPack(pack: string): Promise<DownloadRecord[]> {
    return this.run(() => this.statements.downloadsOfPack(pack));
  }

  downloadsOfPacks(packs: readonly string[]): Promise<DownloadRecord[]> {
    return this.run(() => this.statements.downloadsOfPacks(packs));
  }

  downloadsOf(pack: string, normalizedVersion: string): Promise<DownloadRecord | undefined> {
    return this.run(() => this.statements.downloadsOf(pack, normalizedVersion));
  }

  deleteDownloads(pack: string, normalizedVersion: string): Promise<void> {
    return this.run(() => this.statements.deleteDownloads(pack, normalizedVersion));
  }

  statistics(): Promise<{ packs: number; versions: number; blobs: number; blobBytes: number }> {
    return this.run(() => this.statements.statistics());
  }

  versionCount(): Promise<number> {
    return this.run(() => this.statements.versionCount());
  }

  clearCatalog(): Promise<void> {
    return this.run(() => this.statements.clearCatalog());
  }

  versionKeys(): Promise<{ id: number; pack: string; normalizedVersion: string }[]> {
    return this.run(() => this.statements.versionKeys());
  }
}

/** The `tx` of one transaction: runs while the transaction is open, refuses once it has ended. */
class TransactionQueries extends SqliteQueries {
  private open = true;

  end(): void {
    this.open = false;
  }

  protected turn(): Promise<void> | undefined {
    // Work that outlived its transaction (a promise nobody awaited) must not write outside of it.
    return this.open ? undefined : Promise.reject(new Error('the transaction these queries belong to has ended'));
  }
}

/** The SQLite index: a file, or `:memory:` for `storage: inmemory`. */
export class SqliteIndex extends SqliteQueries implements RebuiltIndex<SqliteIndex> {
  readonly driver = 'sqlite';
  /** Set while a transaction is open: resolves when it has ended (committed or rolled back). */
  private transactionEnd: Promise<void> | undefined;
  /** The end of the last transaction asked for: the next one begins after it. */
  private lastTransaction: Promise<void> = Promise.resolve();
  /** Snapshots under way (see snapshot): a transaction begins only when there is none. */
  private openSnapshots = 0;
  private snapshotsEnded: (() => void) | undefined;

  constructor(path: string) {
    super(new SqliteStatements(path));
  }

  protected turn(): Promise<void> | undefined {
    return this.transactionEnd;
  }

  async transaction<T>(_scope: string, work: (tx: IndexQueries) => Promise<T>): Promise<T> {
    let ended!: () => void;
    const end = new Promise<void>((resolve) => (ended = resolve));
    const previous = this.lastTransaction;
    // One step later than `end` itself: the calls that waited for a transaction's end all run (they were
    // queued on `end`) before the next transaction begins, so a stream of pushes cannot starve a reader.
    this.lastTransaction = end.then(() => {});
    await previous;
    while (this.openSnapshots > 0) await new Promise<void>((resolve) => (this.snapshotsEnded = resolve));
    this.transactionEnd = end;
    const tx = new TransactionQueries(this.statements);
    try {
      this.statements.begin();
      const result = await work(tx);
      this.statements.commit();
      return result;
    } catch (error) {
      this.statements.rollback();
      throw error;
    } finally {
      tx.end();
      this.statements.changed();
      this.transactionEnd = undefined;
      ended();
    }
  }

  /**
   * One connection, so a snapshot is a stretch without commits: it begins after the transactions already asked
   * for (so a stream of page reads cannot starve a push), and a transaction asked for meanwhile begins when the
   * snapshots under way have ended. Snapshots run side by side, and reads outside them run as always.
   */
  async snapshot<T>(work: (reads: IndexQueries) => Promise<T>): Promise<T> {
    await this.lastTransaction;
    this.openSnapshots += 1;
    try {
      return await work(this);
    } finally {
      this.openSnapshots -= 1;
      if (this.openSnapshots === 0) this.snapshotsEnded?.();
    }
  }

  ping(): Promise<void> {
    return this.run(() => this.statements.ping());
  }

  /** Nothing else uses this index (the storage lock keeps other servers out): it always leads. */
  async tryLead(): Promise<Leadership> {
    return { lost: new Promise<void>(() => {}), release: async () => {} };
  }

  /** After the transactions already asked for have ended. */
  async close(): Promise<void> {
    await this.lastTransaction;
    this.statements.close();
  }

  /**
   * Reindex (see RebuiltIndex): the feed, the outbox and the download counts of `source`, the index being
   * replaced, copied into this one. A reindex holds the storage lock, so nothing else uses `source` meanwhile.
   */
  copyDurableStateFrom(source: SqliteIndex): Promise<CarriedState> {
    return this.run(() => this.statements.copyDurableStateFrom(source.statements));
  }
}
