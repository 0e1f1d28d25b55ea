// Verdaccio, the npm registry people self-host: installed on demand into the bench's cache folder (never a
// dependency of this project). A push is `npm publish`'s PUT (the tarball base64-encoded in a JSON document),
// a download is the tarball GET; both with Basic auth against the same htpasswd file (its htpasswd plugin
// verifies $2y$ bcrypt entries with bcryptjs, on every request).
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CACHE_DIR } from '../lib/build.js';
import type { Certificate, HtpasswdFile } from '../lib/credentials.js';
import { BENCH_USER } from '../lib/credentials.js';
import { basicAuth, endpoint, expectStatus, send, waitUntilServing } from '../lib/http.js';
import type { BenchPack } from '../lib/packs.js';
import { freePort, runCommand, spawnChild } from '../lib/proc.js';
import type { Target } from '../lib/target.js';
import { PeerUnavailable } from '../lib/target.js';

/** The last Verdaccio whose engines accept Node 20 (6.9 and later need Node 22). */
export const VERDACCIO_VERSION = '6.8.0';
const INSTALL_DIR = join(CACHE_DIR, 'peers', 'verdaccio');
const PACKAGE_DIR = join(INSTALL_DIR, 'node_modules', 'verdaccio');

async function installedVersion(): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
}

export async function ensureVerdaccio(): Promise<string> {
  if ((await installedVersion()) !== VERDACCIO_VERSION) {
    await mkdir(INSTALL_DIR, { recursive: true });
    // verdaccio-audit asks for node-fetch by the dist-tag "cjs", which not every npm registry mirror serves;
    // 2.7.0 is what that tag names.
    await writeFile(
      join(INSTALL_DIR, 'package.json'),
      `${JSON.stringify({ name: 'pack-registry-bench-peers', private: true, overrides: { 'node-fetch': '2.7.0' } }, null, 2)}\n`,
    );
    process.stderr.write(`installing verdaccio@${VERDACCIO_VERSION} into ${INSTALL_DIR}\n`);
    const npm = await runCommand('npm', ['install', '--no-audit', '--no-fund', '--prefix', INSTALL_DIR, `verdaccio@${VERDACCIO_VERSION}`], {
      cwd: INSTALL_DIR,
      timeoutMs: 600_000,
    });
    if (npm.code !== 0 || (await installedVersion()) !== VERDACCIO_VERSION) {
      throw new PeerUnavailable(`npm install verdaccio@${VERDACCIO_VERSION} failed: ${npm.stderr.trim().split('\n').slice(-3).join(' ')}`);
    }
  }
  return `Verdaccio ${VERDACCIO_VERSION}`;
}

export interface VerdaccioOptions {
  dir: string;
  htpasswd: HtpasswdFile;
  certificate: Certificate;
}

export interface VerdaccioTarget extends Target {
  startMs: number;
}

export async function startVerdaccio(options: VerdaccioOptions): Promise<VerdaccioTarget> {
  await ensureVerdaccio();
  const port = await freePort();
  const storage = join(options.dir, 'storage');
  await mkdir(storage, { recursive: true });
  const configPath = join(options.dir, 'config.yaml');
  await writeFile(
    configPath,
    [
      `storage: ${storage}`,
      'auth:',
      '  htpasswd:',
      `    file: ${options.htpasswd.path}`,
      '    max_users: -1',
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $authenticated',
      '    publish: $authenticated',
      '    unpublish: $authenticated',
      `listen: https://127.0.0.1:${port}`,
      'https:',
      `  key: ${options.certificate.keyPath}`,
      `  cert: ${options.certificate.certPath}`,
      // npm publish sends the tarball base64-encoded: a 50 MB pack is a 67 MB JSON body.
      'max_body_size: 1000mb',
      'web:',
      '  enable: false',
      'log: { type: stdout, format: json, level: error }',
      '',
    ].join('\n'),
  );
  const bin = join(PACKAGE_DIR, 'bin', 'verdaccio');
  if (!existsSync(bin)) throw new PeerUnavailable(`no ${bin}`);
  const child = spawnChild('verdaccio', process.execPath, [bin, '--config', configPath], {
    env: { ...process.env, NODE_ENV: 'production' },
    cwd: options.dir,
  });
  const target = endpoint(`https://127.0.0.1:${port}`, options.certificate.cert);
  let startMs: number;
  try {
    startMs = await waitUntilServing(target, '/-/ping', (status) => status === 200, { intervalMs: 5, alive: () => child.process.exitCode === null });
  } catch (error) {
    await child.stop();
    throw new PeerUnavailable(`Verdaccio did not start: ${(error as Error).message}\n${child.output()}`);
  }
  const authorization = basicAuth(BENCH_USER.user, BENCH_USER.password);
  const prepared = new Map<string, Buffer>();
  return {
    label: `Verdaccio (bcrypt ${options.htpasswd.cost})`,
    pid: child.pid,
    startMs,
    endpoint: target,
    authorization,
    probePath: '/-/whoami',
    // The publish document is built before the clock starts (like Distribution's config blob): the
    // comparison is about the server; base64-encoding 50 MB would add about 0.1 s of client work.
    prepare: async (pack: BenchPack) => {
      prepared.set(pack.path, await publishDocument(pack, target.origin));
    },
    push: async (pack: BenchPack) => {
      const document = prepared.get(pack.path) ?? (await publishDocument(pack, target.origin));
      prepared.delete(pack.path);
      expectStatus(
        await send(target, {
          method: 'PUT',
          path: `/${pack.name}`,
          headers: { authorization, 'content-type': 'application/json', 'content-length': document.length },
          body: document,
        }),
        [200, 201],
        `publish ${pack.name}@${pack.version}`,
      );
    },
    downloadPath: (pack: BenchPack) => `/${pack.name}/-/${tarballName(pack)}`,
    stop: async () => {
      target.agent.destroy();
      await child.stop();
    },
  };
}

function tarballName(pack: BenchPack): string {
  return `${pack.name}-${pack.version}.tgz`;
}

/** What `npm publish` PUTs: the package document with the tarball base64-encoded in `_attachments`. */
async function publishDocument(pack: BenchPack, origin: string): Promise<Buffer> {
  const data = (await readFile(pack.path)).toString('base64');
  return Buffer.from(
    JSON.stringify({
      _id: pack.name,
      name: pack.name,
      description: 'pack-registry bench',
      'dist-tags': { latest: pack.version },
      versions: {
        [pack.version]: {
          name: pack.name,
          version: pack.version,
          description: 'pack-registry bench',
          _id: `${pack.name}@${pack.version}`,
          dist: { shasum: pack.sha1, tarball: `${origin}/${pack.name}/-/${tarballName(pack)}` },
        },
      },
      readme: '',
      _attachments: { [tarballName(pack)]: { content_type: 'application/octet-stream', data, length: pack.size } },
    }),
  );
}
