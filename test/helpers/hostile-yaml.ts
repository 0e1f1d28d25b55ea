// values.yaml files built to cost the most per byte, each shape aimed at one place where a YAML library can
// go quadratic (or worse), and an ordinary one to compare them with. Every shape stays within the limits of
// src/packs/values-yaml.ts (size and node count), so a check must judge its content rather than its size.
import { MAX_VALUES_YAML_BYTES, MAX_VALUES_YAML_DEPTH, MAX_VALUES_YAML_NODES } from '../../src/packs/values-yaml.js';

export interface YamlShape {
  name: string;
  /** The text before the repeated units. */
  head?: string;
  /** One repeated unit, without its separator. */
  unit: (index: number) => string;
  /** At most this many nodes per unit, as values-yaml.ts counts them (to stay under the node limit). */
  nodesPerUnit: number;
  separator?: string;
  tail?: string;
}

/** Like a real chart's values: nested mappings, strings, numbers, booleans, a list, comments. */
export const ORDINARY_SHAPE: YamlShape = {
  name: 'ordinary values',
  unit: (i) =>
    [
      `# settings of component ${i}`,
      `component${i}:`,
      `  enabled: ${i % 2 === 0}`,
      `  image:`,
      `    repository: registry.example.com/team/component-${i}`,
      `    tag: "v1.${i % 30}.${i % 7}"`,
      `  replicas: ${1 + (i % 5)}`,
      `  resources:`,
      `    limits: {cpu: ${100 + i}m, memory: ${128 + i}Mi}`,
      `  args:`,
      `    - --port=${8000 + (i % 1000)}`,
      `    - --verbose`,
    ].join('\n'),
  nodesPerUnit: 24,
};

const deepUnit = (index: number): string => {
  const levels = MAX_VALUES_YAML_DEPTH / 2 - 2;
  return Array.from({ length: levels }, (_, level) => `${' '.repeat(level)}d${index}x${level}:`).join('\n') + ' leaf';
};

export const HOSTILE_SHAPES: readonly YamlShape[] = [
  { name: 'many keys in one mapping', unit: (i) => `k${i}: ${i}`, nodesPerUnit: 2 },
  { name: 'many small mappings', head: 'items:', unit: (i) => `- {a: ${i}}`, nodesPerUnit: 4 },
  { name: 'a long flow sequence', head: 'list: [', unit: (i) => `${i % 10}`, separator: ',', tail: ']', nodesPerUnit: 1 },
  { name: 'a long flow mapping', head: 'map: {', unit: (i) => `k${i}: 1`, separator: ', ', tail: '}', nodesPerUnit: 2 },
  { name: 'many anchors, each aliased', unit: (i) => `a${i}: &x${i} 1\nb${i}: *x${i}`, nodesPerUnit: 4 },
  { name: 'one anchor aliased many times', head: 'base: &b {a: 1, b: 2}\nlist:', unit: () => '- *b', nodesPerUnit: 2 },
  { name: 'aliases as keys', head: 'base: &b key\nmaps:', unit: () => '- {*b : 1}', nodesPerUnit: 4 },
  { name: 'collections as keys', unit: (i) => `? [${i}]\n: 1`, nodesPerUnit: 4 },
  { name: 'duplicate-looking keys', unit: (i) => `"k${i}": 1\nk${i}x: 2\n'k${i}y': 3\n${i + 1}.5: 4`, nodesPerUnit: 8 },
  { name: 'deep nesting, repeated', unit: deepUnit, nodesPerUnit: MAX_VALUES_YAML_DEPTH / 2 },
  { name: 'one long quoted string', head: 'text: "', unit: () => 'x'.repeat(1000), separator: '', tail: '"', nodesPerUnit: 0 },
  { name: 'one long folded plain scalar', head: 'text: start', unit: (i) => `  word${i}`, nodesPerUnit: 0 },
  { name: 'one long block scalar', head: 'script: |', unit: (i) => `  echo line ${i}`, nodesPerUnit: 0 },
];

/**
 * `shape` repeated until it is about `bytes` long, or its node count nears the limit, whichever comes first
 * (never beyond MAX_VALUES_YAML_BYTES).
 */
export function buildYaml(shape: YamlShape, bytes: number): string {
  const separator = shape.separator ?? '\n';
  const parts: string[] = [];
  const budget = Math.min(bytes, MAX_VALUES_YAML_BYTES - 64);
  let length = (shape.head?.length ?? 0) + (shape.tail?.length ?? 0) + 2;
  let nodes = 10;
  for (let index = 0; ; index++) {
    const unit = shape.unit(index);
    if (length + unit.length + separator.length > budget || nodes + shape.nodesPerUnit > MAX_VALUES_YAML_NODES - 10) break;
    parts.push(unit);
    length += unit.length + separator.length;
    nodes += shape.nodesPerUnit;
  }
  const body = parts.join(separator);
  const head = shape.head === undefined ? '' : shape.tail === undefined ? `${shape.head}\n` : shape.head;
  return `${head}${body}${shape.tail ?? ''}\n`;
}
