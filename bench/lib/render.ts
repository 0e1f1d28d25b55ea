// Figures → markdown tables and the summary against the issue's targets.
import type { HashCeiling } from '../peers/ceilings.js';
import type { LoadFigures } from './load.js';
import { loadProblems } from './load.js';
import type { HotFunction } from './profile.js';
import type { ReindexFigures } from './reindex.js';
import type { Report } from './report.js';
import { table } from './report.js';
import type { Scale } from './options.js';
import { fmt, fmtBytes, fmtMs, fmtRatio, MB, ratio } from './stats.js';
import { catalogKey, type CatalogQuery, type TargetFigures } from './workloads.js';

const present = (figures: TargetFigures | undefined): figures is TargetFigures => figures !== undefined && !figures.unavailable;

function loadCell(figures: LoadFigures | undefined): string {
  if (!figures) return '–';
  if (figures.requests === 0) {
    return `no answer within the runs${figures.singleRequestMs === undefined ? '' : `; one request alone: ${fmtMs(figures.singleRequestMs)}`}`;
  }
  const problems = loadProblems(figures);
  const cpu = figures.cpuMsPerRequest === undefined ? '' : ` · ${fmt(figures.cpuMsPerRequest)} ms CPU`;
  return `${fmt(figures.reqPerSec)} req/s · ${fmt(figures.p50)} / ${fmt(figures.p99)} ms${cpu}${problems ? ` ⚠ ${problems}` : ''}`;
}

export function renderPushes(report: Report, scale: Scale, targets: TargetFigures[], ceiling: { hash?: HashCeiling; uploadFloorMs?: number }): void {
  const withPushes = targets.filter((target) => present(target) && target.pushes.size > 0);
  if (withPushes.length === 0) return;
  const ours = withPushes[0];
  const headers = ['pack', 'archive', ...withPushes.flatMap((target) => [`${target.label}: median (min–max)`, 'peak RSS (idle)'])];
  const peers = withPushes.slice(1);
  headers.push(...peers.map((peer) => `ours / ${peer.label.replace(/ \(.*/, '')}`));
  const rows = scale.pushSizes.map((size) => {
    const cells = [size.label, fmtBytes(ours?.pushes.get(size.label)?.archiveBytes ?? size.bytes)];
    for (const target of withPushes) {
      const push = target.pushes.get(size.label);
      cells.push(push ? `${fmtMs(push.medianMs)} (${fmt(push.minMs)}–${fmt(push.maxMs)})` : '–');
      cells.push(push ? `${fmt(push.peakRss / MB)} MB (${fmt(push.idleRss / MB)})` : '–');
    }
    for (const peer of peers) cells.push(fmtRatio(ours?.pushes.get(size.label)?.medianMs, peer.pushes.get(size.label)?.medianMs));
    return cells;
  });
  const body = [
    `Wall time of one push (client start to the registry's answer), median of ${scale.pushRuns} pushes of distinct versions; ` +
      'RSS of the server process sampled every 20 ms plus the kernel high-water mark (VmHWM, reset before each push). ' +
      'Ratios are wall-time ratios: below 1× means ours is faster.',
    table(headers, rows),
  ];
  const large = scale.pushSizes.at(-1);
  if (ceiling.hash && large) {
    const oursLarge = ours?.pushes.get(large.label)?.medianMs;
    body.push(
      `The machine's ceiling for the same ${large.label} archive (in process, from the page cache, median of ${scale.hashRuns}):`,
      table(
        ['work', 'time', 'ours / this'],
        [
          ['sha256 of the archive', fmtMs(ceiling.hash.sha256Ms), fmtRatio(oursLarge, ceiling.hash.sha256Ms)],
          ['gunzip of the archive', fmtMs(ceiling.hash.gunzipMs), fmtRatio(oursLarge, ceiling.hash.gunzipMs)],
          ['gunzip + sha256, one pass', fmtMs(ceiling.hash.gunzipSha256Ms), fmtRatio(oursLarge, ceiling.hash.gunzipSha256Ms)],
          ['HTTPS POST to a Node server that discards it (transfer floor)', fmtMs(ceiling.uploadFloorMs), fmtRatio(oursLarge, ceiling.uploadFloorMs)],
        ],
      ),
    );
  }
  report.section('Push', ...body);
}

