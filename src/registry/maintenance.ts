// Keeping the index and the storage in step: rebuild the index from the storage (reindex), write the
// documents an older version did not write (backfill), and remove what nothing references (gc).
import { rm, stat } from 'node:fs/promises';
import type { CarriedState, IndexQueries, PackIndex, RebuiltIndex } from '../db/pack-index.js';
import type { BlobStore } from '../storage/blobs/store.js';
import { blobKey, isStorableMetadataKey, listedMetadataKey, storagePath } from '../storage/layout.js';
import { leftoverKeys } from '../storage/leftovers.js';
import type { MetadataStore } from '../storage/metadata/store.js';
import { parseVersionMetadata, type VersionMetadata } from './metadata.js';
import { Registry, versionTag } from './registry.js';

export interface SkippedDocument {
  pack: string;
  key: string;
  reason: string;
}

export interface ReindexReport {
  documents: number;
  packs: number;
  versions: number;
  userTags: number;
  skipped: SkippedDocument[];
}

export interface StorageParts {
  blobs: BlobStore;
  metadata: MetadataStore;
}

/** A version the index held that a rebuilt index would not hold, and why. */
export interface LostVersion {
  pack: string;
  version: string;
  normalizedVersion: string;
  reason: string;
}

export interface CheckedReindexReport extends ReindexReport {
  /** Documents the current index's versions lacked, written before the rebuild (see backfillMetadata). */
  backfill: BackfillReport;
  /** Versions of the current index that the rebuilt one does not hold. */
  lost: LostVersion[];
  /** What was carried over from the current index (the storage does not hold it); none without one. */
  carried: CarriedState | undefined;
}

/**
 * A reindex that drops nothing silently: first the documents the current index's versions lack are written
 * from it (what a start's backfill would do), then `target` is filled from storage (rebuildIndex), then every
 * version of `current` missing from `target` is listed with its reason. Without `current` (no index, or
 * one that cannot be read) this is rebuildIndex alone.
 *
 * The change feed (its epoch, so cursors stay valid), the webhook outbox and the download counts are not in
 * the storage: they are carried over from `current`. Without it the feed starts anew, under a new epoch, and
 * a client's old cursor gets CURSOR_EXPIRED (resync from the catalog).
 */
export async function reindexChecked<Current extends PackIndex>(
  target: RebuiltIndex<Current>,
  storage: StorageParts,
  current?: Current,
): Promise<CheckedReindexReport> {
  let backfill: BackfillReport = { written: 0, skipped: [] };
  if (current) {
    const registry = new Registry({ db: current, blobs: storage.blobs, metadata: storage.metadata, limits: { maxEntries: 1, maxUnpackedSize: 1 } });
    backfill = await backfillMetadata(current, registry, storage.metadata);
  }
  const carried = current ? await target.copyDurableStateFrom(current) : undefined;
  const report = await rebuildIndex(target, storage);
  const kept = current ? new Set((await target.versionKeys()).map((version) => versionKey(version.pack, version.normalizedVersion))) : undefined;
  return { ...report, backfill, lost: current && kept ? await lostVersions(current, kept, report, backfill) : [], carried };
}

/**
 * Reindex an index that running replicas share (PostgreSQL), in place. The documents its versions lack are
 * written first (as reindexChecked does); then, in one transaction of scope '' — every replica's writes wait
 * for it, and readers see the old index until it commits — its packs, versions, tags and history are cleared
 * and restored from the storage. The change feed, the outbox and the download counts stay where they are.
 * When versions of the index would be lost (listed in `lost`), nothing changes unless `allowLoss`.
 */
export async function reindexInPlace(db: PackIndex, storage: StorageParts, options: { allowLoss: boolean }): Promise<CheckedReindexReport & { replaced: boolean }> {
  const registry = new Registry({ db, blobs: storage.blobs, metadata: storage.metadata, limits: { maxEntries: 1, maxUnpackedSize: 1 } });
  const backfill = await backfillMetadata(db, registry, storage.metadata);
  const { usable, report } = await usableDocuments(storage);
  const restorable = new Set(usable.map((metadata) => versionKey(metadata.pack, metadata.normalizedVersion)));
  let lost: LostVersion[] = [];
  const replaced = await db.transaction('', async (tx) => {
    // Read inside the transaction: a push committed since the documents were listed counts too.
    lost = await lostVersions(tx, restorable, report, backfill);
    if (lost.length > 0 && !options.allowLoss) return false;
    await tx.clearCatalog();
    await restoreVersions(db, tx, usable, report, storage.blobs);
    return true;
  });
  return { ...report, backfill, lost, carried: undefined, replaced };
}

