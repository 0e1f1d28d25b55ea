import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ChangePage, DeadLetter, ExpandedPackSummary, HistoryEvent, PackDocument, PackSummary, VersionDocument } from '../api/index.js';
import type {
  DeliveryState,
  DownloadRecord,
  EventAction,
  IndexQueries,
  NewVersion,
  PackFacets,
  PackFilter,
  PackIndex,
  PackTagRecord,
  TagRecord,
  VersionEntryRecord,
  VersionRecord,
} from '../db/pack-index.js';
import { inspectArchive, openArchiveEntry } from '../packs/archive.js';
import { isContentDigest } from '../packs/digest.js';
import { isValidPackName } from '../packs/names.js';
import { deriveParentTags, isParentTag, joinTag, tagNameProblem, tagTargetProblem } from '../packs/tags.js';
import type { ArchiveLimits, InspectedPack, InspectionResult, PackFile, PackProblem } from '../packs/types.js';
import { comparePackVersions, normalizePackVersion } from '../packs/version.js';
import { isBlobNotFound, type BlobStore, type OpenBlob } from '../storage/blobs/store.js';
import { isStorableMetadataKey, MAX_METADATA_SEGMENT_LENGTH } from '../storage/layout.js';
import type { MetadataStore } from '../storage/metadata/store.js';
import { stageUpload, type StagedUpload, type StagingArea } from '../storage/staging.js';
import { DownloadCounter } from './downloads.js';
import { RegistryError } from './errors.js';
import { changeEvent, changePage, deadLetter, feedPosition, webhookBody } from './feed.js';
import { versionMetadata } from './metadata.js';
import { historyEvent, LOGO_FILE, logoUrl, packDocument, packSummary, versionDocument } from './views.js';

// What the HTTP layer needs of storage, handed over here so that it reaches storage only through the registry.
export type { ByteRange, OpenBlob } from '../storage/blobs/store.js';
export type { PackFacets, PackFilter } from '../db/pack-index.js';
export { UploadTooLargeError } from '../storage/staging.js';

/**
 * Named points of a push, for crash tests: a test-only hook may stop the process at one of them to prove
 * that a push interrupted there leaves either the whole version or no trace of it.
 */
export type PushStep = 'received' | 'validated' | 'blob-stored' | 'committed';

export interface RegistryOptions {
  onPushStep?: (step: PushStep) => void;
  db: PackIndex;
  blobs: BlobStore;
  limits: ArchiveLimits;
  /** Maintenance mode: every write is refused with READ_ONLY, reads keep working. */
  readOnly?: boolean;
  now?: () => Date;
  /** Where each version's metadata document is kept (see metadata.ts); none: no documents are written. */
  metadata?: MetadataStore;
  /**
   * Work that follows a committed change failed: writing (or removing) a version's metadata document, or
   * removing a blob nothing references any more. The change stands and is answered as done; the next start's
   * backfill writes a missing document, gc removes a left blob. Meant for the log.
   */
  onAfterCommitError?: (error: unknown, context: AfterCommitContext) => void;
  /**
   * The webhook endpoints (`notifications.endpoints[].name`, the enabled ones): every change is queued for
   * each of them in the transaction that makes it (the outbox; see notifications.ts).
   */
  notificationEndpoints?: readonly string[];
  /** Called when a change was queued for delivery, once it is committed: wakes the delivery workers. */
  onChangeQueued?: () => void;
  /**
   * Other registry processes (replicas) share this index and storage. A blob nothing references is then left
   * to gc, which takes only garbage older than its minimum age: a replica's push in flight may have stored
   * the very same bytes and be about to commit them, and its pin is in its own memory, not in ours.
   */
  replicas?: boolean;
}

export interface AfterCommitContext {
  pack: string;
  version: string;
  work: 'metadata document' | 'blob removal';
}

export interface PushOptions {
  user: string;
  force?: boolean;
  message?: string;
  skipDigestCheck?: boolean;
  /** Where the registry is reached (`https://host[:port]`): the answer's `logoUrl` is made absolute with it; none without. */
  baseUrl?: string;
}

/** A staged upload, with the archive's inspection when it was inspected while staging (receiveUpload). */
export type InspectedUpload = StagedUpload & { inspection?: InspectionResult };

export interface Page {
  limit: number;
  /** The last item of the previous page; '' for the first page. */
  last: string;
}

export interface PageOf<T> {
  items: readonly T[];
  /** Set when more items follow: the `last` to ask for the next page with. */
  next?: string;
}

export interface ResolvedVersion {
  record: VersionRecord;
  /** How the reference was understood: version strings first, then tags, then digests (see resolve). */
  resolvedBy: 'tag' | 'version' | 'digest';
}

export interface ArchiveHandle {
  version: VersionRecord;
  blob: OpenBlob;
}

export interface HealthReport {
  ok: boolean;
  checks: Record<string, string>;
}

/**
 * Orchestrates the pack rules, the blob store and the index. Every domain rule about pushing, resolving,
 * listing and deleting lives here or in packs/; the HTTP layer only translates.
 */
