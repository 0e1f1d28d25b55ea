import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Htpasswd, randomPassword, setHtpasswdUser } from '../auth/htpasswd.js';
import { FilesystemBlobStore } from '../blobstore/filesystem.js';
import { MemoryBlobStore } from '../blobstore/memory.js';
import type { BlobStore } from '../blobstore/store.js';
import type { RegistryConfig } from '../config/schema.js';
import { Db } from '../db/db.js';
import { createApp } from '../http/app.js';
import type { AuthSettings } from '../http/authenticate.js';
import { listen, type ListeningServer } from '../http/server.js';
import { loadTlsMaterial } from '../http/tls.js';
import { Registry } from '../registry/registry.js';

export interface RunningRegistry extends ListeningServer {
  registry: Registry;
  /** Stop listening, then close the index and the blob store. */
  stop(): Promise<void>;
}

export interface StartOptions {
  logger: Logger;
  /** Told the generated admin password, once, when the htpasswd file had to be created. */
  announce?: (line: string) => void;
}

/** The composition root: storage, index, auth, TLS and HTTP wired together from one validated config. */
export async function startRegistry(config: RegistryConfig, options: StartOptions): Promise<RunningRegistry> {
  const { logger } = options;
  const announce = options.announce ?? ((line: string) => process.stdout.write(`${line}\n`));

  const { blobs, db } = await openStorage(config);
  try {
    const registry = new Registry({
      db,
      blobs,
      limits: { maxEntries: config.limits.maxEntries, maxUnpackedSize: config.limits.maxUnpackedSize },
      readOnly: config.storage.readOnly,
    });
    const auth = await openAuth(config, logger, announce);
    const app = createApp({
      registry,
      auth,
      headers: config.http.headers,
      maxUploadSize: config.limits.maxUploadSize,
      logError: (error) => logger.error({ err: error }, 'request failed'),
    });
    const tls = config.http.tls.enabled ? await loadTlsMaterial(config.http.tls) : null;
    if (tls?.generated) {
      logger.warn({ certificate: config.http.tls.certificate }, 'generated a self-signed TLS certificate');
    }
    if (!tls) logger.warn('TLS is off (http.tls.enabled: false): credentials travel in clear text');
    const listening = await listen(app, config.http.host, config.http.port, tls);
    logger.info({ url: listening.url, storage: config.storage.kind }, 'pack registry listening');
    return {
      ...listening,
      registry,
      stop: async () => {
        await listening.close();
        db.close();
        if (blobs instanceof MemoryBlobStore) await blobs.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

async function openStorage(config: RegistryConfig): Promise<{ blobs: BlobStore; db: Db }> {
  if (config.storage.kind === 'inmemory') {
    return { blobs: await MemoryBlobStore.open(), db: new Db(':memory:') };
  }
  const root = config.storage.rootDirectory;
  await mkdir(root, { recursive: true });
  const blobs = await FilesystemBlobStore.open(root);
  return { blobs, db: new Db(join(root, 'index.db')) };
}

/**
 * Without an htpasswd file the server would be unusable or open to all: create one with the user `admin`
 * and a random password, shown once, as the contract asks.
 */
async function openAuth(config: RegistryConfig, logger: Logger, announce: (line: string) => void): Promise<AuthSettings> {
  if (config.auth.kind === 'none') {
    logger.warn('authentication is off (auth: none): anyone who can reach the registry may push and delete');
    return { kind: 'none' };
  }
  const { path, realm, admins } = config.auth;
  if (!existsSync(path)) {
    const password = randomPassword();
    await setHtpasswdUser(path, 'admin', password);
    announce(`Created ${path} with the user "admin" and the password: ${password}`);
    announce('This password is shown only once. Add users with: pack-registry htpasswd add USER');
  }
  return { kind: 'htpasswd', htpasswd: new Htpasswd(path), realm, admins };
}
