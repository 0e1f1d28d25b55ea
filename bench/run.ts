// `npm run bench`: pack-registry measured doing a registry's work — pushes, authenticated downloads, catalog
// and list pages, index rebuild, cold start — next to the machine's own ceiling (nginx, a bare Node HTTPS
// server, sha256/gunzip in process) and, with --peers, next to CNCF Distribution and Verdaccio doing the same
// work on the same machine in the same run, one server at a time. See `npm run bench -- --help`.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashCeiling, nginxVersion, startNginx, startNodeStatic } from './peers/ceilings.js';
import { distributionVersion, startDistribution } from './peers/distribution.js';
import { ensureVerdaccio, startVerdaccio } from './peers/verdaccio.js';
import { buildServer, existingBuild, REPO_ROOT, tsxServer, type ServerEntry } from './lib/build.js';
import { makeCertificate, writeHtpasswd, type Certificate, type HtpasswdFile } from './lib/credentials.js';
import { send } from './lib/http.js';
import { chooseLoadClient } from './lib/load.js';
import { loadPath, pushUntimed } from './lib/scenarios.js';
import { parseOptions, type BenchOptions } from './lib/options.js';
import { measureNotificationPushes, renderNotifications, type NotificationFigures } from './lib/notifications.js';
import { startOurs } from './lib/ours.js';
import { buildPackSeries, type BenchPack } from './lib/packs.js';
import { busyMs, hotFunctions, hotModules, inclusiveSourceFunctions, nowUs, readProfile, type Window } from './lib/profile.js';
import { measureReindex, reindexAvailable, seedByPushing, type ReindexFigures } from './lib/reindex.js';
import { benchPostgres } from './lib/postgres.js';
import { benchS3 } from './lib/s3.js';
import { renderCatalog, renderColdStart, renderDownloads, renderProfiles, renderPushes, renderReindex, renderSummary, renderUi, type ProfileSummary } from './lib/render.js';
import { machineLine, Report, resultsPath } from './lib/report.js';
import { packName, seedIndex, type SeededIndex } from './lib/seed.js';
import { fmt, MB, median } from './lib/stats.js';
import type { Target } from './lib/target.js';
import { catalogLoads, emptyFigures, pushAndDownload, type CatalogQuery, type PackSet, type TargetFigures } from './lib/workloads.js';
import type { HashCeiling } from './peers/ceilings.js';

/** bcrypt cost of our own htpasswd (the project's default) and of the peers' (`htpasswd -B`'s default). */
const OURS_COST = 10;
const PEERS_COST = 5;

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

interface Context {
  options: BenchOptions;
  scratch: string;
  certificate: Certificate;
  htpasswd: Map<number, HtpasswdFile>;
  entry: ServerEntry;
  report: Report;
}

async function buildPacks(ctx: Context): Promise<PackSet> {
  const { scale } = ctx.options;
  const dir = join(ctx.scratch, 'archives');
  await mkdir(dir, { recursive: true });
  const series = new Map<string, BenchPack[]>();
  for (const size of scale.pushSizes) {
    log(`building ${scale.pushRuns} × ${size.label} archives`);
    series.set(size.name, await buildPackSeries(dir, size.name, size.bytes, scale.pushRuns));
  }
  const [small] = await buildPackSeries(dir, scale.smallDownload.name, scale.smallDownload.bytes, 1);
  const large = series.get(scale.largeDownload.name)?.[0];
  if (!small || !large) throw new Error('the download packs were not built');
  return { series, small, large };
}

function oursQueries(index: SeededIndex): CatalogQuery[] {
  const deep = index.names[Math.floor(index.names.length * 0.9)] ?? '';
  return [
    { label: 'catalog, first page (n=100)', path: '/v1/_catalog?n=100' },
    { label: 'catalog, page at 90% (n=100&last=…)', path: `/v1/_catalog?n=100&last=${deep}` },
    { label: 'packs list, first page (n=100)', path: '/v1/packs?n=100' },
    { label: 'packs list, filter cloudType=aws', path: '/v1/packs?n=100&cloudType=aws' },
    { label: 'packs list, filter name=00099 (substring)', path: '/v1/packs?n=100&name=00099' },
  ];
}