export function renderDownloads(report: Report, scale: Scale, targets: TargetFigures[]): void {
  const withSmall = targets.filter((target) => present(target) && target.small.size > 0);
  if (withSmall.length === 0) return;
  const small = table(
    ['server', ...scale.smallConcurrency.map((c) => `c=${c}: req/s · p50 / p99 · server CPU per request`)],
    withSmall.map((target) => [target.label, ...scale.smallConcurrency.map((c) => loadCell(target.small.get(c)))]),
  );
  const withLarge = targets.filter((target) => present(target) && target.large.size > 0);
  const large = table(
    ['server', ...scale.largeConcurrency.map((c) => `c=${c}: MB/s · p50 / p99 · server CPU per request`)],
    withLarge.map((target) => [
      target.label,
      ...scale.largeConcurrency.map((c) => {
        const figures = target.large.get(c);
        if (!figures) return '–';
        const cpu = figures.cpuMsPerRequest === undefined ? '' : ` · ${fmt(figures.cpuMsPerRequest)} ms CPU`;
        return `${fmt(figures.mbPerSec)} MB/s · ${fmt(figures.p50)} / ${fmt(figures.p99)} ms${cpu}${loadProblems(figures) ? ' ⚠' : ''}`;
      }),
    ]),
  );
  report.section(
    'Downloads',
    `Authenticated archive downloads (Basic auth on every request, keep-alive connections), ` +
      `${scale.smallDownload.label} pack; the unauthenticated servers serve the same file. Latency in ms.`,
    small,
    `${scale.largeDownload.label} pack, throughput:`,
    large,
  );
}

export function renderCatalog(report: Report, scale: Scale, targets: TargetFigures[], queries: Map<string, CatalogQuery[]>): void {
  const rows: string[][] = [];
  for (const target of targets.filter(present)) {
    for (const query of queries.get(target.label) ?? []) {
      const cells = [target.label, query.label];
      for (const versions of scale.catalogVersions) cells.push(loadCell(target.catalog.get(catalogKey(versions, query.label))));
      if (cells.slice(2).some((cell) => cell !== '–')) rows.push(cells);
    }
  }
  if (rows.length === 0) return;
  report.section(
    'Catalog and list pages',
    `c=${scale.catalogConcurrency}, authenticated; 10 versions per pack (so ${scale.catalogVersions.map((v) => `${fmt(v)} versions = ${fmt(v / 10)} packs`).join(', ')}). ` +
      "Our index is seeded directly in SQLite through the project's schema; Distribution's repositories are created on disk (its catalog walks the folder tree).",
    table(['server', 'page', ...scale.catalogVersions.map((v) => `${fmt(v)} versions: req/s · p50 / p99 · CPU/request`)], rows),
  );
}

/** The web UI's pages over `scale.uiPacks` packs; the goal is p99 under 50 ms at c=16 for the list page. */
export function renderUi(report: Report, scale: Scale, ours: TargetFigures, queries: CatalogQuery[], versions: number): void {
  const rows = queries.map((query) => [query.label, loadCell(ours.catalog.get(catalogKey(versions, query.label)))]).filter((row) => row[1] !== '–');
  if (rows.length === 0) return;
  report.section(
    'Web UI pages',
    `${ours.label}, c=${scale.catalogConcurrency}, authenticated (basic), ${fmt(scale.uiPacks)} packs of 2 versions seeded in SQLite; ` +
      'HTML as the server renders it (the pack list: 20 rows with logos, filters, pager). Goal: the pack list\'s p99 under 50 ms.',
    table(['page', 'req/s · p50 / p99 · CPU/request'], rows),
  );
}

export function renderColdStart(report: Report, targets: TargetFigures[]): void {
  const rows = targets.filter(present).flatMap((target) => target.coldStartMs.map((start) => [target.label, start.condition, fmtMs(start.ms)]));
  if (rows.length === 0) return;
  report.section(
    'Cold start',
    'From spawning the process to the first answer that proves it serves (ours: `200` from `/health`; Distribution: any answer on `/v2/`; Verdaccio: `/-/ping`), median.',
    table(['server', 'condition', 'time'], rows),
  );
}

export function renderReindex(report: Report, reindex: ReindexFigures | { skipped: string } | undefined, seedMs?: number): void {
  if (!reindex) return;
  if ('skipped' in reindex) {
    report.section('Index rebuild', `skipped: reindex not available (${reindex.skipped})`);
    return;
  }
  report.section(
    'Index rebuild',
    `\`pack-registry reindex\` as a fresh process over a storage seeded by ${fmt(reindex.versions)} in-process pushes` +
      `${seedMs ? ` (seeding took ${fmt(seedMs / 1000)} s, ${fmt(reindex.versions / (seedMs / 1000))} pushes/s)` : ''}; median of ${reindex.runs.length} runs (each builds a new index beside the old one and renames it over it).`,
    table(['versions', 'time', 'runs', 'output'], [[fmt(reindex.versions), fmtMs(reindex.medianMs), reindex.runs.map((ms) => fmt(ms)).join(', '), reindex.output.split('\n')[0] ?? '']]),
  );
}

export interface ProfileSummary {
  title: string;
  functions: HotFunction[];
  modules: { module: string; share: number }[];
  inclusive: HotFunction[];
}

