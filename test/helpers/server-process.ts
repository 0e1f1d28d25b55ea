// The registry as a real child process for the production tests: HTTPS on 127.0.0.1 with a port the OS
// picks, a bcrypt htpasswd file, storage in a temporary folder, log lines collected from stdout.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv, SERVER_ENTRY, type RunningProcess } from './process.js';

const TSX_LOADER = fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url));

/**
 * Like process.ts's startServerProcess, but node itself runs the server with tsx's loader: no `tsx`
 * wrapper process sits in between, so a signal reaches the server directly (the wrapper relays signals
 * and SIGKILLs a child that does not confirm one within 30 ms — too short on a loaded machine).
 */
export function spawnRegistry(args: string[], options: { cwd: string; env?: Record<string, string> }): RunningProcess {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, SERVER_ENTRY, ...args], {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    stdio: 'pipe',
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    for (const listener of listeners) listener();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  child.stdin.end();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
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
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface RegistryProcess {
  process: RunningProcess;
  url: string;
  port: number;
  /** The self-signed certificate, to trust as a CA. */
  ca: Buffer;
  /** `http://127.0.0.1:PORT` of the debug listener, when one was asked for. */
  debugUrl?: string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export interface RegistryProcessOptions {
  /** Working folder; certificates go to `<dir>/certs`, the htpasswd file is `<dir>/htpasswd`. */
  dir: string;
  /** Storage root; `<dir>/storage` by default. */
  storage?: string;
  env?: Record<string, string>;
  /** Arguments after `serve` (a config file). */
  args?: string[];
}

/** The environment that points a server at `dir`: loopback, port 0, its own certificate and users. */
export function registryEnv(options: RegistryProcessOptions): Record<string, string> {
  return {
    REGISTRY_HTTP_ADDR: '127.0.0.1:0',
    REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: options.storage ?? join(options.dir, 'storage'),
    REGISTRY_AUTH_HTPASSWD_PATH: join(options.dir, 'htpasswd'),
    REGISTRY_HTTP_TLS_CERTIFICATE: join(options.dir, 'certs', 'tls.crt'),
    REGISTRY_HTTP_TLS_KEY: join(options.dir, 'certs', 'tls.key'),
    ...options.env,
  };
}

const URL_IN_LINE = /https?:\/\/127\.0\.0\.1:\d+/;

export async function startRegistryProcess(options: RegistryProcessOptions): Promise<RegistryProcess> {
  const env = registryEnv(options);
  const child = spawnRegistry(['serve', ...(options.args ?? [])], { cwd: options.dir, env });
  try {
    const line = await child.waitForLine(/pack registry listening/);
    const url = URL_IN_LINE.exec(line)?.[0];
    if (!url) throw new Error(`no URL in ${line}`);
    let debugUrl: string | undefined;
    if (env.REGISTRY_HTTP_DEBUG_ADDR) {
      debugUrl = URL_IN_LINE.exec(await child.waitForLine(/debug server listening/))?.[0];
    }
    const ca = await readFile(env.REGISTRY_HTTP_TLS_CERTIFICATE as string);
    return {
      process: child,
      url,
      port: Number(new URL(url).port),
      ca,
      ...(debugUrl ? { debugUrl } : {}),
      stop: () => child.stop('SIGTERM'),
    };
  } catch (error) {
    await child.stop('SIGKILL');
    throw error;
  }
}
