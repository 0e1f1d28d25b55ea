// `NAME`, `NAME:TAG` and `NAME@sha256:...`, the way Docker spells image references. A TAG may also be a
// version as written (`1.5`, `0.30.0-5.5.2026`): the registry resolves tags first, then versions.
import { isContentDigest, isValidPackName } from '../packs/index.js';
import { usageError } from './errors.js';

export interface PackReference {
  name: string;
  /** The tag, version or digest; undefined for a bare NAME. */
  ref?: string;
}

export function parsePackReference(input: string, what = 'NAME[:TAG|@DIGEST]'): PackReference {
  const at = input.indexOf('@');
  const colon = input.indexOf(':');
  let name = input;
  let ref: string | undefined;
  if (at >= 0) {
    name = input.slice(0, at);
    ref = input.slice(at + 1);
    if (!isContentDigest(ref)) {
      throw usageError(`"${input}": a digest is sha256: followed by 64 lower-case hex digits (expected ${what})`);
    }
  } else if (colon >= 0) {
    name = input.slice(0, colon);
    ref = input.slice(colon + 1);
    if (ref === '' || /[\s/\\?#]/.test(ref)) throw usageError(`"${input}": "${ref}" is not a tag or version (expected ${what})`);
  }
  if (!isValidPackName(name)) throw usageError(`"${name}" is not a valid pack name (expected ${what})`);
  return ref === undefined ? { name } : { name, ref };
}

/** NAME:TAG or NAME@DIGEST, for commands that need a version to act on. */
export function parseVersionReference(input: string, what: string): Required<PackReference> {
  const parsed = parsePackReference(input, what);
  if (parsed.ref === undefined) throw usageError(`"${input}" names no tag or version (expected ${what})`);
  return { name: parsed.name, ref: parsed.ref };
}
