// A PostgreSQL server of the bench's own for `--only=postgres`: Debian's programs (found as the tests find them,
// test/helpers/real-components.ts), a cluster made by initdb in a fresh folder, listening on 127.0.0.1 and a free
// port. Not test/helpers/postgres.ts: that one ties its cleanup to vitest's test lifetime (whenDone), which a
// bench process has not; this one is stopped by the section that started it (and killed with the bench's other
// children if the bench dies, proc.ts).
//
// Unlike the tests' server, it keeps PostgreSQL's durable defaults (fsync, synchronous_commit on, full page
// writes): the bench compares what an operator would run, as docker/replicas runs the stock image.
// initdb and postgres refuse to run as root, and the bench runs as root here: then both run as Debian's
// `postgres` user (or `nobody`) through setpriv, which execs the program, so the child held is the postmaster.
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { postgres } from '../../test/helpers/real-components.js';
import { freePort, runCommand, spawnChild, type Child } from './proc.js';
import { unprivilegedUser, withClient } from '../../test/helpers/postgres-cluster.js';

export interface BenchPostgres {
  /** The postmaster: its process tree (the backends) is where PostgreSQL spends its CPU. */
  pid: number;
  /** A new empty database; returns its DSN (superuser `postgres`, trust authentication, loopback only). */
  createDatabase(name: string): Promise<string>;
  /** Fast shutdown (SIGINT), then the cluster's folder is removed. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;

/** Where the PostgreSQL server programs are, or undefined when they are not installed. */
export function postgresPrograms(): string | undefined {
  return postgres().path;
}

export async function startBenchPostgres(binDir: string): Promise<BenchPostgres> {
  const folder = mkdtempSync(join(tmpdir(), 'pack-registry-bench-postgres-'));
  try {
    return await startIn(binDir, folder);
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
}

async function startIn(binDir: string, folder: string): Promise<BenchPostgres> {
  const owner = process.getuid?.() === 0 ? unprivilegedUser() : undefined;
  const dataDir = join(folder, 'data');
  const socketDir = join(folder, 'socket');
  await mkdir(socketDir);
  if (owner) for (const path of [folder, socketDir]) chownSync(path, owner.uid, owner.gid);
  const asOwner = (program: string, args: string[]): [string, string[]] =>
    owner ? ['setpriv', [`--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--clear-groups', '--', join(binDir, program), ...args]] : [join(binDir, program), args];

  const initdb = await runCommand(...asOwner('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8']));
  if (initdb.code !== 0) throw new Error(`initdb failed (exit ${initdb.code}): ${initdb.stderr}${initdb.stdout}`);
  const port = await freePort();
  await appendFile(join(dataDir, 'postgresql.conf'), ['', "listen_addresses = '127.0.0.1'", `port = ${port}`, `unix_socket_directories = '${socketDir}'`, ''].join('\n'));
  const postmaster = spawnChild('postgres', ...asOwner('postgres', ['-D', dataDir]));
  const adminDsn = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const stop = async (): Promise<void> => {
    if (postmaster.process.exitCode === null && postmaster.process.signalCode === null) {
      // SIGINT is PostgreSQL's fast shutdown (SIGTERM, Child.stop's, would wait for every client to leave).
      postmaster.process.kill('SIGINT');
      const timedOut = await Promise.race([postmaster.exited.then(() => false), sleep(STOP_TIMEOUT_MS).then(() => true)]);
      if (timedOut) await postmaster.stop(0);
    }
    rmSync(folder, { recursive: true, force: true });
  };
  try {
    await waitUntilAccepting(adminDsn, postmaster);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    pid: postmaster.pid,
    createDatabase: async (name: string) => {
      await withClient(adminDsn, (client) => client.query(`CREATE DATABASE ${name}`));
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop,
  };
}

async function waitUntilAccepting(dsn: string, postmaster: Child): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    try {
      await withClient(dsn, (client) => client.query('SELECT 1'));
      return;
    } catch (error) {
      if (postmaster.process.exitCode !== null || Date.now() > deadline) {
        throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${postmaster.output()}`);
      }
      await sleep(50);
    }
  }
}