export function renderProfiles(report: Report, profiles: ProfileSummary[]): void {
  if (profiles.length === 0) return;
  const body: string[] = [
    '`node --cpu-prof` on the server process, counting only the samples taken while the workload ran; shares are of busy (non-idle) time. ' +
      'Native entries such as `writev`, `read` or `openFileHandle` are time spent in that system call binding on the main thread.',
  ];
  for (const profile of profiles) {
    body.push(
      `**${profile.title}.** By package or folder (self time): ${profile.modules.map((entry) => `${entry.module} ${fmt(entry.share * 100)}%`).join(', ')}.`,
      table(
        ['self time: function', 'where', 'self', 'share'],
        profile.functions.map((fn) => [`\`${fn.name}\``, fn.where, fmtMs(fn.selfMs), `${fmt(fn.share * 100)}%`]),
      ),
      table(
        ["inclusive time: the project's functions", 'where', 'total', 'share'],
        profile.inclusive.map((fn) => [`\`${fn.name}\``, fn.where, fmtMs(fn.selfMs), `${fmt(fn.share * 100)}%`]),
      ),
    );
  }
  report.section('CPU profile', ...body);
}

export interface SummaryInputs {
  scale: Scale;
  ours: TargetFigures;
  oursSameCost?: TargetFigures;
  distribution?: TargetFigures;
  verdaccio?: TargetFigures;
  nginx?: TargetFigures;
  node?: TargetFigures;
  /** The same file behind a bare express 5 app: the framework's own floor. */
  bareExpress?: TargetFigures;
  hash?: HashCeiling;
  reindex?: ReindexFigures | { skipped: string };
  catalogQueries: CatalogQuery[];
  costs: { ours: number; peers: number };
}

