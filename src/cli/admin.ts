// The administrator's commands beside `serve`: reindex, gc and healthcheck.
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { PostgresIndexConfig, RegistryConfig } from '../config/schema.js';
import type { PackIndex } from '../db/pack-index.js';
import { SqliteIndex } from '../db/sqlite.js';
import {
  collectGarbage,
  DEFAULT_GC_MIN_AGE_MS,
  hasMetadata,
  reindexChecked,
  reindexInPlace,
  type CheckedReindexReport,
  type GarbageTally,
  type GcReport,
} from '../registry/maintenance.js';
import { Registry } from '../registry/registry.js';
import { applyRetention, type RetentionReport } from '../registry/retention.js';
import { renameDurably } from '../storage/fs.js';
import { indexPath as indexPathIn, listedMetadataKey, reindexPath } from '../storage/layout.js';
import { StorageLock } from '../storage/lock.js';
import { accountToBecome, becomeAccount, chownTree } from './privileges.js';
import { openDurableStorage, type DurableStorageConfig } from './storage.js';

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

export const stdio: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Exit codes, as for `serve`: 2 when the command cannot apply to this configuration, 1 when it failed. */
const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;

/**
 * The storage a command works on. With S3 the local folder (index, tokens, lock) may be new — a registry
 * restarted on another machine from its bucket — so it is made; a filesystem storage must exist.
 */
async function durableStorage(config: RegistryConfig, command: string, output: Output): Promise<DurableStorageConfig | undefined> {
  if (config.storage.kind === 'inmemory') {
    output.err(`${command}: the storage is "inmemory": nothing outlives the server, there is nothing to ${command}`);
    return undefined;
  }
  if (config.storage.kind === 's3') {
    await mkdir(config.storage.rootDirectory, { recursive: true });
  } else if (!existsSync(config.storage.rootDirectory)) {
    output.err(`${command}: there is no storage at ${config.storage.rootDirectory}`);
    return undefined;
  }
  return config.storage;
}

/** Run as root in the container (`docker exec`): give the storage to the server's user, and become it. */
export async function actAsServerUser(root: string): Promise<void> {
  const account = accountToBecome(process.env);
  if (!account) return;
  await chownTree(root, account);
  becomeAccount(account);
}

export interface ReindexCommandOptions {
  /** Replace the index even when the rebuilt one lacks versions the current one holds. */
  allowLoss?: boolean;
}

/**
 * `pack-registry reindex`: rebuild index.db from the metadata documents and blobs alone. The new index
 * is built beside the old one and renamed over it at the end, so an interrupted reindex leaves the old
 * index as it was. Refused while a server runs on the storage.
 *
 * Nothing is dropped silently: when an index exists, the documents its versions lack are written from it
 * first, and a rebuilt index that would still lack some of its versions does not replace it (their archives
 * would then look unreferenced to gc) — unless `allowLoss`; either way each such version is listed.
 */
