// What a pack's Helm charts say of themselves: name, version and appVersion from the Chart.yaml inside each
// chart archive (`charts/<chart>.tgz`, a .tar.gz inside the pack). The archive walk (archive.ts) keeps a
// chart's compressed bytes up to MAX_CHART_ARCHIVE_BYTES (MAX_CHART_ARCHIVES_BYTES for all charts of a pack);
// here they are inflated as a stream into node-tar's Parser, never onto disk, and only `<folder>/Chart.yaml`
// is read, up to MAX_CHART_YAML_BYTES, with the same hardened YAML reader as values.yaml. This is
// information, not a rule: a chart that is too large, corrupt, or whose Chart.yaml cannot be read gets
// `null` fields and the push goes on (Palette reads the chart itself when it deploys it).
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { isMap, isPair, isScalar, parseDocument } from 'yaml';
import { normalizeArchivePath } from './names.js';
import { YamlProblems, checkYamlText } from './values-yaml.js';

/** Helm charts are usually well under 1 MiB compressed; bigger ones are kept but not read. */
export const MAX_CHART_ARCHIVE_BYTES = 8 * 1024 * 1024;
/** All the chart archives of one pack held in memory during a push, at most. */
export const MAX_CHART_ARCHIVES_BYTES = 32 * 1024 * 1024;
/** A chart inflates to at most this many bytes before its Chart.yaml must have been found. */
export const MAX_CHART_INFLATED_BYTES = 64 * 1024 * 1024;
export const MAX_CHART_ENTRIES = 10_000;
/** Real Chart.yaml files are a few KiB; small enough to check inline, on the event loop. */
export const MAX_CHART_YAML_BYTES = 32 * 1024;

export interface ChartFacts {
  name: string | null;
  version: string | null;
  appVersion: string | null;
}

const UNKNOWN: ChartFacts = { name: null, version: null, appVersion: null };

/** The facts of one chart archive's Chart.yaml; all `null` when they cannot be read within the limits. */
export async function readChartFacts(archive: Buffer): Promise<ChartFacts> {
  const text = await readChartYaml(archive);
  if (text === undefined) return UNKNOWN;
  if (checkYamlText(text, new YamlProblems('Chart.yaml', 'chart-yaml'), MAX_CHART_YAML_BYTES).length > 0) return UNKNOWN;
  try {
    // failsafe: every scalar stays the string written (`version: 1.10` is "1.10", not the number 1.1).
    const document = parseDocument(text, { schema: 'failsafe', uniqueKeys: false });
    const root = document.contents;
    if (document.errors.length > 0 || !isMap(root)) return UNKNOWN;
    const field = (key: string): string | null => {
      for (const item of root.items) {
        if (isPair(item) && isScalar(item.key) && item.key.value === key && isScalar(item.value)) {
          const value = item.value.value;
          return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
        }
      }
      return null;
    };
    return { name: field('name'), version: field('version'), appVersion: field('appVersion') };
  } catch {
    return UNKNOWN;
  }
}

/** The text of `<folder>/Chart.yaml` in a .tar.gz, or `undefined` (absent, too large, not UTF-8, corrupt). */
export function readChartYaml(archive: Buffer): Promise<string | undefined> {
  return new Promise((resolve) => {
    let done = false;
    let inflated = 0;
    let entries = 0;
    const gunzip = createGunzip();
    const parser = new Parser({ strict: false, brotli: false, zstd: false });
    const finish = (text?: string) => {
      if (done) return;
      done = true;
      gunzip.destroy();
      resolve(text);
    };
    parser.on('entry', (entry: ReadEntry) => {
      entries += 1;
      const segments = normalizeArchivePath(entry.path).split('/');
      const wanted = (entry.type === 'File' || entry.type === 'OldFile') && segments.length === 2 && segments[1] === 'Chart.yaml';
      if (done || entries > MAX_CHART_ENTRIES || !wanted || entry.size > MAX_CHART_YAML_BYTES) {
        entry.resume();
        if (entries > MAX_CHART_ENTRIES || (wanted && entry.size > MAX_CHART_YAML_BYTES)) finish();
        return;
      }
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => {
        try {
          finish(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)));
        } catch {
          finish();
        }
      });
    });
    parser.on('error', () => finish());
    parser.on('end', () => finish());
    gunzip.on('data', (chunk: Buffer) => {
      if (done) return;
      inflated += chunk.length;
      if (inflated > MAX_CHART_INFLATED_BYTES) finish();
      else parser.write(chunk);
    });
    gunzip.on('end', () => parser.end());
    gunzip.on('error', () => finish());
    gunzip.end(archive);
  });
}