export class Registry {
  private readonly db: PackIndex;
  private readonly blobs: BlobStore;
  private readonly limits: ArchiveLimits;
  private readonly readOnly: boolean;
  private readonly now: () => Date;
  private readonly onPushStep: (step: PushStep) => void;
  private readonly metadata: MetadataStore | undefined;
  private readonly onAfterCommitError: NonNullable<RegistryOptions['onAfterCommitError']>;
  /**
   * Blobs a push has written but not yet committed to the index. A delete or a failed push that finds a blob
   * unreferenced must not remove it while another push of the same bytes is about to reference it.
   */
  private readonly pinnedBlobs = new Map<string, number>();
  private readonly notificationEndpoints: readonly string[];
  private readonly onChangeQueued: () => void;
  private readonly replicas: boolean;
  private readonly downloads: DownloadCounter;
  /** The feed's epoch: fixed for the life of an index (see feed.ts), so read once. */
  private epoch: string | undefined;

  constructor(options: RegistryOptions) {
    this.db = options.db;
    this.blobs = options.blobs;
    this.limits = options.limits;
    this.readOnly = options.readOnly ?? false;
    this.now = options.now ?? (() => new Date());
    this.onPushStep = options.onPushStep ?? (() => {});
    this.metadata = options.metadata;
    this.onAfterCommitError = options.onAfterCommitError ?? (() => {});
    this.notificationEndpoints = options.notificationEndpoints ?? [];
    this.onChangeQueued = options.onChangeQueued ?? (() => {});
    this.replicas = options.replicas ?? false;
    // Date.now unless a clock was given: a download must not allocate a Date to be counted.
    this.downloads = new DownloadCounter(this.db, options.now ? () => this.now().getTime() : Date.now);
  }

  /** Where uploads are staged (the blob store's staging area), for callers that stage without receiveUpload. */
  get staging(): StagingArea {
    return this.blobs;
  }

  /** Remove an upload's staging that will not be pushed (a refused form); removing one that is gone succeeds. */
  discardUpload(path: string): Promise<void> {
    return this.blobs.discardStaged(path);
  }

  assertWritable(): void {
    if (this.readOnly) {
      throw new RegistryError('READ_ONLY', 'the registry is in read-only maintenance mode; writes are refused');
    }
  }

  /**
   * Receive an upload for `push`: stream it into the blob store's staging folder while hashing it and
   * inspecting the archive (see stageUpload), so that push need not read the staged file a second time.
   * Rejects with UploadTooLargeError, the partial file removed, once `maxBytes` is passed.
   */
  async receiveUpload(bytes: Readable, maxBytes: number): Promise<InspectedUpload> {
    const staged = await stageUpload(bytes, this.blobs, maxBytes, this.inspectUpload);
    return { path: staged.path, digest: staged.digest, size: staged.size, inspection: staged.read };
  }

  private readonly inspectUpload = (bytes: Readable): Promise<InspectionResult> => inspectArchive(bytes, this.limits);

  /**
   * Store a staged upload as a pack version. The staging file is always consumed: moved into the blob store
   * on success, removed on any refusal, so a refused push leaves storage exactly as it was.
   * `upload.inspection` is receiveUpload's inspection of exactly these bytes; without it the file is inspected.
   */
  async push(upload: InspectedUpload, options: PushOptions): Promise<VersionDocument> {
    const staging = { stored: false };
    try {
      this.assertWritable();
      const message = options.message?.trim() || undefined;
      if (options.force && !message) {
        throw new RegistryError('MESSAGE_REQUIRED', 'a forced push must say why: add a message', {});
      }
      this.onPushStep('received');
      const inspection = upload.inspection ?? (await inspectArchive(this.blobs.readStaged(upload.path), this.limits));
      if (!inspection.ok) throw packInvalid(inspection.problems);
      const pack = inspection.pack;
      assertStorable(pack);
      // Checked once before the blob is written (a refusal costs no disk I/O), and again inside the
      // transaction, where it is authoritative against a racing push of the same version.
      await this.checkOverwrite(this.db, pack, options);
      this.onPushStep('validated');
      return await this.commitPush(upload, pack, { ...options, message }, staging);
    } finally {
      // After a put the staging is gone already (put consumes it); otherwise it is this push's to remove.
      if (!staging.stored) await this.blobs.discardStaged(upload.path);
    }
  }

