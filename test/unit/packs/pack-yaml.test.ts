// presets.yaml and schema.yaml (src/packs/pack-yaml.ts): the hardened values.yaml reader, then the structure
// real packs share; every problem with its file and line, all at once.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readChartFacts } from '../../../src/packs/charts.js';
import { checkYamlFile } from '../../../src/packs/pack-yaml.js';
import { PROBLEM_RULES } from '../../../src/packs/types.js';
import { checkYamlFileOffThread } from '../../../src/packs/values-yaml-thread.js';
import { buildRawTarGz } from '../../helpers/archives.js';

const REAL_PRESETS = `presets:
  - name: "disable-api"
    displayName: "Disable Hello Universe API"
    group: "Backend"
    remove: []
    add: |
      manifests:
        hello-universe:
          apiEnabled: false
          port: 8080

  - name: "Fleet agents"
    displayName: "Fleet agents with Elasticsearch and Kibana"
    group: "OOB Examples"
    remove:
    - "charts.elasticsearch"
    - "charts.eck-kibana"
    add: |
      charts:
        eck-stack:
          eck-elasticsearch:
            enabled: true
`;

const REAL_SCHEMA = `manifests.hello-universe.namespace:
  # The namespace in which the UI application will be deployed.
  schema: '{{ required | format "\${string}" | hints "Enter the namespace."}}'

charts.akuity-agent.akuityApiKeySecret:
  schema: '{{ format "\${password}" }}'
pack.namespace:
  schema: '{{ required | format "\${string}" }}'
`;

describe('presets.yaml', () => {
  it('accepts the layout of real packs, an empty file and an empty list', () => {
    expect(checkYamlFile(REAL_PRESETS, 'presets.yaml')).toEqual([]);
    expect(checkYamlFile('', 'presets.yaml')).toEqual([]);
    expect(checkYamlFile('# nothing yet\n', 'presets.yaml')).toEqual([]);
    expect(checkYamlFile('presets: []\n', 'presets.yaml')).toEqual([]);
    expect(checkYamlFile('presets:\n', 'presets.yaml')).toEqual([]);
    // Keys real packs do not use pass unjudged.
    expect(checkYamlFile('presets:\n  - name: a\n    icon: x\nextra: 1\n', 'presets.yaml')).toEqual([]);
  });

  it('reports a YAML error with file and line, under presets-yaml-syntax', () => {
    const problems = checkYamlFile('presets:\n  - name: a\n  name: b\n  - x: [\n', 'presets.yaml');
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) {
      expect(problem.rule).toBe('presets-yaml-syntax');
      expect(problem.path).toBe('presets.yaml');
      expect(problem.message).toMatch(/^presets\.yaml: .*line \d+/);
    }
  });

  it('reports a repeated key with its line', () => {
    const [problem] = checkYamlFile('presets:\n  - name: a\n    name: b\n', 'presets.yaml');
    expect(problem).toMatchObject({ rule: 'presets-yaml-syntax', path: 'presets.yaml' });
    expect(problem?.message).toContain('at line 3, column 5');
  });

  it('reports each kind of structure problem with its line, all at once', () => {
    const text = [
      'presets:', //                       1
      '  - name: ""', //                   2 empty name
      '    add: |', //                     3
      '      a: [', //                     4 add is not YAML
      '  - just-a-string', //              5 not a mapping
      '  - name: ok', //                   6
      '    displayName: [a, b]', //        7 not a scalar
      '    remove: charts.x', //           8 not a list
      '  - name: ok2', //                  9
      '    remove: [[a]]', //              10 entry not a path
      '    add: {a: 1}', //                11 add not a string
      '',
    ].join('\n');
    const problems = checkYamlFile(text, 'presets.yaml');
    expect(problems.every((problem) => problem.rule === 'presets-yaml-structure' && problem.path === 'presets.yaml')).toBe(true);
    // The file's line comes first (an `add` problem then quotes its own line within `add`).
    const lines = problems.map((problem) => Number(/at line (\d+), column \d+/.exec(problem.message)?.[1]));
    expect(lines).toEqual([2, 3, 5, 7, 8, 10, 11]);
    expect(problems[0]?.message).toContain('needs a `name`');
    expect(problems[1]?.message).toMatch(/^presets\.yaml: preset 1: `add` at line 3, column 10 is not usable YAML: not valid YAML: .*line \d+.*\(lines counted within `add`\)$/);
    expect(problems[2]?.message).toContain('preset 2 must be a mapping');
    expect(problems[3]?.message).toContain('preset "ok": `displayName` must be a string');
    expect(problems[4]?.message).toContain('`remove` must be a list');
    expect(problems[5]?.message).toContain('each entry of `remove`');
    expect(problems[6]?.message).toContain('`add` must be a string of YAML');
  });

  it('refuses a document that is not a mapping with a presets list', () => {
    expect(checkYamlFile('- a\n', 'presets.yaml')[0]?.message).toBe('presets.yaml: must be a mapping with a `presets` list at line 1, column 1');
    expect(checkYamlFile('other: 1\n', 'presets.yaml')[0]?.message).toContain('has no `presets` list');
    expect(checkYamlFile('presets: yes\n', 'presets.yaml')[0]?.message).toContain('`presets` must be a list');
  });

  it('applies the values.yaml limits under its own rules', () => {
    expect(checkYamlFile('a: '.repeat(1) + 'x'.repeat(300 * 1024), 'presets.yaml')[0]?.rule).toBe('presets-yaml-too-large');
    expect(checkYamlFile('['.repeat(200), 'presets.yaml')[0]?.rule).toBe('presets-yaml-depth');
    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefghij'.split('').map((n, i) => `${n}: &${n} [${Array(9).fill(`*${'abcdefghij'[i]}`).join(', ')}]`)].join('\n');
    expect(checkYamlFile(laughs, 'presets.yaml').map((problem) => problem.rule)).toContain('presets-yaml-aliases');
  });

  it('gives the same answer off the event loop', async () => {
    const text = `${REAL_PRESETS}${'# padding\n'.repeat(3000)}  - name: ""\n`;
    const inline = checkYamlFile(text, 'presets.yaml');
    expect(inline).toHaveLength(1);
    expect(await checkYamlFileOffThread(text, 'presets.yaml', { inlineBytes: 0 })).toEqual(inline);
  });
});

