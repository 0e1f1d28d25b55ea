import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { MAX_VALUES_YAML_BYTES, checkValuesYaml, nestingBound } from '../../../src/packs/values-yaml.js';
import { BILLION_LAUGHS_YAML, extraFixtureNames, fixtureFiles, fixtureNames } from '../../helpers/archives.js';

/** The values.yaml of every sample pack (the real packs' are checked by test/corpus). */
const sampleValues = async (folder: string): Promise<string> => (await fixtureFiles(folder)).get('values.yaml')?.toString('utf8') ?? '';
const SAMPLES = [...fixtureNames(), ...extraFixtureNames()];

const rules = (problems: { rule: string }[]): string[] => problems.map((p) => p.rule);


describe('checkValuesYaml', () => {
  it.each(SAMPLES)('accepts the values.yaml of %s', async (folder) => {
    expect(checkValuesYaml(await sampleValues(folder))).toEqual([]);
  });

  it.each([
    ['an empty file', ''],
    ['only comments', '# nothing to set\n'],
    ['several documents', 'a: 1\n---\nb: 2\n'],
    ['a document start marker', '---\npack:\n  namespace: x\n'],
    ['quoted templates', 'name: "{{ .Release.Name }}"\n'],
    ['an anchor reused 500 times', `base: &b {x: 1}\nitems:\n${'  - *b\n'.repeat(500)}`],
    ['a block scalar', 'script: |\n  echo [ {\n  done\n'],
  ])('accepts %s', (_what, text) => {
    expect(checkValuesYaml(text)).toEqual([]);
  });

  it.each([
    ['an unclosed flow sequence', 'a: [1, 2\nb: 3\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['tab indentation', 'a:\n\tb: 1\n'],
    ['an undefined alias', 'a: *nowhere\n'],
    ['an unterminated quote', 'a: "open\n'],
  ])('refuses %s', (_what, text) => {
    const problems = checkValuesYaml(text);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.path === 'values.yaml')).toBe(true);
  });

  it('refuses a billion-laughs document quickly', () => {
    const started = performance.now();
    expect(rules(checkValuesYaml(BILLION_LAUGHS_YAML))).toEqual(['values-yaml-aliases']);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('checks every document of a stream', () => {
    expect(rules(checkValuesYaml(`ok: 1\n---\n${BILLION_LAUGHS_YAML}`))).toEqual(['values-yaml-aliases']);
  });

  const manyLevels = [1_000, 2_000, 100_000];
  it.each([
    ['flow sequences', (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`, manyLevels],
    ['flow mappings', (n: number) => `${'{a: '.repeat(n)}1${'}'.repeat(n)}`, manyLevels],
    ['compact block sequences', (n: number) => `${'- '.repeat(n)}x`, manyLevels],
    // Each level is one more space of indentation, so the text grows with the square of the depth.
    ['indented mappings', (n: number) => Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1', [1_000, 2_000, 2_500]],
  ])('refuses deeply nested %s without crashing, however often', (_what, build, depths) => {
    // yaml catches its own stack overflow, but V8 may abort the process when it compiles a regular
    // expression at that moment; it did on the second deep document. Hence several rounds.
    const results = depths.map((depth) => rules(checkValuesYaml(build(depth))));
    expect(results).toEqual(depths.map(() => ['values-yaml-depth']));
  });

  it(`refuses more than ${MAX_VALUES_YAML_BYTES} bytes`, () => {
    expect(rules(checkValuesYaml(`a: "${'x'.repeat(MAX_VALUES_YAML_BYTES)}"\n`))).toEqual(['values-yaml-too-large']);
  });
});

describe('nestingBound', () => {
  it('is never below the real nesting', () => {
    const samples: [string, number][] = [
      ['a: 1', 1],
      ['a:\n  b:\n    c: 1', 3],
      ['a:\n- b: [1, {c: [2]}]', 5],
      ['- - - x', 3],
      ['a:\n  b: |\n    text\n  c:\n    d: 1', 3],
      ['? - a\n: - b', 2],
    ];
    for (const [text, depth] of samples) expect(nestingBound(text)).toBeGreaterThanOrEqual(depth);
  });

  it('is never below the real nesting of generated documents, in block and flow style', () => {
    const depthOf = (value: unknown): number =>
      typeof value === 'object' && value !== null ? 1 + Math.max(0, ...Object.values(value).map(depthOf)) : 0;
    const styles = [{}, { collectionStyle: 'flow' as const }, { indentSeq: false }, { indent: 1 }, { indent: 4, indentSeq: false }];
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), fc.constantFrom(...styles), (value, style) => {
        expect(nestingBound(stringify(value, style))).toBeGreaterThanOrEqual(depthOf(value));
      }),
      { numRuns: 300 },
    );
  });

  it('is small for the sample packs', async () => {
    for (const folder of SAMPLES) {
      expect(nestingBound(await sampleValues(folder)), folder).toBeLessThan(30);
    }
  });

  it('is not fooled by block scalars that reset the column', () => {
    const levels = 60;
    const text = Array.from({ length: levels }, (_, i) => `${' '.repeat(i)}s${i}: |\n${' '.repeat(i + 1)}x\n${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n';
    expect(nestingBound(text)).toBeGreaterThanOrEqual(levels);
  });
});
