import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Htpasswd, randomPassword, setHtpasswdUser } from '../auth/htpasswd.js';
import { LoginGuard } from '../auth/login-guard.js';
import type { TokenStore } from '../auth/tokens.js';
import { VerificationQueue } from '../auth/verification-queue.js';
import type { PostgresIndexConfig, RegistryConfig } from '../config/schema.js';
import type { Leadership, PackIndex } from '../db/pack-index.js';
import { SqliteIndex } from '../db/sqlite.js';
import { createApp } from '../http/app.js';
import type { AuthSettings } from '../http/authenticate.js';
import { createDebugServer, HttpMetrics } from '../http/metrics.js';
import { listen, type ListeningServer } from '../http/server.js';
import { RequestDrain } from '../http/shutdown.js';
import { loadTlsMaterial } from '../http/tls.js';
import { backfillMetadata, hasMetadata, rebuildIndex } from '../registry/maintenance.js';
import { NotificationDispatcher } from '../registry/notifications.js';
import { Registry, type PushStep } from '../registry/registry.js';
import { applyRetention } from '../registry/retention.js';
import { CachedBlobStore } from '../storage/blobs/cache.js';
import { MemoryBlobStore } from '../storage/blobs/memory.js';
import type { BlobStore } from '../storage/blobs/store.js';
import { indexPath as indexPathIn } from '../storage/layout.js';
import { StorageLock } from '../storage/lock.js';
import { MemoryMetadataStore } from '../storage/metadata/memory.js';
import type { MetadataStore } from '../storage/metadata/store.js';
import { openPostgresIndex } from './admin.js';
import { openDurableStorage, type DurableStorageConfig } from './storage.js';
import { openTokenStore } from './tokens.js';

export interface RunningRegistry extends ListeningServer {
  registry: Registry;
  /** `http://host:port` of the debug listener (metrics), when `http.debug.addr` is set. */
  debugUrl?: string;
  /**
   * Graceful stop: refuse new connections, let the requests in flight finish (within `http.draintimeout`,
   * or until `force` resolves), then close the debug listener, the index and the blob store.
   */
  stop(force?: Promise<void>): Promise<void>;
}

export interface StartOptions {
  logger: Logger;
  /** Test-only: kill the process with SIGKILL when a push reaches this step (crash tests). */
  killAtPushStep?: PushStep;
  /** Told the generated admin password, once, when the htpasswd file had to be created. */
  announce?: (line: string) => void;
  /** Test-only: false sends archive downloads through express too, to compare both paths (see http/dispatch.ts). */
  archiveFastPath?: boolean;
}

/** Everything behind the HTTP listener, wired from one config: what the server serves and the tests drive. */
export interface ComposedRegistry {
  /** The request listener (createApp: express behind the archive fast path), not listening: the caller adds TLS and a socket, or drives it with supertest. */
  app: RequestListener;
  registry: Registry;
  /** Prometheus metrics when `http.debug.prometheus.enabled`; the debug listener serves them. */
  metrics: HttpMetrics | undefined;
  /**
   * Start writing the missing metadata documents in the background (see backfillInBackground). Separate from
   * composing so that the server does it only once it listens; calling it again does nothing.
   */
  startBackfill(): void;
  /** Stop the backfill, close the index, release the storage lock and drop in-memory blobs. */
  close(): Promise<void>;
}

/**
 * The composition root: storage, index, registry, auth and the HTTP app wired together from one validated
 * config. startRegistry adds TLS, the listener, the drain and the debug server; the API tests call this
 * directly, so they exercise the very wiring production runs.
 */
