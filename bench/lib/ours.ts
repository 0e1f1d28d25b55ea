// pack-registry under test: a child process started the way an operator starts it (`pack-registry serve`,
// configured only through REGISTRY_* variables), on loopback with TLS and a bcrypt htpasswd file.
import { Readable } from 'node:stream';
import { join } from 'node:path';
import type { ServerEntry } from './build.js';
import { REPO_ROOT } from './build.js';
import type { Certificate, HtpasswdFile } from './credentials.js';
import { BENCH_USER } from './credentials.js';
import { basicAuth, endpoint, expectStatus, multipartFile, send, waitUntilServing } from './http.js';
import type { BenchPack } from './packs.js';
import { cleanEnv, freePort, spawnChild, type Child } from './proc.js';
import type { Target } from './target.js';

export interface OursOptions {
  entry: ServerEntry;
  storageDir: string;
  htpasswd: HtpasswdFile;
  certificate: Certificate;
  /** Write a V8 CPU profile into this folder when the server stops (`node --cpu-prof`). */
  cpuProfileDir?: string;
  label?: string;
  /** Extra REGISTRY_* variables (`--server-env`). */
  env?: Record<string, string>;
  /** Variables choosing another storage driver (`REGISTRY_STORAGE_S3_*`) instead of the filesystem at `storageDir`. */
  storage?: Record<string, string>;
}

export interface OursTarget extends Target {
  child: Child;
  /** Milliseconds from spawn to the first `200` from /health. */
  startMs: number;
}

export async function startOurs(options: OursOptions): Promise<OursTarget> {
  const port = await freePort();
  const env = cleanEnv({
    NODE_ENV: 'production',
    REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`,
    ...(options.storage ?? { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: options.storageDir }),
    REGISTRY_AUTH_HTPASSWD_PATH: options.htpasswd.path,
    REGISTRY_HTTP_TLS_CERTIFICATE: options.certificate.certPath,
    REGISTRY_HTTP_TLS_KEY: options.certificate.keyPath,
    REGISTRY_LOG_LEVEL: 'warn',
    ...options.env,
  });
  const profiling = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
  const child = spawnChild('pack-registry', process.execPath, [...profiling, ...options.entry.nodeArgs, 'serve'], { env, cwd: REPO_ROOT });
  const target = endpoint(`https://127.0.0.1:${port}`, options.certificate.cert);
  let startMs: number;
  try {
    startMs = await waitUntilServing(target, '/health', (status) => status === 200, {
      intervalMs: 5,
      // A start reads every metadata document (about 30 s at 100k versions here): wait, but not forever.
      timeoutMs: 300_000,
      alive: () => child.process.exitCode === null,
    });
  } catch (error) {
    await child.stop();
    throw new Error(`pack-registry did not start: ${(error as Error).message}\n${child.output()}`);
  }
  const authorization = basicAuth(BENCH_USER.user, BENCH_USER.password);
  return {
    label: options.label ?? `pack-registry (bcrypt ${options.htpasswd.cost})`,
    pid: child.pid,
    child,
    startMs,
    endpoint: target,
    authorization,
    probePath: '/v1/',
    push: async (pack: BenchPack) => {
      const form = multipartFile('pack', `${pack.name}-${pack.version}.tar.gz`, pack.path, pack.size, 'application/gzip');
      const response = await send(target, {
        method: 'POST',
        path: '/v1/packs',
        headers: { authorization, 'content-type': form.contentType, 'content-length': form.length },
        body: () => Readable.from(form.stream()),
      });
      expectStatus(response, 201, `push ${pack.name}:${pack.version}`);
    },
    downloadPath: (pack: BenchPack) => `/v1/packs/${pack.name}/${pack.version}/archive`,
    stop: async () => {
      target.agent.destroy();
      await child.stop();
    },
  };
}

/** Where a server instance keeps its blobs and index inside the run's scratch folder. */
export function storageDirOf(scratch: string, name: string): string {
  return join(scratch, 'storage', name);
}
