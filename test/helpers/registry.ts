// Start the real registry for a test: real HTTPS on 127.0.0.1 with a generated self-signed certificate,
// a real bcrypt htpasswd file, real SQLite and blob files in a temporary folder.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import request from 'supertest';
import { startRegistry, type RunningRegistry } from '../../src/cli/serve.js';
import { loadConfig } from '../../src/config/load.js';
import type { RegistryConfig } from '../../src/config/schema.js';
import { makeTempDir, writeHtpasswd } from './files.js';

export { makeTempDir, writeHtpasswd } from './files.js';

export const ADMIN = { user: 'admin', password: 'admin-secret' };
// A reader whose password contains colons: Basic auth must split at the first colon only.
export const READER = { user: 'reader', password: 'read:only:pass' };

export interface TestRegistry {
  dir: string;
  url: string;
  config: RegistryConfig;
  running: RunningRegistry;
  /** The generated self-signed certificate, to trust it as a CA. */
  ca: Buffer;
  /** supertest bound to the server, trusting its certificate. */
  get(path: string): request.Test;
  head(path: string): request.Test;
  post(path: string): request.Test;
  put(path: string): request.Test;
  del(path: string): request.Test;
  stop(): Promise<void>;
  /** Stop and remove the temporary folder. */
  destroy(): Promise<void>;
}

export interface TestRegistryOptions {
  /** Reuse a folder (to prove a restart keeps data); a new one by default. */
  dir?: string;
  /** Extra REGISTRY_* variables. */
  env?: Record<string, string>;
  writeUsers?: boolean;
}

export async function startTestRegistry(options: TestRegistryOptions = {}): Promise<TestRegistry> {
  const dir = options.dir ?? (await makeTempDir());
  const htpasswdPath = join(dir, 'htpasswd');
  if (options.writeUsers !== false) await writeHtpasswd(htpasswdPath, [ADMIN, READER]);
  const { config } = loadConfig({
    cwd: dir,
    env: {
      REGISTRY_HTTP_ADDR: '127.0.0.1:0',
      // Naming a root folder selects the filesystem driver, so only when the test did not pick another.
      ...(options.env?.REGISTRY_STORAGE ? {} : { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: join(dir, 'storage') }),
      REGISTRY_AUTH_HTPASSWD_PATH: htpasswdPath,
      REGISTRY_AUTH_HTPASSWD_REALM: 'Test Realm',
      REGISTRY_HTTP_TLS_CERTIFICATE: join(dir, 'certs', 'tls.crt'),
      REGISTRY_HTTP_TLS_KEY: join(dir, 'certs', 'tls.key'),
      REGISTRY_LOG_LEVEL: 'error',
      ...options.env,
    },
  });
  const running = await startRegistry(config, { logger: pino({ level: 'silent' }), announce: () => {} });
  const ca = config.http.tls.enabled ? await readFile(config.http.tls.certificate) : Buffer.alloc(0);
  const trust = (test: request.Test) => (config.http.tls.enabled ? test.ca(ca) : test);
  const agent = request(running.url);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await running.stop();
  };
  return {
    dir,
    url: running.url,
    config,
    running,
    ca,
    get: (path) => trust(agent.get(path)),
    head: (path) => trust(agent.head(path)),
    post: (path) => trust(agent.post(path)),
    put: (path) => trust(agent.put(path)),
    del: (path) => trust(agent.delete(path)),
    stop,
    destroy: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Push an archive as the admin; returns the supertest response (not asserted here). */
export function pushArchive(
  registry: TestRegistry,
  archive: Buffer,
  fields: Record<string, string> = {},
  as: { user: string; password: string } = ADMIN,
): request.Test {
  let test = registry.post('/v1/packs').auth(as.user, as.password);
  for (const [name, value] of Object.entries(fields)) test = test.field(name, value);
  return test.attach('pack', archive, { filename: 'pack.tar.gz', contentType: 'application/gzip' });
}
