// The machine's own ceiling for the same bytes: what any server here could at best do.
//  - nginx (Debian's, installed on demand) serving the archive over HTTPS without auth;
//  - a minimal Node HTTPS server (bench/servers/static-https.ts), also without auth, also the transfer floor
//    for a push (POST of the archive, discarded);
//  - in-process sha256, gunzip, and both in one pass over the archive file.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { REPO_ROOT } from '../lib/build.js';
import type { Certificate } from '../lib/credentials.js';
import { endpoint, expectStatus, send, waitUntilServing } from '../lib/http.js';
import type { BenchPack } from '../lib/packs.js';
import { cleanEnv, freePort, runCommand, spawnChild } from '../lib/proc.js';
import { median, timed } from '../lib/stats.js';
import type { Target } from '../lib/target.js';
import { PeerUnavailable } from '../lib/target.js';
import { ensureDebianPackage } from '../lib/apt.js';

const NGINX = '/usr/sbin/nginx';

export async function nginxVersion(): Promise<string> {
  await ensureDebianPackage('nginx', NGINX);
  const { stdout, stderr } = await runCommand(NGINX, ['-v'], { timeoutMs: 10_000 });
  return `nginx ${/nginx\/(\S+)/.exec(`${stdout}${stderr}`)?.[1] ?? '?'}`;
}

async function publish(dir: string, packs: BenchPack[]): Promise<string> {
  const www = join(dir, 'www');
  await mkdir(www, { recursive: true });
  for (const pack of packs) await copyFile(pack.path, join(www, basename(pack.path)));
  return www;
}

const fileTarget = (pack: BenchPack) => `/${basename(pack.path)}`;

export async function startNginx(dir: string, certificate: Certificate, packs: BenchPack[]): Promise<Target> {
  await ensureDebianPackage('nginx', NGINX);
  const www = await publish(dir, packs);
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  await mkdir(join(dir, 'temp'), { recursive: true });
  // Two workers (auto, one per core) with sendfile: nginx as it is usually deployed.
  await writeFile(
    conf,
    `user root;
worker_processes auto;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path ${join(dir, 'temp')};
  proxy_temp_path ${join(dir, 'temp')};
  fastcgi_temp_path ${join(dir, 'temp')};
  uwsgi_temp_path ${join(dir, 'temp')};
  scgi_temp_path ${join(dir, 'temp')};
  default_type application/gzip;
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${certificate.certPath};
    ssl_certificate_key ${certificate.keyPath};
    root ${www};
  }
}
`,
  );
  const child = spawnChild('nginx', NGINX, ['-p', dir, '-e', join(dir, 'error.log'), '-c', conf]);
  const target = endpoint(`https://127.0.0.1:${port}`, certificate.cert);
  try {
    await waitUntilServing(target, '/', (status) => status > 0, { alive: () => child.process.exitCode === null });
  } catch (error) {
    await child.stop();
    throw new PeerUnavailable(`nginx did not start: ${(error as Error).message}\n${child.output()}`);
  }
  return {
    label: 'nginx (no auth)',
    pid: child.pid,
    endpoint: target,
    probePath: '/',
    downloadPath: fileTarget,
    stop: async () => {
      target.agent.destroy();
      await child.stop();
    },
  };
}

export interface NodeStaticTarget extends Target {
  /** Wall time of one POST of the archive to a server that discards it. */
  upload(pack: BenchPack): Promise<number>;
}

/** The bare Node HTTPS server, or (`express`) the same handler as the one route of an express 5 app. */
export async function startNodeStatic(
  dir: string,
  certificate: Certificate,
  packs: BenchPack[],
  framework: 'node' | 'express' = 'node',
): Promise<NodeStaticTarget> {
  const www = await publish(dir, packs);
  const port = await freePort();
  const child = spawnChild(
    'static-https',
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'bench', 'servers', 'static-https.ts'), String(port), www, certificate.certPath, certificate.keyPath, framework],
    // As our server runs: express reads NODE_ENV.
    { cwd: REPO_ROOT, env: cleanEnv({ NODE_ENV: 'production' }) },
  );
  const target = endpoint(`https://127.0.0.1:${port}`, certificate.cert);
  try {
    await waitUntilServing(target, '/', (status) => status > 0, { alive: () => child.process.exitCode === null });
  } catch (error) {
    await child.stop();
    throw new PeerUnavailable(`the Node static server did not start: ${(error as Error).message}\n${child.output()}`);
  }
  return {
    label: framework === 'express' ? 'express 5 (no auth)' : 'Node https (no auth)',
    pid: child.pid,
    endpoint: target,
    probePath: '/',
    downloadPath: fileTarget,
    upload: async (pack) =>
      (
        await timed(async () =>
          expectStatus(
            await send(target, {
              method: 'POST',
              path: '/upload',
              headers: { 'content-type': 'application/octet-stream', 'content-length': pack.size },
              body: () => createReadStream(pack.path, { highWaterMark: 256 * 1024 }),
            }),
            200,
            'upload to the static server',
          ),
        )
      ).ms,
    stop: async () => {
      target.agent.destroy();
      await child.stop();
    },
  };
}

export interface HashCeiling {
  sha256Ms: number;
  gunzipMs: number;
  /** sha256 of the archive and gunzip of it, in one pass: the least a push must do with the bytes. */
  gunzipSha256Ms: number;
}

async function pass(path: string, hash: boolean, inflate: boolean): Promise<void> {
  const digest = createHash('sha256');
  const gunzip = inflate ? createGunzip() : undefined;
  const drained = gunzip
    ? new Promise<void>((resolve, reject) => {
        gunzip.on('data', () => undefined);
        gunzip.once('end', resolve);
        gunzip.once('error', reject);
      })
    : Promise.resolve();
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 }) as Readable) {
    if (hash) digest.update(chunk as Buffer);
    if (gunzip && !gunzip.write(chunk)) await new Promise((resolve) => gunzip.once('drain', resolve));
  }
  gunzip?.end();
  await drained;
  digest.digest();
}

/** Medians over `runs` passes; the file is read once first so every pass reads from the page cache. */
export async function hashCeiling(pack: BenchPack, runs: number): Promise<HashCeiling> {
  await pass(pack.path, false, false);
  const measure = async (hash: boolean, inflate: boolean) => {
    const times: number[] = [];
    for (let run = 0; run < runs; run++) times.push((await timed(() => pass(pack.path, hash, inflate))).ms);
    return median(times);
  };
  return { sha256Ms: await measure(true, false), gunzipMs: await measure(false, true), gunzipSha256Ms: await measure(true, true) };
}