  private async commitPush(upload: StagedUpload, pack: InspectedPack, options: PushOptions, staging: { stored: boolean }): Promise<VersionDocument> {
    const manifest = pack.manifest;
    this.pin(upload.digest);
    let replacedDigest: string | undefined;
    try {
      await this.blobs.put(upload.path, upload.digest);
      staging.stored = true;
      this.onPushStep('blob-stored');
      const versionId = await this.change(manifest.name, async (tx) => {
        const existing = await this.checkOverwrite(tx, pack, options);
        const fields: NewVersion = {
          pack: manifest.name,
          version: manifest.version,
          normalizedVersion: manifest.normalizedVersion,
          group: manifest.group ?? null,
          contentDigest: pack.contentDigest,
          archiveDigest: upload.digest,
          size: upload.size,
          pushedAt: this.now().toISOString(),
          pushedBy: options.user,
          message: options.message ?? null,
          rootPrefix: pack.rootPrefix,
          manifest: manifest.raw,
          files: pack.files,
          details: { presets: pack.presets, schema: pack.schema, charts: pack.charts },
        };
        let id: number;
        if (existing) {
          id = existing.id;
          replacedDigest = existing.archiveDigest;
          await tx.replaceVersion(id, fields);
          for (const tag of await tx.tagsOfVersion(id)) {
            if (tag.kind === 'version') await tx.deleteTag(fields.pack, tag.tag);
          }
        } else {
          id = await tx.insertVersion(fields);
        }
        await tx.setTag(fields.pack, versionTag(fields.version, fields.group), id, 'version');
        await this.recordEvent(tx, fields.pack, options.user, existing ? 'force-push' : 'push', {
          version: fields.version,
          digest: fields.contentDigest,
          message: fields.message,
        });
        await this.rebuildDerivedTags(tx, fields.pack);
        await this.refreshPack(tx, fields.pack);
        return id;
      });
      // After the commit: the document describes what the index now holds (it would rebuild this version).
      await this.persistAfterCommit(versionId);
      this.onPushStep('committed');
      return await this.versionDocumentOf((await this.db.versionById(versionId)) as VersionRecord, options.baseUrl);
    } finally {
      this.unpin(upload.digest);
      // The new blob is unreferenced when the transaction refused; the old one may be after a force push.
      const { name, version } = manifest;
      await this.afterCommit({ pack: name, version, work: 'blob removal' }, () => this.collectBlob(upload.digest));
      if (replacedDigest && replacedDigest !== upload.digest) {
        await this.afterCommit({ pack: name, version, work: 'blob removal' }, () => this.collectBlob(replacedDigest as string));
      }
    }
  }

  /** Applies the overwrite rules; returns the version a forced push replaces, if any. */
  private async checkOverwrite(queries: IndexQueries, pack: InspectedPack, options: PushOptions): Promise<VersionRecord | undefined> {
    const { name, normalizedVersion, version } = pack.manifest;
    const existing = await queries.versionByNormalized(name, normalizedVersion);
    if (!existing) return undefined;
    const detail = { name, version: existing.version, digest: existing.contentDigest };
    if (!options.force) {
      const spelledAs = existing.version === version ? '' : ` (stored as ${existing.version})`;
      throw new RegistryError(
        'PACK_EXISTS',
        `pack ${name}:${version} already exists${spelledAs}; push with force and a message to overwrite it`,
        detail,
      );
    }
    if (!options.skipDigestCheck && existing.contentDigest === pack.contentDigest) {
      throw new RegistryError(
        'PACK_UNCHANGED',
        `pack ${name}:${version} already has exactly this content (${pack.contentDigest}); nothing to overwrite`,
        detail,
      );
    }
    return existing;
  }

  /** Recompute the pack's denormalised summary from its highest version, or drop it when none is left. */
  private async refreshPack(tx: IndexQueries, name: string): Promise<void> {
    const versions = await versionsInOrder(tx, name);
    const latest = versions.at(-1);
    if (!latest) {
      await tx.deletePack(name);
      return;
    }
    const manifest = latest.manifest;
    await tx.upsertPack({
      name,
      latestVersionId: latest.id,
      latestVersion: latest.version,
      displayName: stringField(manifest, 'displayName') ?? name,
      layer: stringField(manifest, 'layer') ?? '',
      addonType: stringField(manifest, 'addonType') ?? null,
      cloudTypes: stringArrayField(manifest, 'cloudTypes'),
      hasLogo: latest.files.some((file) => file.path === LOGO_FILE.path),
      updatedAt: this.now().toISOString(),
    });
  }

  /**
   * Record a change in the pack's history, the change feed and the webhook outbox. Call it inside the
   * transaction that makes the change: the feed and the index then never disagree, and a delivery is queued
   * exactly when the change is committed.
   */
  private async recordEvent(
    tx: IndexQueries,
    pack: string,
    user: string,
    action: EventAction,
    fields: { version?: string | null; tag?: string | null; digest?: string | null; message?: string | null },
  ): Promise<void> {
    const event = {
      pack,
      at: this.now().toISOString(),
      user,
      action,
      version: fields.version ?? null,
      tag: fields.tag ?? null,
      digest: fields.digest ?? null,
      message: fields.message ?? null,
    };
    await tx.addEvent(event);
    const id = await tx.addFeedEvent(event);
    if (this.notificationEndpoints.length === 0) return;
    const body = JSON.stringify(webhookBody(changeEvent(await this.feedEpoch(tx), { id, ...event })));
    for (const endpoint of this.notificationEndpoints) {
      await tx.addDelivery({ endpoint, eventId: id, deliveryId: randomUUID(), body, createdAt: event.at, nextAttempt: 0 });
    }
  }

