// The registry as a real child process for the production tests: HTTPS on 127.0.0.1 with a port the OS
// picks, a bcrypt htpasswd file, storage in a temporary folder, log lines collected from stdout.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startServerProcess, type RunningProcess } from './process.js';


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
    // Unless the test picks S3 (REGISTRY_STORAGE_S3_*): naming a folder would select the filesystem driver too.
    ...(Object.keys(options.env ?? {}).some((name) => name.startsWith('REGISTRY_STORAGE_S3_'))
      ? {}
      : { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: options.storage ?? join(options.dir, 'storage') }),
    REGISTRY_AUTH_HTPASSWD_PATH: join(options.dir, 'htpasswd'),
    REGISTRY_HTTP_TLS_CERTIFICATE: join(options.dir, 'certs', 'tls.crt'),
    REGISTRY_HTTP_TLS_KEY: join(options.dir, 'certs', 'tls.key'),
    ...options.env,
  };
}

const URL_IN_LINE = /https?:\/\/127\.0\.0\.1:\d+/;

export async function startRegistryProcess(options: RegistryProcessOptions): Promise<RegistryProcess> {
  const env = registryEnv(options);
  const child = startServerProcess(['serve', ...(options.args ?? [])], { cwd: options.dir, env });
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
