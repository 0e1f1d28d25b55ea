// Shapes shared by the pure pack rules (archive walk, pack.json, digests). This folder imports nothing
// else of ours, so that packctl runs exactly the same checks as the server.

/** One regular file of a pack, its path relative to the pack root (top-level folder stripped). */
export interface PackFile {
  path: string;
  size: number;
  /** Lower-case hex SHA-256 of the file's bytes. */
  sha256: string;
}

/** One thing wrong with a pack. Validation collects every problem, never only the first. */
export interface PackProblem {
  /** Stable, machine-readable rule name, e.g. `entry-type`, `path-absolute`, `pack-json-field`. */
  rule: string;
  /** A sentence a person understands, naming the offending path or field. */
  message: string;
  /** The archive entry or pack.json field concerned, when there is one. */
  path?: string;
}

/** Every `PackProblem.rule` the pack checks produce, so that clients and docs can rely on the names. */
export const PROBLEM_RULES = [
  // the tar/gzip stream and the limits (these end the walk early)
  'archive-corrupt',
  // a construct tar implementations read differently (PAX global records, a prefix outside ustar, a lone
  // zero block, data after the end marker…): the stored bytes must have one reading only
  'tar-ambiguous',
  'too-many-entries',
  'unpacked-size',
  // one entry
  'entry-type',
  'entry-header-too-large',
  'path-absolute',
  'path-traversal',
  'path-invalid',
  'path-duplicate',
  'path-conflict',
  // the pack as a whole
  'layout',
  'file-missing',
  'file-encoding',
  // pack.json
  'pack-json-too-large',
  'pack-json-syntax',
  'pack-json-depth',
  'pack-json-type',
  'pack-json-field',
  'pack-json-missing-file',
  // values.yaml
  'values-yaml-too-large',
  'values-yaml-depth',
  'values-yaml-syntax',
  'values-yaml-aliases',
  'values-yaml-too-complex',
  // presets.yaml and schema.yaml (optional; pack-yaml.ts): the values.yaml checks, then their structure
  'presets-yaml-too-large',
  'presets-yaml-depth',
  'presets-yaml-syntax',
  'presets-yaml-aliases',
  'presets-yaml-too-complex',
  'presets-yaml-structure',
  'schema-yaml-too-large',
  'schema-yaml-depth',
  'schema-yaml-syntax',
  'schema-yaml-aliases',
  'schema-yaml-too-complex',
  'schema-yaml-structure',
] as const;
export type ProblemRule = (typeof PROBLEM_RULES)[number];

export const LAYERS = ['kernel', 'os', 'k8s', 'cni', 'csi', 'addon'] as const;
export type Layer = (typeof LAYERS)[number];

/** pack.json after validation. Unknown keys are kept untouched in `raw`. */
export interface PackManifest {
  name: string;
  displayName: string;
  /** The version exactly as written in pack.json (`1.5`, `23.07.1`, `0.30.0-5.5.2026`). */
  version: string;
  /** Its normalised semver form (`1.5.0`, `23.7.1`), used for ordering, uniqueness and parent tags. */
  normalizedVersion: string;
  layer: Layer;
  /** Group with surrounding white space removed; `undefined` when absent, empty or blank. */
  group?: string;
  addonType?: string;
  cloudTypes: string[];
  kubeManifests: string[];
  charts: string[];
  /** The whole pack.json object as parsed, unknown keys included. */
  raw: Record<string, unknown>;
}

export interface ArchiveLimits {
  /** Most entries (files, folders) one archive may hold. */
  maxEntries: number;
  /** Most bytes all entries may unpack to; a gzip bomb is stopped as soon as this is passed. */
  maxUnpackedSize: number;
}

export interface InspectedPack {
  manifest: PackManifest;
  /** Every regular file, sorted by path (byte order), paths relative to the pack root. */
  files: PackFile[];
  /** `sha256:<hex>` over the files, see digest.ts. Independent of how the archive was made. */
  contentDigest: string;
  /** `''` when the files sit at the archive root, else the single top-level folder with a trailing `/`. */
  rootPrefix: string;
  /** presets.yaml at the pack root as written (checked, see pack-yaml.ts); `null` when the pack has none. */
  presets: string | null;
  /** schema.yaml at the pack root as written (checked); `null` when the pack has none. */
  schema: string | null;
  /** One entry per pack.json `charts` path, in that order, with what its Chart.yaml says (charts.ts). */
  charts: ChartInfo[];
}

/** A chart of the pack: its path (as pack.json lists it) and its Chart.yaml's fields, `null` when unreadable. */
export interface ChartInfo {
  path: string;
  name: string | null;
  version: string | null;
  appVersion: string | null;
}

export type InspectionResult =
  | { ok: true; pack: InspectedPack }
  | { ok: false; problems: PackProblem[] };
