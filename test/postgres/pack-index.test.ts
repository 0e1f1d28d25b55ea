// The PostgreSQL index on a real PostgreSQL server of its own (test/helpers/postgres.ts): the PackIndex contract
// every driver passes, then what only a database shared by several replicas has to show: migrations racing,
// scopes of different packs side by side, the feed committed in id order, and a server that goes away and back.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { isIndexUnavailable, PostgresIndex } from '../../src/db/postgres.js';
import { POSTGRES_MIGRATIONS } from '../../src/db/postgres-migrations.js';
import { whenDone } from '../helpers/cleanup.js';
import { describeIndexConformance, newVersion } from '../helpers/pack-index-conformance.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { available, postgres } from '../helpers/real-components.js';

const server = postgres();

describe.skipIf(!available(server))(`PostgresIndex on a real PostgreSQL ${server.path ? '' : server.skipReason}`, () => {
  let postgresServer: PostgresServer;
  beforeAll(async () => {
    postgresServer = await startPostgres();
  }, 60_000);

  async function openIndex(dsn?: string, poolSize = 4): Promise<PostgresIndex> {
    const index = await PostgresIndex.open({ dsn: dsn ?? (await postgresServer.createDatabase()), poolSize });
    whenDone(() => index.close());
    return index;
  }

  describeIndexConformance('PostgresIndex', () => openIndex());

  describe('shared by replicas', () => {
    it('migrates a new database once when several replicas open it at the same moment', async () => {
      const dsn = await postgresServer.createDatabase();
      const indexes = await Promise.all([openIndex(dsn), openIndex(dsn), openIndex(dsn)]);
      await indexes[0]?.transaction('nginx', (tx) => tx.insertVersion(newVersion('nginx', '1.0.0')));
      expect(await indexes[2]?.versionCount()).toBe(1);
      const client = new pg.Client({ connectionString: dsn });
      await client.connect();
      try {
        const applied = await client.query<{ version: number }>('SELECT version FROM schema_version ORDER BY version');
        expect(applied.rows.map((row) => row.version)).toEqual(POSTGRES_MIGRATIONS.map((_, index) => index + 1));
      } finally {
        await client.end();
      }
      // Opening it again later changes nothing.
      expect(await (await openIndex(dsn)).versionCount()).toBe(1);
    });

    it('refuses a schema newer than its migrations, rather than run old queries on it', async () => {
      const dsn = await postgresServer.createDatabase();
      await openIndex(dsn);
      const client = new pg.Client({ connectionString: dsn });
      await client.connect();
      await client.query('INSERT INTO schema_version (version) VALUES ($1)', [POSTGRES_MIGRATIONS.length + 1]);
      await client.end();
      await expect(PostgresIndex.open({ dsn, poolSize: 1 })).rejects.toThrow(/newer than this registry knows/);
    });

    it('runs transactions of different packs side by side, through one index or two', async () => {
      const dsn = await postgresServer.createDatabase();
      const [a, b] = await Promise.all([openIndex(dsn), openIndex(dsn)]);
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const nginx = a.transaction('nginx', async (tx) => {
        await tx.insertVersion(newVersion('nginx', '1.0.0'));
        await held;
      });
      try {
        // Another replica's transaction of another pack commits while the first is still open.
        await b.transaction('redis', (tx) => tx.insertVersion(newVersion('redis', '1.0.0')));
        expect(await b.versionByNormalized('nginx', '1.0.0')).toBeUndefined();
      } finally {
        release();
      }
      await nginx;
      expect(await b.versionCount()).toBe(2);
    });

    it('serialises writers of one pack across replicas: a check-then-insert on each inserts once', async () => {
      const dsn = await postgresServer.createDatabase();
      const replicas = await Promise.all([openIndex(dsn), openIndex(dsn), openIndex(dsn)]);
      const results = await Promise.all(
        replicas.map((replica, number) =>
          replica.transaction('nginx', async (tx) => {
            const existing = await tx.versionByNormalized('nginx', '1.0.0');
            await sleep(50);
            if (existing) return 'exists';
            await tx.insertVersion(newVersion('nginx', '1.0.0', { pushedBy: `replica ${number}` }));
            return 'inserted';
          }),
        ),
      );
      expect(results.sort()).toEqual(['exists', 'exists', 'inserted']);
    });

    it('commits feed entries in id order: a later id waits for an earlier one still open', async () => {
      const index = await openIndex();
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const feedEntry = (pack: string) => ({ at: '2026-11-01T00:00:00.000Z', action: 'push' as const, pack, version: '1.0.0', tag: null, digest: null, user: 'alice', message: null });
      let firstId = 0;
      const first = index.transaction('nginx', async (tx) => {
        firstId = await tx.addFeedEvent(feedEntry('nginx'));
        await held;
      });
      while (firstId === 0) await sleep(10);
      let secondId = 0;
      const second = index.transaction('redis', async (tx) => (secondId = await tx.addFeedEvent(feedEntry('redis'))));
      try {
        await sleep(300);
        // The second transaction waits for the feed, so no reader can see its id while the first one's is missing.
        expect(secondId).toBe(0);
        expect(await index.feedPage(0, 10)).toEqual([]);
      } finally {
        release();
      }
      await Promise.all([first, second]);
      expect(secondId).toBeGreaterThan(firstId);
      expect((await index.feedPage(0, 10)).map((entry) => entry.id)).toEqual([firstId, secondId]);
    });

    it('refuses queries through a transaction that is over', async () => {
      const index = await openIndex();
      let leaked: Parameters<Parameters<PostgresIndex['transaction']>[1]>[0] | undefined;
      await index.transaction('nginx', async (tx) => {
        leaked = tx;
      });
      await expect(leaked?.versionCount()).rejects.toThrow(/transaction is over/);
    });
  });
});

