// `--only=s3`: pack-registry on `storage: s3` (moto's S3 server on loopback, a real S3-protocol process) next to
// the same server on the filesystem, in the same run: a 50 MB push (time and the server's peak RSS, which
// must stay under 150 MB however large the archive is) and 50 KB downloads at c=16 (served from the
// small-blob cache after the first read, whichever the storage).
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UPLOAD_QUEUE_SIZE } from '../../src/storage/s3/upload.js';
import { motoServer } from '../../test/helpers/real-components.js';
import type { ServerEntry } from './build.js';
import type { Certificate, HtpasswdFile } from './credentials.js';
import type { LoadSettings } from './load.js';
import { startOurs, type OursTarget } from './ours.js';
import type { BenchPack } from './packs.js';
import { freePort, spawnChild, type Child } from './proc.js';
import { table, type Report } from './report.js';
import { measureDownloads, measurePushes, pushUntimed, type PushFigures } from './scenarios.js';
import { fmt, fmtMs, fmtRatio, MB } from './stats.js';

/** The bound on the server's RSS during a 50 MB push on S3. */
const RSS_LIMIT_BYTES = 150 * MB;
const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench-secret' };

export interface S3BenchOptions {
  entry: ServerEntry;
  scratch: string;
  htpasswd: HtpasswdFile;
  certificate: Certificate;
  /** The 50 MB archives, one per push (each push stores new bytes). */
  large: BenchPack[];
  small: BenchPack;
  load: LoadSettings;
  report: Report;
  /** `--server-env`, for both servers (e.g. REGISTRY_STORAGE_S3_CHUNKSIZE). */
  env?: Record<string, string>;
}

interface StorageFigures {
  push: PushFigures;
  downloads: { reqPerSec: number; p99: number; errors: number };
}

async function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = request({ host: '127.0.0.1', port, path: '/', timeout: 1000 }, (response) => {
      response.resume();
      resolve(true);
    });
    probe.on('error', () => resolve(false));
    probe.on('timeout', () => probe.destroy());
    probe.end();
  });
}

async function startMoto(program: string): Promise<{ child: Child; endpoint: string }> {
  const port = await freePort();
  const child = spawnChild('moto_server', program, ['-H', '127.0.0.1', '-p', String(port)]);
  const deadline = Date.now() + 30_000;
  while (!(await answers(port))) {
    if (Date.now() > deadline || child.process.exitCode !== null) {
      await child.stop();
      throw new Error(`moto_server did not start: ${child.output()}`);
    }
    await sleep(100);
  }
  return { child, endpoint: `http://127.0.0.1:${port}` };
}

async function measure(target: OursTarget, options: S3BenchOptions): Promise<StorageFigures> {
  const push = await measurePushes(target, options.large);
  await pushUntimed(target, options.small);
  const loads = await measureDownloads(target, options.small, [16], options.load);
  const figures = loads.get(16);
  return { push, downloads: { reqPerSec: figures?.reqPerSec ?? 0, p99: figures?.p99 ?? 0, errors: (figures?.errors ?? 0) + (figures?.non2xx ?? 0) } };
}

