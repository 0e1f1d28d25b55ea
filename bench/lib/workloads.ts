// Each workload runs one target through part of a registry's life and returns its figures; run.ts decides
// which targets and in which order (one server at a time), render.ts turns the figures into tables.
import type { LoadFigures, LoadSettings } from './load.js';
import type { BenchPack } from './packs.js';
import type { Scale } from './options.js';
import { checkDownload, loadPath, measureDownloads, measurePushes, pushUntimed, type PushFigures } from './scenarios.js';
import type { Target } from './target.js';

export interface PackSet {
  /** Push series by PackSize.name: versions 1.0.0 … 1.0.(runs-1). */
  series: Map<string, BenchPack[]>;
  small: BenchPack;
  large: BenchPack;
}

export interface TargetFigures {
  label: string;
  /** By PackSize.label. */
  pushes: Map<string, PushFigures>;
  /** Downloads of the small and the large pack, by concurrency. */
  small: Map<number, LoadFigures>;
  large: Map<number, LoadFigures>;
  /** Catalog and list pages by `${versions}\u0000${query label}`. */
  catalog: Map<string, LoadFigures>;
  coldStartMs: { condition: string; ms: number }[];
  /** Why this target has no figures (a peer that could not be installed or started). */
  unavailable?: string;
}

export function emptyFigures(label: string): TargetFigures {
  return { label, pushes: new Map(), small: new Map(), large: new Map(), catalog: new Map(), coldStartMs: [] };
}

export function catalogKey(versions: number, query: string): string {
  return `${versions}\u0000${query}`;
}

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

/**
 * Timed pushes of every series (when `push` is on), then downloads of the small and large pack under load.
 * A target whose storage already holds the packs (the same server restarted with another htpasswd) skips
 * the pushes with `stored`.
 */
export async function pushAndDownload(
  target: Target,
  figures: TargetFigures,
  packs: PackSet,
  scale: Scale,
  load: LoadSettings,
  steps: { push: boolean; download: boolean; stored?: boolean },
): Promise<void> {
  if (!steps.stored) {
    for (const size of scale.pushSizes) {
      const series = packs.series.get(size.name) ?? [];
      if (steps.push) {
        log(`${target.label}: pushing ${series.length} × ${size.label}`);
        figures.pushes.set(size.label, await measurePushes(target, series));
      } else if (steps.download && series.includes(packs.large)) {
        await pushUntimed(target, packs.large);
      }
    }
    if (steps.download) await pushUntimed(target, packs.small);
  }
  if (!steps.download) return;
  log(`${target.label}: downloading ${packs.small.size} bytes at c=${scale.smallConcurrency.join(',')}`);
  for (const [connections, result] of await measureDownloads(target, packs.small, scale.smallConcurrency, load)) figures.small.set(connections, result);
  if (scale.largeConcurrency.length === 0) return;
  log(`${target.label}: downloading ${packs.large.size} bytes at c=${scale.largeConcurrency.join(',')}`);
  await checkDownload(target, packs.large);
  for (const connections of scale.largeConcurrency) figures.large.set(connections, await loadPath(target, target.downloadPath(packs.large), connections, load));
}

export interface CatalogQuery {
  label: string;
  path: string;
  /** Sent with every request besides the credentials (a browser's `Accept-Encoding: gzip`). */
  headers?: Record<string, string>;
}

export async function catalogLoads(
  target: Target,
  figures: TargetFigures,
  versions: number,
  queries: CatalogQuery[],
  connections: number,
  load: LoadSettings,
): Promise<void> {
  for (const query of queries) {
    log(`${target.label}: ${query.label} with ${versions} versions at c=${connections}`);
    figures.catalog.set(catalogKey(versions, query.label), await loadPath(target, query.path, connections, load, query.headers));
  }
}
