// The one home of the naming rules: pack names, tag labels, groups and paths inside a pack.
// The HTTP layer, the registry and packctl all call these, so a rule changes in exactly one place.

/**
 * A pack name, tag label or group: what may appear as one URL path segment without escaping, and (a pack
 * name) as one folder name in storage (storage/layout.ts): it starts with a letter or digit, so it is never
 * `.` or `..`, and `a..b` is an ordinary name.
 */
export const PACK_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * `tags` and `history` are path segments under `/v1/packs/{name}/`, so a tag with that label could never be
 * addressed. In any case: the HTTP routes match paths case-insensitively (Express's default), so `/TAGS` is
 * the tag list too.
 */
export const RESERVED_TAG_LABELS: ReadonlySet<string> = new Set(['tags', 'history']);

/** Separates a tag's group from its label (`lts__22.4.3`), which is why a label may never contain it. */
export const TAG_GROUP_SEPARATOR = '__';

export function isValidPackName(name: string): boolean {
  return PACK_NAME_PATTERN.test(name);
}

export function isValidTagLabel(label: string): boolean {
  return PACK_NAME_PATTERN.test(label) && !label.includes(TAG_GROUP_SEPARATOR) && !isReservedTagLabel(label);
}

/** `tags`, `History`, `TAGS`, …: see RESERVED_TAG_LABELS. */
export function isReservedTagLabel(label: string): boolean {
  return RESERVED_TAG_LABELS.has(label.toLowerCase());
}

export function isValidGroup(group: string): boolean {
  return PACK_NAME_PATTERN.test(group);
}

/**
 * The canonical form of a path inside an archive or a pack: `./a//b/` → `a/b`, `./` → `''`.
 * Empty and `.` segments carry no meaning for tar, so two spellings of one file must compare equal
 * (duplicate detection, the content digest, chart paths in pack.json). `..` and a leading `/` are
 * kept as they are — refusing them is the archive walk's job, not hiding them.
 */
export function normalizeArchivePath(path: string): string {
  const absolute = path.startsWith('/');
  const segments = path.split('/').filter((segment) => segment !== '' && segment !== '.');
  return (absolute ? '/' : '') + segments.join('/');
}
