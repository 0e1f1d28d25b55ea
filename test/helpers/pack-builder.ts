// Builds sample packs in memory: the files of a pack folder as real packs lay them out (pack.json,
// values.yaml, README.md, logo.png, charts/*.tgz that are real gzipped tars of a Helm chart, sometimes
// with the chart's unpacked source next to them, manifests/*.yaml, schema.yaml, presets.yaml, hidden
// files), and the pack's .tar.gz. Everything is deterministic — fixed mtimes, modes and entry order — so
// the same spec gives the same bytes and the same digests on every run.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { create as createTar } from 'tar';
import { TAR_END, rawTarEntries } from './raw-tar.js';
import { HELMIGNORE, chartValuesYaml, chartYaml, helmTemplate, helpersTpl, notesTxt } from './kube-yaml.js';
import { pseudoRandomBytes } from './pseudo-random.js';

/** The mtime of every entry the builder writes: a fixed instant, so archives do not change between runs. */
export const FIXED_MTIME = new Date('2024-01-01T00:00:00Z');

export type FileBody = string | Buffer;

export interface ChartSpec {
  name: string;
  version: string;
  appVersion?: string;
  /** Paths under templates/ (e.g. `agent/daemonset.yaml`); each becomes a template of the kind its name suggests. */
  templates: string[];
  /** The chart's values.yaml; by default one block per template folder. */
  values?: string;
  /** Other files, by path relative to the chart folder: crds/, examples/, README.md, LICENSE, charts/<sub>.tgz… */
  files?: Record<string, FileBody>;
  /** Subcharts kept unpacked under charts/<name>/, as umbrella charts such as eck-stack carry them. */
  subcharts?: ChartSpec[];
  /** Incompressible bytes in files/payload.bin: a chart that is large on the wire, like one bundling binaries. */
  payloadBytes?: number;
  /** Helm writes .helmignore into every chart it creates; a few published charts have none. Default true. */
  helmignore?: boolean;
}

export interface PackChart {
  chart: ChartSpec;
  /**
   * Also lay the chart's source out under charts/<name>/ next to the .tgz. Many community packs do: the
   * folder is what the author edited, the .tgz what pack.json lists. It is where a pack's hidden files
   * (.helmignore) and most of its files come from.
   */
  unpacked?: boolean;
}

export interface PackSpec {
  /** pack.json as written; `charts` and `kubeManifests` are filled in from the spec unless given. */
  packJson: Record<string, unknown>;
  /** values.yaml, byte for byte (real ones may be empty or lack a final newline). */
  values: string;
  readme?: string;
  logo?: Buffer;
  charts?: PackChart[];
  /** Files under manifests/, by file name. */
  manifests?: Record<string, string>;
  /** Any other file by path: schema.yaml, presets.yaml, .gitkeep, leftovers such as a .tgz.orig… */
  files?: Record<string, FileBody>;
}

export function chartArchiveName(chart: ChartSpec): string {
  return `${chart.name}-${chart.version}.tgz`;
}

function toBuffer(body: FileBody): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

/** Sorted by UTF-8 bytes, the order inspectArchive lists files in. */
function sortedMap(files: Map<string, Buffer>): Map<string, Buffer> {
  return new Map([...files].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
}

/** A chart's files by path relative to its folder. */
export function chartFiles(chart: ChartSpec): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const folders = [...new Set(chart.templates.map((path) => (path.includes('/') ? (path.split('/')[0] ?? '') : '')).filter(Boolean))];
  files.set('Chart.yaml', Buffer.from(chartYaml(chart.name, chart.version, chart.appVersion ?? chart.version, (chart.subcharts ?? []).map((sub) => sub.name))));
  files.set('values.yaml', Buffer.from(chart.values ?? chartValuesYaml(chart.name, folders.length > 0 ? folders : [chart.name])));
  if (chart.helmignore ?? true) files.set('.helmignore', Buffer.from(HELMIGNORE));
  // An umbrella chart made only of subcharts has no templates/ of its own.
  if (chart.templates.length > 0) {
    files.set('templates/_helpers.tpl', Buffer.from(helpersTpl(chart.name)));
    files.set('templates/NOTES.txt', Buffer.from(notesTxt(chart.name)));
  }
  for (const template of chart.templates) files.set(`templates/${template}`, Buffer.from(helmTemplate(chart.name, template)));
  for (const [path, body] of Object.entries(chart.files ?? {})) files.set(path, toBuffer(body));
  for (const sub of chart.subcharts ?? []) {
    for (const [path, body] of chartFiles(sub)) files.set(`charts/${sub.name}/${path}`, body);
  }
  if (chart.payloadBytes) files.set('files/payload.bin', pseudoRandomBytes(`${chart.name}-${chart.version}-payload`, chart.payloadBytes));
  return sortedMap(files);
}

