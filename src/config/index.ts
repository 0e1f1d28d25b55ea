export { ConfigError } from './errors.js';
export type { ConfigProblem } from './errors.js';
export { loadConfig } from './load.js';
export type { LoadConfigOptions, LoadedConfig } from './load.js';
export {
  DEFAULT_HTTP_HEADERS,
  DEFAULT_SELF_SIGNED_HOSTS,
  IGNORED_DISTRIBUTION_KEYS,
  normaliseConfig,
  parseDurationMs,
  parseListenAddress,
  rawConfigSchema,
} from './schema.js';
export type { ListenAddress, LogLevel, RawConfig, RegistryConfig } from './schema.js';
