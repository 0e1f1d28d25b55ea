import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parse, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import type * as z from 'zod';
import { ConfigError } from './errors.js';
import type { ConfigProblem } from './errors.js';
import { keyNodeAt, suggestKey } from './keys.js';
import {
  configErrorMap,
  expandSelectorShorthand,
  IGNORED_DISTRIBUTION_KEYS,
  isSelectorSection,
  normaliseConfig,
  rawConfigSchema,
  SELECTOR_SECTIONS,
} from './schema.js';
import type { RegistryConfig, SelectorSection } from './schema.js';

export interface LoadConfigOptions {
  /** YAML file; relative to `cwd`. Without it, the embedded defaults (plus the environment) apply. */
  file?: string;
  /** Defaults to `process.env` — this module is the one place that reads it. */
  env?: Record<string, string | undefined>;
  /** Relative paths (the file, and paths inside the configuration) resolve against it. Defaults to `process.cwd()`. */
  cwd?: string;
}

export interface LoadedConfig {
  config: RegistryConfig;
  /** Things that were accepted but deserve an administrator's eye: ignored Distribution keys, `auth: none`. */
  warnings: string[];
}

const ENV_PREFIX = 'REGISTRY_';

type Mapping = Record<string, unknown>;

/**
 * Loads the configuration once at start: the YAML file (or nothing), then `REGISTRY_*` environment
 * overrides, then validation and normalisation. Throws a `ConfigError` listing every problem.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const warnings: string[] = [];
  const problems: ConfigProblem[] = [];

  const file = options.file === undefined ? undefined : readConfigFile(resolve(cwd, options.file), warnings);
  const raw: Mapping = file?.content ?? {};
  dropIgnoredKeys(raw, warnings);

  const envSources = applyEnvironment(raw, env, problems, warnings);
  dropIgnoredEndpointKeys(raw, warnings);

  const result = rawConfigSchema.safeParse(raw, { error: configErrorMap, reportInput: true });
  if (!result.success) {
    const whereFrom = (path: readonly PropertyKey[]): string => {
      const variable = envSources.find(path);
      if (variable) return ` (from ${variable})`;
      const line = file ? lineOf(file.document, file.lineCounter, path) : undefined;
      return file && line !== undefined ? ` (at ${file.path}:${line})` : '';
    };
    for (const issue of result.error.issues) problems.push(...describeIssue(issue, whereFrom));
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);

  const config = normaliseConfig(result.data, cwd);
  if (config.auth.kind === 'none') {
    warnings.push('auth: none — every request is accepted without credentials; use it only for local experiments');
  }
  return { config, warnings };
}

// ---------------------------------------------------------------------------------------------------
// The file

interface ConfigFile {
  path: string;
  content: Mapping;
  document: Document;
  lineCounter: LineCounter;
}

const READ_FAILURES: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
};

function readConfigFile(path: string, warnings: string[]): ConfigFile {
  const fail = (message: string): never => {
    throw new ConfigError([{ key: '', message: `config file ${path}: ${message}` }]);
  };
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    fail(`cannot read it: ${READ_FAILURES[code] ?? (error as Error).message}`);
  }

  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const [syntaxError] = document.errors;
  if (syntaxError) {
    const { line, col } = lineCounter.linePos(syntaxError.pos[0]);
    fail(`invalid YAML at line ${line}, column ${col}: ${syntaxError.message}`);
  }
  for (const warning of document.warnings) {
    warnings.push(`config file ${path}:${lineCounter.linePos(warning.pos[0]).line}: ${warning.message}`);
  }

  let content: unknown;
  try {
    content = document.toJS();
  } catch (error) {
    fail((error as Error).message);
  }
  if (content === null || content === undefined) content = {};
  if (!isMapping(content)) fail('expected a mapping of settings at the top level');
  return { path, content: content as Mapping, document, lineCounter };
}

/** The line of the deepest part of `path` that the file spells out. */
function lineOf(document: Document, lineCounter: LineCounter, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = document.contents;
  let line: number | undefined;
  const lineAt = (item: unknown): number | undefined => {
    const start = (item as { range?: [number, number, number] } | null)?.range?.[0];
    return start === undefined ? line : lineCounter.linePos(start).line;
  };
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      line = lineAt(pair.key);
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) break;
      line = lineAt(item);
      node = item;
    } else {
      break;
    }
  }
  return line;
}

function dropIgnoredKeys(raw: Mapping, warnings: string[]): void {
  for (const dotted of IGNORED_DISTRIBUTION_KEYS) {
    const path = dotted.split('.');
    const key = path.pop() ?? '';
    let parent: unknown = raw;
    for (const segment of path) parent = isMapping(parent) ? parent[segment] : undefined;
    if (isMapping(parent) && Object.hasOwn(parent, key)) {
      delete parent[key];
      warnings.push(`${dotted}: a Docker Distribution setting this registry does not use; ignored`);
    }
  }
}

