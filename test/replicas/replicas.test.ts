// Several registry processes serving the same packs: a real PostgreSQL index (test/helpers/postgres.ts) and S3
// storage on moto, shared by two real replicas on loopback ports — what a load balancer in front of them shows.
// The single-node properties must hold across replicas: what one accepted, the other serves at once; racing
// pushes of one version give exactly one 201; distinct versions all land with the right parent tags; and a
// PostgreSQL restart under traffic is a clear 503, then recovery without restarting a registry.
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import type { WebhookBody } from '../../src/api/index.js';
import { packVariant } from '../helpers/archives.js';
import { whenDone } from '../helpers/cleanup.js';
import { createBucket, startMoto } from '../helpers/moto.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { available, motoServer, postgres } from '../helpers/real-components.js';
import { ADMIN, makeTempDir, READER, writeHtpasswd } from '../helpers/registry.js';
import { REPO_ROOT, runServerCommand } from '../helpers/process.js';
import { registryEnv, startRegistryProcess, type RegistryProcess } from '../helpers/server-process.js';
import { startWebhookReceiver, type ReceivedRequest } from '../helpers/webhook-receiver.js';

const components = [postgres(), motoServer()];

/** docker/replicas: the deployment the README describes; its bucket is created on the test's own moto. */
const REPLICA_CONFIG = join(REPO_ROOT, 'docker', 'replicas', 'config.yml');
const REPLICA_BUCKET = 'packs';
const missing = components.find((component) => !available(component));