  /**
   * A change to pack `scope` as one transaction of the index (see PackIndex.transaction). Every change records
   * its event (recordEvent), so the delivery workers are woken once it is committed: woken earlier, they would
   * find nothing to send.
   */
  private async change<T>(scope: string, work: (tx: IndexQueries) => Promise<T>): Promise<T> {
    const result = await this.db.transaction(scope, work);
    if (this.notificationEndpoints.length > 0) this.onChangeQueued();
    return result;
  }

  private async feedEpoch(queries: IndexQueries): Promise<string> {
    return (this.epoch ??= (await queries.feedBounds()).epoch);
  }

  /**
   * The change feed: every push, overwrite, delete and tag change after the cursor `since` (none: from the
   * oldest event kept), oldest first, at most `limit`. CURSOR_EXPIRED for a cursor the feed no longer covers.
   */
  async changes(since: string | undefined, limit: number): Promise<ChangePage> {
    const bounds = await this.db.feedBounds();
    const after = feedPosition(since, bounds);
    return changePage(bounds.epoch, after, await this.db.feedPage(after, limit));
  }

  /** Drop feed events older than `maxAgeMs`; cursors before them expire. Returns how many went. */
  pruneFeed(maxAgeMs: number): Promise<number> {
    return this.db.pruneFeed(new Date(this.now().getTime() - maxAgeMs).toISOString());
  }

  /** Deliveries given up on (see notifications.ts), oldest first; `page.last` is the id of the last one seen. */
  async deadLetters(endpoint: string | undefined, page: Page): Promise<PageOf<DeadLetter>> {
    const after = page.last === '' ? 0 : Number(page.last);
    if (!Number.isSafeInteger(after)) {
      throw new RegistryError('PAGINATION_INVALID', 'last must be the id of a dead letter from the previous page', { last: page.last });
    }
    const result = pageFrom(await this.db.deadLetters(endpoint, after, page.limit + 1), page.limit, (row) => String(row.id));
    return { items: result.items.map(deadLetter), next: result.next };
  }

  /** Queue dead letters again (of one endpoint, or all): they go out in feed order with what is pending. */
  async retryDeadLetters(endpoint: string | undefined): Promise<number> {
    const retried = await this.db.retryDeadLetters(endpoint, this.now().getTime());
    if (retried > 0) this.onChangeQueued();
    return retried;
  }

  /** Pending and dead deliveries by endpoint (metrics). */
  outboxCounts(): Promise<{ endpoint: string; state: DeliveryState; count: number }[]> {
    return this.db.outboxCounts();
  }

  /** One download of `version`'s archive: counted in memory, written by flushDownloads (see downloads.ts). */
  countDownload(version: VersionRecord): void {
    this.downloads.count(version);
  }

  /** Write the counted downloads in one transaction; the server calls it every few seconds and at shutdown. */
  flushDownloads(): Promise<number> {
    return this.downloads.flush();
  }

  /** The written download counts of a pack's versions (retention's protection window). */
  downloadsOfPack(name: string): Promise<DownloadRecord[]> {
    return this.db.downloadsOfPack(name);
  }

  /**
   * Resolve `{ref}`. A version's own number always means that version: a version string (as stored, then
   * normalised: `1.5` finds `1.5.0`) is looked up first, and a reference that reads as a version (what
   * pack.json's `version` accepts) is never looked up as a tag — so no tag, not even one stored before tags
   * named like another version were refused, can stand for a version number. Then tags, then digests.
   */
  async resolve(name: string, ref: string, reads: IndexQueries = this.db): Promise<ResolvedVersion> {
    assertPackName(name);
    const byVersion = await this.versionByReference(name, ref, reads);
    if (byVersion) return { record: byVersion, resolvedBy: 'version' };
    if (normalizePackVersion(ref) === null) {
      const byTag = await reads.versionByTag(name, ref);
      if (byTag) return { record: byTag, resolvedBy: 'tag' };
    }
    const byDigest = await this.versionByDigest(name, ref, reads);
    if (byDigest) return { record: byDigest, resolvedBy: 'digest' };
    throw notFound(name, ref);
  }

  /** A version by its string as stored (whatever it is) or by its normalised form. */
  private async versionByReference(name: string, ref: string, reads: IndexQueries = this.db): Promise<VersionRecord | undefined> {
    const byString = await reads.versionByString(name, ref);
    if (byString) return byString;
    const normalized = normalizePackVersion(ref);
    return normalized ? reads.versionByNormalized(name, normalized) : undefined;
  }

  /** A content digest first, then an archive digest (the ETag a client holds). */
  private async versionByDigest(name: string, ref: string, reads: IndexQueries = this.db): Promise<VersionRecord | undefined> {
    if (!isContentDigest(ref)) return undefined;
    return (await reads.versionByContentDigest(name, ref)) ?? (await reads.versionByArchiveDigest(name, ref));
  }

  /** `baseUrl` (`https://host[:port]`, from the HTTP layer) makes `logoUrl` absolute; without it there is none. */
  async getVersion(name: string, ref: string, baseUrl?: string): Promise<VersionDocument> {
    return this.db.snapshot(async (reads) => this.versionDocumentOf((await this.resolve(name, ref, reads)).record, baseUrl, reads));
  }