export async function reindexCommand(config: RegistryConfig, output: Output = stdio, options: ReindexCommandOptions = {}): Promise<number> {
  const storage = await durableStorage(config, 'reindex', output);
  if (!storage) return EXIT_USAGE;
  if (config.index.driver === 'postgres') return reindexShared(storage, config.index.postgres, output, options);
  const root = storage.rootDirectory;
  await actAsServerUser(root);
  const lock = StorageLock.tryAcquire(root);
  if (!lock) {
    output.err(`reindex: a pack-registry server (or another reindex) is running on ${root}: stop it first`);
    return EXIT_FAILURE;
  }
  let opened: Awaited<ReturnType<typeof openDurableStorage>> | undefined;
  try {
    opened = await openDurableStorage(storage);
    const { blobs, metadata } = opened;
    const indexPath = indexPathIn(root);
    const temporary = reindexPath(root);
    await removeDatabase(temporary);
    const current = await openCurrentIndex(indexPath, output);
    const db = new SqliteIndex(temporary);
    let report: CheckedReindexReport;
    try {
      report = await reindexChecked(db, { blobs, metadata }, current);
    } catch (error) {
      await db.close();
      await removeDatabase(temporary);
      throw error;
    } finally {
      await db.close();
      await current?.close();
    }

    printReindexProblems(report, output, options.allowLoss ?? false);
    if (report.lost.length > 0 && !options.allowLoss) {
      await removeDatabase(temporary);
      output.err(
        `reindex: the rebuilt index would lack ${report.lost.length} version${plural(report.lost.length)} the current index holds (listed above); ` +
          'the current index is kept. Once you have looked at them, `pack-registry reindex --allow-loss` replaces it anyway ' +
          '(gc then removes their archives).',
      );
      return EXIT_FAILURE;
    }
    // The old WAL must go before the new file takes the name: SQLite would replay it into the new index.
    await removeDatabase(indexPath);
    await renameDurably(temporary, indexPath);

    output.out(`rebuilt ${indexPath} ${rebuiltFrom(report)}`);
    output.out('history: one push event per version was restored; earlier tag changes and deletions are not in the storage');
    if (report.carried) {
      const { feed, deliveries, downloads } = report.carried;
      output.out(`carried over from the current index: ${feed} change-feed event${plural(feed)} (cursors stay valid), ` +
        `${deliveries} webhook deliver${deliveries === 1 ? 'y' : 'ies'}, download counts of ${downloads} version${plural(downloads)}`);
    } else {
      output.out('the change feed starts anew (no current index to carry it from): clients holding a cursor resync from the catalog');
    }
    return 0;
  } finally {
    opened?.close();
    lock.release();
  }
}

/** What either reindex says before deciding: documents written first, documents skipped, versions lost. */
function printReindexProblems(report: CheckedReindexReport, output: Output, allowLoss: boolean): void {
  if (report.backfill.written > 0) {
    output.out(`wrote ${report.backfill.written} missing metadata document${plural(report.backfill.written)} from the current index first`);
  }
  for (const skipped of report.skipped) output.err(`skipped ${listedMetadataKey(skipped)}: ${skipped.reason}`);
  for (const lost of report.lost) {
    output.err(`${allowLoss ? 'lost' : 'would lose'} ${lost.pack}:${lost.version} (in the current index): ${lost.reason}`);
  }
}

/** "from N metadata documents: P packs, V versions, T user tags". */
function rebuiltFrom(report: CheckedReindexReport): string {
  return (
    `from ${report.documents} metadata document${plural(report.documents)}: ` +
    `${report.packs} pack${plural(report.packs)}, ${report.versions} version${plural(report.versions)}, ` +
    `${report.userTags} user tag${plural(report.userTags)}`
  );
}

/** The local SQLite index of the storage, when it has one. */
function openSqliteIndex(indexPath: string): SqliteIndex | undefined {
  return existsSync(indexPath) ? new SqliteIndex(indexPath) : undefined;
}

/** The replicas' shared index (for serve too); the driver is loaded only when configured: SQLite registries never load `pg`. */
export async function openPostgresIndex(postgres: PostgresIndexConfig): Promise<PackIndex> {
  const { PostgresIndex } = await import('../db/postgres.js');
  return PostgresIndex.open({ dsn: postgres.dsn, poolSize: postgres.poolSize });
}

/**
 * Reindex the PostgreSQL index that replicas share, in place, while they run (reindexInPlace): no storage lock
 * (replicas share the storage on purpose); the transaction of scope '' holds their writes back until it commits.
 */
async function reindexShared(storage: DurableStorageConfig, postgres: PostgresIndexConfig, output: Output, options: ReindexCommandOptions): Promise<number> {
  await actAsServerUser(storage.rootDirectory);
  const opened = await openDurableStorage(storage);
  try {
    const db = await openPostgresIndex(postgres);
    let report: CheckedReindexReport & { replaced: boolean };
    try {
      report = await reindexInPlace(db, opened, { allowLoss: options.allowLoss ?? false });
    } finally {
      await db.close();
    }
    printReindexProblems(report, output, options.allowLoss ?? false);
    if (!report.replaced) {
      output.err(
        `reindex: the rebuilt index would lack ${report.lost.length} version${plural(report.lost.length)} the current index holds (listed above); ` +
          'the index is unchanged. Once you have looked at them, `pack-registry reindex --allow-loss` rebuilds it anyway.',
      );
      return EXIT_FAILURE;
    }
    output.out(`rebuilt the PostgreSQL index in place ${rebuiltFrom(report)}`);
    output.out('history: one push event per version was restored; the change feed, the webhook outbox and the download counts are unchanged');
    return 0;
  } finally {
    opened.close();
  }
}

