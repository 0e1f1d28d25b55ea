import fc from 'fast-check';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { comparePackVersions, isValidPackVersion, normalizePackVersion } from '../../../src/packs/version.js';

describe('normalizePackVersion', () => {
  it.each([
    ['1.2.3', '1.2.3'],
    ['1.5', '1.5.0'],
    ['23.07.1', '23.7.1'],
    ['26.04.4', '26.4.4'],
    ['0.0.3', '0.0.3'],
    ['00.010.00', '0.10.0'],
    ['0.30.0-5.5.2026', '0.30.0-5.5.2026'],
    ['2.0.1-up.1', '2.0.1-up.1'],
    ['1.0.0-rc.01', '1.0.0-rc.1'],
    ['1.5-beta', '1.5.0-beta'],
    ['1.0.0+build.007', '1.0.0+build.007'],
    ['1.0.0-alpha-1+sha.5114f85', '1.0.0-alpha-1+sha.5114f85'],
  ])('reads %s as %s', (written, normalized) => {
    expect(normalizePackVersion(written)).toBe(normalized);
    expect(semver.valid(normalized)).not.toBeNull();
  });

  it.each([
    'latest',
    'v-next',
    '1',
    '1.2.3.4',
    '',
    'v1.2.3',
    ' 1.2.3',
    '1.2.3 ',
    '1..2',
    '1.2.3-',
    '1.2.3-a..b',
    '1.2.3+',
    '1.2.x',
    '99999999999999999999.0.0',
    '1.2.3-é',
    `1.2.3-${'a'.repeat(300)}`,
  ])('refuses %j', (written) => {
    expect(normalizePackVersion(written)).toBeNull();
    expect(isValidPackVersion(written)).toBe(false);
  });

  it('leaves every strict semver version as it is', () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.nat(10_000), fc.nat(10_000), (major, minor, patch) => {
        const version = `${major}.${minor}.${patch}`;
        expect(normalizePackVersion(version)).toBe(version);
      }),
    );
  });

  it('reads zero-padded parts as their numbers', () => {
    fc.assert(
      fc.property(fc.nat(999), fc.nat(999), fc.nat(999), fc.nat(3), (major, minor, patch, zeros) => {
        const pad = '0'.repeat(zeros);
        expect(normalizePackVersion(`${pad}${major}.${pad}${minor}.${pad}${patch}`)).toBe(`${major}.${minor}.${patch}`);
      }),
    );
  });
});

describe('comparePackVersions', () => {
  it('orders by semver precedence of the normalised form, pre-releases below their release', () => {
    const versions = ['1.10.0', '1.5', '23.07.1', '1.5.1', '1.5.0-rc.1', '0.30.0-5.5.2026', '0.30.0', '1.9.0', '2.0.1-up.1'];
    expect([...versions].sort(comparePackVersions)).toEqual([
      '0.30.0-5.5.2026',
      '0.30.0',
      '1.5.0-rc.1',
      '1.5',
      '1.5.1',
      '1.9.0',
      '1.10.0',
      '2.0.1-up.1',
      '23.07.1',
    ]);
  });

  it('treats two spellings of one version as equal', () => {
    expect(comparePackVersions('23.07.1', '23.7.1')).toBe(0);
    expect(comparePackVersions('1.5', '1.5.0')).toBe(0);
  });

  it('sorts versions that do not normalise below valid ones instead of throwing', () => {
    expect(['1.0.0', 'latest', '0.1.0'].sort(comparePackVersions)).toEqual(['latest', '0.1.0', '1.0.0']);
  });

  it('is antisymmetric', () => {
    const version = fc
      .tuple(fc.nat(20), fc.nat(20), fc.nat(20), fc.option(fc.constantFrom('rc.1', 'alpha', '5.5.2026'), { nil: undefined }))
      .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre === undefined ? '' : `-${pre}`}`);
    fc.assert(
      fc.property(version, version, (a, b) => {
        expect(Math.sign(comparePackVersions(a, b))).toBe(-Math.sign(comparePackVersions(b, a)));
      }),
    );
  });
});