  private async versionDocumentOf(record: VersionRecord, baseUrl?: string, reads: IndexQueries = this.db): Promise<VersionDocument> {
    const document = versionDocument(record, await reads.tagsOfVersion(record.id), await reads.downloadsOf(record.pack, record.normalizedVersion));
    const logo = baseUrl === undefined ? undefined : logoUrl(baseUrl, record.pack, record.files);
    return logo === undefined ? document : { ...document, logoUrl: logo };
  }

  /** `baseUrl` as for getVersion: the pack's `logoUrl` is its highest version's logo. */
  async getPack(name: string, baseUrl?: string): Promise<PackDocument> {
    assertPackName(name);
    return this.db.snapshot((reads) => this.packDocumentOf(name, reads, baseUrl));
  }

  private async packDocumentOf(name: string, reads: IndexQueries, baseUrl?: string): Promise<PackDocument> {
    const pack = await reads.pack(name);
    if (!pack) throw new RegistryError('PACK_NOT_FOUND', `pack ${name} not found`, { name });
    const versions = await versionsInOrder(reads, name);
    const document = packDocument(pack, versions, await reads.tagsOfPack(name), await reads.downloadsOfPack(name));
    const latest = versions.find((version) => version.id === pack.latestVersionId);
    const logo = baseUrl === undefined || !latest ? undefined : logoUrl(baseUrl, name, latest.files);
    return logo === undefined ? document : { ...document, logoUrl: logo };
  }

  async catalog(page: Page): Promise<PageOf<string>> {
    return pageFrom(await this.db.catalogPage(page.last, page.limit + 1), page.limit, (name) => name);
  }

  /** `baseUrl` as for getVersion: each summary with a logo gets its `logoUrl` (one more query for the page). */
  async listPacks(filter: PackFilter, page: Page, baseUrl?: string): Promise<PageOf<PackSummary>> {
    const records = await this.db.packsPage(filter, page.last, page.limit + 1);
    const result = pageFrom(records, page.limit, (pack) => pack.name);
    const withLogo = await this.logoUrlsOf(result.items.map((pack) => pack.name), baseUrl, this.db);
    return { items: result.items.map((pack) => withLogo(pack.name, packSummary(pack))), next: result.next };
  }

  /** Adds `logoUrl` to a list page's documents: the latest versions' logos, read in one query. */
  private async logoUrlsOf(names: readonly string[], baseUrl: string | undefined, reads: IndexQueries): Promise<<T extends PackSummary>(name: string, document: T) => T> {
    if (baseUrl === undefined) return (_name, document) => document;
    const logos = new Map((await reads.latestFileOfPacks(names, LOGO_FILE.path)).map((logo) => [logo.pack, logo.sha256]));
    return (name, document) => {
      const sha256 = logos.get(name);
      const logo = sha256 === undefined ? undefined : logoUrl(baseUrl, name, [{ path: LOGO_FILE.path, sha256 }]);
      return logo === undefined ? document : { ...document, logoUrl: logo };
    };
  }

  /** The layers, cloud types, addon types and groups the pack list can be filtered by (the web UI's choices). */
  packFacets(): Promise<PackFacets> {
    return this.db.packFacets();
  }

  /**
   * `listPacks` with each pack's versions and tags, as getPack shows them: two queries for the whole page (its
   * packs' versions, then their tags), never one per pack.
   */
  async listPacksExpanded(filter: PackFilter, page: Page, baseUrl?: string): Promise<PageOf<ExpandedPackSummary>> {
    return this.db.snapshot((reads) => this.expandedPage(filter, page, reads, baseUrl));
  }

  private async expandedPage(filter: PackFilter, page: Page, reads: IndexQueries, baseUrl?: string): Promise<PageOf<ExpandedPackSummary>> {
    const records = await reads.packsPage(filter, page.last, page.limit + 1);
    const result = pageFrom(records, page.limit, (pack) => pack.name);
    const names = result.items.map((pack) => pack.name);
    const versions = groupByPack<VersionEntryRecord>(await reads.versionEntriesOfPacks(names));
    const tags = groupByPack<PackTagRecord>(await reads.tagsOfPacks(names));
    const downloads = groupByPack<DownloadRecord>(await reads.downloadsOfPacks(names));
    const withLogo = await this.logoUrlsOf(names, baseUrl, reads);
    const items = result.items.map((pack) => {
      const ordered = [...(versions.get(pack.name) ?? [])].sort((a, b) => comparePackVersions(a.normalizedVersion, b.normalizedVersion));
      return withLogo(pack.name, packDocument(pack, ordered, tags.get(pack.name) ?? [], downloads.get(pack.name) ?? []));
    });
    return { items, next: result.next };
  }

  /**
   * Resolve and open a version's archive. A force-push or delete may remove the blob between resolving and
   * opening; then the reference is resolved again, so the client gets the old or the new archive whole.
   */
  async openArchive(name: string, ref: string): Promise<ArchiveHandle> {
    for (let attempt = 1; ; attempt++) {
      const { record } = await this.resolve(name, ref);
      try {
        return { version: record, blob: await this.blobs.open(record.archiveDigest) };
      } catch (error) {
        if (!isBlobNotFound(error) || attempt >= 3) throw error;
      }
    }
  }

