// The pack rules (packs/names.ts, packs/version.ts) and the storage layout (storage/layout.ts) agree: every
// name and version the rules accept names a metadata document that can be written, so a push can never be
// committed to the index without a place for its document. (A name with `..` and a version of 251 characters
// used to pass the rules and fail the layout: the index committed, the client got 500, and a reindex lost them.)
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidPackName, PACK_NAME_PATTERN } from '../../src/packs/names.js';
import { validateManifest } from '../../src/packs/pack-json.js';
import { tagNameProblem } from '../../src/packs/tags.js';
import { MAX_PACK_VERSION_LENGTH, normalizePackVersion } from '../../src/packs/version.js';
import { isStorableMetadataKey, isStorableSegment, MAX_METADATA_SEGMENT_LENGTH, metadataKey } from '../../src/storage/layout.js';
import { versionTag } from '../../src/registry/registry.js';
import { groupArbitrary, packNameArbitrary, packVersionArbitrary } from '../helpers/name-arbitraries.js';

const MANIFEST = { displayName: 'X', layer: 'addon' };

describe('names and versions the rules accept can be stored', () => {
  it('every valid pack name is a storable folder name', () => {
    fc.assert(
      fc.property(fc.oneof(packNameArbitrary, fc.stringMatching(PACK_NAME_PATTERN)), (name) => {
        if (!isValidPackName(name)) return;
        expect(isStorableSegment(name)).toBe(true);
        expect(() => metadataKey(name, '1.0.0')).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });

  it('every accepted version has a normalised form that is a storable file name, and a version tag a user can address', () => {
    fc.assert(
      fc.property(packVersionArbitrary, groupArbitrary, (version, group) => {
        const normalized = normalizePackVersion(version);
        const { manifest } = validateManifest({ ...MANIFEST, name: 'p', version, ...(group ? { group } : {}) });
        expect(manifest !== undefined, version).toBe(normalized !== null);
        if (normalized === null) {
          return;
        }
        expect(version.length).toBeLessThanOrEqual(MAX_PACK_VERSION_LENGTH);
        expect(normalized.length).toBeLessThanOrEqual(version.length + 2);
        expect(isStorableMetadataKey('p', normalized)).toBe(true);
        expect(Buffer.byteLength(`${normalized}.json`)).toBeLessThanOrEqual(255);
        expect(() => metadataKey('p', normalized)).not.toThrow();
        // The tag a push makes ([group__]version, `+` as `_`) is one PUT and DELETE accept.
        expect(tagNameProblem(versionTag(version, manifest?.group ?? null))).toBeNull();
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    ['a name with two dots in a row', 'a..b'],
    ['a name of 128 characters', `a${'.-'.repeat(63)}b`],
  ])('stores %s', (_what, name) => {
    expect(isValidPackName(name)).toBe(true);
    expect(metadataKey(name, '1.0.0')).toBe(`metadata/${name}/1.0.0.json`);
  });

  it(`refuses a version of more than ${MAX_PACK_VERSION_LENGTH} characters in pack.json, saying so`, () => {
    const version = `1.0.0-${'a'.repeat(MAX_PACK_VERSION_LENGTH - 5)}`;
    const { problems } = validateManifest({ ...MANIFEST, name: 'p', version });
    expect(problems).toEqual([
      expect.objectContaining({ rule: 'pack-json-field', path: 'pack.json:version', message: expect.stringContaining(`at most ${MAX_PACK_VERSION_LENGTH} are allowed`) }),
    ]);
    expect(normalizePackVersion(version.slice(0, MAX_PACK_VERSION_LENGTH))).not.toBeNull();
  });

  it.each(['..', '.', '', '.hidden', 'a/b', '../x', 'x'.repeat(MAX_METADATA_SEGMENT_LENGTH + 1), 'a\u0000b', 'é'])(
    'keeps %j out of a metadata path',
    (segment) => {
      expect(isStorableSegment(segment)).toBe(false);
      expect(() => metadataKey('p', segment)).toThrow(/not usable in a metadata path/);
      expect(() => metadataKey(segment, '1.0.0')).toThrow(/not usable in a metadata path/);
    },
  );
});
