// Run the real command-line programs as child processes, the way a user does.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { whenDone } from './cleanup.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
// The built server (test/global-setup.ts builds dist/ for the projects that start processes): what the image
// runs, and one process, so a signal sent to the child reaches the server itself.
export const SERVER_ENTRY = fileURLToPath(new URL('../../dist/cli/pack-registry.js', import.meta.url));

/**
 * spawn(), as the leader of a new process group that is killed as a whole (SIGKILL) when the current test or
 * file ends, however it ends: a wrapper (sh, script) cannot leave its own children running either.
 */
export function spawnInGroup(command: string, args: string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, { ...options, detached: true });
  whenDone(() => killGroup(child));
  return child;
}

/** A port nobody listens on right now (the OS's choice), for a program that cannot be told to pick one itself. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** SIGKILL to every process in the child's group, if any is left. */
export function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch (error) {
    // ESRCH: the whole group is gone already.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export interface RunningProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching `pattern`; rejects when the process exits first. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /**
   * SIGTERM, then SIGKILL to its whole group unless it exits within `graceMs`: how a test's cleanup ends a
   * server, so that it removes its own temporary files (SIGKILL alone leaves them) yet cannot hang the run.
   */
  shutDown(graceMs?: number): Promise<void>;
}

/** Environment without the caller's REGISTRY_* variables, so tests start from the embedded defaults. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('REGISTRY_')) env[key] = value;
  return { ...env, ...extra };
}

export function startServerProcess(args: string[], options: { cwd: string; env?: Record<string, string>; stdin?: string }): RunningProcess {
  const child = spawnInGroup(process.execPath, [SERVER_ENTRY, ...args], { cwd: options.cwd, env: cleanEnv(options.env), stdio: 'pipe' });
  const { stdout, stderr, stdin } = child;
  if (!stdout || !stderr || !stdin) throw new Error('spawned without pipes');
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    for (const listener of listeners) listener();
  });
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  // Always closed: a command that reads standard input must see its end, never wait for a terminal. One that
  // exits without reading it makes the write fail with EPIPE, which is no fault of the program under test.
  stdin.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  stdin.end(options.stdin);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const isRunning = () => child.exitCode === null && child.signalCode === null;
  const shutDown = async (graceMs = 5_000) => {
    if (isRunning()) child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([exited, graceOver]);
    clearTimeout(timer);
    killGroup(child);
  };
  // Newer than spawnInGroup's SIGKILL, so it runs first (cleanups run newest first).
  whenDone(shutDown);
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLine(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = out.split('\n').find((candidate) => pattern.test(candidate));
          if (line !== undefined) {
            cleanup();
            resolve(line);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        const onExit = () => {
          cleanup();
          reject(new Error(`process exited before printing ${pattern}\nstdout:\n${out}\nstderr:\n${err}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
        };
        listeners.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (isRunning()) child.kill(signal);
      return exited;
    },
    shutDown,
  };
}

/** Run a command to completion. */
export async function runServerCommand(args: string[], options: { cwd: string; env?: Record<string, string>; stdin?: string }) {
  const running = startServerProcess(args, options);
  const code = await running.exited;
  return { code, stdout: running.stdout(), stderr: running.stderr() };
}
