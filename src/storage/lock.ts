import Database from 'better-sqlite3';
import { lockPath } from './layout.js';

/**
 * The lock file in a storage root (layout.ts), held by a running server, a reindex or a gc for as long as
 * they run: it tells other processes that a server (or a reindex) works on this storage. It is an SQLite
 * file in exclusive locking mode: SQLite's POSIX locks are released by the kernel when the holder dies, however it
 * dies, and they are seen across containers sharing the volume — unlike a pid file, which outlives its
 * process and means nothing in another PID namespace.
 */
export class StorageLock {
  private constructor(private readonly sqlite: Database.Database) {}

  /** Take the lock, or return null when another process (or connection) holds it. */
  static tryAcquire(root: string): StorageLock | null {
    const sqlite = new Database(lockPath(root), { timeout: 0 });
    try {
      sqlite.pragma('locking_mode = EXCLUSIVE');
      // No journal file beside the lock: there is nothing in it worth a rollback.
      sqlite.pragma('journal_mode = MEMORY');
      // The first write takes the EXCLUSIVE lock, and exclusive locking mode keeps it until close.
      sqlite.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS holder (pid INTEGER); DELETE FROM holder;');
      sqlite.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
      sqlite.exec('COMMIT');
      return new StorageLock(sqlite);
    } catch (error) {
      sqlite.close();
      if (isBusy(error)) return null;
      throw error;
    }
  }

  /** True while some process holds the lock (checked by taking and releasing it at once). */
  static isHeld(root: string): boolean {
    const lock = StorageLock.tryAcquire(root);
    if (!lock) return true;
    lock.release();
    return false;
  }

  release(): void {
    if (this.sqlite.open) this.sqlite.close();
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code ?? '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}
