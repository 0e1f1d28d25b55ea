// Two compiled builds of the server side by side, the load alternating between them: on a shared machine, whose
// speed moves between runs, the fairest comparison of an old and a new build (figures taken minutes apart are
// not). Each build is a folder with dist/, package.json and node_modules (as `--server-build` takes), e.g. main's
// `tsc -p tsconfig.build.json --outDir /tmp/old/dist` plus `cp package.json` and a node_modules symlink.
// Usage: npx tsx bench/compare-builds.ts OLD/dist NEW/dist [rounds]
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existingBuild } from './lib/build.js';
import { makeCertificate, writeHtpasswd } from './lib/credentials.js';
import { measureLoad } from './lib/load.js';
import { startOurs, type OursTarget } from './lib/ours.js';
import { buildPackSeries, type BenchPack } from './lib/packs.js';
import { checkDownload, pushUntimed } from './lib/scenarios.js';
import { fmt, fmtMs, KB, MB } from './lib/stats.js';

async function main(): Promise<void> {
  const [oldDist, newDist, roundsArg = '3'] = process.argv.slice(2);
  if (!oldDist || !newDist) throw new Error('usage: npx tsx bench/compare-builds.ts OLD/dist NEW/dist [rounds]');
  const rounds = Number(roundsArg);
  const scratch = await mkdtemp(join(tmpdir(), 'pack-registry-compare-'));
  const targets: OursTarget[] = [];
  try {
    await mkdir(join(scratch, 'archives'));
    const certificate = await makeCertificate(join(scratch, 'certs'));
    const htpasswd = await writeHtpasswd(scratch, 10);
    const [small] = await buildPackSeries(join(scratch, 'archives'), 'compare-50kb', 50 * KB, 1);
    const [large] = await buildPackSeries(join(scratch, 'archives'), 'compare-50mb', 50 * MB, 1);
    if (!small || !large) throw new Error('the packs were not built');
    for (const [label, dist] of [['old', oldDist], ['new', newDist]] as const) {
      const target = await startOurs({ entry: existingBuild(dist), storageDir: join(scratch, label), htpasswd, certificate, label });
      targets.push(target);
      for (const pack of [small, large]) {
        await pushUntimed(target, pack);
        await checkDownload(target, pack);
      }
    }
    const plan: [string, BenchPack, number][] = [
      ['50 KB, c=16', small, 16],
      ['50 MB, c=1', large, 1],
      ['50 MB, c=4', large, 4],
    ];
    process.stdout.write('| download | build | req/s | MB/s | p99 | server CPU per request |\n| --- | --- | --- | --- | --- | --- |\n');
    for (const [title, pack, connections] of plan) {
      for (let round = 0; round < rounds; round++) {
        for (const target of targets) {
          const figures = await measureLoad(
            { url: `${target.endpoint.origin}${target.downloadPath(pack)}`, headers: { authorization: target.authorization ?? '' }, connections, pid: target.pid },
            { durationSec: 4, warmupSec: 1, rounds: 1 },
          );
          const failures = figures.errors + figures.non2xx > 0 ? ` (${figures.errors + figures.non2xx} failures)` : '';
          process.stdout.write(
            `| ${title} | ${target.label} | ${fmt(figures.reqPerSec)} | ${fmt(figures.mbPerSec)} | ${fmtMs(figures.p99)} | ${fmtMs(figures.cpuMsPerRequest)}${failures} |\n`,
          );
        }
      }
    }
  } finally {
    for (const target of targets) await target.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`compare failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
