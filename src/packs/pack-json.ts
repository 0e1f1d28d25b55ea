// pack.json rules, shared by the registry (on push) and packctl (before uploading), so both refuse the
// same packs with the same words. Every problem is collected; nothing stops at the first one.
import { isValidGroup, isValidPackName, normalizeArchivePath } from './names.js';
import { LAYERS, type Layer, type PackManifest, type PackProblem } from './types.js';
import { MAX_PACK_VERSION_LENGTH, normalizePackVersion } from './version.js';

/** Real pack.json files are a few KiB; the cap keeps a hostile upload from costing memory and parse time. */
export const MAX_PACK_JSON_BYTES = 1024 * 1024;

/**
 * V8's JSON.parse is iterative and accepts `[[[[…` nested 500 000 deep, but JSON.stringify, structured
 * clones and most code that walks the object are recursive and would overflow the stack later, far from
 * here. Real pack.json files nest 4–5 levels (constraints.dependencies[].field).
 */
export const MAX_PACK_JSON_DEPTH = 64;

export interface ManifestResult {
  manifest?: PackManifest;
  problems: PackProblem[];
}

const FILE = 'pack.json';
const UTF8_BOM = '\uFEFF';

function fieldProblem(field: string, message: string, rule = 'pack-json-field'): PackProblem {
  return { rule, message: `pack.json: ${message}`, path: `${FILE}:${field}` };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  return `a ${typeof value}`;
}

/**
 * Parses pack.json text and validates it. `filePaths` (paths relative to the pack root) lets the
 * chart and manifest references be checked; without it only the file itself is judged.
 */
export function parsePackJson(text: string, filePaths?: ReadonlySet<string>): ManifestResult {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_PACK_JSON_BYTES) {
    return {
      problems: [
        {
          rule: 'pack-json-too-large',
          message: `pack.json is ${bytes} bytes; at most ${MAX_PACK_JSON_BYTES} are allowed`,
          path: FILE,
        },
      ],
    };
  }
  // Editors on Windows write a byte-order mark; JSON.parse refuses it but it carries no meaning.
  const source = text.startsWith(UTF8_BOM) ? text.slice(1) : text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch (error) {
    return { problems: [jsonParseProblem(error)] };
  }
  return validateManifest(parsed, filePaths);
}

function jsonParseProblem(error: unknown): PackProblem {
  if (error instanceof RangeError) {
    return { rule: 'pack-json-depth', message: 'pack.json is nested too deeply to be read', path: FILE };
  }
  const detail = error instanceof Error ? error.message : String(error);
  return { rule: 'pack-json-syntax', message: `pack.json is not valid JSON: ${detail}`, path: FILE };
}

/** Depth of nested arrays/objects, computed without recursion and abandoned once `limit` is passed. */
function exceedsDepth(value: unknown, limit: number): boolean {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue;
    const depth = next.depth + 1;
    if (depth > limit) return true;
    for (const child of Object.values(next.value)) pending.push({ value: child, depth });
  }
  return false;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates a parsed pack.json. Unknown keys (`annotations`, `constraints`, `eol`, …) are kept in `raw`.
 * `filePaths` holds the pack's regular files relative to its root; every `kubeManifests` and `charts`
 * entry must be one of them. The manifest is returned only when there is no problem.
 */
export function validateManifest(obj: unknown, filePaths?: ReadonlySet<string>): ManifestResult {
  if (!isPlainObject(obj)) {
    return {
      problems: [{ rule: 'pack-json-type', message: `pack.json must hold a JSON object, not ${describe(obj)}`, path: FILE }],
    };
  }
  const problems: PackProblem[] = [];
  if (exceedsDepth(obj, MAX_PACK_JSON_DEPTH)) {
    problems.push({
      rule: 'pack-json-depth',
      message: `pack.json nests objects and arrays more than ${MAX_PACK_JSON_DEPTH} levels deep`,
      path: FILE,
    });
  }
  const name = readName(obj, problems);
  const displayName = readRequiredString(obj, 'displayName', problems);
  const version = readRequiredString(obj, 'version', problems);
  const normalizedVersion = version === undefined ? undefined : readVersion(version, problems);
  const layer = readLayer(obj, problems);
  const group = readGroup(obj, problems);
  const addonType = readOptionalString(obj, 'addonType', problems);
  const cloudTypes = readStringList(obj, 'cloudTypes', problems);
  const kubeManifests = readStringList(obj, 'kubeManifests', problems);
  const charts = readStringList(obj, 'charts', problems);
  if (filePaths) {
    checkReferencedFiles('kubeManifests', kubeManifests, filePaths, problems);
    checkReferencedFiles('charts', charts, filePaths, problems);
  }
  if (
    problems.length > 0 ||
    name === undefined ||
    displayName === undefined ||
    version === undefined ||
    normalizedVersion === undefined ||
    layer === undefined
  ) {
    return { problems };
  }
  const manifest: PackManifest = {
    name,
    displayName,
    version,
    normalizedVersion,
    layer,
    cloudTypes,
    kubeManifests,
    charts,
    raw: obj,
  };
  if (group !== undefined) manifest.group = group;
  if (addonType !== undefined) manifest.addonType = addonType;
  return { manifest, problems };
}

