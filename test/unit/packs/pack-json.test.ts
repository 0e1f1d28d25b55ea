import { describe, expect, it } from 'vitest';
import { MAX_PACK_JSON_BYTES, parsePackJson, validateManifest } from '../../../src/packs/pack-json.js';
import { extraFixtureNames, fixtureFiles, fixtureNames } from '../../helpers/archives.js';

const valid = { name: 'nginx', displayName: 'Nginx', version: '1.2.3', layer: 'addon' };
const rules = (result: { problems: { rule: string }[] }): string[] => result.problems.map((p) => p.rule);
const paths = (result: { problems: { path?: string }[] }): (string | undefined)[] => result.problems.map((p) => p.path);

describe('parsePackJson on the sample packs (the real ones: test/corpus)', () => {
  it.each([...fixtureNames(), ...extraFixtureNames()])('accepts the pack.json of %s, its charts and manifests present', async (folder) => {
    const files = await fixtureFiles(folder);
    const result = parsePackJson(files.get('pack.json')?.toString('utf8') ?? '', new Set(files.keys()));
    expect(result.problems).toEqual([]);
    expect(result.manifest).toBeDefined();
  });
});

describe('parsePackJson', () => {
  it('keeps the version as written next to its normalised form', () => {
    const { manifest } = parsePackJson(JSON.stringify({ ...valid, version: '23.07.1' }));
    expect(manifest?.version).toBe('23.07.1');
    expect(manifest?.normalizedVersion).toBe('23.7.1');
  });

  it('keeps unknown keys in raw', () => {
    const raw = { ...valid, annotations: { source: 'community' }, eol: ' ', constraints: { dependencies: [] } };
    expect(parsePackJson(JSON.stringify(raw)).manifest?.raw).toEqual(raw);
  });

  it('accepts a UTF-8 byte-order mark', () => {
    expect(parsePackJson(`\uFEFF${JSON.stringify(valid)}`).problems).toEqual([]);
  });

  it('refuses text that is not JSON', () => {
    expect(rules(parsePackJson('{"name": '))).toEqual(['pack-json-syntax']);
  });

  it.each([['[]'], ['null'], ['"nginx"'], ['42'], ['true']])('refuses %s, which is not an object', (text) => {
    const result = parsePackJson(text);
    expect(rules(result)).toEqual(['pack-json-type']);
    expect(result.manifest).toBeUndefined();
  });

  it(`refuses more than ${MAX_PACK_JSON_BYTES} bytes`, () => {
    const text = JSON.stringify({ ...valid, padding: 'x'.repeat(MAX_PACK_JSON_BYTES) });
    expect(rules(parsePackJson(text))).toEqual(['pack-json-too-large']);
  });

  it('turns 100 000 nested arrays into a problem, never a crash', () => {
    const deep = `{"name": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const result = parsePackJson(deep);
    expect(rules(result)).toContain('pack-json-depth');
  });

  it('checks chart and manifest paths against the files when given', () => {
    const text = JSON.stringify({ ...valid, charts: ['charts/a.tgz', './charts/b.tgz', 'charts/missing.tgz'], kubeManifests: ['m.yaml'] });
    const result = parsePackJson(text, new Set(['charts/a.tgz', 'charts/b.tgz']));
    expect(rules(result)).toEqual(['pack-json-missing-file', 'pack-json-missing-file']);
    expect(paths(result)).toEqual(['pack.json:kubeManifests[0]', 'pack.json:charts[2]']);
    expect(parsePackJson(text).problems).toEqual([]);
  });
});

describe('validateManifest', () => {
  it('reports every problem, one per field', () => {
    const result = validateManifest(
      { name: '-bad', displayName: '', version: 'latest', layer: 'database', cloudTypes: 'all', charts: ['a', 7], group: 3, addonType: [] },
      new Set(),
    );
    expect(paths(result)).toEqual([
      'pack.json:name',
      'pack.json:displayName',
      'pack.json:version',
      'pack.json:layer',
      'pack.json:group',
      'pack.json:addonType',
      'pack.json:cloudTypes',
      'pack.json:charts[1]',
      'pack.json:charts[0]',
    ]);
    expect(result.manifest).toBeUndefined();
  });

  it('names each missing required field', () => {
    expect(paths(validateManifest({}, new Set()))).toEqual([
      'pack.json:name',
      'pack.json:displayName',
      'pack.json:version',
      'pack.json:layer',
    ]);
  });

  it('refuses the version latest', () => {
    const result = validateManifest({ ...valid, version: 'latest' }, new Set());
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]?.message).toContain('"latest"');
    expect(result.problems[0]?.path).toBe('pack.json:version');
  });

  it('refuses a version that is a JSON number', () => {
    expect(paths(validateManifest({ ...valid, version: 1.5 }, new Set()))).toEqual(['pack.json:version']);
  });

  it('refuses a layer outside the list', () => {
    expect(rules(validateManifest({ ...valid, layer: 'Addon' }, new Set()))).toEqual(['pack-json-field']);
  });

  it.each([
    [undefined, undefined],
    [null, undefined],
    ['', undefined],
    [' ', undefined],
    ['\t \n', undefined],
    [' lts ', 'lts'],
    ['LTS', 'LTS'],
  ])('reads the group %j as %j', (group, expected) => {
    const { manifest, problems } = validateManifest({ ...valid, group }, new Set());
    expect(problems).toEqual([]);
    expect(manifest?.group).toBe(expected);
    expect(manifest !== undefined && 'group' in manifest).toBe(expected !== undefined);
  });

  it('refuses a group that could not be part of a tag', () => {
    expect(paths(validateManifest({ ...valid, group: 'my group' }, new Set()))).toEqual(['pack.json:group']);
  });

  it('reads absent or null lists as empty lists', () => {
    const { manifest } = validateManifest({ ...valid, cloudTypes: null }, new Set());
    expect(manifest).toMatchObject({ cloudTypes: [], kubeManifests: [], charts: [] });
  });

  it('accepts any cloud type (there is no fixed list)', () => {
    expect(validateManifest({ ...valid, cloudTypes: ['custom', 'edge-native'] }, new Set()).manifest?.cloudTypes).toEqual([
      'custom',
      'edge-native',
    ]);
  });

  it('refuses nesting deeper than the limit when given an object directly', () => {
    let deep: unknown = 'leaf';
    for (let level = 0; level < 1000; level++) deep = [deep];
    expect(rules(validateManifest({ ...valid, annotations: deep }, new Set()))).toEqual(['pack-json-depth']);
  });
});
