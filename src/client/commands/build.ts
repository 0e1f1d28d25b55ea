// `packctl pack build PACK_NAME TARGET_DIR`: turns the Helm chart(s) in TARGET_DIR into a pack in that same
// folder — the Spectro CLI's "TARGET_DIR: directory containing the pack data", so that `pack push TARGET_DIR`
// (or `-p`) uploads it. Written: pack.json, values.yaml (a `pack:` section with the namespace and the images
// the charts' values name, then each chart's values under `charts.<chart>:`), README.md when missing, and
// every chart as charts/<name>-<version>.tgz. Nothing existing is overwritten without --force, and the charts
// are read as untrusted input (see helm-chart.ts).
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { isMap, stringify } from 'yaml';
import { checkValuesYamlOffThread, isValidPackName, isValidPackVersion } from '../../packs/index.js';
import { packDirectory } from '../archive.js';
import type { ClientContext } from '../context.js';
import { CliError, EXIT, usageError } from '../errors.js';
import {
  CHART_LIMITS,
  ChartError,
  chartFolderFiles,
  imagesInValues,
  isChartFolder,
  loadChartArchive,
  loadChartFolder,
  packageChartFolder,
  parseChartValues,
  type ChartFacts,
  type LoadedChart,
} from '../helm-chart.js';
import { writeLines } from '../printable.js';
import { withTemporaryFolder } from '../temporary.js';
import { inspectArchiveFile, invalidPackError } from '../validate.js';
import { push } from './push.js';

export interface BuildOptions {
  push?: boolean;
  registry?: string;
  force?: boolean;
}

/** One chart found in TARGET_DIR: an unpacked chart folder, or an archive. */
export interface ChartSource {
  kind: 'folder' | 'archive';
  /** Absolute path of the folder or the .tgz. */
  path: string;
  chart: LoadedChart;
}

/** A chart of the pack as it will be written: its archive's path inside the pack, and the images it names. */
export interface PackChartPlan {
  source: ChartSource;
  /** `charts/<name>-<version>.tgz`, or where an archive under charts/ already is. */
  archivePath: string;
  images: string[];
  /** The chart's values, ready to be indented under `charts.<name>:`. */
  valuesText: string;
}

/**
 * Palette's addon types, chosen from the chart's keywords; a chart saying nothing that matches is a
 * "system app" (what the OAM and other generic community packs use). The author may edit pack.json after.
 */
const ADDON_TYPE_KEYWORDS: ReadonlyArray<[RegExp, string]> = [
  [/^(monitoring|metrics|prometheus|grafana|observability|alerting|tracing)$/i, 'monitoring'],
  [/^(logging|logs?|fluentd|fluent-?bit|loki|elasticsearch)$/i, 'logging'],
  [/^(security|policy|policies|opa|gatekeeper|kyverno|vulnerability|compliance|scanning)$/i, 'security'],
  [/^(ingress|ingress-controller|gateway|gateway-api)$/i, 'ingress'],
  [/^(load-?balancer|loadbalancer|metallb)$/i, 'load balancer'],
  [/^(service-?mesh|istio|linkerd|mesh)$/i, 'servicemesh'],
  [/^(auth|authentication|oidc|sso|oauth2?|identity)$/i, 'authentication'],
  [/^(registry|container-registry|harbor|oci)$/i, 'registry'],
];
export const DEFAULT_ADDON_TYPE = 'system app';

export function addonTypeOf(facts: ChartFacts): string {
  for (const keyword of facts.keywords) {
    for (const [pattern, addonType] of ADDON_TYPE_KEYWORDS) if (pattern.test(keyword)) return addonType;
  }
  return DEFAULT_ADDON_TYPE;
}

