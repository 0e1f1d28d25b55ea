// The JSON documents the API returns, built from index records. The shapes are the contract's
// (src/api/wire.ts); building them here, apart from the orchestration in registry.ts, keeps what an index
// record holds and what a client sees from drifting into each other.
import type { DownloadStatistics, HistoryEvent, PackDocument, PackSummary, TagEntry, VersionDocument } from '../api/index.js';
import type { DownloadRecord, EventRecord, PackRecord, TagRecord, VersionEntryRecord, VersionRecord } from '../db/pack-index.js';

export function versionDocument(record: VersionRecord, tags: readonly TagRecord[], downloads: DownloadRecord | undefined): VersionDocument {
  return {
    name: record.pack,
    version: record.version,
    tags: tags.map((tag) => tag.tag),
    digest: record.contentDigest,
    archiveDigest: record.archiveDigest,
    size: record.size,
    pushedAt: record.pushedAt,
    pushedBy: record.pushedBy,
    message: record.message,
    pack: record.manifest,
    ...versionFields(record),
    files: record.files,
    downloads: downloadStatistics(downloads),
  };
}

/** The fields Palette keeps per version, from pack.json and from what the push read (record.details). */
function versionFields(record: VersionRecord): Pick<
  VersionDocument,
  'displayName' | 'layer' | 'type' | 'group' | 'addonType' | 'addonSubType' | 'cloudTypes' | 'eol' | 'annotations' | 'kubeManifests' | 'charts' | 'presets' | 'schema'
> {
  const manifest = record.manifest;
  const text = (key: string): string | null => {
    const value = manifest[key];
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
  };
  const texts = (key: string): string[] => {
    const value = manifest[key];
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  };
  const annotations = manifest.annotations;
  const details = record.details;
  return {
    displayName: text('displayName') ?? record.pack,
    layer: text('layer') ?? '',
    type: text('type'),
    group: record.group,
    // As written, not trimmed: the list filters compare them exactly.
    addonType: text('addonType') === null ? null : (manifest.addonType as string),
    addonSubType: text('addonSubType') === null ? null : (manifest.addonSubType as string),
    cloudTypes: texts('cloudTypes'),
    eol: text('eol'),
    annotations: typeof annotations === 'object' && annotations !== null && !Array.isArray(annotations) ? (annotations as Record<string, unknown>) : {},
    kubeManifests: texts('kubeManifests'),
    charts: details?.charts ?? texts('charts').map((path) => ({ path, name: null, version: null, appVersion: null })),
    presets: details?.presets ?? null,
    schema: details?.schema ?? null,
  };
}

/**
 * `versions` must already be in the order to show (ascending semver precedence). Also each entry of
 * `GET /v1/packs?expand=versions`, which is why a version's list fields are all it needs.
 */
export function packDocument(
  pack: PackRecord,
  versions: readonly VersionEntryRecord[],
  tags: readonly TagRecord[],
  downloads: readonly DownloadRecord[],
): PackDocument {
  const byVersion = new Map(downloads.map((entry) => [entry.normalizedVersion, entry]));
  let count = 0;
  let lastPulledAt: string | null = null;
  for (const entry of downloads) {
    count += entry.count;
    if (lastPulledAt === null || entry.lastPulledAt > lastPulledAt) lastPulledAt = entry.lastPulledAt;
  }
  return {
    ...packSummary(pack),
    versions: versions.map((version) => ({
      version: version.version,
      digest: version.contentDigest,
      size: version.size,
      pushedAt: version.pushedAt,
      pushedBy: version.pushedBy,
      downloads: downloadStatistics(byVersion.get(version.normalizedVersion)),
    })),
    tags: tags.map(tagEntry),
    downloads: { count, lastPulledAt },
  };
}

export function downloadStatistics(record: DownloadRecord | undefined): DownloadStatistics {
  return record ? { count: record.count, lastPulledAt: record.lastPulledAt } : { count: 0, lastPulledAt: null };
}

export function packSummary(pack: PackRecord): PackSummary {
  return {
    name: pack.name,
    displayName: pack.displayName,
    layer: pack.layer,
    addonType: pack.addonType,
    cloudTypes: pack.cloudTypes,
    logo: pack.hasLogo,
    latestVersion: pack.latestVersion,
    updatedAt: pack.updatedAt,
  };
}

export function tagEntry(tag: TagRecord): TagEntry {
  return { tag: tag.tag, version: tag.version, auto: tag.kind === 'parent' };
}

/** Field by field, in the index's column order, so that a column added to the index is not published by accident. */
export function historyEvent(event: EventRecord): HistoryEvent {
  return {
    id: event.id,
    pack: event.pack,
    at: event.at,
    user: event.user,
    action: event.action,
    version: event.version,
    tag: event.tag,
    digest: event.digest,
    message: event.message,
  };
}

/** The file a pack's logo is (what `logo: true` means), and the type a browser is told it is. */
export const LOGO_FILE = { path: 'logo.png', contentType: 'image/png' } as const;

/**
 * Pack names the blob route `/v1/{name}/blobs/…` cannot address: `/v1/packs/blobs/sha256:…` is already
 * `GET /v1/packs/{name}/{ref}` (pack `blobs`, a digest reference), and `/v1/tokens/…` belongs to the token
 * routes. Compared in lower case, as express matches routes. Such a pack's documents carry no `logoUrl`.
 */
export const NAMES_WITHOUT_BLOB_ROUTE: ReadonlySet<string> = new Set(['packs', 'tokens']);

export function hasBlobRoute(name: string): boolean {
  return !NAMES_WITHOUT_BLOB_ROUTE.has(name.toLowerCase());
}

/**
 * `<baseUrl>/v1/{name}/blobs/sha256:<hex>?type=image/png` for a version whose files hold the logo, as
 * Spectro Cloud's registries address logos; undefined without one. `baseUrl` comes from the HTTP layer.
 */
export function logoUrl(baseUrl: string, name: string, files: readonly { path: string; sha256: string }[]): string | undefined {
  if (!hasBlobRoute(name)) return undefined;
  const logo = files.find((file) => file.path === LOGO_FILE.path);
  if (!logo) return undefined;
  return `${baseUrl}/v1/${encodeURIComponent(name)}/blobs/sha256:${logo.sha256}?type=${LOGO_FILE.contentType}`;
}
