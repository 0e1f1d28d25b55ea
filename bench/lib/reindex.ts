// Index rebuild from storage: `pack-registry reindex` reads the metadata document every push writes beside its
// blob and rebuilds index.db. The storage is seeded through the registry itself, in process (the composition
// root's Registry.push, without HTTP), so it holds exactly what real pushes leave behind.
import { pino } from 'pino';
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { startRegistry } from '../../src/cli/serve.js';
import { loadConfig } from '../../src/config/load.js';
import { stageUpload } from '../../src/storage/staging.js';
import type { ServerEntry } from './build.js';
import { REPO_ROOT } from './build.js';
import type { Certificate, HtpasswdFile } from './credentials.js';
import { cleanEnv, freePort, runCommand } from './proc.js';
import { median, timed } from './stats.js';
import { tarBuffer } from './tar.js';

export interface ReindexAvailability {
  available: boolean;
  reason: string;
}

/** Whether this build has the command: asked of the CLI itself, not guessed from file names. */
export async function reindexAvailable(entry: ServerEntry): Promise<ReindexAvailability> {
  const { code, stdout, stderr } = await runCommand(process.execPath, [...entry.nodeArgs, 'reindex', '--help'], {
    cwd: REPO_ROOT,
    env: cleanEnv(),
    timeoutMs: 30_000,
  });
  if (code === 0 && /reindex/i.test(stdout)) return { available: true, reason: '' };
  return { available: false, reason: `\`pack-registry reindex --help\` exited ${code}: ${(stderr || stdout).trim().split('\n')[0] ?? ''}` };
}

function tinyPack(name: string, version: string): Buffer {
  const packJson = { name, displayName: `Reindex ${name}`, version, layer: 'addon', addonType: 'monitoring', cloudTypes: ['all'] };
  return gzipSync(
    tarBuffer([
      { path: 'pack.json', body: Buffer.from(JSON.stringify(packJson, null, 2)) },
      { path: 'values.yaml', body: Buffer.from(`pack:\n  namespace: ${name}\n  version: ${version}\n`) },
    ]),
  );
}

export interface SeedOptions {
  storageDir: string;
  htpasswd: HtpasswdFile;
  certificate: Certificate;
  versions: number;
  perPack: number;
  /** Pushes in flight at once: fsyncs overlap, as they would with several authors pushing. */
  parallel: number;
}

/** Push `versions` tiny packs through an in-process registry; returns the elapsed time. */
export async function seedByPushing(options: SeedOptions): Promise<number> {
  const port = await freePort();
  const { config } = loadConfig({
    cwd: options.storageDir,
    env: {
      REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`,
      REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: options.storageDir,
      REGISTRY_AUTH_HTPASSWD_PATH: options.htpasswd.path,
      REGISTRY_HTTP_TLS_CERTIFICATE: options.certificate.certPath,
      REGISTRY_HTTP_TLS_KEY: options.certificate.keyPath,
      REGISTRY_LOG_LEVEL: 'error',
    },
  });
  const running = await startRegistry(config, { logger: pino({ level: 'silent' }), announce: () => undefined });
  try {
    const jobs: { name: string; version: string }[] = [];
    for (let index = 0; index < options.versions; index++) {
      jobs.push({ name: `reindex-${String(Math.floor(index / options.perPack)).padStart(5, '0')}`, version: `1.${index % options.perPack}.0` });
    }
    const { ms } = await timed(async () => {
      let next = 0;
      const worker = async () => {
        while (next < jobs.length) {
          const job = jobs[next++] as { name: string; version: string };
          const upload = await stageUpload(Readable.from([tinyPack(job.name, job.version)]), running.registry.staging, 1024 * 1024);
          await running.registry.push(upload, { user: 'admin' });
        }
      };
      await Promise.all(Array.from({ length: options.parallel }, worker));
    });
    return ms;
  } finally {
    await running.stop();
  }
}

export interface ReindexFigures {
  versions: number;
  medianMs: number;
  runs: number[];
  output: string;
}

/** Run `pack-registry reindex` (a fresh process each time, as an operator would) `runs` times. */
export async function measureReindex(entry: ServerEntry, storageDir: string, htpasswd: HtpasswdFile, certificate: Certificate, versions: number, runs: number): Promise<ReindexFigures> {
  const env = cleanEnv({
    NODE_ENV: 'production',
    REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: storageDir,
    REGISTRY_AUTH_HTPASSWD_PATH: htpasswd.path,
    REGISTRY_HTTP_TLS_CERTIFICATE: certificate.certPath,
    REGISTRY_HTTP_TLS_KEY: certificate.keyPath,
    REGISTRY_LOG_LEVEL: 'warn',
  });
  const times: number[] = [];
  let output = '';
  for (let run = 0; run < runs; run++) {
    const { ms, value } = await timed(() => runCommand(process.execPath, [...entry.nodeArgs, 'reindex'], { cwd: REPO_ROOT, env, timeoutMs: 300_000 }));
    if (value.code !== 0) throw new Error(`pack-registry reindex exited ${value.code}: ${value.stderr}${value.stdout}`);
    output = value.stdout.trim();
    if (!output.includes(`${versions} version`)) throw new Error(`reindex did not restore ${versions} versions: ${output}`);
    times.push(ms);
  }
  return { versions, medianMs: median(times), runs: times, output };
}
