// Reading a Helm chart for `packctl pack build`: a chart folder (Chart.yaml at its top) or a chart archive
// (.tgz as `helm package` writes it). Every byte of a chart is untrusted: an archive is judged by the pack
// inspection's own walk first (links, `..`, absolute paths, entry count and unpacked size, the tar's
// structure) and then only the few files needed are streamed out of it, capped, never unpacked to disk; a
// folder is walked without following links, with the same limits. YAML is first checked by the pack rules'
// hardened checker and then only walked as a tree (never expanded with toJS).
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { create as createTar, list as listTar, type ReadEntry } from 'tar';
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { checkValuesYamlOffThread, inspectArchive, openArchiveEntry, type ArchiveLimits } from '../packs/index.js';

/** Chart.yaml and README.md are a few KiB; values.yaml gets the pack rules' own cap (MAX_VALUES_YAML_BYTES). */
export const MAX_CHART_YAML_BYTES = 256 * 1024;
export const MAX_CHART_README_BYTES = 1024 * 1024;
const MAX_CHART_VALUES_BYTES = 4 * 1024 * 1024;
/** Deeper than any real chart; a bound for the folder walk, which is iterative anyway. */
const MAX_FOLDER_DEPTH = 64;
/**
 * What a chart may hold: Helm's own default bound on a decompressed chart (`--max-chart-size`, 100 MiB)
 * and the registry's entry count. A chart archive inflating past it is a bomb, not a chart.
 */
export const CHART_LIMITS: ArchiveLimits = { maxEntries: 10_000, maxUnpackedSize: 100 * 1024 * 1024 };
/** The most images listed: a values.yaml naming thousands is not a chart anyone deploys. */
export const MAX_IMAGES = 500;

/** A chart name as Helm allows it, which is also safe as a file name and a YAML key. */
const CHART_NAME = /^[a-z0-9]([a-z0-9._-]{0,126}[a-z0-9])?$/i;
/** A chart version safe inside `charts/<name>-<version>.tgz` (its semver form is judged by the pack rules). */
const CHART_VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,127}$/;

export class ChartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChartError';
  }
}

export interface ChartFacts {
  name: string;
  version: string;
  appVersion?: string;
  description?: string;
  keywords: string[];
}