function versionKey(pack: string, normalizedVersion: string): string {
  return `${pack}\0${normalizedVersion}`;
}

async function lostVersions(current: IndexQueries, kept: ReadonlySet<string>, report: ReindexReport, backfill: BackfillReport): Promise<LostVersion[]> {
  const reasons = new Map<string, string>();
  for (const skipped of backfill.skipped) reasons.set(versionKey(skipped.pack, skipped.key), `its metadata document cannot be written: ${skipped.reason}`);
  for (const skipped of report.skipped) reasons.set(versionKey(skipped.pack, skipped.key), `its metadata document was skipped: ${skipped.reason}`);
  const lost: LostVersion[] = [];
  for (const { id, pack, normalizedVersion } of await current.versionKeys()) {
    const key = versionKey(pack, normalizedVersion);
    if (kept.has(key)) continue;
    lost.push({
      pack,
      version: (await current.versionById(id))?.version ?? normalizedVersion,
      normalizedVersion,
      reason: reasons.get(key) ?? 'the storage holds no metadata document for it',
    });
  }
  return lost;
}

/**
 * Fill an empty index from the metadata documents: packs, versions, version and user tags, derived
 * parent tags, and one history event per version — the push (or force push) that wrote its content.
 * The rest of the history (tag changes, deletions) lives only in the index and is not rebuilt.
 * A document whose blob is missing, or whose blob has another size, is skipped and reported: the
 * version could not be served.
 */
export async function rebuildIndex(db: PackIndex, storage: StorageParts): Promise<ReindexReport> {
  const { usable, report } = await usableDocuments(storage);
  await db.transaction('', (tx) => restoreVersions(db, tx, usable, report, storage.blobs));
  return report;
}

/** The documents a rebuild restores, oldest push first; the others skipped in the report, each with its reason. */
async function usableDocuments(storage: StorageParts): Promise<{ usable: VersionMetadata[]; report: ReindexReport }> {
  const report: ReindexReport = { documents: 0, packs: 0, versions: 0, userTags: 0, skipped: [] };
  const usable: VersionMetadata[] = [];
  for await (const stored of storage.metadata.list()) {
    report.documents++;
    const skip = (reason: string) => report.skipped.push({ pack: stored.pack, key: stored.key, reason });
    if (stored.error) {
      skip(stored.error);
      continue;
    }
    const parsed = parseVersionMetadata(stored.document);
    if (!parsed.ok) {
      skip(parsed.problem);
      continue;
    }
    const metadata = parsed.metadata;
    if (metadata.pack !== stored.pack || metadata.normalizedVersion !== stored.key) {
      skip(`the document describes ${metadata.pack}:${metadata.normalizedVersion}, not the version its file name says`);
      continue;
    }
    const blob = await storage.blobs.stat(metadata.archiveDigest);
    if (!blob) {
      skip(`its archive blob ${metadata.archiveDigest} is missing`);
      continue;
    }
    if (blob.size !== metadata.size) {
      skip(`its archive blob ${metadata.archiveDigest} has ${blob.size} bytes, the document says ${metadata.size}`);
      continue;
    }
    usable.push(metadata);
  }
  // Pushed first, inserted first: ids and history keep the order the versions arrived in.
  usable.sort((a, b) => a.push.at.localeCompare(b.push.at) || a.pack.localeCompare(b.pack) || a.normalizedVersion.localeCompare(b.normalizedVersion));
  return { usable, report };
}

