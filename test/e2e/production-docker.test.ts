// The container image, checked without a Docker engine: the Dockerfile is read instruction by
// instruction, every path it copies must exist after the build (and be in the build context), its
// default config must load, and the server must start through the image's entrypoint with the image's
// environment and CMD (paths under /data, /auth, /certs, /etc mapped to a temporary folder) and answer
// /health — with the exact variables of the Spectro docs' `docker run`.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { generateSelfSigned } from '../../src/http/tls.js';
import { packFixture } from '../helpers/archives.js';
import { makeTempDir, writeHtpasswd } from '../helpers/files.js';
import { cleanEnv, REPO_ROOT, spawnInGroup } from '../helpers/process.js';

interface Instruction {
  keyword: string;
  args: string;
  stage: number;
}

/** Instructions in order (continuation lines joined, comments dropped), each with its stage number. */
function parseDockerfile(text: string): { instructions: Instruction[]; args: Record<string, string>; stageNames: string[] } {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw) && current === '') continue;
    const line = raw.replace(/\s+$/, '');
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim() !== '') logical.push(current.trim());
    current = '';
  }
  const instructions: Instruction[] = [];
  const args: Record<string, string> = {};
  const stageNames: string[] = [];
  let stage = -1;
  for (const line of logical) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const upper = keyword.toUpperCase();
    const argText = rest.join(' ');
    if (upper === 'FROM') {
      stage++;
      stageNames.push(/\sAS\s+(\S+)/i.exec(` ${argText}`)?.[1] ?? String(stage));
    }
    if (upper === 'ARG' && stage === -1) {
      const [name = '', value = ''] = argText.split('=');
      args[name] = value;
    }
    instructions.push({ keyword: upper, args: argText, stage });
  }
  return { instructions, args, stageNames };
}

/** `K=V K2="v 2"` → entries. */
function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const match of text.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|\S*)/g)) env[match[1]!] = match[3] ?? match[2]!;
  return env;
}

/** .dockerignore semantics: patterns in order, the last one matching the path or a parent decides. */
function ignoredByDockerignore(path: string, patterns: string[]): boolean {
  const toRegExp = (pattern: string) =>
    new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '§§').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]').replace(/§§/g, '.*')}$`);
  const parts = path.split('/');
  const prefixes = parts.map((_, index) => parts.slice(0, index + 1).join('/'));
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '');
    if (prefixes.some((prefix) => toRegExp(pattern).test(prefix))) ignored = !negated;
  }
  return ignored;
}

const dockerfile = parseDockerfile(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
const dockerignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));
const finalStage = dockerfile.stageNames.length - 1;
const inStage = (stage: number, keyword: string) => dockerfile.instructions.filter((item) => item.stage === stage && item.keyword === keyword);
const substitute = (text: string) => text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => dockerfile.args[(a ?? b)!] ?? '');
const jsonArray = (text: string) => JSON.parse(text) as string[];
const imageEnv = Object.assign({}, ...inStage(finalStage, 'ENV').map((item) => parseEnv(item.args))) as Record<string, string>;
const imageCmd = jsonArray(inStage(finalStage, 'CMD').at(-1)!.args);
const imageEntrypoint = jsonArray(inStage(finalStage, 'ENTRYPOINT').at(-1)!.args);

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

beforeAll(() => {
  // The image runs `npm run build`; build here too unless dist/ is already newer than every source.
  const built = join(REPO_ROOT, 'dist', 'cli', 'pack-registry.js');
  if (existsSync(built) && statSync(built).mtimeMs > newestMtime(join(REPO_ROOT, 'src'))) return;
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, encoding: 'utf8' });
  expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
}, 180_000);

