// `--only=postgres`: pack-registry on a PostgreSQL index (`index.driver: postgres`, a real PostgreSQL on loopback
// started by the section) next to the same server on its SQLite index, in the same run and on the same storage
// kind (the filesystem): pushes, 50 KB downloads at c=16, catalog and list pages over the largest seeded index;
// then what a second replica on the same database and storage folder adds to the downloads.
import { join } from 'node:path';
import type { ServerEntry } from './build.js';
import type { Certificate, HtpasswdFile } from './credentials.js';
import { measureLoad, type LoadFigures, type LoadSettings } from './load.js';
import { startOurs, type OursTarget } from './ours.js';
import type { BenchPack } from './packs.js';
import { postgresPrograms, startBenchPostgres, type BenchPostgres } from './postgres-server.js';
import { table, type Report } from './report.js';
import { checkDownload, measurePushes, pushUntimed, type PushFigures } from './scenarios.js';
import { copyIndexToPostgres } from './seed.js';
import { fmt, fmtMs, fmtRatio } from './stats.js';
import type { CatalogQuery } from './workloads.js';

export interface PostgresBenchOptions {
  entry: ServerEntry;
  scratch: string;
  htpasswd: HtpasswdFile;
  certificate: Certificate;
  /** The push series timed on each index (1 MB and 50 MB), by their label. */
  pushes: { label: string; packs: BenchPack[] }[];
  small: BenchPack;
  load: LoadSettings;
  /** The largest catalog index, seeded in SQLite (shared with the catalog section when both run), and its pages. */
  catalog: { versions: number; seed: () => Promise<{ dir: string; queries: CatalogQuery[] }> };
  report: Report;
  /** `--server-env`, for every server of the section. */
  env?: Record<string, string>;
}

/** Downloads at this concurrency on one server; split evenly over the replicas for the second-replica row. */
const CONNECTIONS = 16;

interface IndexFigures {
  pushes: Map<string, PushFigures>;
  downloads: LoadFigures;
  catalog: Map<string, LoadFigures>;
}

export async function benchPostgres(options: PostgresBenchOptions): Promise<void> {
  const programs = postgresPrograms();
  if (!programs) {
    options.report.note('postgres: the PostgreSQL server programs are not installed (apt-get install postgresql): the PostgreSQL rows are skipped');
    return;
  }
  const common = { entry: options.entry, htpasswd: options.htpasswd, certificate: options.certificate };
  const storage = (name: string) => join(options.scratch, 'storage', name);
  const postgresEnv = (dsn: string) => ({ ...options.env, REGISTRY_INDEX_DRIVER: 'postgres', REGISTRY_INDEX_POSTGRES_DSN: dsn });

  const sqlite = await withServer(startOurs({ ...common, storageDir: storage('postgres-vs-sqlite'), label: 'sqlite', env: options.env }), (target) =>
    pushesAndDownloads(target, options),
  );

  const database = await startBenchPostgres(programs);
  try {
    // One replica does the pushes and the downloads; then a second one joins it on the same database and folder.
    const replicas = { dsn: await database.createDatabase('bench_replicas'), dir: storage('postgres-replicas') };
    const { postgres, split } = await withServer(
      startOurs({ ...common, storageDir: replicas.dir, label: 'postgres', env: postgresEnv(replicas.dsn) }),
      async (first) => {
        const figures = await pushesAndDownloads(first, options, database);
        log(`postgres: a second replica, 50 KB downloads at c=${CONNECTIONS / 2} on each`);
        const second = startOurs({ ...common, storageDir: replicas.dir, label: 'postgres, second replica', env: postgresEnv(replicas.dsn) });
        return {
          postgres: figures,
          split: await withServer(second, async (target) => {
            // The second replica serves what the first pushed: the shared index and folder are the point.
            await checkDownload(target, options.small);
            return Promise.all([first, target].map((replica) => downloads(replica, options.small, CONNECTIONS / 2, options.load)));
          }),
        };
      },
    );

    const { dir, queries } = await options.catalog.seed();
    const sqliteCatalog = await withServer(startOurs({ ...common, storageDir: dir, label: 'sqlite', env: options.env }), (target) => catalogPages(target, queries, options));
    const catalogDsn = await database.createDatabase('bench_catalog');
    log(`postgres: copying the ${fmt(options.catalog.versions)}-version index into PostgreSQL`);
    const copyMs = await copyIndexToPostgres(dir, catalogDsn);
    const postgresCatalog = await withServer(startOurs({ ...common, storageDir: dir, label: 'postgres', env: postgresEnv(catalogDsn) }), (target) =>
      catalogPages(target, queries, options, database),
    );

    render(options, {
      sqlite: { ...sqlite, catalog: sqliteCatalog },
      postgres: { ...postgres, catalog: postgresCatalog },
      split,
      queries,
      copyMs,
    });
  } finally {
    await database.stop();
  }
}

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