/** `my-awesome_pack` → `My Awesome Pack`. */
export function displayNameOf(packName: string): string {
  return packName
    .split(/[-_.]+/)
    .filter(Boolean)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

/** The chart that gives the pack its version and README: the one named like the pack, else the first by name. */
export function mainChart(packName: string, plans: readonly PackChartPlan[]): PackChartPlan {
  const named = plans.find((plan) => plan.source.chart.facts.name === packName);
  const first = named ?? plans[0];
  if (!first) throw new ChartError('no chart');
  return first;
}

export function packJsonFor(packName: string, plans: readonly PackChartPlan[]): Record<string, unknown> {
  const main = mainChart(packName, plans).source.chart.facts;
  return {
    addonType: addonTypeOf(main),
    annotations: {},
    charts: plans.map((plan) => plan.archivePath),
    cloudTypes: ['all'],
    displayName: displayNameOf(packName),
    layer: 'addon',
    name: packName,
    version: main.version,
  };
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((line) => (line.trim() === '' ? '' : pad + line))
    .join('\n');
}

/**
 * The chart's values as text for `charts.<name>:`: kept as the author wrote it (comments are the
 * documentation users read in Palette) unless it carries document markers or directives, which cannot be
 * nested; then it is written anew from the parsed tree.
 */
async function chartValuesText(chart: LoadedChart, where: string): Promise<{ text: string; images: string[] }> {
  const source = chart.values.startsWith('\uFEFF') ? chart.values.slice(1) : chart.values;
  const document = await parseChartValues(source, where);
  const contents = document.contents;
  const images = imagesInValues(document, chart.facts.appVersion);
  if (contents === null || source.trim() === '') return { text: '{}', images };
  if (!isMap(contents)) throw new ChartError(`${where}: values.yaml must hold a mapping`);
  if (/^(---|\.\.\.)(\s|$)|^%/m.test(source)) return { text: stringify(contents).trimEnd(), images };
  return { text: source.trimEnd(), images };
}

export function valuesYamlFor(packName: string, plans: readonly PackChartPlan[]): string {
  const images = [...new Set(plans.flatMap((plan) => plan.images))];
  const lines = ['pack:', '  # The namespace on the target cluster to install the charts in.', `  namespace: ${JSON.stringify(packName)}`];
  if (images.length > 0) {
    lines.push('  content:', '    images:', ...images.map((image) => `      - image: ${JSON.stringify(image)}`));
  }
  lines.push('', 'charts:');
  for (const plan of plans) {
    const text = plan.valuesText;
    if (text === '{}') lines.push(`  ${plan.source.chart.facts.name}: {}`);
    else lines.push(`  ${plan.source.chart.facts.name}:`, indent(text, 4));
  }
  return `${lines.join('\n')}\n`;
}

export function readmeFor(packName: string, main: LoadedChart): string {
  if (main.readme !== undefined && main.readme.trim() !== '') return main.readme;
  const description = main.facts.description ?? `The ${main.facts.name} Helm chart, version ${main.facts.version}.`;
  return `# ${displayNameOf(packName)}\n\n${description}\n`;
}

async function kindOf(path: string): Promise<'file' | 'folder' | 'other' | undefined> {
  try {
    const info = await lstat(path);
    return info.isFile() ? 'file' : info.isDirectory() ? 'folder' : 'other';
  } catch {
    return undefined;
  }
}

/** Charts in TARGET_DIR and TARGET_DIR/charts: folders holding Chart.yaml and `*.tgz` archives. */
export async function findChartSources(targetDir: string): Promise<ChartSource[]> {
  const sources: ChartSource[] = [];
  for (const folder of [targetDir, join(targetDir, 'charts')]) {
    if ((await kindOf(folder)) !== 'folder') continue;
    const entries = (await readdir(folder, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.name.startsWith('.')) continue;
      if (entry.isFile() && entry.name.endsWith('.tgz')) {
        sources.push({ kind: 'archive', path, chart: await loadChartArchive(path, CHART_LIMITS) });
      } else if (entry.isDirectory() && !(folder === targetDir && entry.name === 'charts') && (await isChartFolder(path))) {
        sources.push({ kind: 'folder', path, chart: await loadChartFolder(path) });
      }
    }
  }
  return sources;
}

/**
 * One source per chart name. A chart folder next to its own archive at charts/<name>-<version>.tgz (the
 * layout of many community packs) is the source, and that archive is rewritten from it (with --force).
 * Anything else naming one chart twice is ambiguous and refused.
 */
export function planCharts(targetDir: string, sources: readonly ChartSource[]): PackChartPlan[] {
  const byName = new Map<string, ChartSource[]>();
  for (const source of sources) byName.set(source.chart.facts.name, [...(byName.get(source.chart.facts.name) ?? []), source]);
  const plans: PackChartPlan[] = [];
  for (const [name, group] of [...byName].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const folders = group.filter((source) => source.kind === 'folder');
    const chosen = folders.length === 1 ? folders[0] : group.length === 1 ? group[0] : undefined;
    if (!chosen) throw usageError(`more than one chart named ${name} in ${targetDir} (${group.map((source) => source.path).join(', ')}): keep one`);
    const canonical = `charts/${name}-${chosen.chart.facts.version}.tgz`;
    for (const other of group) {
      if (other !== chosen && resolve(other.path) !== resolve(targetDir, canonical)) {
        throw usageError(`more than one chart named ${name} in ${targetDir} (${chosen.path}, ${other.path}): keep one`);
      }
    }
    const underCharts = chosen.kind === 'archive' && resolve(chosen.path) === resolve(targetDir, 'charts', basename(chosen.path));
    plans.push({ source: chosen, archivePath: underCharts ? `charts/${basename(chosen.path)}` : canonical, images: [], valuesText: '' });
  }
  return plans;
}

export interface BuildResult {
  packJson: Record<string, unknown>;
  /** Files written or moved, relative to TARGET_DIR. */
  written: string[];
}

/** Writes `body` to `path` through a temporary file in the same folder, so no half-written file is left. */
async function replaceFile(path: string, body: string): Promise<void> {
  const temporary = `${path}.packctl-${randomBytes(6).toString('hex')}`;
  try {
    await writeFile(temporary, body, { flag: 'wx', mode: 0o644 });
    await rename(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
}

/** Builds the pack in `targetDir` without printing or pushing; throws CliError for every refusal. */
export async function buildPack(packName: string, targetDir: string, options: { force?: boolean } = {}): Promise<BuildResult> {
  if (!isValidPackName(packName)) {
    throw usageError(`${JSON.stringify(packName)} is not a valid pack name (1–128 letters, digits, '.', '_' or '-', starting with a letter or digit)`);
  }
  const kind = await kindOf(targetDir);
  if (kind !== 'folder') throw usageError(`${targetDir}: ${kind === undefined ? 'no such folder' : 'not a folder'}; give the folder holding the Helm chart`);
  if (await isChartFolder(targetDir)) {
    throw usageError(`${targetDir} is itself a chart folder: its values.yaml cannot also be the pack's; put the chart in a subfolder (${targetDir}/<chart>/) or give its .tgz`);
  }
  let plans: PackChartPlan[];
  try {
    plans = planCharts(targetDir, await findChartSources(targetDir));
    if (plans.length === 0) throw usageError(`no Helm chart in ${targetDir}: expected a chart folder (with Chart.yaml) or a chart archive (*.tgz) in it or in its charts/ folder`);
    for (const plan of plans) {
      // A folder's links or size are refused now, before anything is written.
      if (plan.source.kind === 'folder') await chartFolderFiles(plan.source.path, CHART_LIMITS);
      const { text, images } = await chartValuesText(plan.source.chart, plan.source.path);
      plan.valuesText = text;
      plan.images = images;
    }
  } catch (error) {
    if (error instanceof ChartError) throw new CliError(EXIT.INVALID_PACK, error.message);
    throw error;
  }
  const packJson = packJsonFor(packName, plans);
  const version = String(packJson.version);
  if (!isValidPackVersion(version)) {
    throw new CliError(EXIT.INVALID_PACK, `the chart's version ${JSON.stringify(version)} is not a version a pack may have (e.g. 1.2.3, 1.5, 2.0.1-up.1)`);
  }
  const valuesYaml = valuesYamlFor(packName, plans);
  const problems = await checkValuesYamlOffThread(valuesYaml);
  if (problems.length > 0) throw new CliError(EXIT.INVALID_PACK, [...problems.map((problem) => problem.message), 'the values.yaml made from the chart is not valid; nothing was written']);

  // Nothing existing is replaced without --force; an existing README.md is the author's and is kept.
  const outputs = ['pack.json', 'values.yaml', ...plans.filter((plan) => resolve(plan.source.path) !== resolve(targetDir, plan.archivePath)).map((plan) => plan.archivePath)];
  const existing: string[] = [];
  for (const output of outputs) if ((await kindOf(join(targetDir, output))) !== undefined) existing.push(output);
  if (existing.length > 0 && !options.force) {
    throw new CliError(EXIT.CONFLICT, `${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''} in ${targetDir}; nothing was written (pass --force to replace)`);
  }
  for (const output of existing) {
    if ((await kindOf(join(targetDir, output))) !== 'file') throw new CliError(EXIT.CONFLICT, `${join(targetDir, output)} is in the way and is not a file`);
  }

  const written: string[] = [];
  await mkdir(join(targetDir, 'charts'), { recursive: true });
  // Charts first and pack.json last: a pack.json present means the build finished.
  for (const plan of plans) {
    const destination = join(targetDir, plan.archivePath);
    if (resolve(plan.source.path) === resolve(destination)) continue;
    if (plan.source.kind === 'archive') {
      // An archive given at the top of TARGET_DIR moves to where packs keep charts.
      await rename(plan.source.path, destination);
    } else {
      const temporary = join(targetDir, 'charts', `.${plan.source.chart.facts.name}.packctl-${randomBytes(6).toString('hex')}.tgz`);
      try {
        await packageChartFolder(plan.source.path, plan.source.chart.facts.name, temporary, CHART_LIMITS);
        await rename(temporary, destination);
      } catch (error) {
        if (error instanceof ChartError) throw new CliError(EXIT.INVALID_PACK, error.message);
        throw error;
      } finally {
        await rm(temporary, { force: true });
      }
    }
    written.push(plan.archivePath);
  }
  if ((await kindOf(join(targetDir, 'README.md'))) === undefined) {
    await replaceFile(join(targetDir, 'README.md'), readmeFor(packName, mainChart(packName, plans).source.chart));
    written.push('README.md');
  }
  await replaceFile(join(targetDir, 'values.yaml'), valuesYaml);
  written.push('values.yaml');
  await replaceFile(join(targetDir, 'pack.json'), `${JSON.stringify(packJson, null, 2)}\n`);
  written.push('pack.json');
  return { packJson, written };
}

/** The registry's own inspection of the folder, as push runs it: what was built must be a valid pack. */
async function validateBuilt(targetDir: string): Promise<void> {
  await withTemporaryFolder(join(tmpdir(), 'packctl-build-'), async (workDir) => {
    const archivePath = join(workDir, 'pack.tar.gz');
    await packDirectory(targetDir, archivePath);
    const inspection = await inspectArchiveFile(archivePath);
    if (!inspection.ok) {
      const count = inspection.problems.length;
      throw invalidPackError(inspection.problems, `the pack built in ${targetDir} has ${count} problem${count === 1 ? '' : 's'}`);
    }
  });
}

export async function build(ctx: ClientContext, packName: string, targetDir: string, options: BuildOptions): Promise<void> {
  const { packJson, written } = await buildPack(packName, targetDir, options);
  // Names from the chart reach the terminal only through writeLines.
  writeLines(ctx.stdout, [`Built ${String(packJson.name)}:${String(packJson.version)} in ${targetDir} (${written.join(', ')})`]);
  // push judges the folder with the same rules before uploading; without it, the judgement runs here.
  if (options.push) {
    const pushOptions: Parameters<typeof push>[2] = {};
    if (options.registry !== undefined) pushOptions.registry = options.registry;
    await push(ctx, targetDir, pushOptions);
  } else {
    await validateBuilt(targetDir);
  }
}
