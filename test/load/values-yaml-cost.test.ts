// What checking values.yaml may cost. The `yaml` library's duplicate-key check and its toJS() are quadratic
// (a 0.9 MB mapping of 100 000 keys froze the server for minutes, /health and SIGTERM included), so
// values-yaml.ts checks in linear time, and values-yaml-thread.ts runs it off the event loop. Timings are
// compared with an ordinary values.yaml of the same size, measured in the same test, so a slow or busy machine
// changes both sides alike; the bound is loose enough for noise and far below what quadratic work costs.
import fc from 'fast-check';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_VALUES_YAML_BYTES, MAX_VALUES_YAML_NODES, checkValuesYaml } from '../../src/packs/values-yaml.js';
import { checkValuesYamlOffThread } from '../../src/packs/values-yaml-thread.js';
import { HOSTILE_SHAPES, ORDINARY_SHAPE, buildYaml } from '../helpers/hostile-yaml.js';

const SIZE = 256 * 1024;
/** How many times an ordinary file's time a hostile one may take. Quadratic work took 10 to 30 times at this size. */
const K = 6;

/** The fastest of `runs` timings of `work`, in ms: the least disturbed by the rest of the machine. */
function fastest(work: () => unknown, runs = 2): number {
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    work();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

let baselineMs: number;
beforeAll(() => {
  const ordinary = buildYaml(ORDINARY_SHAPE, SIZE);
  expect(checkValuesYaml(ordinary)).toEqual([]);
  baselineMs = fastest(() => checkValuesYaml(ordinary));
});

describe('the cost of checking a values.yaml', () => {
  it.each(HOSTILE_SHAPES.map((shape) => [shape.name, shape] as const))(
    'checks %s in linear time: within K times an ordinary file of the same size',
    (_name, shape) => {
      const text = buildYaml(shape, SIZE);
      // Within the limits: the check has to read it all, it cannot refuse it for its size (accepted below).
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_VALUES_YAML_BYTES);
      // One timed run, which is also the check that the file is accepted: each run of a shape costs a second or two.
      const started = performance.now();
      expect(checkValuesYaml(text)).toEqual([]);
      const hostileMs = performance.now() - started;
      expect(hostileMs, `${hostileMs.toFixed(0)} ms against ${baselineMs.toFixed(0)} ms for an ordinary file`).toBeLessThan(
        K * Math.max(baselineMs, 20),
      );
    },
  );

  it('refuses 20 000 duplicate keys as fast as it reads 20 000 distinct ones, reporting only the first 20', () => {
    const distinct = Array.from({ length: 20_000 }, (_, i) => `k${i}: 1`).join('\n');
    const duplicates = Array.from({ length: 20_000 }, (_, i) => `k${i % 2}: 1`).join('\n');
    const problems = checkValuesYaml(duplicates);
    expect(problems).toHaveLength(20);
    expect(problems[0]?.message).toBe('values.yaml: not valid YAML: Map keys must be unique: "k0" is repeated at line 3, column 1');
    expect(problems[19]?.message).toMatch(/and 19979 more problems/);
    expect(fastest(() => checkValuesYaml(duplicates))).toBeLessThan(K * Math.max(fastest(() => checkValuesYaml(distinct)), 20));
  });

  it('refuses more nodes than MAX_VALUES_YAML_NODES before composing any of them', () => {
    const text = `list: [${'1,'.repeat(MAX_VALUES_YAML_NODES)}1]\n`;
    const ordinary = buildYaml(ORDINARY_SHAPE, text.length);
    expect(checkValuesYaml(text).map((problem) => problem.rule)).toEqual(['values-yaml-too-large']);
    // Refused by counting tokens, and the counting stops at the limit: no dearer than checking an ordinary file.
    expect(fastest(() => checkValuesYaml(text))).toBeLessThan(2 * fastest(() => checkValuesYaml(ordinary), 1));
  });
});

describe('aliases, checked without expanding them', () => {
  it.each([
    ['an alias inside the mapping it names', 'a: &a {b: *a}\n', 'values-yaml-aliases'],
    ['an alias inside the sequence it names', 'a: &a [1, *a]\n', 'values-yaml-aliases'],
    ['an alias before its anchor', 'b: *a\na: &a 1\n', 'values-yaml-syntax'],
    ['an alias whose expansion nests too deeply', `a: &a ${'['.repeat(60)}${']'.repeat(60)}\nb: ${'['.repeat(45)}*a${']'.repeat(45)}\n`, 'values-yaml-depth'],
  ])('refuses %s', (_what, text, rule) => {
    expect(checkValuesYaml(text).map((problem) => problem.rule)).toEqual([rule]);
  });

  it('takes the latest anchor of a name before the alias, as YAML says', () => {
    // *a names the scalar 2, defined last: no loop, although the first &a is a mapping.
    expect(checkValuesYaml('a: &a {x: 1}\nb: &a 2\nc: [*a, *a]\n')).toEqual([]);
    // Here the latest &a before *a is the sequence that holds it.
    expect(checkValuesYaml('a: &a 1\nb: &a [*a]\n').map((problem) => problem.rule)).toEqual(['values-yaml-aliases']);
  });

  it('accepts a merge key that repeats an anchor many times, which YAML 1.1 files use', () => {
    const text = `%YAML 1.1\n---\nbase: &base {cpu: 1, memory: 2}\n${Array.from({ length: 500 }, (_, i) => `c${i}: {<<: *base, name: c${i}}`).join('\n')}\n`;
    expect(checkValuesYaml(text)).toEqual([]);
  });
});