/** The index a reindex replaces, to check the rebuilt one against; undefined when there is none or it cannot be read. */
async function openCurrentIndex(indexPath: string, output: Output): Promise<SqliteIndex | undefined> {
  if (!existsSync(indexPath)) return undefined;
  try {
    const db = new SqliteIndex(indexPath);
    await db.versionCount();
    return db;
  } catch (error) {
    output.err(`reindex: the current index cannot be read (${(error as Error).message}): the rebuilt one is not checked against it`);
    return undefined;
  }
}

export interface GcCommandOptions {
  dryRun?: boolean;
  json?: boolean;
}

/**
 * `pack-registry gc [--dry-run]`: apply the retention rules (when any sets a limit), then remove blobs nothing
 * references, metadata documents without a blob and stale staging files, and report what was (or would be)
 * freed. Retention removes versions only while no server runs on the storage: the server's index caches and
 * its webhooks belong to it (`retention.schedule` lets the server apply the rules itself). A dry run lists
 * what retention would remove in any case.
 */
export async function gcCommand(config: RegistryConfig, options: GcCommandOptions, output: Output = stdio): Promise<number> {
  const storage = await durableStorage(config, 'gc', output);
  if (!storage) return EXIT_USAGE;
  const dryRun = options.dryRun ?? false;
  if (storage.readOnly && !dryRun) {
    output.err('gc: storage.maintenance.readonly.enabled is set: nothing may be removed now (run with --dry-run to see what would be)');
    return EXIT_USAGE;
  }
  const root = storage.rootDirectory;
  await actAsServerUser(root);
  // Holding the lock while collecting also keeps a server from starting in the middle of it. Replicas on a
  // PostgreSQL index take no lock: gc counts them as running, so only garbage older than its minimum age goes.
  const shared = config.index.driver === 'postgres' ? config.index.postgres : undefined;
  const lock = shared ? null : StorageLock.tryAcquire(root);
  const serverRunning = lock === null;
  try {
    const { blobs, metadata, location, close } = await openDurableStorage(storage);
    let db: PackIndex | undefined;
    try {
      db = shared ? await openPostgresIndex(shared) : openSqliteIndex(indexPathIn(root));
      if (!db && !(await hasMetadata(metadata))) {
        output.err(`gc: ${location} has neither an index nor metadata documents: refusing to count every blob as garbage`);
        return EXIT_FAILURE;
      }
      let retention: RetentionReport | undefined;
      const rules = config.retention.rules;
      const retentionSetsLimits = rules.some((rule) => rule.keepLast !== undefined || rule.keepWithinMs !== undefined);
      if (db && retentionSetsLimits) {
        if (serverRunning && !dryRun) {
          output.err('gc: a server runs on this storage: retention is left to it (set retention.schedule), or stop it and run gc again');
        } else {
          // Its deletions are queued for the webhooks like any other; the server sends them when it starts.
          const notificationEndpoints = config.notifications.endpoints.filter((endpoint) => !endpoint.disabled).map((endpoint) => endpoint.name);
          const registry = new Registry({ db, blobs, metadata, limits: { maxEntries: 1, maxUnpackedSize: 1 }, notificationEndpoints });
          retention = await applyRetention(db, registry, rules, { dryRun, now: new Date() });
        }
      }
      const report = await collectGarbage({ root, db, blobs, metadata, dryRun, serverRunning });
      if (options.json) output.out(JSON.stringify(retention ? { ...report, retention } : report, null, 2));
      else {
        if (retention) for (const line of describeRetention(retention)) output.out(line);
        for (const line of describeGc(location, report)) output.out(line);
      }
      for (const failure of retention?.failed ?? []) output.err(`gc: retention could not remove ${failure.pack}:${failure.version}: ${failure.reason}`);
      return retention && retention.failed.length > 0 ? EXIT_FAILURE : 0;
    } finally {
      await db?.close();
      close();
    }
  } finally {
    lock?.release();
  }
}

