// The folder and configuration of a test registry, shared by the in-process app (app.ts) and the real
// server (registry.ts), so both run the same configuration: read from REGISTRY_* variables, as an operator
// sets them, by the real config loader.
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import type { RegistryConfig } from '../../src/config/schema.js';
import { makeTempDir, writeHtpasswd } from './files.js';
import { ADMIN, READER } from './users.js';

export interface RegistryFolderOptions {
  /** Reuse a folder (to prove a restart keeps data); a new one, removed when the test or file ends, by default. */
  dir?: string;
  /** Extra REGISTRY_* variables. */
  env?: Record<string, string>;
  /** Write the htpasswd file with ADMIN and READER (default); false keeps the file a reused folder has. */
  writeUsers?: boolean;
}

export interface RegistryFolder {
  dir: string;
  config: RegistryConfig;
  /** The folder is new (not `options.dir`): whoever destroys the registry may remove it. */
  madeFolder: boolean;
}

/** Storage in `<dir>/storage`, users in `<dir>/htpasswd` (bcrypt), certificates in `<dir>/certs`, loopback port 0. */
export async function prepareRegistryFolder(options: RegistryFolderOptions = {}): Promise<RegistryFolder> {
  const madeFolder = options.dir === undefined;
  const dir = options.dir ?? (await makeTempDir());
  const htpasswdPath = join(dir, 'htpasswd');
  if (options.writeUsers !== false) await writeHtpasswd(htpasswdPath, [ADMIN, READER]);
  const { config } = loadConfig({
    cwd: dir,
    env: {
      REGISTRY_HTTP_ADDR: '127.0.0.1:0',
      // Naming a root folder selects the filesystem driver, so only when the test did not pick another.
      ...(picksStorage(options.env) ? {} : { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: join(dir, 'storage') }),
      REGISTRY_AUTH_HTPASSWD_PATH: htpasswdPath,
      REGISTRY_AUTH_HTPASSWD_REALM: 'Test Realm',
      REGISTRY_HTTP_TLS_CERTIFICATE: join(dir, 'certs', 'tls.crt'),
      REGISTRY_HTTP_TLS_KEY: join(dir, 'certs', 'tls.key'),
      REGISTRY_LOG_LEVEL: 'error',
      ...options.env,
    },
  });
  return { dir, config, madeFolder };
}

/** Whether the test's variables choose the storage driver themselves (`REGISTRY_STORAGE=…`, `REGISTRY_STORAGE_S3_…`). */
function picksStorage(env: Record<string, string> | undefined): boolean {
  return Object.keys(env ?? {}).some((name) => name === 'REGISTRY_STORAGE' || name.startsWith('REGISTRY_STORAGE_S3_'));
}