/** Distribution's per-endpoint filters (`ignoredmediatypes`, `ignore`): this registry has no media types to filter. */
const IGNORED_ENDPOINT_KEYS: readonly string[] = ['ignoredmediatypes', 'ignore'];

/** The ignored keys inside `notifications.endpoints[]`, from the file or the environment's whole list. */
function dropIgnoredEndpointKeys(raw: Mapping, warnings: string[]): void {
  const notifications = raw.notifications;
  const endpoints = isMapping(notifications) ? notifications.endpoints : undefined;
  if (!Array.isArray(endpoints)) return;
  endpoints.forEach((endpoint: unknown, index) => {
    if (!isMapping(endpoint)) return;
    for (const key of IGNORED_ENDPOINT_KEYS) {
      if (!Object.hasOwn(endpoint, key)) continue;
      delete endpoint[key];
      warnings.push(`notifications.endpoints[${index}].${key}: a Docker Distribution setting this registry does not use; ignored`);
    }
  });
}

// ---------------------------------------------------------------------------------------------------
// The environment

/** Which variable set which key path, so a bad value is reported against the variable, not the file. */
class EnvSources {
  private readonly byPath = new Map<string, string>();

  set(path: readonly string[], variable: string): void {
    this.byPath.set(path.join('.'), variable);
  }

  /** The variable that set this path or the closest ancestor of it. */
  find(path: readonly PropertyKey[]): string | undefined {
    for (let length = path.length; length > 0; length--) {
      const variable = this.byPath.get(path.slice(0, length).map(String).join('.'));
      if (variable) return variable;
    }
    return undefined;
  }
}

/**
 * Kubernetes injects `<SERVICE>_PORT`, `<SERVICE>_SERVICE_HOST`, … for every service in the namespace; a
 * service named "registry" would otherwise stop this server from starting.
 */
const KUBERNETES_SERVICE_LINK =
  /^REGISTRY_(SERVICE_HOST|SERVICE_PORT(_\w+)?|PORT(_\d+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)?)$/;

/**
 * Distribution-style overrides: `REGISTRY_` + the key path upper-cased and joined with `_`. Keys never
 * contain `_`, so splitting the name on `_` gives the path. Header names under http.headers contain `-`
 * and cannot be spelled as variable names; `REGISTRY_HTTP_HEADERS` may set the whole mapping instead.
 *
 * Shorter paths apply first, so `REGISTRY_AUTH=htpasswd` selects the kind before
 * `REGISTRY_AUTH_HTPASSWD_REALM` fills it in, whatever order the environment lists them in.
 */
function applyEnvironment(
  raw: Mapping,
  env: Record<string, string | undefined>,
  problems: ConfigProblem[],
  warnings: string[],
): EnvSources {
  const sources = new EnvSources();
  const selectedBy = new Map<SelectorSection, { kind: string; variable: string }>();

  const variables = Object.entries(env)
    .filter((entry): entry is [string, string] => entry[0].startsWith(ENV_PREFIX) && entry[1] !== undefined)
    .map(([variable, value]) => ({ variable, value, path: variable.slice(ENV_PREFIX.length).toLowerCase().split('_') }))
    .sort((a, b) => a.path.length - b.path.length || a.variable.localeCompare(b.variable));

  for (const { variable, value, path } of variables) {
    if (KUBERNETES_SERVICE_LINK.test(variable)) {
      warnings.push(`${variable}: looks like a Kubernetes service link, not a setting; ignored`);
      continue;
    }
    const target = resolveVariable(path);
    if (target.kind === 'ignored') {
      warnings.push(`${variable}: ${target.key} is a Docker Distribution setting this registry does not use; ignored`);
      continue;
    }
    if (target.kind === 'unknown') {
      problems.push({ key: target.key, message: `${target.reason} (from ${variable})` });
      continue;
    }

    const parsed = parseEnvValue(value);
    const [sectionName] = target.path;
    if (sectionName !== undefined && isSelectorSection(sectionName)) {
      const kinds: readonly string[] = SELECTOR_SECTIONS[sectionName];
      // `REGISTRY_STORAGE=inmemory` or `REGISTRY_STORAGE_FILESYSTEM_…` choose the driver: the file's
      // other driver goes, its settings for the chosen one stay.
      const chosen = chosenKind(target.path, parsed, kinds);
      if (chosen !== undefined) {
        const earlier = selectedBy.get(sectionName);
        if (earlier && earlier.kind !== chosen) {
          problems.push({
            key: sectionName,
            message: `${variable} selects ${chosen} but ${earlier.variable} selects ${earlier.kind}; set only one`,
          });
          continue;
        }
        selectedBy.set(sectionName, { kind: chosen, variable });
        const current = expandSelectorShorthand(sectionName, raw[sectionName]);
        const kept: Mapping = {};
        if (isMapping(current)) {
          for (const [key, setting] of Object.entries(current)) {
            if (key === chosen || !kinds.includes(key)) kept[key] = setting;
          }
        }
        kept[chosen] ??= {};
        raw[sectionName] = kept;
        if (target.path.length === 1) {
          sources.set([sectionName, chosen], variable);
          continue;
        }
      }
    }
    setPath(raw, target.path, parsed);
    sources.set(target.path, variable);
  }
  return sources;
}