describe('Dockerfile', () => {
  it('builds in stages on Node 20: dev dependencies to build, production ones only to run', () => {
    const froms = dockerfile.instructions.filter((item) => item.keyword === 'FROM').map((item) => substitute(item.args).split(/\s+/)[0]);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const image of froms) expect(image).toMatch(/^(node:20\b|build$|production-dependencies$)/);
    expect(substitute(dockerfile.instructions.find((item) => item.keyword === 'FROM' && item.stage === finalStage)!.args)).toMatch(/^node:20/);

    const runs = (stage: number) => inStage(stage, 'RUN').map((item) => item.args).join('\n');
    const buildStage = dockerfile.stageNames.indexOf('build');
    expect(runs(buildStage)).toMatch(/npm ci(?! [^\n]*--omit=dev)/);
    expect(runs(buildStage)).toContain('npm run build');
    // node_modules of the final image come from a stage that dropped the dev dependencies.
    const modules = inStage(finalStage, 'COPY').find((item) => /\/node_modules\b/.test(item.args))!;
    const from = /--from=(\S+)/.exec(modules.args)![1]!;
    expect(runs(dockerfile.stageNames.indexOf(from))).toMatch(/npm (prune|ci) [^\n]*--omit=dev/);
    expect(runs(finalStage)).not.toMatch(/npm (ci|install)/);
  });

  it('exposes 5000, declares the /data, /auth and /certs volumes, checks /health and runs the server unprivileged', () => {
    expect(inStage(finalStage, 'EXPOSE').map((item) => item.args)).toContain('5000');
    const volumes = inStage(finalStage, 'VOLUME').flatMap((item) => (item.args.startsWith('[') ? jsonArray(item.args) : item.args.split(/\s+/)));
    expect(volumes).toEqual(expect.arrayContaining(['/data', '/auth', '/certs']));
    const healthcheck = inStage(finalStage, 'HEALTHCHECK').at(-1)!.args;
    expect(healthcheck).toMatch(/CMD \["pack-registry", "healthcheck"\]/);
    // The process drops to this user once it has read the root-only files (see privileges.ts).
    expect(imageEnv.PACK_REGISTRY_USER).toBe('node');
    expect(imageCmd).toEqual(['serve', '/etc/pack-registry/config.yml']);
    expect(imageEnv.PACK_REGISTRY_CONFIG).toBe('/etc/pack-registry/config.yml');
  });

  it('copies only paths that exist after the build and are in the build context', () => {
    const copies = dockerfile.instructions.filter((item) => item.keyword === 'COPY');
    expect(copies.length).toBeGreaterThan(4);
    for (const copy of copies) {
      const words = copy.args.split(/\s+/);
      const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length);
      const sources = words.filter((word) => !word.startsWith('--')).slice(0, -1);
      for (const source of sources) {
        // A stage's /app is the repository after `npm ci` and `npm run build`: the same files here.
        const path = from ? source.replace(/^\/app\/?/, '') : source.replace(/^\.\//, '');
        expect(existsSync(join(REPO_ROOT, path)), `COPY ${copy.args}: ${path} does not exist`).toBe(true);
        if (!from) expect(ignoredByDockerignore(path, dockerignore), `COPY ${source} is excluded by .dockerignore`).toBe(false);
      }
    }
    expect(existsSync(join(REPO_ROOT, 'dist', 'cli', 'pack-registry.js'))).toBe(true);
    for (const secret of ['storage', 'certs', 'node_modules', 'dist', '.git', 'test']) expect(ignoredByDockerignore(secret, dockerignore)).toBe(true);
    for (const script of ['docker/docker-entrypoint.sh', 'docker/pack-registry']) {
      expect(statSync(join(REPO_ROOT, script)).mode & 0o111, `${script} is executable`).not.toBe(0);
    }
  });

  it("loads the image's default config: storage in /data/.spectro-server, :5000, /auth and /certs", () => {
    const { config } = loadConfig({ file: join(REPO_ROOT, 'docker', 'config.yml'), env: {} });
    expect(config.storage).toEqual({ kind: 'filesystem', rootDirectory: '/data/.spectro-server', readOnly: false });
    expect(config.http).toMatchObject({ host: undefined, port: 5000, drainTimeoutMs: 30_000 });
    expect(config.http.tls).toMatchObject({ enabled: true, certificate: '/certs/tls.crt', key: '/certs/tls.key' });
    expect(config.auth).toMatchObject({ kind: 'htpasswd', path: '/auth/htpasswd-basic', admins: ['admin'] });
  });
});