/**
 * Gzip with the header's OS byte pinned to Unix: zlib writes the build platform there, which would make the
 * same archive differ between Linux and macOS. (The deflate stream is the same for the same zlib build.)
 */
export function gzipPinned(bytes: Buffer): Buffer {
  const gzipped = gzipSync(bytes);
  gzipped[9] = 3;
  return gzipped;
}

/**
 * The chart's .tgz as `helm package` writes it: every file under `<name>/`, Chart.yaml and values.yaml
 * first, no directory entries, one fixed mtime.
 */
export function chartArchive(chart: ChartSpec): Buffer {
  const files = chartFiles(chart);
  const first = ['Chart.yaml', 'values.yaml'].filter((path) => files.has(path));
  const order = [...first, ...[...files.keys()].filter((path) => !first.includes(path))];
  const entries = order.map((path) => ({ path: `${chart.name}/${path}`, body: files.get(path), mtime: FIXED_MTIME, mode: 0o644 }));
  return gzipPinned(Buffer.concat([rawTarEntries(entries), TAR_END]));
}

/** The files of a pack folder, by path relative to the pack root, sorted. */
export function buildPackFiles(spec: PackSpec): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const packJson = { ...spec.packJson };
  const charts = spec.charts ?? [];
  const manifests = Object.keys(spec.manifests ?? {});
  if (!('charts' in packJson) && charts.length > 0) packJson['charts'] = charts.map(({ chart }) => `charts/${chartArchiveName(chart)}`);
  if (!('kubeManifests' in packJson) && manifests.length > 0) packJson['kubeManifests'] = manifests.map((name) => `manifests/${name}`);
  files.set('pack.json', Buffer.from(`${JSON.stringify(packJson, null, 2)}\n`));
  files.set('values.yaml', Buffer.from(spec.values));
  if (spec.readme !== undefined) files.set('README.md', Buffer.from(spec.readme));
  if (spec.logo) files.set('logo.png', spec.logo);
  for (const { chart, unpacked } of charts) {
    files.set(`charts/${chartArchiveName(chart)}`, chartArchive(chart));
    if (unpacked) for (const [path, body] of chartFiles(chart)) files.set(`charts/${chart.name}/${path}`, body);
  }
  for (const [name, text] of Object.entries(spec.manifests ?? {})) files.set(`manifests/${name}`, Buffer.from(text));
  for (const [path, body] of Object.entries(spec.files ?? {})) files.set(path, toBuffer(body));
  return sortedMap(files);
}

/** Every folder that holds one of `paths`, parents first. */
function foldersOf(paths: Iterable<string>): string[] {
  const folders = new Set<string>();
  for (const path of paths) {
    const parts = path.split('/');
    for (let depth = 1; depth < parts.length; depth++) folders.add(parts.slice(0, depth).join('/'));
  }
  return [...folders];
}

/**
 * A .tar.gz of `files` written by node-tar (the tar packctl itself uses), under the folder `topDir` or at
 * the root when it is null. node-tar reads from disk, so the files go to a temporary folder first; the
 * entries are named one by one in sorted order (no directory walk, whose order the file system decides),
 * with fixed modes and mtimes, so the archive bytes depend on the files alone. Synchronous file calls:
 * a few hundred small files are written in a tenth of the time the promise API takes.
 */
export async function tarGzipFiles(files: ReadonlyMap<string, Buffer>, topDir: string | null): Promise<Buffer> {
  const work = mkdtempSync(join(tmpdir(), 'sample-pack-'));
  try {
    const folders = foldersOf(files.keys());
    for (const folder of folders) mkdirSync(join(work, folder), { recursive: true });
    for (const folder of folders) chmodSync(join(work, folder), 0o755);
    for (const [path, body] of files) {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      writeFileSync(join(work, path), body);
      chmodSync(join(work, path), 0o644);
    }
    const entries = [...folders, ...files.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const options = { cwd: work, portable: true, noDirRecurse: true, mtime: FIXED_MTIME, sync: true as const, ...(topDir === null ? {} : { prefix: topDir }) };
    const chunks: Buffer[] = [];
    for await (const chunk of createTar(options, entries)) chunks.push(chunk as Buffer);
    return gzipPinned(Buffer.concat(chunks));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