describe.skipIf(!available(server))(`PostgreSQL going away ${server.path ? '' : server.skipReason}`, () => {
  it('keeps its data across a restart on the same port, and the index reconnects by itself', async () => {
    const own = await startPostgres();
    const dsn = await own.createDatabase();
    const index = await PostgresIndex.open({ dsn, poolSize: 2 });
    whenDone(() => index.close());
    const id = await index.transaction('nginx', (tx) => tx.insertVersion(newVersion('nginx', '1.0.0')));

    await own.restart();
    // The pool's idle connections died with the server: the first query may fail, then it connects anew.
    let found: number | undefined;
    for (let attempt = 0; attempt < 20 && found === undefined; attempt++) {
      try {
        found = (await index.versionByNormalized('nginx', '1.0.0'))?.id;
      } catch (error) {
        expect(isIndexUnavailable(error)).toBe(true);
        await sleep(100);
      }
    }
    expect(found).toBe(id);
    const client = new pg.Client({ connectionString: dsn });
    await client.connect();
    expect(Number((await client.query('SHOW port')).rows[0]?.port)).toBe(own.port);
    await client.end();
  });

  it('recognises a refused connection, a server shutting down mid-query and a lost connection, and nothing else', async () => {
    const own = await startPostgres();
    const index = await PostgresIndex.open({ dsn: await own.createDatabase(), poolSize: 2 });
    whenDone(() => index.close());

    // A refusal of the query itself, or the work's own failure, is no outage.
    const duplicate = await index
      .transaction('nginx', async (tx) => {
        await tx.insertVersion(newVersion('nginx', '1.0.0'));
        await tx.insertVersion(newVersion('nginx', '1.0.0'));
      })
      .catch((error: unknown) => error);
    expect(duplicate).toBeInstanceOf(Error);
    expect(isIndexUnavailable(duplicate)).toBe(false);
    const foreignKey = await index.transaction('nginx', (tx) => tx.setTag('nginx', 'latest', 999, 'user')).catch((error: unknown) => error);
    expect(foreignKey).toMatchObject({ code: '23503' });
    expect(isIndexUnavailable(foreignKey)).toBe(false);
    expect(isIndexUnavailable(await index.transaction('', () => Promise.reject(new Error('work failed'))).catch((error: unknown) => error))).toBe(false);
    expect(isIndexUnavailable(undefined)).toBe(false);

    // The server stops under a running query: 57P01 admin_shutdown, or the connection ends beneath it.
    const client = new pg.Client({ connectionString: own.adminDsn });
    client.on('error', () => {});
    await client.connect();
    const sleeping = client.query('SELECT pg_sleep(60)').catch((error: unknown) => error);
    await sleep(200);
    await own.stop();
    const midQuery = await sleeping;
    expect(midQuery).toBeInstanceOf(Error);
    expect(isIndexUnavailable(midQuery)).toBe(true);
    await client.end().catch(() => {});

    // Stopped: a new connection is refused.
    const refused = await index.ping().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Error);
    expect(isIndexUnavailable(refused)).toBe(true);
    expect(isIndexUnavailable(await index.versionCount().catch((error: unknown) => error))).toBe(true);

    // Killed: the same.
    await own.start();
    await own.kill();
    expect(isIndexUnavailable(await index.ping().catch((error: unknown) => error))).toBe(true);
  });
});