export async function composeRegistry(config: RegistryConfig, options: StartOptions): Promise<ComposedRegistry> {
  const { logger } = options;
  const announce = options.announce ?? ((line: string) => process.stdout.write(`${line}\n`));

  const { blobs, db, metadata, lock, indexIsNew, release, replicas } = await openStorage(config);
  let backfill: { stop(): Promise<void> } | undefined;
  let tokens: TokenStore | undefined;
  let dispatcher: NotificationDispatcher | undefined;
  let leader: { stop(): Promise<void> } | undefined;
  let background: { stop(): Promise<void> } | undefined;
  const close = async () => {
    await background?.stop();
    await leader?.stop();
    await backfill?.stop();
    // Writes the tokens' "last used" times; before the lock goes, as every other write.
    await tokens?.close();
    await db.close();
    lock?.release();
    release();
    if (blobs instanceof MemoryBlobStore) await blobs.close();
  };
  const endpoints = config.notifications.endpoints.filter((endpoint) => !endpoint.disabled);
  try {
    const registry = new Registry({
      db,
      notificationEndpoints: endpoints.map((endpoint) => endpoint.name),
      onChangeQueued: () => dispatcher?.wake(),
      // Memory blobs are in memory already; the filesystem and S3 gain from a cache of small blobs.
      blobs: blobs instanceof MemoryBlobStore ? blobs : new CachedBlobStore(blobs),
      limits: { maxEntries: config.limits.maxEntries, maxUnpackedSize: config.limits.maxUnpackedSize },
      readOnly: config.storage.readOnly,
      replicas,
      onPushStep: killAt(options.killAtPushStep),
      metadata,
      onAfterCommitError: (error, context) =>
        logger.error({ err: error, ...context }, 'work after a committed change failed; the change stands (a start writes a missing document, gc removes a left blob)'),
    });
    await reconcileIndex({ db, blobs, metadata, indexIsNew, logger });
    const metrics = config.http.debug.prometheus.enabled ? new HttpMetrics(registry) : undefined;
    // Webhook deliveries and scheduled retention run on one replica at a time: always this process on SQLite.
    leader = leadWhenPossible(db, logger, () => {
      const deliveries = new NotificationDispatcher(db, endpoints, {
        onAttempt: (endpoint, outcome, seconds, error) => {
          metrics?.observeDelivery(endpoint, outcome, seconds);
          if (outcome === 'failed') logger.warn({ endpoint, error }, 'webhook delivery failed; it will be retried');
          if (outcome === 'dead') logger.error({ endpoint, error }, 'webhook delivery given up on: a dead letter (GET /v1/notifications/deadletters)');
        },
        onError: (error, endpoint) => logger.error({ err: error, endpoint }, 'the webhook outbox could not be read or written'),
      });
      // What the outbox holds from before (a restart in the middle of deliveries) goes out first.
      deliveries.start();
      dispatcher = deliveries;
      const retention = startScheduledRetention(config, db, registry, logger);
      return {
        stop: async () => {
          dispatcher = undefined;
          await retention.stop();
          await deliveries.stop();
        },
      };
    });
    background = await startBackgroundWork(config, registry, logger);
    const auth = await openAuth(config, logger, announce);
    if (auth.kind === 'htpasswd') tokens = auth.tokens;
    const app = createApp({
      registry,
      auth,
      headers: config.http.headers,
      maxUploadSize: config.limits.maxUploadSize,
      maxConcurrentUploads: config.limits.maxConcurrentUploads,
      maxConcurrentFileReads: config.limits.maxConcurrentFileReads,
      trustedProxies: config.http.trustedProxies,
      externalUrl: config.http.externalUrl,
      logError: (error) => logger.error({ err: error }, 'request failed'),
      logger,
      metrics,
      archiveFastPath: options.archiveFastPath,
    });
    return {
      app,
      registry,
      metrics,
      startBackfill: () => {
        backfill ??= backfillInBackground(db, registry, metadata, logger);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The server: the composed registry behind TLS and a listener, with graceful drain and the debug listener. */
export async function startRegistry(config: RegistryConfig, options: StartOptions): Promise<RunningRegistry> {
  const { logger } = options;
  const composed = await composeRegistry(config, options);
  let debugServer: Server | undefined;
  try {
    const tls = config.http.tls.enabled ? await loadTlsMaterial(config.http.tls) : null;
    if (tls?.generated) {
      logger.warn({ certificate: config.http.tls.certificate }, 'generated a self-signed TLS certificate');
    }
    if (!tls) logger.warn('TLS is off (http.tls.enabled: false): credentials travel in clear text');
    const listening = await listen(composed.app, config.http.host, config.http.port, tls, config.http.timeouts, {
      maxConnections: config.http.maxConnections,
      logger,
    });
    composed.startBackfill();
    const drain = new RequestDrain(listening.server);
    logger.info({ url: listening.url, storage: config.storage.kind }, 'pack registry listening');
    const debug = await startDebugServer(config, composed.metrics, logger);
    debugServer = debug?.server;
    return {
      ...listening,
      registry: composed.registry,
      ...(debug ? { debugUrl: debug.url } : {}),
      stop: async (force?: Promise<void>) => {
        const inFlight = drain.inFlight;
        // drain() closes the listening socket before its first await: only then is "not accepting" true.
        const drained = drain.drain(config.http.drainTimeoutMs, force);
        logger.info({ inFlight, drainTimeoutMs: config.http.drainTimeoutMs }, 'not accepting connections; waiting for the requests in flight');
        const { cutOff } = await drained;
        if (cutOff > 0) logger.warn({ cutOff }, 'drain timeout passed: cut the requests still running');
        await closeServer(debugServer);
        await composed.close();
      },
    };
  } catch (error) {
    await closeServer(debugServer);
    await composed.close();
    throw error;
  }
}

interface OpenedStorage {
  blobs: BlobStore;
  db: PackIndex;
  metadata: MetadataStore;
  /** Held while the server runs, so a reindex or a second server cannot work on the same storage. */
  lock: StorageLock | undefined;
  /** The index file did not exist before this start. */
  indexIsNew: boolean;
  /** Releases the storage's connections (S3's sockets). */
  release(): void;
  /** Other processes may share this storage and index (a PostgreSQL index): see RegistryOptions.replicas. */
  replicas: boolean;
}

/**
 * With a SQLite index, one server owns the storage: it holds the storage lock (with S3 the lock, like the index,
 * stays in the local folder), and reindex and gc on the same machine take the same lock. With a PostgreSQL
 * index, replicas share the storage and the index on purpose (openShared).
 */
async function openStorage(config: RegistryConfig): Promise<OpenedStorage> {
  if (config.storage.kind === 'inmemory') {
    if (config.index.driver === 'postgres') {
      throw new Error('index.driver postgres needs a storage that outlives the server (filesystem or s3), not inmemory');
    }
    return { blobs: await MemoryBlobStore.open(), db: new SqliteIndex(':memory:'), metadata: new MemoryMetadataStore(), lock: undefined, indexIsNew: true, release: () => {}, replicas: false };
  }
  const root = config.storage.rootDirectory;
  await mkdir(root, { recursive: true });
  if (config.index.driver === 'postgres') return openShared(config.storage, config.index.postgres);
  const lock = StorageLock.tryAcquire(root);
  if (!lock) {
    throw new Error(`the storage ${root} is in use by another pack-registry process (a server, or a reindex); stop it first`);
  }
  try {
    return { ...(await openDurable(config.storage)), lock };
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function openDurable(storage: DurableStorageConfig): Promise<Omit<OpenedStorage, 'lock'>> {
  const indexPath = indexPathIn(storage.rootDirectory);
  const indexIsNew = !existsSync(indexPath);
  const { blobs, metadata, close } = await openDurableStorage(storage);
  try {
    // At start no upload is in flight: staged uploads are leftovers of a crash and can never be committed.
    await blobs.removeStagedUploads();
    return { blobs, db: new SqliteIndex(indexPath), metadata, indexIsNew, release: close, replicas: false };
  } catch (error) {
    close();
    throw error;
  }
}

/**
 * Replicas on a PostgreSQL index: no storage lock (it would refuse the second replica), and the staged uploads
 * found at start stay (one may be another replica's push in flight; gc takes them once they are older than its
 * minimum age).
 */
async function openShared(storage: DurableStorageConfig, postgres: PostgresIndexConfig): Promise<OpenedStorage> {
  const { blobs, metadata, close } = await openDurableStorage(storage);
  try {
    const db = await openPostgresIndex(postgres);
    return { blobs, db, metadata, lock: undefined, indexIsNew: false, release: close, replicas: true };
  } catch (error) {
    close();
    throw error;
  }
}

/**
 * The index is a cache of the storage. When it is new (index.db was missing) or empty while metadata
 * documents exist, rebuild it from them before serving (see backfillInBackground for the reverse).
 */
async function reconcileIndex(parts: {
  db: PackIndex;
  blobs: BlobStore;
  metadata: MetadataStore;
  indexIsNew: boolean;
  logger: Logger;
}): Promise<void> {
  const { db, blobs, metadata, logger } = parts;
  if ((await db.versionCount()) === 0 && (await hasMetadata(metadata))) {
    logger.warn({ indexWasMissing: parts.indexIsNew }, 'the index is empty but the storage holds pack versions: rebuilding it from storage');
    const report = await rebuildIndex(db, { blobs, metadata });
    for (const skipped of report.skipped) logger.warn(skipped, 'reindex skipped a metadata document');
    logger.info(
      { packs: report.packs, versions: report.versions, userTags: report.userTags, skipped: report.skipped.length },
      'rebuilt the index from storage',
    );
  }
}

/** How often the downloads counted in memory are written (and once more at shutdown). */
const DOWNLOAD_FLUSH_MS = 5000;
/** How often the change feed is pruned of events older than `changefeed.maxage`. */
const FEED_PRUNE_MS = 60 * 60 * 1000;

/**
 * The server's timers: the download counts' flush and the feed's pruning (once before it returns). Every
 * replica runs them: counts add up, and pruning the same events twice removes nothing twice. None keeps the
 * process alive; stop() ends them and writes the last counts.
 */
async function startBackgroundWork(config: RegistryConfig, registry: Registry, logger: Logger): Promise<{ stop(): Promise<void> }> {
  const flush = guarded(logger, 'writing the download counts', () => registry.flushDownloads());
  const prune = guarded(logger, 'pruning the change feed', async () => {
    const removed = await registry.pruneFeed(config.changeFeed.maxAgeMs);
    if (removed > 0) logger.info({ removed }, 'pruned change-feed events older than changefeed.maxage');
  });
  await prune();
  const timers = [setInterval(flush, DOWNLOAD_FLUSH_MS), setInterval(prune, FEED_PRUNE_MS)];
  for (const timer of timers) timer.unref();
  return {
    stop: async () => {
      for (const timer of timers) clearInterval(timer);
      await flush();
    },
  };
}

/** `work` as a timer's callback: its failure is logged, never thrown. */
function guarded(logger: Logger, what: string, work: () => Promise<unknown>): () => Promise<void> {
  return () =>
    work().then(
      () => {},
      (error: unknown) => logger.error({ err: error }, `${what} failed`),
    );
}

/** Retention every `retention.schedule` (when set and writes are allowed), after the counted downloads are written. */
function startScheduledRetention(config: RegistryConfig, db: PackIndex, registry: Registry, logger: Logger): { stop(): Promise<void> } {
  const { scheduleMs, rules } = config.retention;
  if (scheduleMs === undefined || config.storage.readOnly) return { stop: async () => {} };
  const flush = guarded(logger, 'writing the download counts', () => registry.flushDownloads());
  let retention: Promise<void> | undefined;
  const run = () => {
    if (retention) return;
    retention = flush()
      .then(() => applyRetention(db, registry, rules, { dryRun: false, now: new Date() }))
      .then(
        (report) => {
          if (report.items.length > 0 || report.failed.length > 0) {
            logger.info({ removed: report.items, freedBytes: report.totalBytes, failed: report.failed }, 'retention removed versions');
          }
        },
        (error: unknown) => logger.error({ err: error }, 'retention failed'),
      )
      .finally(() => {
        retention = undefined;
      });
  };
  const timer = setInterval(run, scheduleMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await retention;
    },
  };
}

/** How often a replica that does not lead asks again (see leadWhenPossible). */
const LEAD_RETRY_MS = 5000;

/**
 * Run the work only one replica may run (`start`) while this process leads (PackIndex.tryLead): at once on
 * SQLite; with replicas, on whichever gets the lead, and again on another within LEAD_RETRY_MS of a leader's
 * going (its session ends, PostgreSQL frees the lock). Losing the lead stops the work before asking again.
 */
function leadWhenPossible(db: PackIndex, logger: Logger, start: () => { stop(): Promise<void> }): { stop(): Promise<void> } {
  const stopping = new AbortController();
  const stopped = new Promise<void>((resolve) => stopping.signal.addEventListener('abort', () => resolve(), { once: true }));
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      let lead: Leadership | undefined;
      try {
        lead = await db.tryLead();
      } catch (error) {
        logger.warn({ err: error }, 'could not ask the index who delivers webhooks and applies retention; asking again soon');
      }
      if (!lead) {
        await Promise.race([sleep(LEAD_RETRY_MS, undefined, { ref: false }), stopped]);
        continue;
      }
      const work = start();
      await Promise.race([lead.lost, stopped]);
      await work.stop();
      await lead.release();
      if (!stopping.signal.aborted) logger.warn('this replica no longer delivers webhooks or applies retention (its index session ended); asking to again');
    }
  })();
  return {
    stop: async () => {
      stopping.abort();
      await loop;
    },
  };
}

/**
 * Write the documents of indexed versions that have none (storage from before documents existed, or a crash
 * between a commit and its document). It goes through every version, so it runs after the server listens: at
 * 100,000 versions, when it still read every document, it took half a minute (bench/results).
 */
function backfillInBackground(db: PackIndex, registry: Registry, metadata: MetadataStore, logger: Logger) {
  let stopped = false;
  const done = backfillMetadata(db, registry, metadata, () => stopped).then(
    ({ written, skipped }) => {
      if (written > 0) logger.info({ written }, 'wrote the missing metadata documents of indexed versions');
      // Such a version is served, but a reindex would not bring it back: the administrator should know.
      for (const version of skipped) logger.error(version, 'cannot write the metadata document of an indexed version; a reindex would lose it');
    },
    (error: unknown) => logger.error({ err: error }, 'writing missing metadata documents failed'),
  );
  return {
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

/** Distribution's debug listener: plain HTTP on `http.debug.addr`, serving `/metrics` when enabled. */
async function startDebugServer(
  config: RegistryConfig,
  metrics: HttpMetrics | undefined,
  logger: Logger,
): Promise<{ server: Server; url: string } | undefined> {
  const { addr, prometheus } = config.http.debug;
  if (!addr) {
    if (prometheus.enabled) logger.warn('http.debug.prometheus.enabled is set but http.debug.addr is not: no metrics are served');
    return undefined;
  }
  const server = createDebugServer({ metrics, metricsPath: prometheus.path });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = addr.host && addr.host !== '0.0.0.0' && addr.host !== '::' ? addr.host : 'localhost';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ url, metrics: metrics ? `${url}${prometheus.path}` : null }, 'debug server listening');
  return { server, url };
}

async function closeServer(server: Server | undefined): Promise<void> {
  if (!server?.listening) return;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
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
  const { limits } = config;
  const queue = new VerificationQueue({
    maxRunning: limits.maxConcurrentLogins,
    maxWaiting: limits.maxQueuedLogins,
    // A full queue drains in about (waiting / running) bcrypt runs: a second or two at cost 10.
    retryAfterSeconds: 2,
  });
  const guard = new LoginGuard(new Htpasswd(path, { queue }), {
    failuresPerUser: limits.authFailures,
    failuresPerAddress: limits.authFailuresPerAddress,
    windowMs: limits.authWindowMs,
  });
  if (config.auth.anonymousRead) logger.warn('auth.anonymous.read is on: anyone who can reach the registry may read it');
  return { kind: 'htpasswd', guard, realm, admins, anonymousRead: config.auth.anonymousRead ?? false, tokens: await openTokenStore(config, (message) => logger.warn(message)) };
}

function killAt(step: PushStep | undefined): ((reached: PushStep) => void) | undefined {
  if (!step) return undefined;
  return (reached) => {
    if (reached === step) process.kill(process.pid, 'SIGKILL');
  };
}