  /** One file of a version as the index lists it (path, size, sha256): nothing is opened or inflated. */
  async findFile(name: string, ref: string, path: string): Promise<{ version: VersionRecord; file: PackFile }> {
    const { record: version } = await this.resolve(name, ref);
    return { version, file: fileOf(version, path) };
  }

  /**
   * A file of any version of pack `name` by its SHA-256 (lower-case hex), from the index alone: the newest
   * version listing it, and its entry. `/v1/{name}/blobs/sha256:{hex}` (a pack's logo, content-addressed).
   */
  async findBlob(name: string, sha256: string): Promise<{ version: VersionRecord; file: PackFile }> {
    assertPackName(name);
    const version = SHA256_HEX.test(sha256) ? await this.db.versionWithFile(name, sha256) : undefined;
    const file = version?.files.find((candidate) => candidate.sha256 === sha256);
    if (!version || !file) {
      throw new RegistryError('BLOB_NOT_FOUND', `no version of pack ${name} has a file with SHA-256 ${sha256}`, { name, digest: `sha256:${sha256}` });
    }
    return { version, file };
  }

  /** One file of a version, streamed out of its archive; only paths the index lists are looked up. */
  async openFile(name: string, ref: string, path: string): Promise<{ stream: Readable; size: number; version: VersionRecord }> {
    const { version, blob } = await this.openArchive(name, ref);
    let file: PackFile;
    try {
      file = fileOf(version, path);
    } catch (error) {
      await blob.close();
      throw error;
    }
    const archive = blob.stream();
    const stream = await openArchiveEntry(archive, version.rootPrefix + path);
    if (!stream) {
      archive.destroy();
      throw new RegistryError('INTERNAL', `the archive of ${name}:${version.version} does not hold ${path}`, { name, path });
    }
    return { stream, size: file.size, version };
  }

  /**
   * Delete one version, named by its version string or a digest — never by a tag: a tag moves, and a
   * destructive call must not depend on where it points at that moment (`DELETE …/stable` would delete
   * whichever version `stable` meant a second ago). A tag is refused with VERSION_REQUIRED, naming the version.
   */
  async deleteVersion(name: string, ref: string, user: string): Promise<void> {
    this.assertWritable();
    assertPackName(name);
    const record = (await this.versionByReference(name, ref)) ?? (await this.versionByDigest(name, ref));
    if (!record) {
      const tag = normalizePackVersion(ref) === null ? await this.db.tag(name, ref) : undefined;
      if (tag) {
        throw new RegistryError(
          'VERSION_REQUIRED',
          `${ref} is a tag of ${name} (now pointing at version ${tag.version}); a version is deleted by its version or digest only: ` +
            `DELETE /v1/packs/${name}/${tag.version} deletes that version, DELETE /v1/packs/${name}/tags/${ref} deletes the tag`,
          { name, reference: ref, tag: ref, version: tag.version },
        );
      }
      throw notFound(name, ref);
    }
    await this.change(name, async (tx) => {
      await tx.deleteVersion(record.id);
      await tx.deleteDownloads(name, record.normalizedVersion);
      await this.recordEvent(tx, name, user, 'delete', { version: record.version, digest: record.contentDigest });
      await this.rebuildDerivedTags(tx, name);
      await this.refreshPack(tx, name);
    });
    // Document before blob: a crash in between leaves a blob nothing describes, which gc removes.
    const context = { pack: name, version: record.version };
    await this.afterCommit({ ...context, work: 'metadata document' }, () => this.removeVersionMetadata(name, record.normalizedVersion));
    await this.afterCommit({ ...context, work: 'blob removal' }, () => this.collectBlob(record.archiveDigest));
  }

  /**
   * Create or move the user tag `[group__]label` to whatever `reference` resolves to. Parent tags belong to
   * the server (409 TAG_AUTO); a label that reads as a version may only point at that version (TAG_INVALID,
   * see tagTargetProblem), so a version tag can be re-created but not moved to another version.
   */
  async setTag(name: string, tag: string, reference: string, user: string): Promise<{ tag: TagRecord; created: boolean }> {
    this.assertWritable();
    assertTagName(tag);
    if (isParentTag(tag)) throw tagAuto(name, tag);
    const { record } = await this.resolve(name, reference);
    const targetProblem = tagTargetProblem(tag, record);
    if (targetProblem) throw new RegistryError('TAG_INVALID', targetProblem, { name, tag, reference, version: record.version });
    const { previous, result } = await this.change(name, async (tx) => {
      const previous = await tx.tag(name, tag);
      await tx.setTag(name, tag, record.id, 'user');
      await this.recordEvent(tx, name, user, 'tag-add', { tag, version: record.version, digest: record.contentDigest });
      await this.rebuildDerivedTags(tx, name);
      return { previous, result: { tag: (await tx.tag(name, tag)) as TagRecord, created: previous === undefined } };
    });
    // Both versions' documents list their tags: the one the tag left and the one it now points at.
    if (previous && previous.versionId !== record.id) await this.persistAfterCommit(previous.versionId);
    await this.persistAfterCommit(record.id);
    return result;
  }

