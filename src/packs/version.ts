// Pack versions are semantic versions written the way real packs write them. Palette accepts `1.5`
// (two parts) and zero-padded date-like versions (`23.07.1`, `26.04.4`); strict semver refuses both, so
// every version is read through normalizePackVersion and ordered by its normalised form.
import semver from 'semver';

/**
 * The longest version accepted, as written. The same ceiling as a tag label (names.ts), so the tag a push
 * makes of a version is always a tag a user can address; its normalised form, at most two characters longer
 * (`1.5` → `1.5.0`), names the version's metadata document, well within a file name (storage/layout.ts).
 * Real versions are under 40 characters. Longer strings are refused before any regular expression runs.
 */
export const MAX_PACK_VERSION_LENGTH = 128;

const IDENTIFIERS = '[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*';
// Leading zeros are allowed in the numeric parts here and removed below. No leading `v`: Palette never
// writes one, and accepting it would make `v1.2.3` and `1.2.3` two spellings of one version (and one tag).
const PACK_VERSION = new RegExp(`^(\\d+)\\.(\\d+)(?:\\.(\\d+))?(?:-(${IDENTIFIERS}))?(?:\\+(${IDENTIFIERS}))?$`);

function withoutLeadingZeros(digits: string): string {
  return digits.replace(/^0+(?=\d)/, '');
}

/** Numeric pre-release identifiers follow the core's rule (`1.0.0-rc.01` → `1.0.0-rc.1`); others are kept. */
function normalizePrerelease(prerelease: string): string {
  return prerelease
    .split('.')
    .map((identifier) => (/^\d+$/.test(identifier) ? withoutLeadingZeros(identifier) : identifier))
    .join('.');
}

/**
 * The strict semver form of a pack version, or `null` when it is not one:
 * `1.5` → `1.5.0`, `23.07.1` → `23.7.1`, `0.30.0-5.5.2026` → itself, `1.0.0+build.7` → itself.
 * Refused: `latest`, `v-next`, `1`, `1.2.3.4`, `v1.2.3`, `''`, surrounding white space, numbers beyond
 * 2^53, more than MAX_PACK_VERSION_LENGTH characters. Build metadata is kept (it is part of what the author
 * wrote) even though it has no precedence.
 */
export function normalizePackVersion(version: string): string | null {
  if (version.length > MAX_PACK_VERSION_LENGTH) return null;
  const match = PACK_VERSION.exec(version);
  if (!match) return null;
  const [, major = '', minor = '', patch = '0', prerelease, build] = match;
  let normalized = [major, minor, patch].map(withoutLeadingZeros).join('.');
  if (prerelease !== undefined) normalized += `-${normalizePrerelease(prerelease)}`;
  if (build !== undefined) normalized += `+${build}`;
  // semver rejects what the pattern cannot see, e.g. numeric parts beyond Number.MAX_SAFE_INTEGER.
  return semver.valid(normalized) === null ? null : normalized;
}

export function isValidPackVersion(version: string): boolean {
  return normalizePackVersion(version) !== null;
}

/**
 * Orders two versions as written in pack.json by semver precedence of their normalised forms
 * (pre-releases below their release). Versions that differ only in build metadata are ordered by it
 * (semver.compareBuild) so that a sort is total; `23.07.1` and `23.7.1` compare equal. A version that does
 * not normalise sorts below every valid one (and by plain string order among its kind): a comparator
 * used in `Array.prototype.sort` must never throw.
 */
export function comparePackVersions(a: string, b: string): number {
  const left = normalizePackVersion(a);
  const right = normalizePackVersion(b);
  if (left === null || right === null) {
    if (left !== null) return 1;
    if (right !== null) return -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  return semver.compareBuild(left, right);
}
