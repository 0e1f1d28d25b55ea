// The pack-level text files of sample packs — values.yaml blocks, presets.yaml, schema.yaml, pack.json
// constraints — in the layouts real community packs use (test/helpers/kube-yaml.ts writes the charts').
import { prose } from './kube-yaml.js';

/** `text` with every non-empty line moved right by `spaces`, to nest a YAML block under a key. */
export function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((line) => (line === '' ? line : `${pad}${line}`))
    .join('\n');
}

/** `count` documented settings, the bulk of a real chart's values: a comment, then the key. */
export function documentedSettings(prefix: string, count: number): string {
  return Array.from(
    { length: count },
    (_, i) => `# -- ${prose(`${prefix}/${i}`, 14)}\n${prefix}Setting${i + 1}: ${i % 3 === 0 ? 'true' : i % 3 === 1 ? `"value-${i + 1}"` : String(i * 10)}\n`,
  ).join('');
}

/** The `pack.content.images` list with which packs declare the images they pull. */
export function contentImages(images: string[]): string {
  return `  content:\n    images:\n${images.map((image) => `      - image: ${image}\n`).join('')}`;
}

/** A presets.yaml offering to switch `path` on or off, in the real files' layout. */
export function presetsYaml(group: string, path: string): string {
  const preset = (name: string, enabled: boolean) =>
    `  - name: "${name}"\n    displayName: "${enabled ? 'Enable' : 'Disable'}"\n    group: "${group}"\n    remove: []\n    add: |\n${indent(`${path.split('.').map((key, depth) => `${'  '.repeat(depth)}${key}:`).join('\n')}\n${'  '.repeat(path.split('.').length)}enabled: ${enabled}`, 6)}\n`;
  return `presets:\n${preset(`disable-${group.toLowerCase()}`, false)}\n${preset(`enable-${group.toLowerCase()}`, true)}`;
}

/** A schema.yaml: the form Palette shows for the listed values. */
export function schemaYaml(entries: [path: string, format: string][]): string {
  return entries.map(([path, format]) => `${path}:\n  # Shown as a form field.\n  schema: '{{ required | format "\${${format}}" }}'\n`).join('\n');
}

/** Kubernetes-version constraints, as pack.json writes them (`minVersion`/`maxVersion`, empty when open). */
export function k8sDependencies(bounds: [packName: string, maxVersion: string][]): Record<string, unknown>[] {
  return bounds.map(([packName, maxVersion]) => ({ packName, layer: 'k8s', minVersion: '', maxVersion, type: 'optional' }));
}