async function withServer<T>(starting: Promise<OursTarget>, work: (target: OursTarget) => Promise<T>): Promise<T> {
  const target = await starting;
  try {
    return await work(target);
  } finally {
    await target.stop();
  }
}

/** Load on one path, charging the PostgreSQL server's CPU too when there is one. */
function load(target: OursTarget, path: string, connections: number, settings: LoadSettings, database?: BenchPostgres): Promise<LoadFigures> {
  return measureLoad(
    { url: `${target.endpoint.origin}${path}`, headers: { authorization: target.authorization ?? '' }, connections, pid: target.pid, databasePid: database?.pid },
    settings,
  );
}

function downloads(target: OursTarget, pack: BenchPack, connections: number, settings: LoadSettings, database?: BenchPostgres): Promise<LoadFigures> {
  return load(target, target.downloadPath(pack), connections, settings, database);
}

async function pushesAndDownloads(target: OursTarget, options: PostgresBenchOptions, database?: BenchPostgres): Promise<Omit<IndexFigures, 'catalog'>> {
  const pushes = new Map<string, PushFigures>();
  for (const series of options.pushes) {
    log(`${target.label}: pushing ${series.packs.length} × ${series.label}`);
    pushes.set(series.label, await measurePushes(target, series.packs));
  }
  await pushUntimed(target, options.small);
  await checkDownload(target, options.small);
  log(`${target.label}: 50 KB downloads at c=${CONNECTIONS}`);
  return { pushes, downloads: await downloads(target, options.small, CONNECTIONS, options.load, database) };
}

async function catalogPages(target: OursTarget, queries: CatalogQuery[], options: PostgresBenchOptions, database?: BenchPostgres): Promise<Map<string, LoadFigures>> {
  const figures = new Map<string, LoadFigures>();
  for (const query of queries) {
    log(`${target.label}: ${query.label} with ${options.catalog.versions} versions at c=${CONNECTIONS}`);
    figures.set(query.label, await load(target, query.path, CONNECTIONS, options.load, database));
  }
  return figures;
}

function failures(figures: LoadFigures): number {
  return figures.errors + figures.non2xx;
}

function loadCell(figures: LoadFigures | undefined): string {
  if (!figures) return '–';
  const cpu = `${fmt(figures.cpuMsPerRequest)} ms CPU${figures.databaseCpuMsPerRequest === undefined ? '' : ` + ${fmt(figures.databaseCpuMsPerRequest)} ms PostgreSQL`}`;
  const problems = failures(figures) === 0 ? '' : `, **${figures.errors} errors, ${figures.non2xx} non-2xx**`;
  return `${fmt(figures.reqPerSec)} req/s · p50 ${fmt(figures.p50)} / p99 ${fmt(figures.p99)} ms · ${cpu}${problems}`;
}

function pushCell(figures: PushFigures | undefined): string {
  return figures ? `${fmtMs(figures.medianMs)} (${fmt(figures.minMs)}–${fmt(figures.maxMs)})` : '–';
}

