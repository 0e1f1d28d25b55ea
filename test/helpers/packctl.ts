// Run the built packctl (dist/cli/packctl.js, built by test/global-setup.ts) as a child process, the way
// a user does, with its own home folder and certs.d so no test ever reads the real ~/.spectro or /etc.
import type { ChildProcess } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from './files.js';
import { spawnInGroup } from './process.js';
import { ADMIN, type TestRegistry } from './registry.js';

export const PACKCTL = fileURLToPath(new URL('../../dist/cli/packctl.js', import.meta.url));

/** A temporary folder, removed when the test (or, made outside a test, the file) ends. */
export function packctlTempDir(prefix = 'packctl-test-'): Promise<string> {
  return makeTempDir(prefix);
}

/** The pipes of a child spawned with `stdio: 'pipe'`. */
function pipesOf(child: ChildProcess) {
  const { stdin, stdout, stderr } = child;
  if (!stdin || !stdout || !stderr) throw new Error('spawned without pipes');
  return { stdin, stdout, stderr };
}

export interface PackctlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface PackctlRunOptions {
  /** Written to standard input, which is then closed (standard input is never a terminal here). */
  stdin?: string;
  env?: Record<string, string>;
  cwd?: string;
}

/** A packctl user: a home folder with config.json, and a certs.d folder (`PACKCTL_CERTS_DIR`). */
export interface PackctlUser {
  home: string;
  certsDir: string;
  run(args: string[], options?: PackctlRunOptions): Promise<PackctlResult>;
  /** Installs the registry's CA as `<certs.d>/SERVER/ca.crt`. */
  trust(registry: TestRegistry): Promise<void>;
  /** `registry login SERVER -u USER --password-stdin`, failing the test unless it succeeds. */
  login(registry: TestRegistry, as?: { user: string; password: string }, extraArgs?: string[]): Promise<PackctlResult>;
  config(): Promise<Record<string, unknown>>;
}

/** `host:port` of a test registry, as packctl wants it. */
export function serverOf(registry: TestRegistry): string {
  return new URL(registry.url).host;
}

export function runPackctl(args: string[], home: string, certsDir: string, options: PackctlRunOptions = {}): Promise<PackctlResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, PACKCTL_CERTS_DIR: certsDir, ...options.env };
  const child = spawnInGroup(process.execPath, [PACKCTL, '--home', home, ...args], { cwd: options.cwd ?? home, env, stdio: 'pipe' });
  const pipes = pipesOf(child);
  let stdout = '';
  let stderr = '';
  pipes.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  pipes.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  // A command that never reads its input (help, a refused flag) may exit before the input is written: the
  // pipe then fails with EPIPE, which says nothing about packctl. Its exit code and output are what is judged.
  pipes.stdin.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') child.emit('error', error);
  });
  pipes.stdin.end(options.stdin ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function makePackctlUser(): Promise<PackctlUser> {
  const root = await packctlTempDir('packctl-user-');
  const home = join(root, '.spectro');
  const certsDir = join(root, 'certs.d');
  await mkdir(certsDir);
  const run = (args: string[], options?: PackctlRunOptions) => runPackctl(args, home, certsDir, { cwd: root, ...options });
  return {
    home,
    certsDir,
    run,
    async trust(registry) {
      await mkdir(join(certsDir, serverOf(registry)), { recursive: true });
      await writeFile(join(certsDir, serverOf(registry), 'ca.crt'), registry.ca);
    },
    async login(registry, as = ADMIN, extraArgs = []) {
      const result = await run(['registry', 'login', serverOf(registry), '-u', as.user, '--password-stdin', ...extraArgs], {
        stdin: `${as.password}\n`,
      });
      if (result.code !== 0) throw new Error(`login failed (${result.code}): ${result.stderr}`);
      return result;
    },
    async config() {
      return JSON.parse(await readFile(join(home, 'config.json'), 'utf8')) as Record<string, unknown>;
    },
  };
}

/**
 * A user who trusts the registry's CA and is logged in as `as` (the admin by default). config.json is
 * written the way the Spectro CLI writes it rather than by `packctl registry login` (tested on its own),
 * which saves a process per test and proves packctl reads such a file.
 */
export async function loggedInUser(registry: TestRegistry, as = ADMIN): Promise<PackctlUser> {
  const user = await loggedInUserAt(serverOf(registry), as);
  await user.trust(registry);
  return user;
}

/**
 * A user logged in to `server` (`host:port`) by a config.json written the Spectro CLI's way, e.g. for a
 * server a test stands up itself; with `insecure`, any certificate or plain http is accepted.
 */
export async function loggedInUserAt(server: string, as = ADMIN, options: { insecure?: boolean } = {}): Promise<PackctlUser> {
  const user = await makePackctlUser();
  await mkdir(user.home, { recursive: true, mode: 0o700 });
  const auth = Buffer.from(`${as.user}:${as.password}`, 'utf8').toString('base64');
  const entry = { auth, insecure: options.insecure === true };
  await writeFile(join(user.home, 'config.json'), JSON.stringify({ auths: { [server]: entry }, defaultRegistry: server }), { mode: 0o600 });
  return user;
}

/** Every regular file under `root`, by path relative to it, with its bytes. */
export async function readTree(root: string, relative = ''): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(join(root, relative), { withFileTypes: true })) {
    const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) for (const [child, body] of await readTree(root, path)) files.set(child, body);
    else if (entry.isFile()) files.set(path, await readFile(join(root, path)));
    else throw new Error(`${path} is neither a file nor a folder`);
  }
  return files;
}

/** The lines packctl printed as errors. */
export function errorLines(result: PackctlResult): string[] {
  return result.stderr.split('\n').filter((line) => line.startsWith('error: '));
}

/** Writes a pack's files (e.g. from fixtureFiles) into a new folder and returns its path. */
export async function writePackFolder(files: Map<string, Buffer>, name = 'pack'): Promise<string> {
  const dir = join(await packctlTempDir('packctl-src-'), name);
  for (const [path, body] of files) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), body);
  }
  await mkdir(dir, { recursive: true });
  return dir;
}

export interface TerminalStep {
  /** Waits until the terminal shows this... */
  waitFor: RegExp;
  /** ...then types this (`\r` is Enter on a terminal). */
  type: string;
}

function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", "'\\''")}'`;
}

/**
 * Runs packctl on a pseudo-terminal (util-linux `script`), so stdin and stderr are TTYs: what a person at a
 * terminal sees, stdout and stderr mixed, with `\r\n` line ends. `steps` answer prompts as they appear.
 */
export function runInTerminal(user: PackctlUser, args: string[], steps: TerminalStep[] = []): Promise<PackctlResult> {
  const command = [process.execPath, PACKCTL, '--home', user.home, ...args].map(shellQuote).join(' ');
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: user.home, PACKCTL_CERTS_DIR: user.certsDir, TERM: 'xterm', COLUMNS: '120' };
  const child = spawnInGroup('script', ['-qec', command, '/dev/null'], { env, stdio: 'pipe' });
  const pipes = pipesOf(child);
  let output = '';
  const pending = [...steps];
  pipes.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    const next = pending[0];
    if (next && next.waitFor.test(output)) {
      pending.shift();
      pipes.stdin.write(next.type);
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: output, stderr: '' }));
  });
}