export async function benchS3(options: S3BenchOptions): Promise<void> {
  const program = motoServer().path;
  if (!program) {
    options.report.note('s3: moto_server is not installed (pip install "moto[server]"): the S3 rows are skipped');
    return;
  }
  const common = { entry: options.entry, htpasswd: options.htpasswd, certificate: options.certificate };
  // REGISTRY_STORAGE_S3_* would turn the filesystem server into an S3 one: those go to the S3 server only.
  const serverEnv = options.env ?? {};
  const filesystemEnv = Object.fromEntries(Object.entries(serverEnv).filter(([name]) => !name.startsWith('REGISTRY_STORAGE_S3_')));
  const filesystem = await (async () => {
    const target = await startOurs({ ...common, storageDir: join(options.scratch, 'storage', 's3-vs-filesystem'), label: 'filesystem', env: filesystemEnv });
    try {
      return await measure(target, options);
    } finally {
      await target.stop();
    }
  })();

  const moto = await startMoto(program);
  let s3: StorageFigures;
  try {
    const bucket = 'bench';
    const client = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true, credentials: CREDENTIALS });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    client.destroy();
    const target = await startOurs({
      ...common,
      storageDir: join(options.scratch, 'storage', 's3-local'),
      label: 's3 (moto)',
      env: serverEnv,
      storage: {
        REGISTRY_STORAGE_S3_BUCKET: bucket,
        REGISTRY_STORAGE_S3_REGIONENDPOINT: moto.endpoint,
        REGISTRY_STORAGE_S3_ACCESSKEY: CREDENTIALS.accessKeyId,
        REGISTRY_STORAGE_S3_SECRETKEY: CREDENTIALS.secretAccessKey,
        REGISTRY_STORAGE_S3_ROOTDIRECTORY: 'registry',
        REGISTRY_STORAGE_S3_LOCALDIRECTORY: join(options.scratch, 'storage', 's3-local'),
      },
    });
    try {
      s3 = await measure(target, options);
    } finally {
      await target.stop();
    }
  } finally {
    await moto.child.stop();
  }

  const label = `${fmt(options.large[0]?.size ? options.large[0].size / MB : 50)} MB push`;
  const rssMet = s3.push.peakRss < RSS_LIMIT_BYTES;
  options.report.target({
    metric: `s3: ${label}, median`,
    ours: fmtMs(s3.push.medianMs),
    other: `filesystem ${fmtMs(filesystem.push.medianMs)}`,
    ratio: fmtRatio(s3.push.medianMs, filesystem.push.medianMs),
    target: 'reported',
    met: undefined,
  });
  options.report.target({
    metric: `s3: server RSS during a ${label}`,
    ours: `${fmt(s3.push.peakRss / MB)} MB`,
    other: `filesystem ${fmt(filesystem.push.peakRss / MB)} MB`,
    ratio: fmtRatio(s3.push.peakRss, filesystem.push.peakRss),
    target: '< 150 MB',
    met: rssMet,
  });
  options.report.target({
    metric: 's3: 50 KB downloads, c=16',
    ours: `${fmt(s3.downloads.reqPerSec)} req/s`,
    other: `filesystem ${fmt(filesystem.downloads.reqPerSec)} req/s`,
    ratio: fmtRatio(s3.downloads.reqPerSec, filesystem.downloads.reqPerSec),
    target: 'reported',
    met: s3.downloads.errors === 0 ? undefined : false,
  });
  const row = (name: string, figures: StorageFigures) => [
    name,
    `${fmtMs(figures.push.medianMs)} (${fmt(figures.push.minMs)}–${fmt(figures.push.maxMs)})`,
    `${fmt(figures.push.peakRss / MB)} MB (${fmt(figures.push.idleRss / MB)})`,
    `${fmt(figures.downloads.reqPerSec)} req/s, p99 ${fmt(figures.downloads.p99)} ms, ${figures.downloads.errors} errors`,
  ];
  options.report.section(
    'S3 storage (moto on loopback) against the filesystem',
    `The same server and archives, \`storage: s3\` against moto's S3 server (a Python process on the same machine, so its ` +
      `CPU competes with the registry's) and \`storage: filesystem\`. Pushes: median of ${options.large.length} pushes of distinct ` +
      `${label.replace(' push', '')} archives; S3 receives each as a multipart upload (${fmt(Number(serverEnv.REGISTRY_STORAGE_S3_CHUNKSIZE ?? 10 * MB) / MB)} MiB parts, ${UPLOAD_QUEUE_SIZE} in flight) to a staging ` +
      'object, then a server-side copy. RSS: sampled every 20 ms plus VmHWM, as in the push table. Downloads: 50 KB, c=16, ' +
      'after one untimed read (the small-blob cache serves them on either storage).',
    table(
      ['storage', `${label}: median (min–max)`, 'peak RSS (idle)', '50 KB downloads, c=16'],
      [row('filesystem', filesystem), row('s3 (moto)', s3), ['s3 / filesystem', fmtRatio(s3.push.medianMs, filesystem.push.medianMs), fmtRatio(s3.push.peakRss, filesystem.push.peakRss), fmtRatio(s3.downloads.reqPerSec, filesystem.downloads.reqPerSec)]],
    ),
    rssMet ? `Peak RSS on S3 stayed under 150 MB.` : `**Peak RSS on S3 reached ${fmt(s3.push.peakRss / MB)} MB, over the 150 MB bound.**`,
  );
}