/** The web UI's pages (src/http/ui) over an index of `index.packs` packs. */
function uiQueries(index: SeededIndex): CatalogQuery[] {
  const deep = index.names[Math.floor(index.names.length * 0.9)] ?? '';
  const middle = index.names[Math.floor(index.names.length / 2)] ?? '';
  return [
    { label: 'pack list `/`, first page', path: '/' },
    { label: 'pack list `/`, first page, gzip', path: '/', headers: { 'accept-encoding': 'gzip' } },
    { label: 'pack list, page at 90% (`?last=…`)', path: `/?last=${deep}` },
    { label: 'pack list, name search `?name=00099`', path: '/?name=00099' },
    { label: 'search as you type, fragment `?name=0042`', path: '/ui/fragments/packs?name=0042' },
    { label: 'pack list, `?layer=addon&cloudType=aws`', path: '/?layer=addon&cloudType=aws' },
    { label: `pack page \`/packs/${middle}\``, path: `/packs/${middle}` },
    // The same first page as JSON, measured in the same run: the HTML's own cost is the difference.
    { label: 'reference: `/v1/packs?n=20` (JSON, same packs)', path: '/v1/packs?n=20' },
  ];
}

function distributionQueries(names: string[]): CatalogQuery[] {
  const deep = names[Math.floor(names.length * 0.9)] ?? '';
  return [
    { label: 'catalog, first page (n=100)', path: '/v2/_catalog?n=100' },
    { label: 'catalog, page at 90% (n=100&last=…)', path: `/v2/_catalog?n=100&last=${deep}` },
  ];
}

/** Run a peer's work; a peer that cannot be installed or started is reported and skipped, never fatal. */
async function asPeer(ctx: Context, figures: TargetFigures, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    const message = (error as Error).message.split('\n')[0] ?? String(error);
    figures.unavailable ??= message;
    ctx.report.note(`${figures.label}: ${message}`);
  }
}

