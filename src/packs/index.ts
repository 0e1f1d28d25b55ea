// The pure pack rules: what packctl and the registry both run. Nothing here imports the rest of the project.
export * from './types.js';
export {
  ArchiveEntryTooLargeError,
  inspectArchive,
  openArchiveEntry,
  type ArchiveInput,
} from './archive.js';
export { comparePaths, computeContentDigest, isContentDigest, sortFilesByPath } from './digest.js';
export {
  PACK_NAME_PATTERN,
  RESERVED_TAG_LABELS,
  TAG_GROUP_SEPARATOR,
  isValidGroup,
  isValidPackName,
  isReservedTagLabel,
  isValidTagLabel,
  normalizeArchivePath,
} from './names.js';
export {
  MAX_PACK_JSON_BYTES,
  MAX_PACK_JSON_DEPTH,
  parsePackJson,
  validateManifest,
  type ManifestResult,
} from './pack-json.js';
export {
  MAX_VALUES_YAML_ALIASED_NODES,
  MAX_VALUES_YAML_BYTES,
  MAX_VALUES_YAML_DEPTH,
  MAX_VALUES_YAML_NODES,
  checkValuesYaml,
} from './values-yaml.js';
export { MAX_PRESETS_YAML_BYTES, MAX_SCHEMA_YAML_BYTES, YAML_FILES, type YamlFileName } from './values-yaml.js';
export { checkYamlFile } from './pack-yaml.js';
export { MAX_CHART_ARCHIVE_BYTES, MAX_CHART_ARCHIVES_BYTES, MAX_CHART_YAML_BYTES, readChartFacts, type ChartFacts } from './charts.js';
export { VALUES_YAML_CHECK_TIMEOUT_MS, checkValuesYamlOffThread, checkYamlFileOffThread } from './values-yaml-thread.js';
export { MAX_PACK_VERSION_LENGTH, comparePackVersions, isValidPackVersion, normalizePackVersion } from './version.js';
