// Access tokens shared by replicas through their PostgreSQL database (db/postgres-tokens.ts), on a real
// PostgreSQL server: a token made through one replica works on another from its first request, a revocation
// reaches every replica within the look interval, changes from several replicas at once are serialised by the
// row's lock (one key, one token per name), "last used" times of every replica are kept, reindex's clearing of
// the index leaves the tokens alone, and an outage keeps the known tokens working while changes get 503s.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { TokenError, TokenStore } from '../../src/auth/tokens.js';
import { openTokenStore } from '../../src/cli/tokens.js';
import { loadConfig } from '../../src/config/load.js';
import { IndexUnavailableError } from '../../src/db/pack-index.js';
import { PostgresIndex } from '../../src/db/postgres.js';
import { PostgresTokenKeeper, type PostgresTokenOptions } from '../../src/db/postgres-tokens.js';
import { whenDone } from '../helpers/cleanup.js';
import { makeTempDir } from '../helpers/files.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { available, postgres } from '../helpers/real-components.js';

const server = postgres();

describe.skipIf(!available(server))(`access tokens in PostgreSQL ${server.path ? '' : server.skipReason}`, () => {
  let postgresServer: PostgresServer;
  beforeAll(async () => {
    postgresServer = await startPostgres();
  }, 60_000);

  /** One replica's token store; `now` for "last used" times, a long look interval unless a test wants it short. */
  async function replicaStore(dsn: string, options: Partial<PostgresTokenOptions> & { now?: () => number } = {}): Promise<TokenStore> {
    const { now, ...keeperOptions } = options;
    const store = new TokenStore(await PostgresTokenKeeper.open({ dsn, pollMs: 60_000, ...keeperOptions }), now ? { now } : {});
    whenDone(() => store.close());
    return store;
  }

  it('makes a token through one replica that another accepts on its first request, and lists it everywhere', async () => {
    const dsn = await postgresServer.createDatabase();
    const [a, b] = await Promise.all([replicaStore(dsn), replicaStore(dsn)]);
    const { token } = await a.create({ name: 'ci', scope: 'push' });
    // B has not looked at the database since: its synchronous check does not know the token yet ...
    expect(b.check(token)).toEqual({ kind: 'unknown' });
    // ... and the fresh check, which the HTTP layer makes for an unknown secret, does.
    expect(await b.checkFresh(token)).toEqual({ kind: 'valid', name: 'ci', scope: 'push' });
    expect(b.check(token).kind).toBe('valid');
    expect((await b.list()).map((info) => [info.name, info.scope])).toEqual([['ci', 'push']]);
    expect(await b.checkFresh(`prt_${'A'.repeat(43)}`)).toEqual({ kind: 'unknown' });
  });

  it('refuses a token revoked through another replica after that replica\'s next look (once a second by default)', async () => {
    const dsn = await postgresServer.createDatabase();
    const a = await replicaStore(dsn, { pollMs: 50 });
    const b = await replicaStore(dsn);
    const { token } = await a.create({ name: 'leaving', scope: 'read' });
    expect(a.check(token).kind).toBe('valid');
    await b.revoke('leaving');
    const deadline = Date.now() + 2000;
    while (a.check(token).kind === 'valid' && Date.now() < deadline) await sleep(10);
    expect(a.check(token)).toEqual({ kind: 'revoked', name: 'leaving' });
  });

  it('serialises changes from several replicas at once: one key for all, one token per name', async () => {
    const dsn = await postgresServer.createDatabase();
    const stores = await Promise.all([replicaStore(dsn), replicaStore(dsn), replicaStore(dsn)]);
    // The first tokens of a new database, made at the same moment: the key is made once.
    const made = await Promise.all(stores.map((store, index) => store.create({ name: `first-${index}`, scope: 'read' })));
    for (const store of stores) {
      for (const [index, { token }] of made.entries()) expect(await store.checkFresh(token)).toEqual({ kind: 'valid', name: `first-${index}`, scope: 'read' });
    }
    const racing = await Promise.allSettled(stores.map((store) => store.create({ name: 'same-name', scope: 'admin' })));
    expect(racing.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    for (const outcome of racing.filter((settled) => settled.status === 'rejected')) {
      expect(outcome.reason).toBeInstanceOf(TokenError);
      expect((outcome.reason as TokenError).code).toBe('TOKEN_EXISTS');
    }
    expect((await stores[0]!.list()).map((info) => info.name).sort()).toEqual(['first-0', 'first-1', 'first-2', 'same-name']);
  });

  it('keeps the "last used" times of every replica, the later one where both used a token', async () => {
    const dsn = await postgresServer.createDatabase();
    let now = Date.parse('2026-06-01T00:00:00Z');
    const clock = () => now;
    const [a, b] = await Promise.all([replicaStore(dsn, { now: clock }), replicaStore(dsn, { now: clock })]);
    const one = await a.create({ name: 'one', scope: 'read' });
    const two = await a.create({ name: 'two', scope: 'read' });
    now += 60_000;
    expect(a.check(one.token).kind).toBe('valid');
    now += 60_000;
    expect((await b.checkFresh(two.token)).kind).toBe('valid');
    expect(b.check(one.token).kind).toBe('valid');
    await a.close();
    await b.close();
    const listed = await (await replicaStore(dsn)).list();
    expect(Object.fromEntries(listed.map((info) => [info.name, info.lastUsed]))).toEqual({
      one: '2026-06-01T00:02:00.000Z',
      two: '2026-06-01T00:02:00.000Z',
    });
  });

  it('makes its table once when replicas open a new database at the same moment, and reindex leaves the tokens alone', async () => {
    const dsn = await postgresServer.createDatabase();
    const stores = await Promise.all(Array.from({ length: 4 }, () => replicaStore(dsn)));
    const { token } = await stores[0]!.create({ name: 'kept', scope: 'read' });
    const index = await PostgresIndex.open({ dsn, poolSize: 1 });
    whenDone(() => index.close());
    // What `pack-registry reindex` does to a shared index before it restores it from storage.
    await index.clearCatalog();
    expect(await (await replicaStore(dsn)).checkFresh(token)).toEqual({ kind: 'valid', name: 'kept', scope: 'read' });
  });

  it('brings the tokens of a registry that kept them in files into an empty database, once', async () => {
    const dsn = await postgresServer.createDatabase();
    const dir = await makeTempDir();
    const local = await TokenStore.open({ tokens: join(dir, 'tokens.json'), key: join(dir, 'tokens.key') });
    const before = await local.create({ name: 'from-file', scope: 'push' });
    await local.close();
    const env = { REGISTRY_INDEX_DRIVER: 'postgres', REGISTRY_INDEX_POSTGRES_DSN: dsn, REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: dir };
    const { config } = loadConfig({ env, cwd: dir });
    const reports: string[] = [];
    const first = await openTokenStore(config, (message) => reports.push(message));
    whenDone(() => first.close());
    expect(first.check(before.token)).toEqual({ kind: 'valid', name: 'from-file', scope: 'push' });
    expect(reports).toEqual([expect.stringMatching(/^moved the 1 access token\(s\) of .*tokens\.json into the PostgreSQL index's database/)]);
    // Another replica with the same file: nothing to move, nothing to say.
    const second = await openTokenStore(config, (message) => reports.push(message));
    whenDone(() => second.close());
    expect(reports).toHaveLength(1);
    // A local file whose tokens the database does not hold is reported, not used.
    const otherDir = await makeTempDir();
    const other = await TokenStore.open({ tokens: join(otherDir, 'tokens.json'), key: join(otherDir, 'tokens.key') });
    const stray = await other.create({ name: 'stray', scope: 'read' });
    await other.close();
    const { config: otherConfig } = loadConfig({ env: { ...env, REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: otherDir }, cwd: otherDir });
    const third = await openTokenStore(otherConfig, (message) => reports.push(message));
    whenDone(() => third.close());
    expect(reports[1]).toMatch(/tokens\.json is not used with a PostgreSQL index .* its tokens stray are not there/);
    expect(await third.checkFresh(stray.token)).toEqual({ kind: 'unknown' });
    // A local file that is not a token document stops nothing: it is reported and left alone.
    const brokenDir = await makeTempDir();
    await writeFile(join(brokenDir, 'tokens.json'), '{"not": "tokens"}\n');
    const { config: brokenConfig } = loadConfig({ env: { ...env, REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: brokenDir }, cwd: brokenDir });
    const fourth = await openTokenStore(brokenConfig, (message) => reports.push(message));
    whenDone(() => fourth.close());
    expect(reports[2]).toMatch(/tokens\.json could not be read \(.*is not a token document of this registry\); it is not used with a PostgreSQL index/);
    expect(await fourth.checkFresh(before.token)).toEqual({ kind: 'valid', name: 'from-file', scope: 'push' });
  });

  it('keeps known tokens working while PostgreSQL is away, refuses changes with IndexUnavailableError, and recovers', async () => {
    const own = await startPostgres();
    const dsn = await own.createDatabase();
    const failures: unknown[] = [];
    const store = await replicaStore(dsn, { pollMs: 50, onPollFailure: (error) => failures.push(error) });
    const { token } = await store.create({ name: 'steady', scope: 'read' });
    await own.stop();
    await sleep(300);
    expect(store.check(token).kind).toBe('valid');
    expect(failures).toHaveLength(1);
    await expect(store.create({ name: 'during', scope: 'read' })).rejects.toBeInstanceOf(IndexUnavailableError);
    await expect(store.checkFresh(`prt_${'B'.repeat(43)}`)).rejects.toBeInstanceOf(IndexUnavailableError);
    await own.start();
    await store.revoke('steady');
    expect(store.check(token)).toEqual({ kind: 'revoked', name: 'steady' });
  }, 60_000);
});