function render(
  options: PostgresBenchOptions,
  figures: { sqlite: IndexFigures; postgres: IndexFigures; split: LoadFigures[]; queries: CatalogQuery[]; copyMs: number },
): void {
  const { sqlite, postgres, split, queries, copyMs } = figures;
  const { report } = options;
  const versions = fmt(options.catalog.versions);
  const rows: string[][] = [];
  for (const { label, packs } of options.pushes) {
    const [ours, theirs] = [postgres.pushes.get(label), sqlite.pushes.get(label)];
    report.target({ metric: `postgres: ${label} push, median`, ours: fmtMs(ours?.medianMs), other: `sqlite ${fmtMs(theirs?.medianMs)}`, ratio: fmtRatio(ours?.medianMs, theirs?.medianMs), target: 'reported', met: undefined });
    rows.push([`${label} push, median of ${packs.length} (min–max)`, pushCell(theirs), pushCell(ours), fmtRatio(ours?.medianMs, theirs?.medianMs)]);
  }
  const throughputRow = (metric: string, ours: LoadFigures | undefined, theirs: LoadFigures | undefined) => {
    report.target({
      metric: `postgres: ${metric}`,
      ours: `${fmt(ours?.reqPerSec)} req/s, p99 ${fmtMs(ours?.p99)}`,
      other: `sqlite ${fmt(theirs?.reqPerSec)} req/s, p99 ${fmtMs(theirs?.p99)}`,
      ratio: fmtRatio(ours?.reqPerSec, theirs?.reqPerSec),
      target: 'reported',
      met: ours && theirs && failures(ours) + failures(theirs) === 0 ? undefined : false,
    });
    rows.push([metric, loadCell(theirs), loadCell(ours), fmtRatio(ours?.reqPerSec, theirs?.reqPerSec)]);
  };
  throughputRow(`50 KB downloads, c=${CONNECTIONS}`, postgres.downloads, sqlite.downloads);
  for (const query of queries) throughputRow(`${query.label}, ${versions} versions, c=${CONNECTIONS}`, postgres.catalog.get(query.label), sqlite.catalog.get(query.label));

  const [first, second] = split;
  const both = (first?.reqPerSec ?? Number.NaN) + (second?.reqPerSec ?? Number.NaN);
  const splitFailures = split.reduce((sum, figures) => sum + failures(figures), 0);
  report.target({
    metric: `postgres: a second replica, 50 KB downloads, c=${CONNECTIONS / 2} on each`,
    ours: `${fmt(both)} req/s`,
    other: `one replica at c=${CONNECTIONS} ${fmt(postgres.downloads.reqPerSec)} req/s`,
    ratio: fmtRatio(both, postgres.downloads.reqPerSec),
    target: 'reported',
    met: splitFailures === 0 ? undefined : false,
  });
  const replicaCell = (figures: LoadFigures | undefined) =>
    figures ? `${fmt(figures.reqPerSec)} req/s · p50 ${fmt(figures.p50)} / p99 ${fmt(figures.p99)} ms · ${fmt(figures.cpuMsPerRequest)} ms CPU · ${failures(figures)} failures` : '–';

  report.section(
    'PostgreSQL index against SQLite',
    'The same server, archives and storage kind (the filesystem), `index.driver: postgres` against the default SQLite ' +
      'index, measured one after the other in this run. PostgreSQL ran on this machine, started by the section (initdb, ' +
      'loopback TCP, its durable defaults: each commit waits for its WAL fsync, where SQLite in WAL mode with ' +
      '`synchronous=NORMAL` does not), with the default pool of 10 connections per replica; its CPU competes with the ' +
      "registry's and the load client's for the 2 cores. Pushes: median of distinct versions pushed one at a time, on " +
      `a fresh storage and database. Downloads: 50 KB after one untimed read, c=${CONNECTIONS} (wrk). Catalog and list pages: ` +
      `the catalog section's index of ${versions} versions (10 per pack), seeded in SQLite and copied row for row into ` +
      `PostgreSQL (${fmt(copyMs / 1000)} s, then ANALYZE), with the same metadata documents in the same folder. CPU: the ` +
      "registry process's, plus PostgreSQL's (postmaster and backends) per answered request. Ratios are " +
      'PostgreSQL / SQLite: for pushes above 1× is slower, for req/s above 1× is faster. The SQLite driver caches ' +
      'answers in memory; the PostgreSQL one has no cache yet (src/db/postgres.ts).',
    table(['measure', 'SQLite', 'PostgreSQL', 'PostgreSQL / SQLite'], rows),
    `What a second replica adds: after the rows above, a second \`pack-registry serve\` joined the first on the same ` +
      `database and storage folder (no storage lock with PostgreSQL), and two wrk processes ran at once, c=${CONNECTIONS / 2} ` +
      `on each replica, against one replica alone at c=${CONNECTIONS} (the PostgreSQL downloads row). Both replicas, PostgreSQL ` +
      'and both wrk processes share the same 2 cores, so a second replica can only use what one leaves idle.',
    table(
      ['setup', 'req/s (sum)', 'each replica'],
      [
        [`one replica, c=${CONNECTIONS}`, `${fmt(postgres.downloads.reqPerSec)} req/s`, replicaCell(postgres.downloads)],
        [`two replicas, c=${CONNECTIONS / 2} + ${CONNECTIONS / 2}`, `${fmt(both)} req/s`, `${replicaCell(first)}<br>${replicaCell(second)}`],
        ['two / one', fmtRatio(both, postgres.downloads.reqPerSec), ''],
      ],
    ),
  );
}
