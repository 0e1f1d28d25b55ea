// What starting a PostgreSQL of one's own needs, whoever starts it: the tests (postgres.ts, tied to vitest's
// cleanup) and the bench (bench/lib/postgres-server.ts, stopped by its section). No vitest here.
import { readFileSync } from 'node:fs';
import pg from 'pg';

/** One short-lived connection for `work` (CREATE DATABASE, a readiness probe), always ended. */
export async function withClient<T>(dsn: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: dsn, connectionTimeoutMillis: 5_000 });
  // A server going away while the client is idle emits 'error' on it; the query's own rejection reports it.
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Who runs initdb and postgres when we are root (both refuse to run as root): Debian's `postgres` user when it
 * exists (the package makes it), else `nobody`.
 */
export function unprivilegedUser(): { uid: number; gid: number } {
  const users = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .map(([name, , uid, gid]) => ({ name, uid: Number(uid), gid: Number(gid) }));
  const user = users.find((entry) => entry.name === 'postgres') ?? users.find((entry) => entry.name === 'nobody');
  if (!user) throw new Error('no unprivileged user (postgres or nobody) to run PostgreSQL as');
  return { uid: user.uid, gid: user.gid };
}