  /** Delete a user or version tag; parent tags re-link to what remains, or vanish. */
  async deleteTag(name: string, tag: string, user: string): Promise<void> {
    this.assertWritable();
    assertPackName(name);
    assertTagName(tag);
    if (isParentTag(tag)) throw tagAuto(name, tag);
    const removed = await this.change(name, async (tx) => {
      const existing = await tx.tag(name, tag);
      if (!existing) throw new RegistryError('TAG_NOT_FOUND', `pack ${name} has no tag ${tag}`, { name, tag });
      await tx.deleteTag(name, tag);
      await this.recordEvent(tx, name, user, 'tag-delete', { tag, version: existing.version });
      await this.rebuildDerivedTags(tx, name);
      return existing;
    });
    await this.persistAfterCommit(removed.versionId);
  }

  async listTags(name: string): Promise<readonly TagRecord[]> {
    assertPackName(name);
    if (!(await this.db.pack(name))) throw new RegistryError('PACK_NOT_FOUND', `pack ${name} not found`, { name });
    return this.db.tagsOfPack(name);
  }

  /**
   * Recompute a pack's parent tags from its other tags (see deriveParentTags). Call it inside the transaction
   * that changed the pack's tags or versions, so parent tags are never seen out of date.
   */
  async rebuildDerivedTags(tx: IndexQueries, name: string): Promise<void> {
    const sources = (await tx.tagsOfPack(name)).filter((tag) => tag.kind !== 'parent');
    await tx.deleteTagsOfKind(name, 'parent');
    const parents = deriveParentTags(sources.map((tag) => ({ tag: tag.tag, target: tag.versionId })));
    for (const [tag, versionId] of parents) await tx.setTag(name, tag, versionId, 'parent');
  }

  /** Who did what to a pack, newest first; `page.last` is the id of the last event already seen. */
  async history(name: string, page: Page): Promise<PageOf<HistoryEvent>> {
    assertPackName(name);
    const before = page.last === '' ? Number.MAX_SAFE_INTEGER : Number(page.last);
    if (!Number.isSafeInteger(before)) {
      throw new RegistryError('PAGINATION_INVALID', 'last must be the id of an event from the previous page', { last: page.last });
    }
    const events = await this.db.eventsPage(name, before, page.limit + 1);
    if (events.length === 0 && page.last === '' && !(await this.db.pack(name))) {
      throw new RegistryError('PACK_NOT_FOUND', `pack ${name} not found`, { name });
    }
    const result = pageFrom(events, page.limit, (event) => String(event.id));
    return { items: result.items.map(historyEvent), next: result.next };
  }

  /**
   * Write one version's metadata document from the index: call it after every committed change to the
   * version or its user tags (push, force push, tag added, moved or deleted).
   */
  async persistVersionMetadata(versionId: number): Promise<void> {
    const record = await this.db.versionById(versionId);
    if (record) await this.syncVersionMetadata(record.pack, record.normalizedVersion);
  }

  /** persistVersionMetadata for a change already committed: a failure is reported, not thrown (see onAfterCommitError). */
  private async persistAfterCommit(versionId: number): Promise<void> {
    const record = await this.db.versionById(versionId);
    if (!record) return;
    await this.afterCommit({ pack: record.pack, version: record.version, work: 'metadata document' }, () =>
      this.persistVersionMetadata(versionId),
    );
  }

  /**
   * Work that follows a committed change (or cleans up after a refused one). The change is in the index and is
   * answered as done whatever happens here — answering 500 for it would make a client retry what already
   * happened; a document that could not be written is written by the next start's backfill, a blob left
   * behind is removed by gc.
   */
  private async afterCommit(context: AfterCommitContext, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.onAfterCommitError(error, context);
    }
  }

  /** Remove a deleted version's metadata document (rewritten instead if the version is back by then). */
  async removeVersionMetadata(pack: string, normalizedVersion: string): Promise<void> {
    await this.syncVersionMetadata(pack, normalizedVersion);
  }

  private async syncVersionMetadata(pack: string, normalizedVersion: string): Promise<void> {
    if (!this.metadata) return;
    // The index is read when the write's turn comes, so racing changes end with the newest state on disk.
    await this.metadata.sync(pack, normalizedVersion, async () => {
      const record = await this.db.versionByNormalized(pack, normalizedVersion);
      if (!record) return null;
      return versionMetadata(record, await this.db.tagsOfVersion(record.id), await this.db.latestPushEvent(pack, record.version));
    });
  }

  /** After a reindex restored a pack's versions and tags (in the transaction `tx`): derive its parent tags and its summary. */
  async restoredPack(tx: IndexQueries, name: string): Promise<void> {
    await this.rebuildDerivedTags(tx, name);
    await this.refreshPack(tx, name);
  }

  /** Counts for the metrics. */
  statistics(): Promise<{ packs: number; versions: number; blobs: number; blobBytes: number }> {
    return this.db.statistics();
  }

  /** Remove a blob once no version references it and no push is about to. */
  private async collectBlob(digest: string): Promise<void> {
    if (this.replicas || this.pinnedBlobs.has(digest) || (await this.db.archiveReferenceCount(digest)) > 0) return;
    await this.blobs.delete(digest);
  }

  private pin(digest: string): void {
    this.pinnedBlobs.set(digest, (this.pinnedBlobs.get(digest) ?? 0) + 1);
  }

  private unpin(digest: string): void {
    const count = (this.pinnedBlobs.get(digest) ?? 1) - 1;
    if (count > 0) this.pinnedBlobs.set(digest, count);
    else this.pinnedBlobs.delete(digest);
  }

  async health(): Promise<HealthReport> {
    const checks: Record<string, string> = {};
    checks.storage = await outcome(() => this.blobs.check());
    checks.index = await outcome(() => this.db.ping());
    return { ok: Object.values(checks).every((state) => state === 'UP'), checks };
  }
}

