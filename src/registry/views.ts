// The JSON documents the API returns, built from index records. Kept apart from the orchestration in
// registry.ts so that the shapes of the contract are visible in one place.
import type { PackRecord, TagRecord, VersionRecord } from '../db/db.js';
import type { PackFile } from '../packs/types.js';

export interface VersionDocument {
  name: string;
  version: string;
  tags: string[];
  digest: string;
  archiveDigest: string;
  size: number;
  pushedAt: string;
  pushedBy: string;
  message: string | null;
  pack: Record<string, unknown>;
  files: PackFile[];
}

export interface PackSummary {
  name: string;
  displayName: string;
  layer: string;
  addonType: string | null;
  cloudTypes: string[];
  logo: boolean;
  latestVersion: string;
  updatedAt: string;
}

/** The summary plus every version and tag. */
export interface PackDocument extends PackSummary {
  versions: { version: string; digest: string; size: number; pushedAt: string; pushedBy: string }[];
  tags: { tag: string; version: string; auto: boolean }[];
}

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

/** `versions` must already be in the order to show (ascending semver precedence). */
export function packDocument(pack: PackRecord, versions: VersionRecord[], tags: readonly TagRecord[]): PackDocument {
  return {
    ...packSummary(pack),
    versions: versions.map((version) => ({
      version: version.version,
      digest: version.contentDigest,
      size: version.size,
      pushedAt: version.pushedAt,
      pushedBy: version.pushedBy,
    })),
    tags: tags.map((tag) => ({ tag: tag.tag, version: tag.version, auto: tag.kind === 'parent' })),
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
