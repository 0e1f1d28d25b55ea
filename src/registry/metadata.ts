// The metadata document kept in storage for every pack version. The SQLite index is a cache of what the
// storage holds: blobs plus these documents are enough to rebuild it (`pack-registry reindex`).
import type { EventRecord, NewVersion, TagRecord, VersionRecord } from '../db/pack-index.js';
import type { PackFile } from '../packs/types.js';

export const METADATA_SCHEMA_VERSION = 1;

export interface VersionMetadata extends NewVersion {
  schemaVersion: typeof METADATA_SCHEMA_VERSION;
  /** Tags the push created that still point here (`[group__]version`). */
  versionTags: string[];
  /** Tags users pointed here. Parent tags are not stored: they are derived from these. */
  userTags: string[];
  /** The push (or force push) that wrote this content: becomes the version's history event on a reindex. */
  push: { action: 'push' | 'force-push'; at: string; user: string; digest: string | null; message: string | null };
}

/** The document for one version, from its index rows. */
export function versionMetadata(record: VersionRecord, tags: readonly TagRecord[], pushEvent: EventRecord | undefined): VersionMetadata {
  const { id: _id, ...fields } = record;
  return {
    schemaVersion: METADATA_SCHEMA_VERSION,
    ...fields,
    versionTags: tags.filter((tag) => tag.kind === 'version').map((tag) => tag.tag),
    userTags: tags.filter((tag) => tag.kind === 'user').map((tag) => tag.tag),
    push: {
      action: pushEvent?.action === 'force-push' ? 'force-push' : 'push',
      at: pushEvent?.at ?? record.pushedAt,
      user: pushEvent?.user ?? record.pushedBy,
      digest: pushEvent?.digest ?? record.contentDigest,
      message: pushEvent?.message ?? record.message,
    },
  };
}

export type ParsedMetadata = { ok: true; metadata: VersionMetadata } | { ok: false; problem: string };

/**
 * Check a document read back from storage before it goes into the index: a hand-edited or truncated file
 * is reported, not trusted.
 */
export function parseVersionMetadata(document: unknown): ParsedMetadata {
  if (!isObject(document)) return { ok: false, problem: 'not a JSON object' };
  if (document.schemaVersion !== METADATA_SCHEMA_VERSION) {
    return { ok: false, problem: `unknown schemaVersion ${JSON.stringify(document.schemaVersion)}` };
  }
  const problems: string[] = [];
  const text = (key: string) => {
    if (typeof document[key] !== 'string' || document[key] === '') problems.push(`${key} must be a non-empty string`);
  };
  const optionalText = (key: string) => {
    if (document[key] !== null && typeof document[key] !== 'string') problems.push(`${key} must be a string or null`);
  };
  const digest = (key: string) => {
    if (typeof document[key] !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(document[key])) problems.push(`${key} must be a sha256 digest`);
  };
  const textList = (key: string) => {
    const value = document[key];
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) problems.push(`${key} must be a list of strings`);
  };
  for (const key of ['pack', 'version', 'normalizedVersion', 'pushedAt', 'pushedBy']) text(key);
  for (const key of ['group', 'message']) optionalText(key);
  digest('contentDigest');
  digest('archiveDigest');
  if (typeof document.rootPrefix !== 'string') problems.push('rootPrefix must be a string');
  if (!Number.isSafeInteger(document.size) || (document.size as number) < 0) problems.push('size must be a whole number');
  if (!isObject(document.manifest)) problems.push('manifest must be an object');
  if (!Array.isArray(document.files) || !document.files.every(isPackFile)) problems.push('files must be a list of {path, size, sha256}');
  textList('versionTags');
  textList('userTags');
  const push = document.push;
  if (!isObject(push) || (push.action !== 'push' && push.action !== 'force-push') || typeof push.at !== 'string' || typeof push.user !== 'string') {
    problems.push('push must be {action, at, user, digest, message}');
  }
  // Absent from documents written before the registry read presets, schema and charts: null, as in the index.
  const details = document.details ?? null;
  if (details !== null && !isDetails(details)) problems.push('details must be {presets, schema, charts} or null');
  if (problems.length > 0) return { ok: false, problem: problems.join('; ') };
  return { ok: true, metadata: { ...document, details } as unknown as VersionMetadata };
}

function isTextOrNull(value: unknown): boolean {
  return value === null || typeof value === 'string';
}

function isDetails(value: unknown): boolean {
  if (!isObject(value) || !isTextOrNull(value.presets) || !isTextOrNull(value.schema) || !Array.isArray(value.charts)) return false;
  return value.charts.every(
    (chart) => isObject(chart) && typeof chart.path === 'string' && isTextOrNull(chart.name) && isTextOrNull(chart.version) && isTextOrNull(chart.appVersion),
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPackFile(value: unknown): value is PackFile {
  return isObject(value) && typeof value.path === 'string' && Number.isSafeInteger(value.size) && typeof value.sha256 === 'string';
}