export interface LoadedChart {
  facts: ChartFacts;
  /** The chart's values.yaml text ('' when it has none). */
  values: string;
  readme?: string;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/** A YAML document, after the pack rules' hardened check has passed on it. */
async function checkedDocument(text: string, what: string): Promise<Document> {
  const problems = await checkValuesYamlOffThread(text);
  if (problems.length > 0) {
    throw new ChartError(`${what} cannot be read: ${problems.map((problem) => problem.message.replace(/^values\.yaml: /, '')).join('; ')}`);
  }
  return parseDocument(text, { uniqueKeys: false });
}

function scalarText(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  if (node.value === null || node.value === undefined) return undefined;
  if (typeof node.value === 'object') return undefined;
  // The source keeps `1.10` as written (its value would be the number 1.1).
  const text = typeof node.source === 'string' && typeof node.value !== 'string' ? node.source : String(node.value);
  return text.trim() === '' ? undefined : text.trim();
}

/** Chart.yaml's fields a pack needs; the name and version must be usable as a file name. */
export async function parseChartYaml(text: string, where: string): Promise<ChartFacts> {
  const document = await checkedDocument(text, `${where}: Chart.yaml`);
  const root = document.contents;
  if (!isMap(root)) throw new ChartError(`${where}: Chart.yaml is not a mapping`);
  const field = (key: string): string | undefined => scalarText(root.get(key, true));
  const name = field('name');
  const version = field('version');
  if (name === undefined || !CHART_NAME.test(name)) throw new ChartError(`${where}: Chart.yaml has no usable name (${quote(name ?? '')})`);
  if (version === undefined || !CHART_VERSION.test(version)) {
    throw new ChartError(`${where}: Chart.yaml has no usable version (${quote(version ?? '')})`);
  }
  const keywordsNode = root.get('keywords', true);
  const keywords = isSeq(keywordsNode) ? keywordsNode.items.map(scalarText).filter((word): word is string => word !== undefined).slice(0, 100) : [];
  const facts: ChartFacts = { name, version, keywords };
  const appVersion = field('appVersion');
  const description = field('description');
  if (appVersion !== undefined) facts.appVersion = appVersion;
  if (description !== undefined) facts.description = description;
  return facts;
}

function utf8(buffer: Buffer, what: string): string {
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  try {
    return text.decode(buffer);
  } catch {
    throw new ChartError(`${what} is not UTF-8 text`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Chart folders

/** A regular file of the folder, at most `maxBytes` long, read without following a link; undefined when absent. */
async function readFolderFile(path: string, maxBytes: number, what: string): Promise<string | undefined> {
  let info;
  try {
    info = await lstat(path);
  } catch {
    return undefined;
  }
  if (!info.isFile()) throw new ChartError(`${what} is not a regular file`);
  if (info.size > maxBytes) throw new ChartError(`${what} is ${info.size} bytes; at most ${maxBytes} are read`);
  // O_NOFOLLOW: a link swapped in after the lstat is refused, not followed.
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => {
    throw new ChartError(`${what} cannot be opened (a link is not followed)`);
  });
  try {
    const buffer = Buffer.alloc(Math.min(info.size, maxBytes) + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > maxBytes) throw new ChartError(`${what} grew past ${maxBytes} bytes while being read`);
    return utf8(buffer.subarray(0, bytesRead), what);
  } finally {
    await handle.close();
  }
}

export async function isChartFolder(folder: string): Promise<boolean> {
  try {
    return (await lstat(join(folder, 'Chart.yaml'))).isFile();
  } catch {
    return false;
  }
}

export async function loadChartFolder(folder: string): Promise<LoadedChart> {
  const chartYaml = await readFolderFile(join(folder, 'Chart.yaml'), MAX_CHART_YAML_BYTES, `${folder}/Chart.yaml`);
  if (chartYaml === undefined) throw new ChartError(`${folder} has no Chart.yaml`);
  const facts = await parseChartYaml(chartYaml, folder);
  const values = (await readFolderFile(join(folder, 'values.yaml'), MAX_CHART_VALUES_BYTES, `${folder}/values.yaml`)) ?? '';
  const readme = await readFolderFile(join(folder, 'README.md'), MAX_CHART_README_BYTES, `${folder}/README.md`);
  return readme === undefined ? { facts, values } : { facts, values, readme };
}

/**
 * The regular files of a chart folder, relative to it, in the order `helm package` writes them (Chart.yaml
 * and values.yaml first, then sorted). Links, devices and sockets are refused rather than followed or
 * skipped silently; `.git` folders are left out. The walk stops at the archive limits.
 */
export async function chartFolderFiles(folder: string, limits: ArchiveLimits): Promise<string[]> {
  const files: string[] = [];
  let entries = 0;
  let bytes = 0;
  const pending: Array<{ relative: string; depth: number }> = [{ relative: '', depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next.depth > MAX_FOLDER_DEPTH) throw new ChartError(`${folder}: folders nest more than ${MAX_FOLDER_DEPTH} levels deep`);
    for (const entry of await readdir(join(folder, next.relative), { withFileTypes: true })) {
      const relative = next.relative === '' ? entry.name : `${next.relative}/${entry.name}`;
      if (++entries > limits.maxEntries) throw new ChartError(`${folder} holds more than ${limits.maxEntries} files and folders`);
      if (entry.isDirectory()) {
        if (entry.name !== '.git') pending.push({ relative, depth: next.depth + 1 });
      } else if (entry.isFile()) {
        bytes += (await lstat(join(folder, relative))).size;
        if (bytes > limits.maxUnpackedSize) throw new ChartError(`${folder} holds more than ${limits.maxUnpackedSize} bytes`);
        files.push(relative);
      } else {
        throw new ChartError(`${folder}/${relative} is not a regular file or folder (links are not followed into a chart)`);
      }
    }
  }
  const first = ['Chart.yaml', 'values.yaml'].filter((path) => files.includes(path));
  const rest = files.filter((path) => !first.includes(path)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return [...first, ...rest];
}

/** The folder as `helm package` archives it: a gzipped tar of its files under `<chart name>/`, no folder entries. */
export async function packageChartFolder(folder: string, chartName: string, archivePath: string, limits: ArchiveLimits): Promise<void> {
  const files = await chartFolderFiles(folder, limits);
  await pipeline(
    createTar({ gzip: true, cwd: folder, portable: true, follow: false, noDirRecurse: true, prefix: chartName }, files),
    createWriteStream(archivePath, { flags: 'wx', mode: 0o644 }),
  );
}

// ---------------------------------------------------------------------------------------------------
// Chart archives

/** Rules the pack inspection reports for any chart archive, because a chart is not a pack. */
const NOT_A_PACK_RULES: ReadonlySet<string> = new Set(['file-missing']);

/** The single top-level folder of an archive that passed the inspection's walk (so listing it is bounded). */
async function topFolderOf(archivePath: string): Promise<string | undefined> {
  let top: string | undefined;
  await listTar({
    file: archivePath,
    onReadEntry: (entry: ReadEntry) => {
      const first = entry.path.replace(/^\.\//, '').split('/')[0];
      if (top === undefined && first) top = first;
      entry.resume();
    },
  });
  return top;
}

async function readArchiveEntry(archivePath: string, entryPath: string, maxBytes: number, what: string): Promise<string | undefined> {
  let entry;
  try {
    entry = await openArchiveEntry(createReadStream(archivePath), entryPath, maxBytes);
  } catch (error) {
    throw new ChartError(`${what}: ${(error as Error).message}`);
  }
  if (entry === null) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of entry as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      entry.destroy();
      throw new ChartError(`${what} is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return utf8(Buffer.concat(chunks), what);
}

export async function loadChartArchive(archivePath: string, limits: ArchiveLimits): Promise<LoadedChart> {
  let inspection;
  try {
    inspection = await inspectArchive(createReadStream(archivePath), limits);
  } catch (error) {
    throw new ChartError(`cannot read ${archivePath}: ${(error as Error).message}`);
  }
  // The walk refuses links, `..`, absolute paths, ambiguous tar and passing the limits; the chart's own
  // values.yaml is judged by the pack rules' YAML check. Only "pack.json is missing" is expected.
  const problems = inspection.ok ? [] : inspection.problems.filter((problem) => !NOT_A_PACK_RULES.has(problem.rule));
  if (problems.length > 0) {
    throw new ChartError(`${archivePath} is not a chart archive packctl can read: ${problems.map((problem) => problem.message).join('; ')}`);
  }
  const top = await topFolderOf(archivePath);
  if (top === undefined || top === 'Chart.yaml') throw new ChartError(`${archivePath} is not a chart archive: its files must lie in one folder named after the chart`);
  const chartYaml = await readArchiveEntry(archivePath, `${top}/Chart.yaml`, MAX_CHART_YAML_BYTES, `${archivePath}: Chart.yaml`);
  if (chartYaml === undefined) throw new ChartError(`${archivePath} is not a chart archive: it has no ${top}/Chart.yaml`);
  const facts = await parseChartYaml(chartYaml, archivePath);
  if (facts.name !== top) throw new ChartError(`${archivePath}: the chart is named ${quote(facts.name)} but its folder is ${quote(top)}`);
  const values = (await readArchiveEntry(archivePath, `${top}/values.yaml`, MAX_CHART_VALUES_BYTES, `${archivePath}: values.yaml`)) ?? '';
  const readme = await readArchiveEntry(archivePath, `${top}/README.md`, MAX_CHART_README_BYTES, `${archivePath}: README.md`);
  return readme === undefined ? { facts, values } : { facts, values, readme };
}

// ---------------------------------------------------------------------------------------------------
// Images named in values.yaml

/** A container image reference: no spaces, no template braces, registry/path[:tag][@digest]. */
const IMAGE_REFERENCE = /^[a-z0-9][a-z0-9._\-/:@]*$/i;

/** `image`, and the variants charts use for several: `initImage`, `sidecar_image`. */
function isImageKey(key: string): boolean {
  return key === 'image' || /[a-z0-9]Image$/.test(key) || /[a-z0-9]_image$/.test(key);
}

function imageOfMap(map: unknown, fallbackTag: string | undefined): string | undefined {
  if (!isMap(map)) return undefined;
  const field = (key: string): string | undefined => scalarText(map.get(key, true));
  const repository = field('repository') ?? field('repo') ?? field('name');
  if (repository === undefined) return undefined;
  const registry = field('registry');
  const path = registry !== undefined && !repository.startsWith(`${registry}/`) ? `${registry}/${repository}` : repository;
  const digest = field('digest');
  const tag = field('tag') ?? fallbackTag;
  let reference = path;
  if (tag !== undefined && !/:[^/]*$/.test(path)) reference += `:${tag}`;
  if (digest !== undefined) reference += `@${digest}`;
  return reference;
}

/**
 * The container images a chart's values name, in order of first appearance, without duplicates: a key
 * `image` (or `…Image`) holding either a reference (`repo:tag`) or a mapping with `repository` (or `repo`,
 * `name`) and optionally `registry`, `tag` and `digest`. An empty tag means the chart's appVersion, the
 * way Helm charts default it. Aliases are not followed. The text must have passed checkValuesYaml.
 */
export function imagesInValues(document: Document, appVersion?: string): string[] {
  const images: string[] = [];
  const seen = new Set<string>();
  const add = (reference: string | undefined): void => {
    if (reference === undefined || !IMAGE_REFERENCE.test(reference) || seen.has(reference) || images.length >= MAX_IMAGES) return;
    seen.add(reference);
    images.push(reference);
  };
  const pending: unknown[] = [document.contents];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (isAlias(node)) continue;
    if (isPair(node)) {
      const key = scalarText(node.key);
      const value = node.value;
      if (key !== undefined && isImageKey(key)) {
        const reference = isScalar(value) ? scalarText(value) : imageOfMap(value, appVersion);
        if (reference !== undefined) {
          add(reference);
          continue;
        }
      }
      pending.push(value);
    } else if (isSeq(node) || isMap(node)) {
      // Pushed in reverse, so that the first item is taken first: images keep the order of the file.
      for (let index = node.items.length - 1; index >= 0; index--) pending.push(node.items[index]);
    }
  }
  return images;
}

/** A chart's values, checked by the pack rules and parsed (not expanded). */
export async function parseChartValues(text: string, where: string): Promise<Document> {
  return checkedDocument(text, `${where}: values.yaml`);
}