function readRequiredString(obj: Record<string, unknown>, field: string, problems: PackProblem[]): string | undefined {
  const value = obj[field];
  if (value === undefined) {
    problems.push(fieldProblem(field, `"${field}" is required`));
    return undefined;
  }
  if (typeof value !== 'string' || value.trim() === '') {
    problems.push(fieldProblem(field, `"${field}" must be a non-empty string, not ${describe(value)}`));
    return undefined;
  }
  return value;
}

function readName(obj: Record<string, unknown>, problems: PackProblem[]): string | undefined {
  const name = readRequiredString(obj, 'name', problems);
  if (name === undefined) return undefined;
  if (!isValidPackName(name)) {
    problems.push(
      fieldProblem(
        'name',
        `name ${describe(name)} is not a valid pack name (1–128 letters, digits, '.', '_' or '-', starting with a letter or digit)`,
      ),
    );
    return undefined;
  }
  return name;
}

function readVersion(version: string, problems: PackProblem[]): string | undefined {
  if (version.length > MAX_PACK_VERSION_LENGTH) {
    problems.push(
      fieldProblem('version', `version ${describe(version)} is ${version.length} characters long; at most ${MAX_PACK_VERSION_LENGTH} are allowed`),
    );
    return undefined;
  }
  const normalized = normalizePackVersion(version);
  if (normalized === null) {
    problems.push(
      fieldProblem(
        'version',
        `version ${describe(version)} is not a semantic version (expected e.g. 1.2.3, 1.5, 23.07.1 or 2.0.1-up.1)`,
      ),
    );
    return undefined;
  }
  return normalized;
}

function isLayer(value: string): value is Layer {
  return (LAYERS as readonly string[]).includes(value);
}

function readLayer(obj: Record<string, unknown>, problems: PackProblem[]): Layer | undefined {
  const layer = readRequiredString(obj, 'layer', problems);
  if (layer === undefined) return undefined;
  if (!isLayer(layer)) {
    problems.push(fieldProblem('layer', `layer ${describe(layer)} is not one of ${LAYERS.join(', ')}`));
    return undefined;
  }
  return layer;
}

/** Absent, null, empty or blank all mean "no group": real packs carry `"group": ""` and `"group": " "`. */
function readGroup(obj: Record<string, unknown>, problems: PackProblem[]): string | undefined {
  const value = obj['group'];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    problems.push(fieldProblem('group', `"group" must be a string, not ${describe(value)}`));
    return undefined;
  }
  const group = value.trim();
  if (group === '') return undefined;
  // The group becomes part of a tag (`G__V`), so it must be something a tag may contain.
  if (!isValidGroup(group)) {
    problems.push(fieldProblem('group', `group ${describe(group)} may only hold letters, digits, '.', '_' and '-'`));
    return undefined;
  }
  return group;
}

/** Optional free text: null and blank count as absent (Go encoders write null for unset fields). */
function readOptionalString(obj: Record<string, unknown>, field: string, problems: PackProblem[]): string | undefined {
  const value = obj[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    problems.push(fieldProblem(field, `"${field}" must be a string, not ${describe(value)}`));
    return undefined;
  }
  return value.trim() === '' ? undefined : value;
}

/** Absent or null (a Go nil slice) is an empty list; anything else must be an array of non-empty strings. */
function readStringList(obj: Record<string, unknown>, field: string, problems: PackProblem[]): string[] {
  const value = obj[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.push(fieldProblem(field, `"${field}" must be an array of strings, not ${describe(value)}`));
    return [];
  }
  const items: string[] = [];
  value.forEach((item: unknown, index) => {
    if (typeof item === 'string' && item !== '') items.push(item);
    else problems.push(fieldProblem(`${field}[${index}]`, `${field}[${index}] must be a non-empty string, not ${describe(item)}`));
  });
  return items;
}

function checkReferencedFiles(
  field: string,
  paths: readonly string[],
  filePaths: ReadonlySet<string>,
  problems: PackProblem[],
): void {
  paths.forEach((path, index) => {
    if (!filePaths.has(normalizeArchivePath(path))) {
      problems.push(
        fieldProblem(`${field}[${index}]`, `${field} lists ${describe(path)}, which is not a file in the pack`, 'pack-json-missing-file'),
      );
    }
  });
}