export function describeRetention(report: RetentionReport): string[] {
  const verb = report.dryRun ? 'would remove' : 'removed';
  const lines = [`retention${report.dryRun ? ' (dry run: nothing is removed)' : ''}:`];
  for (const item of report.items) {
    lines.push(`  ${verb} ${item.pack}:${item.version} (${item.bytes} bytes; pushed ${item.pushedAt}; rule ${item.rule})`);
  }
  const count = report.items.length;
  lines.push(`retention ${verb} ${count} version${plural(count)}, ${report.totalBytes} bytes (${humanBytes(report.totalBytes)})`);
  return lines;
}

export function describeGc(root: string, report: GcReport): string[] {
  const lines = [
    `gc of ${root}${report.dryRun ? ' (dry run: nothing is removed)' : ''}; server running: ${report.serverRunning ? 'yes' : 'no'}`,
    `  unreferenced blobs:                 ${describeTally(report.blobs)}`,
    `  metadata documents without a blob:  ${describeTally(report.metadata)}`,
    `  stale uploads and temporary files:  ${describeTally(report.uploads)}`,
  ];
  for (const item of report.items) lines.push(`  ${report.dryRun ? 'would remove' : 'removed'} ${item.path} (${item.bytes} bytes)`);
  if (report.keptRecent.count > 0) {
    const hours = report.minAgeMs / 3_600_000;
    lines.push(`  kept ${describeTally(report.keptRecent)} younger than ${hours} h: the running server may still need them`);
  }
  for (const path of report.unreadableMetadata) lines.push(`  left ${path}: it cannot be read as a metadata document; check it by hand`);
  lines.push(`${report.dryRun ? 'would free' : 'freed'} ${describeTally(report.total)}`);
  return lines;
}

function describeTally(tally: GarbageTally): string {
  return `${tally.count} file${plural(tally.count)}, ${tally.bytes} bytes (${humanBytes(tally.bytes)})`;
}

export { DEFAULT_GC_MIN_AGE_MS };

/**
 * `pack-registry healthcheck`: ask the local server's /health, for Docker's HEALTHCHECK. The address and
 * scheme come from the same configuration the server read; the certificate is not verified (this is a
 * liveness probe on the loopback, not a client deciding whom to trust).
 */
export async function healthcheckCommand(config: RegistryConfig, options: { timeoutMs?: number } = {}, output: Output = stdio): Promise<number> {
  if (config.http.port === 0) {
    output.err('healthcheck: http.addr has port 0 (chosen at start): there is no fixed port to ask');
    return EXIT_USAGE;
  }
  const wildcard = config.http.host === undefined || config.http.host === '0.0.0.0' || config.http.host === '::';
  const host = wildcard ? '127.0.0.1' : (config.http.host as string);
  const secure = config.http.tls.enabled;
  const url = `${secure ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${config.http.port}/health`;
  const timeoutMs = options.timeoutMs ?? 5000;
  const result = await new Promise<{ status: number; body: string } | { error: string }>((resolve) => {
    const request = (secure ? httpsRequest : httpRequest)(url, { method: 'GET', rejectUnauthorized: false, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', (error) => resolve({ error: error.message }));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error) => resolve({ error: error.message }));
    request.end();
  });
  if ('error' in result) {
    output.err(`healthcheck: ${url}: ${result.error}`);
    return EXIT_FAILURE;
  }
  if (result.status !== 200) {
    output.err(`healthcheck: ${url}: ${result.status} ${result.body.trim()}`);
    return EXIT_FAILURE;
  }
  output.out(`${url}: ${result.body.trim()}`);
  return 0;
}

async function removeDatabase(path: string): Promise<void> {
  for (const suffix of ['', '-wal', '-shm', '-journal']) await rm(`${path}${suffix}`, { force: true });
}

function plural(count: number): string {
  return count === 1 ? '' : 's';
}

export function humanBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}
