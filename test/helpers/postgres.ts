// A real PostgreSQL server for the PostgreSQL index tests (test/postgres): Debian's programs (found by
// real-components.ts, postgres()), a cluster made by initdb in a fresh folder under the run's private temporary
// folder, listening on 127.0.0.1 and a free port, with its Unix socket inside that folder. One server per test
// file (or per test), a fresh database per test (`createDatabase`, a file copy of template1: tens of ms).
//
// initdb and postgres refuse to run as root, and CI runs as root: then both run as Debian's `postgres` user (or
// `nobody`), through setpriv, which execs the program itself, so the child we hold is the postmaster and our
// signals reach it directly. The folder is given to that user.
//
// The server's lifetime is the object's, not the test's: `restart()` inside a test starts a postmaster the next
// tests of the file keep using, so it is spawned here rather than with spawnInGroup (whose cleanup would kill it
// when that test ends), and one cleanup, registered when the server is made, stops whatever is running then.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { whenDone } from './cleanup.js';
import { freePort } from './process.js';
import { postgres } from './real-components.js';
import { withClient, unprivilegedUser } from './postgres-cluster.js';

export interface PostgresServer {
  port: number;
  /** The server's own `postgres` database, as its superuser `postgres` (trust authentication, loopback only). */
  adminDsn: string;
  /** A new, empty database of its own; returns its DSN. */
  createDatabase(): Promise<string>;
  /** Fast shutdown (clients are disconnected, the data is checkpointed); resolves when every process has exited. */
  stop(): Promise<void>;
  /** Start again after stop() or kill(): the same port, folder and data (after kill(), crash recovery first). */
  start(): Promise<void>;
  /** stop(), then start(): what "PostgreSQL restarted under traffic" does to clients. */
  restart(): Promise<void>;
  /** SIGKILL to the postmaster and every process it started: a crash; nothing is checkpointed. */
  kill(): Promise<void>;
  /** The server's log so far, for a failing test's message. */
  log(): string;
}

/** Settings for speed, not durability: a test's data never has to survive the machine. */
const FAST_SETTINGS = ['fsync = off', 'full_page_writes = off', 'synchronous_commit = off', 'shared_buffers = 16MB', 'max_connections = 100'];

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;

