import { describe, expect, it } from 'vitest';
import { deriveParentTags, isParentTag, joinTag, parseTag, tagNameProblem } from '../../../src/packs/tags.js';

const derive = (tags: Record<string, string>) =>
  Object.fromEntries([...deriveParentTags(Object.entries(tags).map(([tag, target]) => ({ tag, target })))].sort());

describe('tag names', () => {
  it('splits a tag at its last separator into group and label', () => {
    expect(parseTag('lts__22.4.3')).toEqual({ group: 'lts', label: '22.4.3' });
    expect(parseTag('1.0.0')).toEqual({ label: '1.0.0' });
    expect(parseTag('a__b__1.0.0')).toEqual({ group: 'a__b', label: '1.0.0' });
    expect(joinTag('stable', 'lts')).toBe('lts__stable');
    expect(joinTag('stable')).toBe('stable');
  });

  it('refuses malformed labels and groups with a reason', () => {
    expect(tagNameProblem('stable')).toBeNull();
    expect(tagNameProblem('LTS__22.4.x')).toBeNull();
    expect(tagNameProblem('-bad')).toMatch(/not a valid tag label/);
    expect(tagNameProblem('has space')).toMatch(/not a valid tag label/);
    expect(tagNameProblem('history')).toMatch(/reserved/);
    expect(tagNameProblem('-g__stable')).toMatch(/not a valid tag group/);
    expect(tagNameProblem('__stable')).toMatch(/not a valid tag group/);
  });

  it('recognises parent tag names, with or without a group', () => {
    expect(isParentTag('1.x')).toBe(true);
    expect(isParentTag('1.28.x')).toBe(true);
    expect(isParentTag('LTS__22.4.x')).toBe(true);
    expect(isParentTag('1.28.0')).toBe(false);
    expect(isParentTag('x')).toBe(false);
    expect(isParentTag('stable')).toBe(false);
  });
});

describe('parent tags', () => {
  it('point X.x and X.Y.x at the highest version of each line, per group', () => {
    expect(
      derive({ '1.27.3': 'v1273', '1.28.0': 'v1280', '1.28.2': 'v1282', 'lts__1.26.9': 'lts1269', stable: 'v1273' }),
    ).toEqual({
      '1.27.x': 'v1273',
      '1.28.x': 'v1282',
      '1.x': 'v1282',
      'lts__1.26.x': 'lts1269',
      'lts__1.x': 'lts1269',
    });
  });

  it('read labels the way packs write versions: 23.07.1 belongs to 23.7.x, 1.5 to 1.5.x', () => {
    expect(derive({ '23.07.1': 'a', '1.5': 'b' })).toEqual({ '1.5.x': 'b', '1.x': 'b', '23.7.x': 'a', '23.x': 'a' });
  });

  it('rank every release above every pre-release, and use pre-releases only for a line without releases', () => {
    expect(derive({ '1.2.0': 'rel', '1.3.0-rc.1': 'rc', '2.0.0-beta.1': 'b1', '2.0.0-beta.2': 'b2' })).toEqual({
      '1.2.x': 'rel',
      '1.3.x': 'rc',
      '1.x': 'rel',
      '2.0.x': 'b2',
      '2.x': 'b2',
    });
  });

  it('do not depend on the order of the input', () => {
    const tags = [
      { tag: '1.5', target: 'short' },
      { tag: '1.5.0', target: 'long' },
    ];
    expect([...deriveParentTags(tags)]).toEqual([...deriveParentTags([...tags].reverse())]);
  });
});
