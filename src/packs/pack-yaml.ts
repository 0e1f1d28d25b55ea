// The optional YAML files of a pack — presets.yaml and schema.yaml at the pack root — checked with the same
// hardened reader as values.yaml (values-yaml.ts: same limits, linear time, off the event loop through
// values-yaml-thread.ts), then for the structure every real pack shares, and nothing more:
//  - presets.yaml: a mapping whose `presets` is a list (or empty); each preset a mapping with a non-empty
//    string `name`; `displayName` and `group`, when present, scalars; `remove`, when present, a list of
//    scalars (value paths); `add`, when present, a string that is itself YAML (the values the preset merges
//    in), checked with the same reader. Other keys are kept and not judged (Palette ignores them).
//  - schema.yaml: a mapping from value paths (`charts.x.y`, `manifests.x.y`, `pack.namespace`) to mappings
//    whose `schema` is a string (`'{{ required | format "${string}" }}'`). Other keys beside `schema` pass.
// An empty file (or one holding only comments) passes: it adds nothing. The walk reads the composed nodes
// (never toJS(), which expands aliases); the caller caps the problems reported (MAX_VALUES_YAML_PROBLEMS).
import { isMap, isPair, isScalar, isSeq, type Pair } from 'yaml';
import type { PackProblem } from './types.js';
import { YAML_FILES, YamlProblems, checkYamlText, type StructureCheck, type YamlFileName } from './values-yaml.js';

/**
 * Any of YAML_FILES checked as checkValuesYaml checks values.yaml, then for its structure (see above).
 * Linear in the size of the text; for files of more than a few KiB call it through checkYamlFileOffThread.
 */
export function checkYamlFile(text: string, file: YamlFileName): PackProblem[] {
  const { rulePrefix, maxBytes } = YAML_FILES[file];
  return checkYamlText(text, new YamlProblems(file, rulePrefix), maxBytes, STRUCTURE[file]);
}

const STRUCTURE: Record<YamlFileName, StructureCheck | undefined> = {
  'values.yaml': undefined,
  'presets.yaml': presetsStructure,
  'schema.yaml': schemaStructure,
};

type Where = (offset: number | undefined) => string;

function startOf(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] | null } | null)?.range;
  return range?.[0];
}

function keyName(pair: Pair): string | undefined {
  return isScalar(pair.key) && (typeof pair.key.value === 'string' || typeof pair.key.value === 'number') ? String(pair.key.value) : undefined;
}

function pairOf(map: { items: unknown[] }, key: string): Pair | undefined {
  for (const item of map.items) if (isPair(item) && keyName(item) === key) return item;
  return undefined;
}

function isNullNode(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

function presetsStructure(root: unknown, where: Where, problems: YamlProblems): PackProblem[] {
  const found: PackProblem[] = [];
  const add = (offset: number | undefined, message: string) => found.push(problems.make('structure', `${message}${where(offset)}`));
  if (isNullNode(root)) return found;
  if (!isMap(root)) {
    add(startOf(root), 'must be a mapping with a `presets` list');
    return found;
  }
  const presets = pairOf(root, 'presets');
  if (!presets) {
    add(startOf(root), 'has no `presets` list');
    return found;
  }
  if (isNullNode(presets.value)) return found;
  if (!isSeq(presets.value)) {
    add(startOf(presets.value), '`presets` must be a list of presets');
    return found;
  }
  presets.value.items.forEach((item, index) => {
    const at = startOf(item);
    if (!isMap(item)) {
      add(at, `preset ${index + 1} must be a mapping (name, displayName, group, remove, add)`);
      return;
    }
    const name = pairOf(item, 'name');
    const nameValue = name && isScalar(name.value) && typeof name.value.value === 'string' ? name.value.value.trim() : '';
    if (nameValue === '') add(name ? startOf(name.value ?? name.key) : at, `preset ${index + 1} needs a \`name\` (a non-empty string)`);
    const label = nameValue === '' ? `preset ${index + 1}` : `preset ${JSON.stringify(nameValue)}`;
    for (const key of ['displayName', 'group']) {
      const pair = pairOf(item, key);
      if (pair && !isNullNode(pair.value) && !isScalar(pair.value)) add(startOf(pair.value), `${label}: \`${key}\` must be a string`);
    }
    const remove = pairOf(item, 'remove');
    if (remove && !isNullNode(remove.value)) {
      if (!isSeq(remove.value)) add(startOf(remove.value), `${label}: \`remove\` must be a list of value paths`);
      else {
        const bad = remove.value.items.find((path) => !isScalar(path));
        if (bad !== undefined) add(startOf(bad), `${label}: each entry of \`remove\` must be a value path (a string)`);
      }
    }
    const addPair = pairOf(item, 'add');
    if (addPair && !isNullNode(addPair.value)) {
      if (!isScalar(addPair.value) || typeof addPair.value.value !== 'string') {
        add(startOf(addPair.value), `${label}: \`add\` must be a string of YAML (write it as a block: \`add: |\`)`);
      } else {
        // The values the preset merges in: YAML of their own, checked with the same reader and limits.
        const inner = checkYamlText(addPair.value.value, new YamlProblems('add', 'presets-yaml'), YAML_FILES['presets.yaml'].maxBytes);
        const at = where(startOf(addPair.value));
        for (const problem of inner.slice(0, 3)) {
          const detail = problem.message.replace(/^add: /, '');
          found.push(problems.make('structure', `${label}: \`add\`${at} is not usable YAML: ${detail} (lines counted within \`add\`)`));
        }
      }
    }
  });
  return found;
}

function schemaStructure(root: unknown, where: Where, problems: YamlProblems): PackProblem[] {
  const found: PackProblem[] = [];
  const add = (offset: number | undefined, message: string) => found.push(problems.make('structure', `${message}${where(offset)}`));
  if (isNullNode(root)) return found;
  if (!isMap(root)) {
    add(startOf(root), 'must be a mapping from value paths to `{schema: ...}`');
    return found;
  }
  for (const item of root.items) {
    if (!isPair(item)) continue;
    const path = isScalar(item.key) && typeof item.key.value === 'string' ? item.key.value.trim() : '';
    if (path === '') {
      add(startOf(item.key), 'each key must be a value path (a non-empty string such as `charts.name.key`)');
      continue;
    }
    const label = JSON.stringify(path);
    if (!isMap(item.value)) {
      add(startOf(item.value ?? item.key), `${label} must be a mapping with a \`schema\` string`);
      continue;
    }
    const schema = pairOf(item.value, 'schema');
    if (!schema) add(startOf(item.key), `${label} has no \`schema\``);
    else if (!isScalar(schema.value) || typeof schema.value.value !== 'string') add(startOf(schema.value ?? schema.key), `${label}: \`schema\` must be a string`);
  }
  return found;
}