describe('duplicate keys, decided as the yaml library decides them', () => {
  // Spellings of keys that resolve to the same value, or look alike and do not.
  const KEYS = ['1', '0x1', '0o1', '+1', '1.0', '"1"', "'1'", 'null', '~', 'Null', '""', "''", 'true', 'True', 'false', '.nan', '.NaN', '-0', '0', '0.0', '1e0', 'a', '"a"', 'A', '[a]', '{a: 1}', '!!str 1', '? b', '*x'];

  it('reports exactly the duplicates yaml would report, in block and flow mappings, however nested', () => {
    const key = fc.constantFrom(...KEYS);
    const mapping = fc.array(key, { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(fc.array(mapping, { minLength: 1, maxLength: 3 }), fc.boolean(), (mappings, flow) => {
        const lines = ['anchor: &x anchored'];
        mappings.forEach((keys, index) => {
          if (flow) lines.push(`m${index}: {${keys.map((k) => `${k.startsWith('? ') ? k.slice(2) : k} : v`).join(', ')}}`);
          else lines.push(`m${index}:`, ...keys.map((k) => (k.startsWith('? ') ? `  ? ${k.slice(2)}\n  : v` : `  ${k} : v`)));
        });
        const text = `${lines.join('\n')}\n`;
        const [strict] = parseAllDocuments(text, { uniqueKeys: true }) as unknown as { errors: { code: string }[] }[];
        const errors = strict?.errors ?? [];
        fc.pre(errors.every((error) => error.code === 'DUPLICATE_KEY'));
        const ours = checkValuesYaml(text).filter((problem) => problem.message.includes('Map keys must be unique'));
        expect(ours.length, text).toBe(errors.length);
      }),
      { numRuns: 400 },
    );
  });

  it.each([
    ['1 and 0x1', '1: a\n0x1: b\n'],
    ['null and ~', 'null: a\n~: b\n'],
    ['true and True', 'true: a\nTrue: b\n'],
    ['a plain and a quoted string', 'a: 1\n"a": 2\n'],
    ['two keys of a flow mapping', '{a: 1, a: 2}\n'],
    ['two keys of a mapping inside a sequence', '- {x: 1}\n- x: 1\n  x: 2\n'],
  ])('refuses %s as one key', (_what, text) => {
    expect(checkValuesYaml(text).map((problem) => problem.rule)).toEqual(['values-yaml-syntax']);
  });

  it.each([
    ['1 and "1"', '1: a\n"1": b\n'],
    ['.nan twice (NaN is not equal to itself)', '.nan: a\n.nan: b\n'],
    ['two equal collection keys', '? [a]\n: 1\n? [a]\n: 2\n'],
  ])('accepts %s, as yaml does', (_what, text) => {
    expect(checkValuesYaml(text)).toEqual([]);
  });
});

describe('checkValuesYamlOffThread', () => {
  it('answers what checkValuesYaml answers, for small files inline and for large ones on a worker thread', async () => {
    for (const text of ['a: 1\n', 'a: 1\na: 2\n', buildYaml(HOSTILE_SHAPES[0]!, 64 * 1024), `${buildYaml(ORDINARY_SHAPE, 64 * 1024)}k: &k [*k]\n`]) {
      expect(await checkValuesYamlOffThread(text, { inlineBytes: 1024 })).toEqual(checkValuesYaml(text));
    }
  });

  it('keeps the event loop free while it checks the largest file the limits allow', async () => {
    const text = buildYaml(HOSTILE_SHAPES.find((shape) => shape.name === 'many anchors, each aliased')!, MAX_VALUES_YAML_BYTES);
    await checkValuesYamlOffThread('warm: up\n'.repeat(4000)); // the first call starts the thread
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = performance.now();
    const problems = await checkValuesYamlOffThread(text);
    const elapsed = performance.now() - started;
    delay.disable();
    expect(problems).toEqual([]);
    expect(elapsed).toBeLessThan(30_000);
    expect(delay.max / 1e6, `the event loop stalled while a ${elapsed.toFixed(0)} ms check ran`).toBeLessThan(500);
  });

  it('refuses a file it cannot check within its time limit with values-yaml-too-complex, and keeps working after', async () => {
    const text = buildYaml(ORDINARY_SHAPE, 1024 * 1024);
    const problems = await checkValuesYamlOffThread(text, { timeoutMs: 1 });
    expect(problems).toEqual([expect.objectContaining({ rule: 'values-yaml-too-complex', path: 'values.yaml' })]);
    expect(await checkValuesYamlOffThread('a: 1\na: 2\n', { inlineBytes: 0 })).toEqual(checkValuesYaml('a: 1\na: 2\n'));
  });

  it('checks several files at once, each getting its own answer', async () => {
    const texts = Array.from({ length: 5 }, (_, i) => `${buildYaml(ORDINARY_SHAPE, 32 * 1024)}${i % 2 === 0 ? 'dup: 1\ndup: 2\n' : ''}`);
    const answers = await Promise.all(texts.map((text) => checkValuesYamlOffThread(text, { inlineBytes: 0 })));
    expect(answers.map((problems) => problems.length)).toEqual([1, 0, 1, 0, 1]);
  });
});