async function withTarget<T extends Target>(start: () => Promise<T>, work: (target: T) => Promise<void>): Promise<void> {
  const target = await start();
  try {
    await work(target);
  } finally {
    await target.stop();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const { scale, sections } = options;
  const began = new Date();
  const machineAtStart = machineLine();
  const scratch = await mkdtemp(join(tmpdir(), 'pack-registry-bench-'));
  log(`scratch folder ${scratch}`);
  const report = new Report();
  try {
    const certificate = await makeCertificate(join(scratch, 'certs'));
    const htpasswd = new Map<number, HtpasswdFile>();
    for (const cost of [OURS_COST, PEERS_COST]) htpasswd.set(cost, await writeHtpasswd(scratch, cost));
    log(options.tsx ? 'server: tsx' : options.serverBuild ? `server: ${options.serverBuild}` : 'server: compiling src/ (tsc)');
    const entry = options.tsx ? tsxServer() : options.serverBuild ? existingBuild(options.serverBuild) : await buildServer(join(scratch, 'build'));
    const loadClient = await chooseLoadClient();
    if (loadClient.note) report.note(loadClient.note);
    const ctx: Context = { options, scratch, certificate, htpasswd, entry, report };
    const needPacks = (['push', 'download', 'ceiling', 'notifications', 'profile', 's3', 'postgres'] as const).some((name) => sections.has(name));
    const packs = needPacks ? await buildPacks(ctx) : undefined;
    const pushes = sections.has('push');
    const downloads = sections.has('download');
    const htpasswdOf = (cost: number) => htpasswd.get(cost) as HtpasswdFile;

    // ---- ours: pushes and downloads (bcrypt 10), then the same server at the peers' bcrypt cost
    const ours = emptyFigures(`pack-registry (bcrypt ${OURS_COST})`);
    const oursSameCost = emptyFigures(`pack-registry (bcrypt ${PEERS_COST})`);
    const oursStorage = join(scratch, 'storage', 'ours');
    if (packs && (pushes || downloads)) {
      await withTarget(
        () => startOurs({ entry, storageDir: oursStorage, htpasswd: htpasswdOf(OURS_COST), certificate, env: options.serverEnv }),
        (target) => pushAndDownload(target, ours, packs, scale, options.load, { push: pushes, download: downloads }),
      );
      if (downloads) {
        await withTarget(
          () => startOurs({ entry, storageDir: oursStorage, htpasswd: htpasswdOf(PEERS_COST), certificate, env: options.serverEnv }),
          (target) => pushAndDownload(target, oursSameCost, packs, { ...scale, largeConcurrency: [] }, options.load, { push: false, download: true, stored: true }),
        );
      }
    }

    // ---- ours: push latency with webhook endpoints configured, one of them hung
    let notifications: NotificationFigures | undefined;
    if (sections.has('notifications') && packs) {
      log('notifications: pushes without and with three webhook endpoints (one hung)');
      const archives = join(scratch, 'archives');
      const series = await Promise.all(
        scale.pushSizes.slice(0, 2).map(async (size) => ({
          label: size.label,
          packs: await buildPackSeries(archives, `${size.name}-notify`, size.bytes, scale.notificationPushRuns),
        })),
      );
      notifications = await measureNotificationPushes({ entry, scratch, htpasswd: htpasswdOf(OURS_COST), certificate, env: options.serverEnv, series });
    }

    // ---- ours: catalog and list pages over a directly seeded index
    const queries = new Map<string, CatalogQuery[]>();
    const seeded = new Map<number, { dir: string; index: SeededIndex }>();
    const seeding = async (versions: number) => {
      const known = seeded.get(versions);
      if (known) return known;
      const dir = join(scratch, 'storage', `catalog-${versions}`);
      log(`seeding an index with ${versions} versions`);
      const value = { dir, index: await seedIndex(dir, versions) };
      seeded.set(versions, value);
      return value;
    };
    if (sections.has('catalog')) {
      for (const versions of scale.catalogVersions) {
        const { dir, index } = await seeding(versions);
        queries.set(ours.label, oursQueries(index));
        await withTarget(
          () => startOurs({ entry, storageDir: dir, htpasswd: htpasswdOf(OURS_COST), certificate }),
          (target) => catalogLoads(target, ours, versions, oursQueries(index), scale.catalogConcurrency, options.load),
        );
      }
    }

    // ---- ours: the web UI's pages over 10,000 packs
    const uiVersions = scale.uiPacks * 2;
    let uiIndex: SeededIndex | undefined;
    if (sections.has('ui')) {
      const dir = join(scratch, 'storage', 'ui');
      log(`seeding an index with ${scale.uiPacks} packs for the web UI`);
      uiIndex = await seedIndex(dir, uiVersions, 2);
      const index = uiIndex;
      await withTarget(
        () => startOurs({ entry, storageDir: dir, htpasswd: htpasswdOf(OURS_COST), certificate }),
        (target) => catalogLoads(target, ours, uiVersions, uiQueries(index), scale.catalogConcurrency, options.load),
      );
    }

    // ---- ours: cold start
    if (sections.has('coldstart')) {
      const startTimes = async (storageFor: (run: number) => string, serverEntry: ServerEntry, runs = scale.coldStartRuns) => {
        const times: number[] = [];
        for (let run = 0; run < runs; run++) {
          const target = await startOurs({ entry: serverEntry, storageDir: storageFor(run), htpasswd: htpasswdOf(OURS_COST), certificate });
          times.push(target.startMs);
          await target.stop();
        }
        return median(times);
      };
      const runtime = entry.runtime === 'build' ? 'compiled JS' : 'tsx';
      log('cold starts');
      ours.coldStartMs.push({ condition: `${runtime}, empty storage`, ms: await startTimes((run) => join(scratch, 'storage', `cold-${run}`), entry) });
      const biggest = scale.catalogVersions.at(-1) ?? 0;
      const { dir } = await seeding(biggest);
      ours.coldStartMs.push({ condition: `${runtime}, ${fmt(biggest)} versions in the index`, ms: await startTimes(() => dir, entry, scale.coldStartRunsLargeIndex) });
      if (entry.runtime === 'build') {
        ours.coldStartMs.push({ condition: 'tsx (`npm start`), empty storage', ms: await startTimes((run) => join(scratch, 'storage', `cold-tsx-${run}`), tsxServer()) });
      }
    }

    // ---- ours: index rebuild
    let reindex: ReindexFigures | { skipped: string } | undefined;
    let reindexSeedMs: number | undefined;
    if (sections.has('reindex')) {
      const availability = await reindexAvailable(entry);
      if (!availability.available) {
        process.stdout.write('skipped: reindex not available\n');
        reindex = { skipped: availability.reason };
      } else {
        const dir = join(scratch, 'storage', 'reindex');
        log(`seeding ${scale.reindexVersions} versions by in-process pushes`);
        reindexSeedMs = await seedByPushing({ storageDir: dir, htpasswd: htpasswdOf(OURS_COST), certificate, versions: scale.reindexVersions, perPack: 10, parallel: 4 });
        log('pack-registry reindex');
        reindex = await measureReindex(entry, dir, htpasswdOf(OURS_COST), certificate, scale.reindexVersions, scale.reindexRuns);
      }
    }

    // ---- ours on S3 (moto) against ours on the filesystem, same run
    if (sections.has('s3') && packs) {
      const largest = scale.pushSizes.at(-1);
      const large = (largest && packs.series.get(largest.name)) ?? [];
      log(`s3: ${large.length} pushes and 50 KB downloads on moto and on the filesystem`);
      await benchS3({ entry, scratch, htpasswd: htpasswdOf(OURS_COST), certificate, large, small: packs.small, load: options.load, report, env: options.serverEnv });
    }

    // ---- ours on a PostgreSQL index against ours on SQLite, same run; then a second replica
    if (sections.has('postgres') && packs) {
      const pushSeries = scale.pushSizes.filter((size) => size.bytes >= MB).map((size) => ({ label: size.label, packs: packs.series.get(size.name) ?? [] }));
      const versions = scale.catalogVersions.at(-1) ?? 0;
      log(`postgres: pushes, 50 KB downloads and catalog pages at ${versions} versions on PostgreSQL and on SQLite`);
      await benchPostgres({
        entry,
        scratch,
        htpasswd: htpasswdOf(OURS_COST),
        certificate,
        pushes: pushSeries,
        small: packs.small,
        load: options.load,
        catalog: {
          versions,
          seed: async () => {
            const { dir, index } = await seeding(versions);
            return { dir, queries: oursQueries(index) };
          },
        },
        report,
        env: options.serverEnv,
      });
    }

    // ---- peers, one at a time, with the peers' htpasswd (bcrypt 5)
    const versions: string[] = [];
    const distribution = emptyFigures(`Distribution (bcrypt ${PEERS_COST})`);
    const verdaccio = emptyFigures(`Verdaccio (bcrypt ${PEERS_COST})`);
    if (options.peers) {
      await asPeer(ctx, distribution, async () => {
        versions.push(await distributionVersion());
        const dir = (name: string) => join(scratch, 'peers', 'distribution', name);
        if (packs && (pushes || downloads)) {
          await withTarget(
            () => startDistribution({ dir: dir('main'), htpasswd: htpasswdOf(PEERS_COST), certificate }),
            (target) => pushAndDownload(target, distribution, packs, scale, options.load, { push: pushes, download: downloads }),
          );
        }
        if (sections.has('catalog')) {
          for (const count of scale.catalogVersions) {
            const names = Array.from({ length: Math.round(count / 10) }, (_, index) => packName(index));
            queries.set(distribution.label, distributionQueries(names));
            await withTarget(
              () => startDistribution({ dir: dir(`catalog-${count}`), htpasswd: htpasswdOf(PEERS_COST), certificate, seedRepositories: names }),
              (target) => catalogLoads(target, distribution, count, distributionQueries(names), scale.catalogConcurrency, options.load),
            );
          }
        }
        if (sections.has('coldstart')) {
          const times: number[] = [];
          for (let run = 0; run < scale.coldStartRuns; run++) {
            const target = await startDistribution({ dir: dir(`cold-${run}`), htpasswd: htpasswdOf(PEERS_COST), certificate });
            times.push(target.startMs);
            await target.stop();
          }
          distribution.coldStartMs.push({ condition: 'empty storage', ms: median(times) });
        }
      });
      await asPeer(ctx, verdaccio, async () => {
        versions.push(await ensureVerdaccio());
        const dir = (name: string) => join(scratch, 'peers', 'verdaccio', name);
        if (packs && (pushes || downloads)) {
          await withTarget(
            () => startVerdaccio({ dir: dir('main'), htpasswd: htpasswdOf(PEERS_COST), certificate }),
            (target) => pushAndDownload(target, verdaccio, packs, scale, options.load, { push: pushes, download: downloads }),
          );
        }
        if (sections.has('coldstart')) {
          const times: number[] = [];
          for (let run = 0; run < scale.coldStartRuns; run++) {
            const target = await startVerdaccio({ dir: dir(`cold-${run}`), htpasswd: htpasswdOf(PEERS_COST), certificate });
            times.push(target.startMs);
            await target.stop();
          }
          verdaccio.coldStartMs.push({ condition: 'empty storage', ms: median(times) });
        }
      });
    }

    // ---- the machine's ceiling for the same bytes
    const node = emptyFigures('Node https (no auth)');
    const bareExpress = emptyFigures('express 5 (no auth)');
    const nginx = emptyFigures('nginx (no auth)');
    let hash: HashCeiling | undefined;
    let uploadFloorMs: number | undefined;
    if (sections.has('ceiling') && packs) {
      log('ceiling: sha256 and gunzip in process');
      hash = await hashCeiling(packs.large, scale.hashRuns);
      await withTarget(
        () => startNodeStatic(join(scratch, 'ceiling', 'node'), certificate, [packs.small, packs.large]),
        async (target) => {
          const uploads: number[] = [];
          for (let run = 0; run < scale.pushRuns; run++) uploads.push(await target.upload(packs.large));
          uploadFloorMs = median(uploads);
          await pushAndDownload(target, node, packs, scale, options.load, { push: false, download: true, stored: true });
        },
      );
      // The framework's own floor: the same handler behind express, the framework our server is built on.
      await withTarget(
        () => startNodeStatic(join(scratch, 'ceiling', 'express'), certificate, [packs.small, packs.large], 'express'),
        (target) => pushAndDownload(target, bareExpress, packs, scale, options.load, { push: false, download: true, stored: true }),
      );
      await asPeer(ctx, nginx, async () => {
        versions.push(await nginxVersion());
        await withTarget(
          () => startNginx(join(scratch, 'ceiling', 'nginx'), certificate, [packs.small, packs.large]),
          (target) => pushAndDownload(target, nginx, packs, scale, options.load, { push: false, download: true, stored: true }),
        );
      });
    }

    // ---- CPU profiles of our server: only the samples taken while the workload ran count (not the start)
    const profiles: ProfileSummary[] = [];
    if (sections.has('profile') && packs) {
      const profiled = async (title: string, storageDir: string, setup: (target: Target) => Promise<void>, work: (target: Target) => Promise<void>) => {
        const cpuProfileDir = join(scratch, 'profiles', String(profiles.length));
        let window: Window = { fromUs: 0, toUs: 0 };
        await withTarget(
          () => startOurs({ entry, storageDir, htpasswd: htpasswdOf(OURS_COST), certificate, cpuProfileDir }),
          async (target) => {
            await setup(target);
            const fromUs = nowUs();
            await work(target);
            window = { fromUs, toUs: nowUs() };
          },
        );
        const profile = await readProfile(cpuProfileDir);
        const busy = busyMs(profile, window);
        log(`profile "${title}": ${fmt(busy)} ms busy of ${fmt((window.toUs - window.fromUs) / 1000)} ms`);
        profiles.push({
          title: `${title}: ${fmt(busy / 1000)} s of CPU in ${fmt((window.toUs - window.fromUs) / 1e6)} s`,
          functions: hotFunctions(profile, 15, window),
          modules: hotModules(profile, 10, window),
          inclusive: inclusiveSourceFunctions(profile, 12, window),
        });
      };
      const seconds = Math.max(options.load.durationSec * 2, 4);
      const profileLoad = { durationSec: seconds, warmupSec: 0, rounds: 1 };
      const profileStorage = join(scratch, 'storage', 'profile');
      await profiled(
        `${scale.smallDownload.label} downloads, c=16, ${seconds} s`,
        profileStorage,
        (target) => pushUntimed(target, packs.small),
        async (target) => void (await loadPath(target, target.downloadPath(packs.small), 16, profileLoad)),
      );
      const largePushes = await buildPackSeries(join(scratch, 'archives'), scale.largeDownload.name, scale.largeDownload.bytes, 3, 100);
      await profiled(
        `3 pushes of ${scale.largeDownload.label}`,
        profileStorage,
        (target) => send(target.endpoint, { path: target.probePath, headers: { authorization: target.authorization ?? '' } }).then(() => undefined),
        async (target) => {
          for (const pack of largePushes) await pushUntimed(target, pack);
        },
      );
      const biggest = scale.catalogVersions.at(-1) ?? 0;
      const { dir, index } = await seeding(biggest);
      await profiled(
        `catalog and list pages, ${fmt(biggest)} versions, c=16, ${options.load.durationSec} s each`,
        dir,
        async () => undefined,
        async (target) => {
          for (const query of oursQueries(index)) await loadPath(target, query.path, 16, { ...profileLoad, durationSec: options.load.durationSec });
        },
      );
    }

    // ---- the report
    renderSummary(report, {
      scale,
      ours,
      oursSameCost,
      distribution: options.peers ? distribution : undefined,
      verdaccio: options.peers ? verdaccio : undefined,
      nginx,
      node,
      bareExpress,
      hash,
      reindex,
      catalogQueries: queries.get(ours.label) ?? [],
      costs: { ours: OURS_COST, peers: PEERS_COST },
    });
    const all = [ours, oursSameCost, ...(options.peers ? [distribution, verdaccio] : []), node, bareExpress, nginx];
    renderPushes(report, scale, [ours, ...(options.peers ? [distribution, verdaccio] : [])], { hash, uploadFloorMs });
    renderDownloads(report, scale, all);
    renderCatalog(report, scale, all, queries);
    if (uiIndex) renderUi(report, scale, ours, uiQueries(uiIndex), uiVersions);
    renderColdStart(report, all);
    renderReindex(report, reindex, reindexSeedMs);
    if (notifications) renderNotifications(report, notifications);
    renderProfiles(report, profiles);

    const header = [
      `# pack-registry benchmark, ${began.toISOString().slice(0, 10)}`,
      '',
      `- machine: ${machineAtStart}; at the end: load average ${machineLine().split('load average ')[1] ?? ''}`,
      `- pack-registry ${options.serverBuild ? `compiled copy ${options.serverBuild} (possibly edited by hand)` : gitDescription()} run as ${entry.runtime === 'build' ? 'compiled JavaScript (tsc, NODE_ENV=production)' : 'tsx'}, log level warn, TLS (RSA 2048, self-signed), htpasswd bcrypt cost ${OURS_COST}; also at cost ${PEERS_COST} against the peers`,
      `- peers and ceilings: ${versions.length > 0 ? versions.join(', ') : 'none'}${options.peers ? '' : ' (run with --peers for Distribution and Verdaccio)'}; peers use an htpasswd with bcrypt cost ${PEERS_COST} (\`htpasswd -B\`'s default)`,
      `- load: ${loadClient.client === 'wrk' ? 'wrk 4.1 (Debian), at most 2 threads' : 'autocannon 8 in the bench process'}, ${options.load.rounds} round(s) of ${options.load.durationSec} s after a ${options.load.warmupSec} s warm-up per configuration, medians; pushes: ${scale.pushRuns} per size, medians`,
      `- command: \`npm run bench -- ${process.argv.slice(2).join(' ')}\`, ${fmt((Date.now() - began.getTime()) / 60_000)} min`,
    ];
    const markdown = report.render(header);
    if (options.write) {
      const dir = join(REPO_ROOT, 'bench', 'results');
      await mkdir(dir, { recursive: true });
      const path = resultsPath(dir, began);
      await writeFile(path, markdown);
      process.stdout.write(`\n${markdown}\nwritten to ${path}\n`);
    } else {
      process.stdout.write(`\n${markdown}\n(not written: ${options.quick ? '--quick' : '--no-write'})\n`);
    }
  } finally {
    if (options.keep) log(`kept ${scratch}`);
    else await rm(scratch, { recursive: true, force: true });
  }
}

function gitDescription(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim() !== '';
    return `${commit}${dirty ? ' + uncommitted changes in src/' : ''}`;
  } catch {
    return '(no git)';
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