/** Insert the versions of `usable` with their tags, history and derived tags, inside the rebuild's transaction. */
async function restoreVersions(db: PackIndex, tx: IndexQueries, usable: VersionMetadata[], report: ReindexReport, blobs: BlobStore): Promise<void> {
  let clock = new Date();
  const registry = new Registry({ db, blobs, limits: { maxEntries: 1, maxUnpackedSize: 1 }, now: () => clock });
  const restored: { id: number; metadata: VersionMetadata }[] = [];
  for (const metadata of usable) {
    const { schemaVersion: _schema, versionTags: _versionTags, userTags: _userTags, push: _push, ...fields } = metadata;
    try {
      restored.push({ id: await tx.insertVersion(fields), metadata });
    } catch (error) {
      report.skipped.push({ pack: metadata.pack, key: metadata.normalizedVersion, reason: (error as Error).message });
    }
  }
  // Version tags before user tags: a version tag a user moved elsewhere is a user tag there, and wins.
  for (const { id, metadata } of restored) {
    const tags = Array.isArray(metadata.versionTags) ? metadata.versionTags : [versionTag(metadata.version, metadata.group)];
    for (const tag of tags) await tx.setTag(metadata.pack, tag, id, 'version');
  }
  for (const { id, metadata } of restored) {
    for (const tag of metadata.userTags) {
      await tx.setTag(metadata.pack, tag, id, 'user');
      report.userTags++;
    }
    const push = metadata.push;
    await tx.addEvent({
      pack: metadata.pack,
      at: push.at,
      user: push.user,
      action: push.action,
      version: metadata.version,
      tag: null,
      digest: push.digest ?? metadata.contentDigest,
      message: push.message ?? null,
    });
  }
  const latestPush = new Map<string, string>();
  for (const { metadata } of restored) {
    const previous = latestPush.get(metadata.pack);
    if (!previous || previous < metadata.push.at) latestPush.set(metadata.pack, metadata.push.at);
  }
  for (const [pack, updatedAt] of latestPush) {
    // A pack's updatedAt becomes its newest push (to the millisecond or so): when it last changed
    // otherwise (a deletion, a tag) is not in the storage.
    clock = new Date(updatedAt);
    await registry.restoredPack(tx, pack);
  }
  report.versions = restored.length;
  report.packs = latestPush.size;
}

/** Whether the storage holds at least one metadata document (so an empty index can be rebuilt). */
export async function hasMetadata(metadata: MetadataStore): Promise<boolean> {
  for await (const _stored of metadata.list()) return true;
  return false;
}

export interface BackfillReport {
  written: number;
  /** Versions whose document could not be written: the rest were written all the same. */
  skipped: SkippedDocument[];
}

/**
 * Write the documents of versions that have none: storage written before documents existed, or a
 * document lost to a crash between a commit (or a failed write after it) and its write. One version whose
 * document cannot be written (an index from before names and versions were held to what storage can name)
 * is skipped and reported; the others are still written.
 */
export async function backfillMetadata(
  db: IndexQueries,
  registry: Registry,
  metadata: MetadataStore,
  shouldStop: () => boolean = () => false,
): Promise<BackfillReport> {
  const report: BackfillReport = { written: 0, skipped: [] };
  // Names only: reading 100k documents at every start competed with the first requests for the disk and the
  // CPU. A document that exists but cannot be read is reindex's to report, not the start's to overwrite.
  const present = new Set<string>();
  for await (const stored of metadata.keys()) {
    if (shouldStop()) return report;
    present.add(`${stored.pack}\0${stored.key}`);
  }
  for (const version of await db.versionKeys()) {
    if (shouldStop()) break;
    if (present.has(`${version.pack}\0${version.normalizedVersion}`)) continue;
    const skip = (reason: string) => report.skipped.push({ pack: version.pack, key: version.normalizedVersion, reason });
    if (!isStorableMetadataKey(version.pack, version.normalizedVersion)) {
      skip('its pack name or version is not one a metadata document can be stored under (too long, or a character storage cannot hold)');
      continue;
    }
    try {
      await registry.persistVersionMetadata(version.id);
      report.written++;
    } catch (error) {
      skip((error as Error).message);
    }
  }
  return report;
}

// ---------------------------------------------------------------------------------------------------
// Garbage collection

export interface GarbageItem {
  kind: 'blob' | 'metadata' | 'upload';
  /** Path relative to the storage root. */
  path: string;
  bytes: number;
}

export interface GarbageTally {
  count: number;
  bytes: number;
}

export interface GcReport {
  dryRun: boolean;
  /** When the server runs, only garbage older than `minAgeMs` is taken (it may belong to a push in flight). */
  serverRunning: boolean;
  minAgeMs: number;
  blobs: GarbageTally;
  metadata: GarbageTally;
  uploads: GarbageTally;
  total: GarbageTally;
  /** Garbage left because it is younger than `minAgeMs` while the server runs. */
  keptRecent: GarbageTally;
  /** Documents that could not be read: reported, never removed (an administrator should look). */
  unreadableMetadata: string[];
  items: GarbageItem[];
}

