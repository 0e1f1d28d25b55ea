// CNCF Distribution (Debian's docker-registry): the registry people would run instead. A "pack" there is one
// monolithic blob upload (POST, then PUT with the digest) plus a schema-2 manifest naming it; a download is a
// blob GET. Its htpasswd auth verifies bcrypt on every request, which is what the comparison is about.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Certificate, HtpasswdFile } from '../lib/credentials.js';
import { BENCH_USER } from '../lib/credentials.js';
import { basicAuth, endpoint, expectStatus, send, waitUntilServing } from '../lib/http.js';
import type { BenchPack } from '../lib/packs.js';
import { freePort, runCommand, spawnChild } from '../lib/proc.js';
import type { Target } from '../lib/target.js';
import { PeerUnavailable } from '../lib/target.js';
import { ensureDebianPackage } from '../lib/apt.js';

const BINARY = '/usr/bin/docker-registry';

export async function distributionVersion(): Promise<string> {
  await ensureDebianPackage('docker-registry', BINARY);
  const { stdout, stderr } = await runCommand(BINARY, ['--version'], { timeoutMs: 10_000 });
  // "/usr/bin/docker-registry github.com/docker/distribution 2.8.2+ds1"
  const version = /distribution\s+v?(\S+)/.exec(`${stdout}${stderr}`)?.[1];
  if (!version) throw new PeerUnavailable(`cannot read the version of ${BINARY}: ${stdout}${stderr}`);
  return `Distribution ${version}`;
}

export interface DistributionOptions {
  dir: string;
  htpasswd: HtpasswdFile;
  certificate: Certificate;
  /** Repositories to create on disk before start (catalog pages); Distribution finds them by their _layers folder. */
  seedRepositories?: string[];
}

export interface DistributionTarget extends Target {
  startMs: number;
}

const CONFIG_MEDIA_TYPE = 'application/vnd.docker.container.image.v1+json';
const LAYER_MEDIA_TYPE = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
const MANIFEST_MEDIA_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';

export async function startDistribution(options: DistributionOptions): Promise<DistributionTarget> {
  await ensureDebianPackage('docker-registry', BINARY);
  const port = await freePort();
  const root = join(options.dir, 'data');
  const repositories = join(root, 'docker', 'registry', 'v2', 'repositories');
  await mkdir(repositories, { recursive: true });
  for (const name of options.seedRepositories ?? []) {
    await mkdir(join(repositories, name, '_layers'), { recursive: true });
    await mkdir(join(repositories, name, '_manifests'), { recursive: true });
  }
  const configPath = join(options.dir, 'config.yml');
  // Logging off as for ours (warn level): access logs would cost Distribution a write per request.
  await writeFile(
    configPath,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${root}`,
      '  cache:',
      '    blobdescriptor: inmemory',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '  secret: pack-registry-bench',
      '  tls:',
      `    certificate: ${options.certificate.certPath}`,
      `    key: ${options.certificate.keyPath}`,
      'auth:',
      '  htpasswd:',
      '    realm: basic-realm',
      `    path: ${options.htpasswd.path}`,
      '',
    ].join('\n'),
  );
  const child = spawnChild('docker-registry', BINARY, ['serve', configPath], { env: { ...process.env, OTEL_TRACES_EXPORTER: 'none' } });
  const target = endpoint(`https://127.0.0.1:${port}`, options.certificate.cert);
  let startMs: number;
  try {
    // Any answer (401 without credentials) means it is serving.
    startMs = await waitUntilServing(target, '/v2/', (status) => status > 0, { intervalMs: 5, alive: () => child.process.exitCode === null });
  } catch (error) {
    await child.stop();
    throw new PeerUnavailable(`Distribution did not start: ${(error as Error).message}\n${child.output()}`);
  }
  const authorization = basicAuth(BENCH_USER.user, BENCH_USER.password);
  const configured = new Map<string, { digest: string; size: number }>();

  const uploadBlob = async (repo: string, body: Buffer | { path: string; size: number }, digest: string): Promise<void> => {
    const start = expectStatus(
      await send(target, { method: 'POST', path: `/v2/${repo}/blobs/uploads/`, headers: { authorization, 'content-length': 0 } }),
      202,
      `start upload to ${repo}`,
    );
    const location = new URL(String(start.headers.location), target.origin);
    location.searchParams.set('digest', digest);
    const size = Buffer.isBuffer(body) ? body.length : body.size;
    expectStatus(
      await send(target, {
        method: 'PUT',
        path: `${location.pathname}${location.search}`,
        headers: { authorization, 'content-type': 'application/octet-stream', 'content-length': size },
        body: Buffer.isBuffer(body) ? body : () => createReadStream(body.path, { highWaterMark: 256 * 1024 }),
      }),
      201,
      `upload blob to ${repo}`,
    );
  };

  // A manifest must name an image config blob; one per repository, uploaded before any push is timed.
  const configBlob = async (repo: string): Promise<{ digest: string; size: number }> => {
    const known = configured.get(repo);
    if (known) return known;
    const body = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    const blob = { digest: `sha256:${createHash('sha256').update(body).digest('hex')}`, size: body.length };
    await uploadBlob(repo, body, blob.digest);
    configured.set(repo, blob);
    return blob;
  };

  return {
    label: `Distribution (bcrypt ${options.htpasswd.cost})`,
    pid: child.pid,
    startMs,
    endpoint: target,
    authorization,
    probePath: '/v2/',
    push: async (pack: BenchPack) => {
      const config = await configBlob(pack.name);
      const digest = `sha256:${pack.sha256}`;
      await uploadBlob(pack.name, { path: pack.path, size: pack.size }, digest);
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MANIFEST_MEDIA_TYPE,
          config: { mediaType: CONFIG_MEDIA_TYPE, size: config.size, digest: config.digest },
          layers: [{ mediaType: LAYER_MEDIA_TYPE, size: pack.size, digest }],
        }),
      );
      expectStatus(
        await send(target, {
          method: 'PUT',
          path: `/v2/${pack.name}/manifests/${pack.version}`,
          headers: { authorization, 'content-type': MANIFEST_MEDIA_TYPE, 'content-length': manifest.length },
          body: manifest,
        }),
        201,
        `put manifest ${pack.name}:${pack.version}`,
      );
    },
    downloadPath: (pack: BenchPack) => `/v2/${pack.name}/blobs/sha256:${pack.sha256}`,
    stop: async () => {
      target.agent.destroy();
      await child.stop();
    },
    prepare: async (pack: BenchPack) => {
      await configBlob(pack.name);
    },
  };
}
