// The JSON documents the API returns, built from index records. The shapes are the contract's
// (src/api/wire.ts); building them here, apart from the orchestration in registry.ts, keeps what an index
// record holds and what a client sees from drifting into each other.
import type { HistoryEvent, PackDocument, PackSummary, TagEntry, VersionDocument } from '../api/index.js';
import type { EventRecord, PackRecord, TagRecord, VersionEntryRecord, VersionRecord } from '../db/db.js';

export function versionDocument(record: VersionRecord, tags: readonly TagRecord[]): VersionDocument {
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
    files: record.files,
  };
}

/**
 * `versions` must already be in the order to show (ascending semver precedence). Also each entry of
 * `GET /v1/packs?expand=versions`, which is why a version's list fields are all it needs.
 */
export function packDocument(pack: PackRecord, versions: readonly VersionEntryRecord[], tags: readonly TagRecord[]): PackDocument {
  return {
    ...packSummary(pack),
    versions: versions.map((version) => ({
      version: version.version,
      digest: version.contentDigest,
      size: version.size,
      pushedAt: version.pushedAt,
      pushedBy: version.pushedBy,
    })),
    tags: tags.map(tagEntry),
  };
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
