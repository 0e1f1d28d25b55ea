// Tags as Palette shows them: `[group__]label`. Parent tags (`[G__]X.x`, `[G__]X.Y.x`) are derived here, in
// one pure function, from the semver-labelled tags of a pack; the index stores the result and recomputes it
// after every change to a pack's tags or versions.
import { isValidGroup, isValidTagLabel, TAG_GROUP_SEPARATOR } from './names.js';
import { comparePackVersions, normalizePackVersion } from './version.js';

export interface TagName {
  group?: string;
  label: string;
}

/** A tag a parent tag can be derived from: its name and the version it points at. */
export interface TagPointer<V> {
  tag: string;
  target: V;
}

/** `X.x` and `X.Y.x` labels belong to the server: a user tag with such a label would shadow a parent tag. */
const PARENT_LABEL = /^\d+\.(?:\d+\.)?x$/;

/**
 * Split a tag at its LAST separator: a label never contains `__`, so everything before it is the group
 * (`lts__22.4.3` → group `lts`, label `22.4.3`).
 */
export function parseTag(tag: string): TagName {
  const at = tag.lastIndexOf(TAG_GROUP_SEPARATOR);
  if (at < 0) return { label: tag };
  return { group: tag.slice(0, at), label: tag.slice(at + TAG_GROUP_SEPARATOR.length) };
}

export function joinTag(label: string, group?: string | null): string {
  return group ? `${group}${TAG_GROUP_SEPARATOR}${label}` : label;
}

/** Why a tag name cannot be used, or null when it can. */
export function tagNameProblem(tag: string): string | null {
  const { group, label } = parseTag(tag);
  if (group !== undefined && !isValidGroup(group)) {
    return `"${group}" is not a valid tag group: use letters, digits, ".", "_" and "-", starting with a letter or digit`;
  }
  if (!isValidTagLabel(label)) {
    return `"${label}" is not a valid tag label: use letters, digits, ".", "_" and "-" (no "__"), starting with a letter or digit, at most 128 characters; "tags" and "history" are reserved, in any case`;
  }
  return null;
}

export function isParentTag(tag: string): boolean {
  return PARENT_LABEL.test(parseTag(tag).label);
}

/**
 * The normalised version a tag label reads as, or null: the label read the way pack.json versions are
 * (`2.0.0`, `2.0` → `2.0.0`, `23.07.1` → `23.7.1`, `1.0.0-rc.1`) — exactly the references the registry
 * resolves as version numbers — or the spelling a push gives a version with build metadata (`1.0.0_build.7`
 * for `1.0.0+build.7`, see the registry's versionTag). `v2.0.0`, `1.28.x`, `stable` read as no version.
 */
export function versionOfTagLabel(label: string): string | null {
  return normalizePackVersion(label) ?? (label.includes('_') ? normalizePackVersion(label.replace('_', '+')) : null);
}

/**
 * Why `tag` may not point at the version normalised as `target`, or null when it may. A label that reads as a
 * version may only point at that version: `2.0.0 → 1.0.0` would make "2.0.0" mean 1.0.0 in every list and
 * for every client that takes a tag for the version it names, and its parent tags (`2.x`) would follow it.
 * Re-creating a version's own tag (`1.28.2 → 1.28.2`, `lts__1.26.4 → 1.26.4`) is fine.
 */
export function tagTargetProblem(tag: string, target: { version: string; normalizedVersion: string }): string | null {
  const { label } = parseTag(tag);
  const named = versionOfTagLabel(label);
  if (named === null || named === target.normalizedVersion) return null;
  return (
    `"${label}" reads as version ${named}, so the tag ${tag} may only point at that version, not at ${target.version}: ` +
    'a version number always means its own version; choose a label that is not a version (such as "stable" or "v2-candidate")'
  );
}

/**
 * For every tag whose label is a version (`[G__]X.Y.Z`, read as packs write versions, so `23.07.1` counts as
 * `23.7.1`), the parent tags `[G__]X.x` and `[G__]X.Y.x` point at the target of the highest-ranked tag of the
 * same group and line. Rank: any release outranks every pre-release ("pre-releases lowest": `1.x` must not move
 * to `1.3.0-rc.1` while `1.2.0` is the newest release), then semver precedence; a line with only pre-releases
 * points at its highest pre-release. Ties between spellings of one version (`1.5`, `1.5.0`) go to the tag that
 * sorts last by name, so the result never depends on input order.
 */
export function deriveParentTags<V>(tags: readonly TagPointer<V>[]): Map<string, V> {
  const best = new Map<string, { label: string; tag: string; target: V }>();
  for (const { tag, target } of tags) {
    const { group, label } = parseTag(tag);
    const normalized = normalizePackVersion(label);
    if (normalized === null) continue;
    const [major, minor] = normalized.split('.');
    for (const parent of [joinTag(`${major}.x`, group), joinTag(`${major}.${minor}.x`, group)]) {
      const current = best.get(parent);
      if (!current || outranks({ label, tag }, current)) best.set(parent, { label, tag, target });
    }
  }
  return new Map([...best].map(([parent, { target }]) => [parent, target]));
}

function outranks(candidate: { label: string; tag: string }, current: { label: string; tag: string }): boolean {
  const candidateIsRelease = !isPrerelease(candidate.label);
  if (candidateIsRelease !== !isPrerelease(current.label)) return candidateIsRelease;
  const order = comparePackVersions(candidate.label, current.label);
  return order > 0 || (order === 0 && candidate.tag > current.tag);
}

function isPrerelease(label: string): boolean {
  return (normalizePackVersion(label) ?? '').split('+')[0]!.includes('-');
}