describe('schema.yaml', () => {
  it('accepts the layout of real packs and an empty file', () => {
    expect(checkYamlFile(REAL_SCHEMA, 'schema.yaml')).toEqual([]);
    expect(checkYamlFile('', 'schema.yaml')).toEqual([]);
    expect(checkYamlFile('a.b:\n  schema: x\n  hint: extra keys pass\n', 'schema.yaml')).toEqual([]);
  });

  it('reports every structure problem with its line', () => {
    const text = ['a.b: 3', 'c.d:', '  other: 1', 'e.f:', '  schema: [x]', '1: {schema: x}', 'ok:', "  schema: 'x'", ''].join('\n');
    const problems = checkYamlFile(text, 'schema.yaml');
    expect(problems.map((problem) => problem.rule)).toEqual(Array(4).fill('schema-yaml-structure'));
    expect(problems.map((problem) => problem.message)).toEqual([
      'schema.yaml: "a.b" must be a mapping with a `schema` string at line 1, column 6',
      'schema.yaml: "c.d" has no `schema` at line 2, column 1',
      'schema.yaml: "e.f": `schema` must be a string at line 5, column 11',
      'schema.yaml: each key must be a value path (a non-empty string such as `charts.name.key`) at line 6, column 1',
    ]);
  });

  it('reports YAML errors under schema-yaml-syntax, and a list under structure', () => {
    expect(checkYamlFile('a: b: c\n', 'schema.yaml')[0]).toMatchObject({ rule: 'schema-yaml-syntax', path: 'schema.yaml' });
    expect(checkYamlFile('- a\n', 'schema.yaml')[0]?.rule).toBe('schema-yaml-structure');
  });

  it('caps the problems of one file', () => {
    const text = Array.from({ length: 50 }, (_, index) => `k${index}: 1`).join('\n');
    const problems = checkYamlFile(text, 'schema.yaml');
    expect(problems).toHaveLength(20);
    expect(problems[19]?.message).toContain('more problems of this file');
  });

  it('every rule it produces is a documented rule', () => {
    for (const rule of ['presets-yaml-structure', 'schema-yaml-structure', 'presets-yaml-too-complex', 'schema-yaml-syntax']) {
      expect(PROBLEM_RULES).toContain(rule);
    }
  });
});

describe('Chart.yaml facts', () => {
  const chart = (chartYaml: string, extra: { path: string; body: string }[] = []) =>
    buildRawTarGz([...extra.map((entry) => ({ path: entry.path, body: Buffer.from(entry.body) })), { path: 'mychart/Chart.yaml', body: Buffer.from(chartYaml) }]);

  it('reads name, version and appVersion as written', async () => {
    const facts = await readChartFacts(await chart('apiVersion: v2\nname: mychart\nversion: 1.10\nappVersion: "v2.0"\n', [{ path: 'mychart/values.yaml', body: 'a: 1\n' }]));
    expect(facts).toEqual({ name: 'mychart', version: '1.10', appVersion: 'v2.0' });
  });

  it('gives null fields for a broken Chart.yaml, a missing one, or bytes that are not a chart', async () => {
    expect(await readChartFacts(await chart('name: [\n'))).toEqual({ name: null, version: null, appVersion: null });
    expect(await readChartFacts(await buildRawTarGz([{ path: 'x/values.yaml', body: Buffer.from('a: 1') }]))).toEqual({ name: null, version: null, appVersion: null });
    expect(await readChartFacts(Buffer.from('not gzip'))).toEqual({ name: null, version: null, appVersion: null });
    expect(await readChartFacts(gzipSync(Buffer.alloc(4096, 7)))).toEqual({ name: null, version: null, appVersion: null });
  });
});
