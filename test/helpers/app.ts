// The registry's HTTP app in this process, for API tests: composed by composeRegistry exactly as the server
// composes it (storage, index, registry, bcrypt htpasswd, createApp), from the same REGISTRY_* configuration,
// but served on a plain loopback socket — no TLS, no certificate, no child process. The listener itself
// (TLS, socket timeouts, lingering close, drain) is tested on the real server (registry.ts).
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import request from 'supertest';
import { composeRegistry } from '../../src/cli/serve.js';
import type { RegistryConfig } from '../../src/config/schema.js';
import type { HttpMetrics } from '../../src/http/metrics.js';
import { answerUnparsableRequests } from '../../src/http/server.js';
import type { Registry } from '../../src/registry/registry.js';
import { whenDone } from './cleanup.js';
import { prepareRegistryFolder, type RegistryFolderOptions } from './registry-folder.js';
import type { RegistryUnderTest } from './push.js';

export { makeTempDir, writeHtpasswd } from './files.js';
export { pushArchive } from './push.js';
export { ADMIN, READER } from './users.js';

export interface TestApp extends RegistryUnderTest {
  config: RegistryConfig;
  /** The registry behind the app, for what a test checks beneath the API. */
  registry: Registry;
  /** `http://127.0.0.1:PORT` (plain HTTP), for clients other than supertest (raw-upload.ts, a chosen source address). */
  url: string;
  /** The Prometheus metrics, when REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED is set. */
  metrics: HttpMetrics | undefined;
}

export interface TestAppOptions extends RegistryFolderOptions {
  /** Where the app logs (requests at info, failures at error); nowhere by default. */
  logger?: Logger;
  /** false: archive downloads through express too, to compare with the fast path (src/http/dispatch.ts). */
  archiveFastPath?: boolean;
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const { dir, config, madeFolder } = await prepareRegistryFolder(options);
  const composed = await composeRegistry(config, {
    logger: options.logger ?? pino({ level: 'silent' }),
    announce: () => {},
    ...(options.archiveFastPath === undefined ? {} : { archiveFastPath: options.archiveFastPath }),
  });
  // The server starts the backfill once it listens; here the app is about to.
  composed.startBackfill();
  let server: Server;
  try {
    const plain = createServer(composed.app);
    // What the real listener answers to bytes that are not HTTP (server.ts), so raw-socket tests see it here too.
    answerUnparsableRequests(plain);
    server = await listenOnLoopback(plain);
  } catch (error) {
    await composed.close();
    throw error;
  }
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agent = request(url);
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= closeServer(server).then(() => composed.close());
    return stopped;
  };
  const destroy = async () => {
    await stop();
    if (madeFolder) await rm(dir, { recursive: true, force: true });
  };
  whenDone(destroy);
  return {
    dir,
    config,
    registry: composed.registry,
    metrics: composed.metrics,
    url,
    get: (path) => agent.get(path),
    head: (path) => agent.head(path),
    post: (path) => agent.post(path),
    put: (path) => agent.put(path),
    del: (path) => agent.delete(path),
    stop,
    destroy,
  };
}

function listenOnLoopback(server: Server): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Close at once: a test's unfinished uploads and idle keep-alive connections must not hold the file open. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