/** The kind a variable picks: by value for `REGISTRY_AUTH=none`, by name for `REGISTRY_AUTH_HTPASSWD_…`. */
function chosenKind(path: readonly string[], value: unknown, kinds: readonly string[]): string | undefined {
  const kind = path.length === 1 ? value : path[1];
  return typeof kind === 'string' && kinds.includes(kind) ? kind : undefined;
}

type VariableTarget =
  | { kind: 'path'; path: string[] }
  | { kind: 'ignored'; key: string }
  | { kind: 'unknown'; key: string; reason: string };

/** Walks the schema's key tree along the variable's name. */
function resolveVariable(names: readonly string[]): VariableTarget {
  const path: string[] = [];
  for (const name of names) {
    const parentKey = path.join('.');
    const node = keyNodeAt(path);
    path.push(name);
    const key = path.join('.');
    if (IGNORED_DISTRIBUTION_KEYS.includes(key)) return { kind: 'ignored', key };
    if (node?.kind === 'entries') {
      return {
        kind: 'unknown',
        key,
        reason:
          `entries of ${parentKey} cannot be set one by one from the environment (their names contain "-"); ` +
          `set ${variableName(path.slice(0, -1))} to a whole mapping like {X-Frame-Options: [DENY]}`,
      };
    }
    if (node?.kind !== 'section' || !node.children.has(name)) {
      return { kind: 'unknown', key, reason: unknownKeyReason(path.slice(0, -1), name, variableName) };
    }
  }
  return { kind: 'path', path };
}

function variableName(path: readonly string[]): string {
  return ENV_PREFIX + path.join('_').toUpperCase();
}

/**
 * Values read like YAML, as Distribution reads them: `true`, `1000`, `[a, b]`, `{enabled: false}`,
 * `"quoted"`. Anything else stays the exact text, so a realm with spaces or a `#` survives, and a value
 * that merely starts like YAML (`[::1]:5000`) is not mangled.
 */
function parseEnvValue(text: string): unknown {
  const trimmed = text.trim();
  let value: unknown;
  try {
    value = parse(trimmed);
  } catch {
    return trimmed;
  }
  if (/^["'[{]/.test(trimmed)) return value;
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return value;
  return trimmed;
}

function setPath(raw: Mapping, path: readonly string[], value: unknown): void {
  let parent = raw;
  path.forEach((key, index) => {
    if (index === path.length - 1) {
      parent[key] = value;
      return;
    }
    let child = parent[key];
    if (index === 0 && isSelectorSection(key)) child = expandSelectorShorthand(key, child);
    if (!isMapping(child)) child = {};
    parent[key] = child;
    parent = child as Mapping;
  });
}

// ---------------------------------------------------------------------------------------------------
// Validation messages

function describeIssue(issue: z.core.$ZodIssue, whereFrom: (path: readonly PropertyKey[]) => string): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    const parent = issue.path.map(String);
    return issue.keys.map((key) => {
      // The issue's own path for the key's name: a list index stays a number (`endpoints[3].url`).
      const path = [...issue.path, key];
      return { key: formatKeyPath(path), message: unknownKeyReason(parent, key) + whereFrom(path) };
    });
  }
  return [{ key: formatKeyPath(issue.path), message: issue.message + whereFrom(issue.path) }];
}

function unknownKeyReason(parent: readonly string[], key: string, spell?: (path: readonly string[]) => string): string {
  const node = keyNodeAt(parent);
  const known = node?.kind === 'section' ? [...node.children.keys()] : [];
  const suggestion = suggestKey(key, known);
  if (suggestion !== undefined) {
    return `unknown key (did you mean ${spell ? spell([...parent, suggestion]) : suggestion}?)`;
  }
  const [sectionName] = parent;
  if (parent.length === 1 && sectionName !== undefined && isSelectorSection(sectionName)) {
    const what = sectionName === 'storage' ? 'storage driver' : 'auth kind';
    return `unsupported ${what} (supported: ${SELECTOR_SECTIONS[sectionName].join(', ')})`;
  }
  if (node?.kind === 'value') return `${parent.join('.')} is a single value and has no keys`;
  return 'unknown key';
}

/** `http.tls.selfsigned.hosts[1]` */
function formatKeyPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`;
    return text === '' ? String(segment) : `${text}.${String(segment)}`;
  }, '');
}

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