/** Initialise a cluster in a fresh folder and start it; stopped and removed when the test (or file) ends. */
export async function startPostgres(): Promise<PostgresServer> {
  const binDir = postgres().path;
  if (!binDir) throw new Error('the PostgreSQL server programs are not installed');
  const folder = mkdtempSync(join(tmpdir(), 'postgres-'));
  whenDone(() => rmSync(folder, { recursive: true, force: true }));
  const owner = process.getuid?.() === 0 ? unprivilegedUser() : undefined;
  const dataDir = join(folder, 'data');
  const socketDir = join(folder, 'socket');
  const logPath = join(folder, 'postgres.log');
  mkdirSync(socketDir);
  if (owner) {
    for (const path of [folder, socketDir]) chownSync(path, owner.uid, owner.gid);
  }
  const asOwner = (program: string, args: string[]): [string, string[]] =>
    owner
      ? ['setpriv', [`--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--clear-groups', '--', join(binDir, program), ...args]]
      : [join(binDir, program), args];

  await initdb(asOwner, dataDir, logPath);

  let port = 0;
  let postmaster: ChildProcess | undefined;
  const adminDsn = () => `postgres://postgres@127.0.0.1:${port}/postgres`;

  const start = async (): Promise<void> => {
    if (postmaster) throw new Error('the PostgreSQL server is already running');
    const logFile = openSync(logPath, 'a');
    try {
      const [command, args] = asOwner('postgres', ['-D', dataDir]);
      postmaster = spawn(command, args, { stdio: ['ignore', logFile, logFile], detached: true });
    } finally {
      closeSync(logFile);
    }
    const child = postmaster;
    const gone = () => {
      if (postmaster === child) postmaster = undefined;
    };
    child.once('exit', gone);
    child.once('error', gone);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await accepts(adminDsn()))) {
      if (postmaster !== child || Date.now() > deadline) {
        await kill();
        throw new Error(`PostgreSQL did not start on 127.0.0.1:${port}:\n${readLog(logPath)}`);
      }
      await sleep(50);
    }
  };

  const stop = async (): Promise<void> => {
    const child = postmaster;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // SIGINT is PostgreSQL's fast shutdown; the postmaster exits only after all of its processes have.
    child.kill('SIGINT');
    const timedOut = await Promise.race([exited.then(() => false), sleep(STOP_TIMEOUT_MS).then(() => true)]);
    if (timedOut) await kill();
  };

  const kill = async (): Promise<void> => {
    const child = postmaster;
    if (!child?.pid) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Its children are session leaders of their own (PostgreSQL makes them so), out of reach of a group kill:
    // freeze the postmaster so it starts no new one, kill those it has, then the postmaster.
    process.kill(child.pid, 'SIGSTOP');
    const children = childrenOf(child.pid);
    for (const pid of children) signalQuietly(pid, 'SIGKILL');
    child.kill('SIGKILL');
    await exited;
    // A new postmaster refuses to start while a process of the old one still holds its shared memory.
    while (children.some(isAlive)) await sleep(20);
  };

  // Newer than the folder's removal, so it runs first (cleanups run newest first).
  whenDone(stop);

  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    appendFileSync(
      join(dataDir, 'postgresql.conf'),
      ['', "listen_addresses = '127.0.0.1'", `port = ${port}`, `unix_socket_directories = '${socketDir}'`, ...FAST_SETTINGS, ''].join('\n'),
    );
    try {
      await start();
      break;
    } catch (error) {
      // Another process may have taken the port between our look and the server's bind: try another (the
      // last `port` line of postgresql.conf wins).
      if (attempt >= 2) throw error;
    }
  }

  return {
    port,
    get adminDsn() {
      return adminDsn();
    },
    async createDatabase() {
      const name = `test_${++databases}`;
      await withClient(adminDsn(), async (client) => {
        const version = Number((await client.query<{ server_version_num: string }>('SHOW server_version_num')).rows[0]?.server_version_num);
        // FILE_COPY (PostgreSQL 15+) copies template1's files instead of logging every block: faster here.
        await client.query(`CREATE DATABASE ${name}${version >= 150000 ? ' STRATEGY FILE_COPY' : ''}`);
      });
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop,
    start,
    async restart() {
      await stop();
      await start();
    },
    kill,
    log: () => readLog(logPath),
  };
}

let databases = 0;

/**
 * initdb with trust authentication (loopback and the folder's socket only) and UTF-8. The cluster's default
 * collation is ICU's en-US when this PostgreSQL has ICU, on purpose: a natural-language order, in which
 * 'a-b', 'a.b', 'aB' and 'a_b' sort unlike bytes, so the tests prove the index's byte-order paging comes
 * from its own COLLATE "C" columns and not from a lucky server locale.
 */
async function initdb(asOwner: (program: string, args: string[]) => [string, string[]], dataDir: string, logPath: string): Promise<void> {
  const common = ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8'];
  const withIcu = await run(...asOwner('initdb', [...common, '--locale-provider=icu', '--icu-locale=en-US']), logPath);
  if (withIcu === 0) return;
  rmSync(dataDir, { recursive: true, force: true });
  const plain = await run(...asOwner('initdb', common), logPath);
  if (plain !== 0) throw new Error(`initdb failed (exit ${plain}):\n${readLog(logPath)}`);
}

function run(command: string, args: string[], logPath: string): Promise<number | null> {
  const logFile = openSync(logPath, 'a');
  try {
    const child = spawn(command, args, { stdio: ['ignore', logFile, logFile] });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => resolve(code));
    });
  } finally {
    closeSync(logFile);
  }
}

/** Whether the server takes connections and answers (not "the database system is starting up"). */
async function accepts(dsn: string): Promise<boolean> {
  try {
    await withClient(dsn, (client) => client.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}


function childrenOf(parent: number): number[] {
  const children: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const status = readProc(Number(name));
    if (status && Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]) === parent) children.push(Number(name));
  }
  return children;
}

/** Gone, or a zombie waiting for a parent (init) to reap it: it holds no memory or socket any more. */
function isAlive(pid: number): boolean {
  const status = readProc(pid);
  return status !== undefined && !/^State:\s+Z/m.test(status);
}

function readProc(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
}

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone already
  }
}

function readLog(logPath: string): string {
  return existsSync(logPath) ? readFileSync(logPath, 'utf8').slice(-4000) : '';
}