describe('the image, run as the Spectro docs run it', () => {
  let root: string;
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('starts through the entrypoint with the image ENV and CMD, answers /health, passes its HEALTHCHECK and stops with 0', async () => {
    root = await makeTempDir();
    const asRoot = process.getuid?.() === 0;
    // The image's absolute paths, here.
    const mapping: [string, string][] = [
      ['/etc/pack-registry', join(root, 'etc', 'pack-registry')],
      ['/app', REPO_ROOT.replace(/\/$/, '')],
      ['/data', join(root, 'data')],
      ['/auth', join(root, 'auth')],
      ['/certs', join(root, 'certs')],
    ];
    const local = (text: string) => mapping.reduce((result, [image, here]) => result.replaceAll(image, here), text);
    for (const [, here] of mapping.slice(2)) await mkdir(here, { recursive: true });
    await mkdir(join(root, 'etc', 'pack-registry'), { recursive: true });
    await writeFile(join(root, 'etc', 'pack-registry', 'config.yml'), local(await readFile(join(REPO_ROOT, 'docker', 'config.yml'), 'utf8')));

    // What the administrator prepares on the host (Spectro docs): htpasswd-basic, tls.crt and a 0600 tls.key.
    await writeHtpasswd(join(root, 'auth', 'htpasswd-basic'), [{ user: 'admin', password: 'spectro:Admin1' }]);
    await generateSelfSigned(join(root, 'certs', 'tls.crt'), join(root, 'certs', 'tls.key'), ['127.0.0.1', 'localhost']);
    await chmod(join(root, 'certs', 'tls.key'), 0o600);
    if (asRoot) for (const folder of [root, join(root, 'etc'), join(root, 'etc', 'pack-registry'), join(root, 'data'), join(root, 'auth'), join(root, 'certs')]) chmodSync(folder, 0o755);

    const spectroRun = {
      REGISTRY_LOG_LEVEL: 'info',
      REGISTRY_AUTH: 'htpasswd',
      REGISTRY_AUTH_HTPASSWD_REALM: 'Registry Realm',
      REGISTRY_AUTH_HTPASSWD_PATH: '/auth/htpasswd-basic',
      REGISTRY_HTTP_TLS_CERTIFICATE: '/certs/tls.crt',
      REGISTRY_HTTP_TLS_KEY: '/certs/tls.key',
    };
    const env: Record<string, string> = {
      ...Object.fromEntries(Object.entries({ ...imageEnv, ...spectroRun }).map(([name, value]) => [name, local(value)])),
      // The one deviation: a free loopback port instead of :5000 on a shared machine.
      REGISTRY_HTTP_ADDR: '127.0.0.1:0',
      PATH: `${join(REPO_ROOT, 'docker')}:${process.env.PATH ?? ''}`,
      // As root, become an unprivileged user as the image does (node); otherwise stay who we are.
      PACK_REGISTRY_USER: asRoot ? 'nobody' : `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`,
    };
    const entrypoint = local(imageEntrypoint[0]!).replace(/^docker-entrypoint\.sh$/, join(REPO_ROOT, 'docker', 'docker-entrypoint.sh'));
    child = spawnInGroup('sh', [entrypoint, ...imageCmd.map(local)], { cwd: root, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));

    await expect.poll(() => /pack registry listening/.test(stdout) || child!.exitCode !== null, { timeout: 30_000 }).toBe(true);
    const url = /https:\/\/127\.0\.0\.1:\d+/.exec(stdout)?.[0];
    expect(url, `stdout:\n${stdout}\nstderr:\n${stderr}`).toBeDefined();
    const ca = await readFile(join(root, 'certs', 'tls.crt'));

    await request(url!).get('/health').ca(ca).expect(200, { status: 'UP' });
    const refused = await request(url!).get('/v1/').ca(ca).expect(401);
    expect(refused.headers['www-authenticate']).toBe('Basic realm="Registry Realm"');
    await request(url!).post('/v1/packs').ca(ca).auth('admin', 'spectro:Admin1')
      .attach('pack', await packFixture('hello-universe-pack'), 'pack.tar.gz').expect(201);
    const storage = join(root, 'data', '.spectro-server');
    expect(existsSync(join(storage, 'index.db'))).toBe(true);
    expect(existsSync(join(storage, 'metadata', 'hellouniverse', '1.0.0.json'))).toBe(true);
    if (asRoot) {
      // The server read the root-only key, then became nobody; its storage is nobody's.
      const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
      expect(uid).toBe('65534');
      expect(statSync(join(storage, 'index.db')).uid).toBe(65534);
      expect(statSync(join(storage, 'metadata', 'hellouniverse', '1.0.0.json')).uid).toBe(65534);
    }

    const port = new URL(url!).port;
    const healthcheck = jsonArray(/CMD (\[.*\])/.exec(inStage(finalStage, 'HEALTHCHECK').at(-1)!.args)![1]!);
    const probe = spawnSync('sh', [entrypoint, ...healthcheck.slice(1)], {
      env: cleanEnv({ ...env, REGISTRY_HTTP_ADDR: `127.0.0.1:${port}` }),
      encoding: 'utf8',
    });
    expect(probe.status, probe.stderr).toBe(0);
    expect(probe.stdout).toContain('"status":"UP"');

    const version = spawnSync('sh', [entrypoint, 'version'], { env: cleanEnv(env), encoding: 'utf8' });
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const after = spawnSync('sh', [entrypoint, ...healthcheck.slice(1)], {
      env: cleanEnv({ ...env, REGISTRY_HTTP_ADDR: `127.0.0.1:${port}` }),
      encoding: 'utf8',
    });
    expect(after.status).toBe(1);
  });
});