export interface GcOptions {
  /** The local folder of index.db (and, with the filesystem driver, of everything): its leftovers are taken too. */
  root: string;
  /** The index, when it exists: its versions keep their blobs. */
  db: IndexQueries | undefined;
  blobs: BlobStore;
  metadata: MetadataStore;
  /** Report only. */
  dryRun: boolean;
  serverRunning: boolean;
  /** Minimum age of garbage taken while the server runs (default one hour). */
  minAgeMs?: number;
  now?: () => number;
}

export const DEFAULT_GC_MIN_AGE_MS = 60 * 60 * 1000;

/**
 * Remove what nothing references: blobs that neither a version of the index nor a metadata document
 * names, metadata documents whose blob is gone, and staging files of uploads that never finished.
 * Blobs named by a document are kept even when the index does not know them: a reindex would bring
 * their versions back. While the server runs, only things older than `minAgeMs` are taken, since a
 * push in flight has a staging file or a blob that is not yet referenced.
 */
export async function collectGarbage(options: GcOptions): Promise<GcReport> {
  const minAgeMs = options.minAgeMs ?? DEFAULT_GC_MIN_AGE_MS;
  const now = options.now ?? Date.now;
  const report: GcReport = {
    dryRun: options.dryRun,
    serverRunning: options.serverRunning,
    minAgeMs,
    blobs: tally(),
    metadata: tally(),
    uploads: tally(),
    total: tally(),
    keptRecent: tally(),
    unreadableMetadata: [],
    items: [],
  };
  const oldEnough = (modifiedMs: number) => !options.serverRunning || now() - modifiedMs >= minAgeMs;
  const take = async (item: GarbageItem, tallyOf: GarbageTally, remove: () => Promise<void>) => {
    report.items.push(item);
    add(tallyOf, item.bytes);
    add(report.total, item.bytes);
    if (!options.dryRun) await remove();
  };

  const referenced = options.db ? await options.db.referencedArchiveDigests() : new Set<string>();
  const documents: { metadata: VersionMetadata; size: number }[] = [];
  for await (const stored of options.metadata.list()) {
    const parsed = stored.error ? undefined : parseVersionMetadata(stored.document);
    if (!parsed?.ok) {
      report.unreadableMetadata.push(listedMetadataKey(stored));
      continue;
    }
    documents.push({ metadata: parsed.metadata, size: stored.size });
    referenced.add(parsed.metadata.archiveDigest);
  }

  // The listing carries each blob's age, whatever the driver (a file's mtime, an object's LastModified).
  for await (const blob of options.blobs.list()) {
    if (referenced.has(blob.digest)) continue;
    if (!oldEnough(blob.modifiedMs)) {
      add(report.keptRecent, blob.size);
      continue;
    }
    await take({ kind: 'blob', path: blobKey(blob.digest), bytes: blob.size }, report.blobs, () => options.blobs.delete(blob.digest));
  }

  for (const { metadata: document, size } of documents) {
    if (await options.blobs.stat(document.archiveDigest)) continue;
    const path = listedMetadataKey({ pack: document.pack, key: document.normalizedVersion });
    await take({ kind: 'metadata', path, bytes: size }, report.metadata, () =>
      options.metadata.remove(document.pack, document.normalizedVersion),
    );
  }

  // Stagings of pushes that never finished (for S3 also their incomplete multipart uploads).
  for await (const staged of options.blobs.listStaged()) {
    if (!oldEnough(staged.modifiedMs)) {
      add(report.keptRecent, staged.bytes);
      continue;
    }
    await take({ kind: 'upload', path: staged.key, bytes: staged.bytes }, report.uploads, () => options.blobs.discardStaged(staged.path));
  }

  // Temporary files of interrupted metadata writes and index rebuilds: local files under `root`.
  for (const path of await leftoverKeys(options.root)) {
    const info = await stat(storagePath(options.root, path)).catch(() => undefined);
    if (!info?.isFile()) continue;
    if (!oldEnough(info.mtimeMs)) {
      add(report.keptRecent, info.size);
      continue;
    }
    await take({ kind: 'upload', path, bytes: info.size }, report.uploads, () => rm(storagePath(options.root, path), { force: true }));
  }
  return report;
}

function tally(): GarbageTally {
  return { count: 0, bytes: 0 };
}

function add(target: GarbageTally, bytes: number): void {
  target.count++;
  target.bytes += bytes;
}
