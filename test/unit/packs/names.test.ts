import { describe, expect, it } from 'vitest';
import {
  PACK_NAME_PATTERN,
  isValidGroup,
  isValidPackName,
  isValidTagLabel,
  normalizeArchivePath,
} from '../../../src/packs/names.js';

describe('pack names', () => {
  it.each(['nginx', 'csi-trident', 'a', 'A1', 'kubernetes_aks', 'x.y', '0', 'a'.repeat(128)])('accepts %s', (name) => {
    expect(isValidPackName(name)).toBe(true);
  });

  it.each(['', '-a', '.a', '_a', 'a b', 'a/b', 'a:b', 'é', 'a'.repeat(129), 'a\n'])('refuses %j', (name) => {
    expect(isValidPackName(name)).toBe(false);
  });

  it('uses the pattern from the contract', () => {
    expect(PACK_NAME_PATTERN.source).toBe('^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$');
  });
});

describe('tag labels and groups', () => {
  it.each(['1.0.0', 'stable', '22.4.3', 'lts', 'x.x'])('accepts the label %s', (label) => {
    expect(isValidTagLabel(label)).toBe(true);
  });

  it.each(['lts__1.0.0', 'a__', 'tags', 'history', '', '-x', 'a b'])('refuses the label %j', (label) => {
    expect(isValidTagLabel(label)).toBe(false);
  });

  it('accepts the same words as groups as pack names', () => {
    expect(isValidGroup('LTS')).toBe(true);
    expect(isValidGroup('edge-1.x')).toBe(true);
    expect(isValidGroup(' ')).toBe(false);
    expect(isValidGroup('')).toBe(false);
  });
});

describe('normalizeArchivePath', () => {
  it.each([
    ['a/b', 'a/b'],
    ['./a', 'a'],
    ['a/', 'a'],
    ['./a//b/./c/', 'a/b/c'],
    ['./', ''],
    ['.', ''],
    ['/abs/x', '/abs/x'],
    ['a/../b', 'a/../b'],
  ])('%j becomes %j', (path, normalized) => {
    expect(normalizeArchivePath(path)).toBe(normalized);
  });
});