/** The tag every push creates: `[group__]version`. `+build` metadata is not allowed in a tag, `_` replaces `+`. */
export function versionTag(version: string, group: string | null): string {
  return joinTag(version.replaceAll('+', '_'), group);
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

function fileOf(version: VersionRecord, path: string): PackFile {
  const file = version.files.find((candidate) => candidate.path === path);
  if (!file) {
    throw new RegistryError('FILE_NOT_FOUND', `pack ${version.pack}:${version.version} has no file ${path}`, { name: version.pack, path });
  }
  return file;
}

function assertPackName(name: string): void {
  if (!isValidPackName(name)) {
    throw new RegistryError('NAME_INVALID', `"${name}" is not a valid pack name`, { name });
  }
}

/**
 * Every version the registry takes must have a place for its metadata document (storage/layout.ts). The pack
 * rules guarantee it (names of 128 characters, versions of 128); checked again here, before anything is
 * written, so that a rule changed on one side alone refuses a push instead of committing one it cannot keep.
 */
function assertStorable(pack: InspectedPack): void {
  const { name, normalizedVersion } = pack.manifest;
  if (isStorableMetadataKey(name, normalizedVersion)) return;
  throw new RegistryError(
    'PACK_INVALID',
    `pack.json: ${name}:${normalizedVersion} cannot be stored: a pack name and a normalised version must each be at most ` +
      `${MAX_METADATA_SEGMENT_LENGTH} letters, digits, '.', '_', '+' or '-', starting with a letter or digit`,
    { rule: 'pack-json-field', path: 'pack.json:version' },
  );
}

function notFound(name: string, ref: string): RegistryError {
  return new RegistryError('PACK_NOT_FOUND', `pack ${name}:${ref} not found`, { name, reference: ref });
}

function assertTagName(tag: string): void {
  const problem = tagNameProblem(tag);
  if (problem) throw new RegistryError('TAG_INVALID', problem, { tag });
}

function tagAuto(name: string, tag: string): RegistryError {
  return new RegistryError(
    'TAG_AUTO',
    `${tag} is a parent tag of ${name}: the registry keeps it pointing at the newest matching version, it cannot be set or deleted`,
    { name, tag },
  );
}

function packInvalid(problems: PackProblem[]): RegistryError {
  const [first, ...rest] = problems.map((problem) => ({
    code: 'PACK_INVALID' as const,
    message: problem.message,
    detail: { rule: problem.rule, ...(problem.path ? { path: problem.path } : {}) },
  }));
  if (!first) return new RegistryError('PACK_INVALID', 'the pack archive is invalid');
  return new RegistryError(first.code, first.message, first.detail, rest);
}

/** A pack's versions in ascending semver precedence (pre-releases below their release). */
async function versionsInOrder(queries: IndexQueries, name: string): Promise<VersionRecord[]> {
  return (await queries.versionsOfPack(name)).sort((a, b) => comparePackVersions(a.normalizedVersion, b.normalizedVersion));
}

/** Rows of several packs, by pack, each pack's rows in the order given. */
function groupByPack<T extends { pack: string }>(rows: readonly T[]): Map<string, T[]> {
  const byPack = new Map<string, T[]>();
  for (const row of rows) {
    const list = byPack.get(row.pack);
    if (list) list.push(row);
    else byPack.set(row.pack, [row]);
  }
  return byPack;
}

function pageFrom<T>(rows: readonly T[], limit: number, keyOf: (row: T) => string): PageOf<T> {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  return { items, next: keyOf(items[items.length - 1] as T) };
}

function stringField(object: Record<string, unknown>, key: string): string | undefined {
  const value = object[key];
  return typeof value === 'string' ? value : undefined;
}

function stringArrayField(object: Record<string, unknown>, key: string): string[] {
  const value = object[key];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

async function outcome(check: () => Promise<void>): Promise<string> {
  try {
    await check();
    return 'UP';
  } catch (error) {
    return `DOWN: ${(error as Error).message}`;
  }
}