/** The issue's targets, each as ours vs the thing it is measured against. */
export function renderSummary(report: Report, input: SummaryInputs): void {
  const { scale, ours } = input;
  const c16 = (figures: TargetFigures | undefined) => (present(figures) ? figures.small.get(16) : undefined);
  const oursC16 = c16(ours);
  const sameCost = c16(input.oursSameCost);
  const distribution = c16(input.distribution);
  const ceiling = present(input.nginx) ? input.nginx : input.node;
  const ceilingC16 = c16(ceiling);
  // The download targets hold at the registry's own bcrypt cost and at the peers' cost alike.
  const downloadRows = [
    { cost: input.costs.ours, figures: oursC16 },
    { cost: input.costs.peers, figures: sameCost },
  ];
  for (const { cost, figures } of downloadRows) {
    if (!figures || !distribution) continue;
    const value = ratio(figures.reqPerSec, distribution.reqPerSec);
    report.target({
      metric: `${scale.smallDownload.label} authenticated downloads, c=16, req/s (ours bcrypt cost ${cost}, Distribution ${input.costs.peers})`,
      ours: fmt(figures.reqPerSec),
      other: `${input.distribution?.label}: ${fmt(distribution.reqPerSec)}`,
      ratio: fmtRatio(figures.reqPerSec, distribution.reqPerSec),
      target: '≥ 12×',
      met: value === undefined ? undefined : value >= 12,
    });
  }
  if (sameCost?.cpuMsPerRequest !== undefined && distribution?.cpuMsPerRequest !== undefined) {
    // The same comparison in server CPU time, which moves much less than req/s on a shared machine.
    report.target({
      metric: `${scale.smallDownload.label} authenticated downloads, c=16, server CPU per request (both bcrypt cost ${input.costs.peers})`,
      ours: fmtMs(sameCost.cpuMsPerRequest),
      other: `${input.distribution?.label}: ${fmtMs(distribution.cpuMsPerRequest)}`,
      ratio: `${fmtRatio(distribution.cpuMsPerRequest, sameCost.cpuMsPerRequest)} less`,
      target: '(≥ 12× in req/s)',
      met: undefined,
    });
  }
  for (const { cost, figures } of downloadRows) {
    if (!figures || !ceilingC16) continue;
    const value = ratio(figures.reqPerSec, ceilingC16.reqPerSec);
    report.target({
      metric: `${scale.smallDownload.label} downloads, c=16, req/s: ours (auth, bcrypt ${cost}) vs the ceiling without auth`,
      ours: fmt(figures.reqPerSec),
      other: `${ceiling?.label}: ${fmt(ceilingC16.reqPerSec)}`,
      ratio: fmtRatio(figures.reqPerSec, ceilingC16.reqPerSec),
      target: '≥ 0.35×',
      met: value === undefined ? undefined : value >= 0.35,
    });
  }
  const expressC16 = c16(input.bareExpress);
  if (oursC16?.cpuMsPerRequest !== undefined && expressC16?.cpuMsPerRequest !== undefined) {
    // What the framework alone costs per request on this machine, without any work of ours.
    report.target({
      metric: `${scale.smallDownload.label} downloads, c=16, server CPU per request: ours (auth, bcrypt ${input.costs.ours}) vs express alone`,
      ours: fmtMs(oursC16.cpuMsPerRequest),
      other: `${input.bareExpress?.label}: ${fmtMs(expressC16.cpuMsPerRequest)}`,
      ratio: fmtRatio(oursC16.cpuMsPerRequest, expressC16.cpuMsPerRequest),
      target: 'no target',
      met: undefined,
    });
  }
  for (const { cost, figures } of downloadRows) {
    if (!figures) continue;
    report.target({
      metric: `${scale.smallDownload.label} downloads, c=16, p99 (bcrypt ${cost})`,
      ours: fmtMs(figures.p99),
      other: distribution ? `${input.distribution?.label}: ${fmtMs(distribution.p99)}` : '–',
      ratio: distribution ? fmtRatio(figures.p99, distribution.p99) : '–',
      target: '< 15 ms',
      met: figures.requests > 0 && figures.p99 < 15,
    });
  }
  const large = scale.pushSizes.at(-1);
  const largePush = large ? ours.pushes.get(large.label) : undefined;
  if (largePush && input.hash) {
    const value = largePush.medianMs / input.hash.gunzipSha256Ms;
    report.target({
      metric: `${large?.label} push, wall time vs gunzip + sha256 of the same bytes once`,
      ours: fmtMs(largePush.medianMs),
      other: `machine: ${fmtMs(input.hash.gunzipSha256Ms)}`,
      ratio: `${fmt(value)}×`,
      target: '≤ 2×',
      met: value <= 2,
    });
  }
  if (ours.pushes.size > 0) {
    const peak = Math.max(...[...ours.pushes.values()].map((push) => push.peakRss));
    const peerPeaks = [input.distribution, input.verdaccio]
      .filter(present)
      .map((peer) => `${peer.label.replace(/ \(.*/, '')}: ${fmt(Math.max(...[...peer.pushes.values()].map((push) => push.peakRss)) / MB)} MB`);
    report.target({
      metric: 'peak RSS during a push, any pack size',
      ours: `${fmt(peak / MB)} MB`,
      other: peerPeaks.join('; ') || '–',
      ratio: '–',
      target: '< 150 MB',
      met: peak < 150 * MB,
    });
  }
  const biggest = scale.catalogVersions.at(-1);
  if (biggest !== undefined) {
    for (const query of input.catalogQueries) {
      const figures = ours.catalog.get(catalogKey(biggest, query.label));
      if (!figures) continue;
      report.target({
        metric: `${query.label}, ${fmt(biggest)} versions, c=${scale.catalogConcurrency}, p99`,
        ours: fmtMs(figures.p99),
        other: '–',
        ratio: '–',
        target: '< 20 ms',
        met: figures.requests > 0 && figures.p99 < 20 && !loadProblems(figures),
      });
    }
  }
  if (input.reindex) {
    if ('skipped' in input.reindex) {
      report.target({ metric: `index rebuild, ${fmt(scale.reindexVersions)} versions`, ours: 'skipped: reindex not available', other: '–', ratio: '–', target: '< 6 s', met: undefined });
    } else {
      report.target({
        metric: `index rebuild, ${fmt(input.reindex.versions)} versions`,
        ours: fmtMs(input.reindex.medianMs),
        other: '–',
        ratio: '–',
        target: scale.reindexVersions >= 10_000 ? '< 6 s' : '< 6 s (at 10k)',
        met: scale.reindexVersions >= 10_000 ? input.reindex.medianMs < 6000 : undefined,
      });
    }
  }
  // Ratios against Verdaccio are not targets in the issue; they are shown for the user choosing a registry.
  const verdaccio = c16(input.verdaccio);
  if (sameCost && verdaccio) {
    report.target({
      metric: `${scale.smallDownload.label} authenticated downloads, c=16, req/s (both bcrypt cost ${input.costs.peers})`,
      ours: fmt(sameCost.reqPerSec),
      other: `${input.verdaccio?.label}: ${fmt(verdaccio.reqPerSec)}`,
      ratio: fmtRatio(sameCost.reqPerSec, verdaccio.reqPerSec),
      target: 'no target',
      met: undefined,
    });
  }
  for (const peer of [input.distribution, input.verdaccio].filter(present)) {
    const peerPush = large ? peer.pushes.get(large.label) : undefined;
    if (largePush && peerPush) {
      report.target({
        metric: `${large?.label} push, wall time`,
        ours: fmtMs(largePush.medianMs),
        other: `${peer.label}: ${fmtMs(peerPush.medianMs)}`,
        ratio: fmtRatio(largePush.medianMs, peerPush.medianMs),
        target: 'no target (lower is faster)',
        met: undefined,
      });
    }
  }
}
