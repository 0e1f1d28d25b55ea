import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { comparePaths, computeContentDigest, isContentDigest, sortFilesByPath } from '../../../src/packs/digest.js';
import type { PackFile } from '../../../src/packs/types.js';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('computeContentDigest', () => {
  const files: PackFile[] = [
    { path: 'values.yaml', size: 3, sha256: sha('a: ') },
    { path: 'pack.json', size: 2, sha256: sha('{}') },
    { path: 'charts/x.tgz', size: 1, sha256: sha('x') },
  ];

  it('hashes one line per file, path\\0size\\0sha256, in path order', () => {
    const lines = `charts/x.tgz\u00001\u0000${sha('x')}\npack.json\u00002\u0000${sha('{}')}\nvalues.yaml\u00003\u0000${sha('a: ')}\n`;
    expect(computeContentDigest(files)).toBe(`sha256:${sha(lines)}`);
  });

  it('does not depend on the order of the list', () => {
    expect(computeContentDigest([...files].reverse())).toBe(computeContentDigest(files));
  });

  it('changes when a size or a file hash changes', () => {
    const digest = computeContentDigest(files);
    expect(computeContentDigest(files.map((f, i) => (i === 0 ? { ...f, size: 4 } : f)))).not.toBe(digest);
    expect(computeContentDigest(files.map((f, i) => (i === 0 ? { ...f, sha256: sha('b: ') } : f)))).not.toBe(digest);
  });

  it('produces a content digest', () => {
    expect(isContentDigest(computeContentDigest(files))).toBe(true);
    expect(isContentDigest(computeContentDigest([]))).toBe(true);
  });
});

describe('path order', () => {
  it('is UTF-8 byte order, not UTF-16 code unit order', () => {
    const bmp = '\uff5e.txt'; // UTF-8 EF BD 9E
    const astral = '\u{1f600}.txt'; // UTF-8 F0 9F 98 80, but UTF-16 D83D … sorts before FF5E
    expect(astral < bmp).toBe(true);
    expect(comparePaths(bmp, astral)).toBeLessThan(0);
    expect(sortFilesByPath([{ path: astral }, { path: bmp }, { path: 'a' }]).map((f) => f.path)).toEqual(['a', bmp, astral]);
  });
});

describe('isContentDigest', () => {
  it.each([
    [`sha256:${'a'.repeat(64)}`, true],
    [`sha256:${'A'.repeat(64)}`, false],
    [`sha256:${'a'.repeat(63)}`, false],
    [`sha512:${'a'.repeat(64)}`, false],
    ['a'.repeat(64), false],
    [`sha256:${'a'.repeat(64)}\n`, false],
  ])('%j → %s', (value, expected) => {
    expect(isContentDigest(value)).toBe(expected);
  });
});