const eventOf = (received: ReceivedRequest) => (JSON.parse(received.body) as WebhookBody).events[0];
const sha = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe.skipIf(missing !== undefined)(`replicas on a shared PostgreSQL index and S3 storage ${missing ? missing.skipReason : ''}`, () => {
  let database: PostgresServer;
  let replicas: RegistryProcess[];
  /** A replica's folder and environment (REGISTRY_*), for more processes and the CLI on the same index and bucket. */
  let replicaSetup: (name: string) => Promise<{ dir: string; args: string[]; env: Record<string, string> }>;

  const as = (replica: RegistryProcess, user = ADMIN) => ({
    get: (path: string) => request(replica.url).get(path).ca(replica.ca).auth(user.user, user.password),
    put: (path: string) => request(replica.url).put(path).ca(replica.ca).auth(user.user, user.password),
    push: (archive: Buffer) => request(replica.url).post('/v1/packs').ca(replica.ca).auth(user.user, user.password).attach('pack', archive, 'pack.tar.gz'),
  });
  const replica = (index: number) => replicas[index] as RegistryProcess;

  beforeAll(async () => {
    const [postgresServer, moto] = await Promise.all([startPostgres(), startMoto()]);
    database = postgresServer;
    const [dsn] = await Promise.all([database.createDatabase(), createBucket(moto.endpoint, REPLICA_BUCKET)]);
    // Each replica has a folder of its own (certificate, local directory), as containers would.
    // The compose file's replica configuration itself; only what differs here (addresses, paths) is set by
    // REGISTRY_* variables: the PostgreSQL DSN, moto's endpoint, the local folder, and (registryEnv) the
    // listener, the certificate and the htpasswd file. The index driver, the bucket and its prefix, path-style
    // addressing, the pool size and the S3 credentials are the file's.
    replicaSetup = async (name: string) => {
      const dir = await makeTempDir(`replica-${name}-`);
      await writeHtpasswd(join(dir, 'htpasswd'), [ADMIN, READER]);
      await mkdir(join(dir, 'local'), { recursive: true });
      return {
        dir,
        args: [REPLICA_CONFIG],
        env: {
          REGISTRY_INDEX_POSTGRES_DSN: dsn,
          REGISTRY_STORAGE_S3_REGIONENDPOINT: moto.endpoint,
          REGISTRY_STORAGE_S3_LOCALDIRECTORY: join(dir, 'local'),
          REGISTRY_LOG_FORMATTER: 'text',
          REGISTRY_LIMITS_MAXCONCURRENTUPLOADS: '16',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      };
    };
    const start = async (name: string) => startRegistryProcess(await replicaSetup(name));
    replicas = await Promise.all([start('a'), start('b')]);
    for (const started of replicas) whenDone(() => started.stop());
  }, 120_000);

  it('serves on one replica what the other accepted, on the very next request', async () => {
    const archive = await packVariant('shared', '1.0.0', 'side: a\n');
    const pushed = await as(replica(0)).push(archive).expect(201);
    const version = await as(replica(1), READER).get('/v1/packs/shared/1.0.0').expect(200);
    expect(version.body.archiveDigest).toBe(pushed.body.archiveDigest);
    const downloaded = await as(replica(1), READER).get('/v1/packs/shared/1.0.0/archive').buffer(true).expect(200);
    expect(sha(downloaded.body as Buffer)).toBe(sha(archive));

    await as(replica(1)).put('/v1/packs/shared/tags/stable').send({ reference: '1.0.0' }).expect(201);
    const tags = await as(replica(0), READER).get('/v1/packs/shared/tags').expect(200);
    expect(JSON.stringify(tags.body)).toContain('stable');
    const catalog = await as(replica(0), READER).get('/v1/_catalog').expect(200);
    expect(catalog.body.repositories).toEqual(expect.arrayContaining(['shared']));
  });

  it('lets exactly one of racing pushes of one version win across replicas, and keeps the winner whole', async () => {
    // Two of them the same bytes: the refused one must not remove the blob the winner is committing.
    const same = await packVariant('race', '1.0.0', 'racer: same\n');
    const archives = [same, same, ...(await Promise.all([1, 2, 3, 4].map((index) => packVariant('race', '1.0.0', `racer: ${index}\n`))))];
    const responses = await Promise.all(archives.map((archive, index) => as(replica(index % 2)).push(archive)));
    expect(responses.map((response) => response.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    const winner = responses.find((response) => response.status === 201);
    for (const index of [0, 1]) {
      const stored = await as(replica(index), READER).get('/v1/packs/race/1.0.0/archive').buffer(true).expect(200);
      expect(sha(stored.body as Buffer)).toBe(winner?.body.archiveDigest);
    }
  });

  it('lands distinct versions pushed at once through both replicas, with the right parent tags', async () => {
    const versions = ['1.0.0', '1.0.1', '1.1.0', '1.1.7', '2.0.0', '2.0.3', '0.9.0', '1.1.10'];
    const archives = await Promise.all(versions.map((version) => packVariant('parallel', version, `v: "${version}"\n`)));
    const responses = await Promise.all(archives.map((archive, index) => as(replica(index % 2)).push(archive)));
    expect(responses.map((response) => response.status)).toEqual(Array(versions.length).fill(201));
    for (const index of [0, 1]) {
      const pack = (await as(replica(index), READER).get('/v1/packs/parallel').expect(200)).body;
      expect(pack.versions).toHaveLength(versions.length);
      const parents = Object.fromEntries((pack.tags as { tag: string; version: string; auto: boolean }[]).filter((t) => t.auto).map((t) => [t.tag, t.version]));
      expect(parents).toEqual({ '0.x': '0.9.0', '0.9.x': '0.9.0', '1.x': '1.1.10', '1.0.x': '1.0.1', '1.1.x': '1.1.10', '2.x': '2.0.3', '2.0.x': '2.0.3' });
    }
  });

  it('shares access tokens: made through one replica or the CLI, accepted by every replica at once; revoked, refused by all', async () => {
    const bearer = (target: RegistryProcess, token: string) => request(target.url).get('/v1/packs').ca(target.ca).set('Authorization', `Bearer ${token}`);
    const made = await request(replica(0).url).post('/v1/tokens').ca(replica(0).ca).auth(ADMIN.user, ADMIN.password).send({ name: 'shared-ci', scope: 'read' }).expect(201);
    const token = made.body.token as string;
    await bearer(replica(1), token).expect(200);
    await bearer(replica(0), token).expect(200);

    // The token CLI on a replica's configuration works on the same shared tokens.
    const { dir, args, env } = await replicaSetup('token-cli');
    const created = await runServerCommand(['token', 'create', 'from-cli', '--scope', 'push', '--config', ...args], { cwd: dir, env: registryEnv({ dir, env }) });
    expect(created.code).toBe(0);
    const cliToken = created.stdout.trim();
    await bearer(replica(1), cliToken).expect(200);
    await bearer(replica(0), cliToken).expect(200);

    const revoked = await runServerCommand(['token', 'revoke', 'shared-ci', '--config', ...args], { cwd: dir, env: registryEnv({ dir, env }) });
    expect(revoked.code).toBe(0);
    // Every replica looks at the shared tokens once a second: within two, both refuse it by its name.
    for (const target of replicas) {
      const deadline = Date.now() + 2500;
      let answer = await bearer(target, token);
      while (answer.status === 200 && Date.now() < deadline) {
        await sleep(100);
        answer = await bearer(target, token);
      }
      expect({ status: answer.status, code: answer.body.errors?.[0]?.code }).toEqual({ status: 401, code: 'TOKEN_REVOKED' });
    }
    const listed = await request(replica(1).url).get('/v1/tokens').ca(replica(1).ca).auth(ADMIN.user, ADMIN.password).expect(200);
    expect((listed.body.tokens as { name: string; revoked: string | null }[]).map((info) => [info.name, info.revoked !== null])).toEqual([
      ['shared-ci', true],
      ['from-cli', false],
    ]);
  });

  it('answers 503 INDEX_UNAVAILABLE while PostgreSQL restarts, then serves again without a registry restart', async () => {
    const archive = await packVariant('outage', '1.0.0', 'during: restart\n');
    await as(replica(0)).push(archive).expect(201);
    await database.stop();
    try {
      for (const index of [0, 1]) {
        const refused = await as(replica(index), READER).get('/v1/packs/outage/1.0.0');
        expect({ status: refused.status, code: refused.body.errors?.[0]?.code, retryAfter: refused.headers['retry-after'] }).toEqual({
          status: 503,
          code: 'INDEX_UNAVAILABLE',
          retryAfter: '5',
        });
      }
      const health = await request(replica(1).url).get('/health').ca(replica(1).ca);
      expect({ status: health.status, body: health.body.status, storage: health.body.checks?.storage }).toEqual({ status: 503, body: 'DOWN', storage: 'UP' });
      expect(health.body.checks?.index).toMatch(/^DOWN: /);
      const push = await as(replica(1)).push(await packVariant('outage', '2.0.0', 'during: outage\n'));
      expect({ status: push.status, code: push.body.errors?.[0]?.code }).toEqual({ status: 503, code: 'INDEX_UNAVAILABLE' });
    } finally {
      await database.start();
    }
    for (const index of [0, 1]) {
      await as(replica(index), READER).get('/v1/packs/outage/1.0.0').expect(200);
      await request(replica(index).url).get('/health').ca(replica(index).ca).expect(200);
    }
    await as(replica(1)).push(await packVariant('outage', '2.0.0', 'after: outage\n')).expect(201);
    await as(replica(0), READER).get('/v1/packs/outage/2.0.0').expect(200);
  });

  it('under traffic, a PostgreSQL restart gives every request a 200 or a 503 INDEX_UNAVAILABLE, never another failure', async () => {
    await as(replica(0)).push(await packVariant('traffic', '1.0.0', 'under: traffic\n')).expect(201);
    const answers: string[] = [];
    let running = true;
    const client = async (index: number) => {
      while (running) {
        const response = await as(replica(index), READER).get('/v1/packs/traffic/1.0.0/archive').buffer(true);
        answers.push(response.status === 200 ? '200' : `${response.status} ${response.body?.errors?.[0]?.code ?? response.text.slice(0, 80)}`);
      }
    };
    const clients = [client(0), client(1), client(0), client(1)];
    await sleep(300);
    await database.restart();
    // After the restart the pool reconnects on its own: every client sees 200 again.
    const backAt = answers.length;
    await sleep(1000);
    running = false;
    await Promise.all(clients);
    expect(new Set(answers)).toEqual(new Set(['200', '503 INDEX_UNAVAILABLE']));
    expect(answers.slice(backAt + 8)).toEqual(Array(answers.length - backAt - 8).fill('200'));
  });

  it('rebuilds the PostgreSQL index from the storage while the replicas serve (pack-registry reindex)', async () => {
    await as(replica(0)).push(await packVariant('rebuilt', '1.0.0', 'a: 1\n')).expect(201);
    await as(replica(1)).push(await packVariant('rebuilt', '1.1.0', 'a: 2\n')).expect(201);
    await as(replica(1)).put('/v1/packs/rebuilt/tags/stable').send({ reference: '1.0.0' }).expect(201);
    const before = (await as(replica(0), READER).get('/v1/packs/rebuilt').expect(200)).body;
    const { dir, args, env } = await replicaSetup('reindex');
    const reindex = await runServerCommand(['reindex', ...args], { cwd: dir, env: registryEnv({ dir, env }) });
    expect({ code: reindex.code, stderr: reindex.stderr }).toEqual({ code: 0, stderr: '' });
    expect(reindex.stdout).toMatch(/rebuilt the PostgreSQL index in place/);
    for (const index of [0, 1]) {
      const after = (await as(replica(index), READER).get('/v1/packs/rebuilt').expect(200)).body;
      expect({ versions: after.versions, tags: after.tags }).toEqual({ versions: before.versions, tags: before.tags });
      await as(replica(index), READER).get('/v1/packs/rebuilt/stable/archive').expect(200);
    }
  });

  it('keeps what pushes through the replicas commit while gc runs beside them', async () => {
    const { dir, args, env } = await replicaSetup('gc');
    const archives = await Promise.all(['1.0.0', '1.0.1', '1.0.2', '1.0.3'].map((version) => packVariant('collected', version, `v: "${version}"\n`)));
    const pushes = Promise.all(archives.map((archive, index) => as(replica(index % 2)).push(archive)));
    const gc = await runServerCommand(['gc', ...args], { cwd: dir, env: registryEnv({ dir, env }) });
    expect(gc.code).toBe(0);
    expect((await pushes).map((response) => response.status)).toEqual([201, 201, 201, 201]);
    for (const [index, archive] of archives.entries()) {
      const stored = await as(replica((index + 1) % 2), READER).get(`/v1/packs/collected/1.0.${index}/archive`).buffer(true).expect(200);
      expect(sha(stored.body as Buffer)).toBe(sha(archive));
    }
  });

  it('goes on serving when one replica is killed mid-push, and the push can be made again elsewhere', async () => {
    const setup = await replicaSetup('killed');
    const doomed = await startRegistryProcess({ ...setup, env: { ...setup.env, PACK_REGISTRY_TEST_KILL_AT: 'blob-stored' } });
    const archive = await packVariant('killed', '1.0.0', 'killed: mid-push\n');
    await expect(as(doomed).push(archive)).rejects.toThrow();
    expect(await doomed.process.exited).toBeNull();
    await as(replica(0), READER).get('/v1/packs/killed/1.0.0').expect(404);
    await as(replica(1)).push(archive).expect(201);
    const stored = await as(replica(0), READER).get('/v1/packs/killed/1.0.0/archive').buffer(true).expect(200);
    expect(sha(stored.body as Buffer)).toBe(sha(archive));
  });

  it('delivers each change once and in order, whichever replica made it, and another replica delivers when the first dies', async () => {
    // A slow receiver: each delivery stays in flight across the other replica's look at the outbox (every 2 s),
    // which is when a second deliverer would send it too.
    const receiver = await startWebhookReceiver(() => ({ status: 204, afterMs: 2500 }));
    whenDone(() => receiver.close());
    const dsn = await database.createDatabase();
    const start = async (name: string) => {
      const setup = await replicaSetup(name);
      const env = { ...setup.env, REGISTRY_INDEX_POSTGRES_DSN: dsn, REGISTRY_NOTIFICATIONS_ENDPOINTS: JSON.stringify([{ name: 'receiver', url: receiver.url }]) };
      const started = await startRegistryProcess({ ...setup, env });
      whenDone(() => started.process.stop('SIGKILL'));
      return started;
    };
    // The first one up delivers; the second only queues, into the same outbox.
    const first = await start('hooks-a');
    const second = await start('hooks-b');
    const versions = ['1.0.0', '1.1.0', '1.2.0', '1.3.0'];
    for (const [index, version] of versions.entries()) {
      await as(index % 2 === 0 ? first : second).push(await packVariant('hooked', version, `v: "${version}"\n`)).expect(201);
    }
    await receiver.waitForRequests(versions.length, 30_000);
    // A second deliverer would have sent its copies by now.
    await sleep(3000);
    expect(receiver.received.map((received) => eventOf(received)?.version)).toEqual(versions);

    await first.process.stop('SIGKILL');
    await as(second).push(await packVariant('hooked', '1.4.0', 'v: after\n')).expect(201);
    const after = await receiver.waitForRequests(versions.length + 1, 30_000);
    expect(after.map((received) => eventOf(received)?.version)).toEqual([...versions, '1.4.0']);
  });
});
