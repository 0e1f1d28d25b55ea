import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

export interface StorageSnapshot {
  files: Record<string, string>;
  rows: Record<string, unknown[]>;
}

/**
 * Everything a push could change: every file under the storage root (by content hash; the SQLite files
 * themselves are compared through their rows instead, since WAL checkpoints move bytes without changing data)
 * and every row of the index.
 */
export async function snapshotStorage(root: string): Promise<StorageSnapshot> {
  const files: Record<string, string> = {};
  for (const path of await walk(root)) {
    const name = relative(root, path);
    if (name.startsWith('index.db')) continue;
    files[name] = createHash('sha256').update(await readFile(path)).digest('hex');
  }
  const rows: Record<string, unknown[]> = {};
  const db = new Database(join(root, 'index.db'), { readonly: true });
  try {
    for (const table of ['packs', 'versions', 'tags', 'events']) {
      rows[table] = db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all();
    }
  } finally {
    db.close();
  }
  return { files, rows };
}

export async function walk(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await walk(path)));
    else found.push(path);
  }
  return found.sort();
}

/** Blob files under the storage root (`blobs/sha256/xx/<hex>`). */
export async function blobFiles(root: string): Promise<string[]> {
  return (await walk(join(root, 'blobs'))).map((path) => relative(root, path));
}
