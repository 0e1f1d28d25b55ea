// A large index without pushing: rows written straight into SQLite through the project's own schema (SqliteIndex
// runs the migrations), and copied from there into PostgreSQL for the postgres section, so catalog and list pages
// can be measured over 100k versions in seconds. Only the rows the read paths use are written; there are no blobs
// behind them. Each version also gets the metadata document a push writes into storage (built by the project's
// own versionMetadata), or the server's start would first write every missing one, fsync by fsync (about 30 s
// per 10k versions here).
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import pg from 'pg';
import { PostgresIndex } from '../../src/db/postgres.js';
import { SqliteIndex } from '../../src/db/sqlite.js';
import { versionMetadata } from '../../src/registry/metadata.js';
import { indexPath } from '../../src/storage/layout.js';
import { FilesystemMetadataStore } from '../../src/storage/metadata/filesystem.js';
import { nowMs } from './stats.js';

export interface SeededIndex {
  packs: number;
  versions: number;
  /** Pack names in catalog order. */
  names: string[];
}

const LAYERS = ['addon', 'addon', 'addon', 'csi', 'cni', 'os', 'k8s'];
const CLOUD_TYPES = [['all'], ['aws', 'eks'], ['azure', 'aks'], ['vsphere'], ['maas', 'edge', 'libvirt'], ['gcp']];
const ADDON_TYPES = ['monitoring', 'logging', 'security', 'ingress', null];

export function packName(index: number): string {
  return `pack-${String(index).padStart(6, '0')}`;
}

function hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** `versions` versions spread over `versions / perPack` packs, each version with its version tag. */
export async function seedIndex(root: string, versions: number, perPack = 10): Promise<SeededIndex> {
  await mkdir(root, { recursive: true });
  const path = indexPath(root);
  await new SqliteIndex(path).close();
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  const insertVersion = sqlite.prepare(`INSERT INTO versions (pack, version, normalized_version, grp, content_digest,
      archive_digest, size, pushed_at, pushed_by, message, root_prefix, manifest, files)
    VALUES (?, ?, ?, NULL, ?, ?, ?, ?, 'admin', NULL, '', ?, ?)`);
  const insertTag = sqlite.prepare(`INSERT INTO tags (pack, tag, version_id, kind) VALUES (?, ?, ?, 'version')`);
  const insertPack = sqlite.prepare(`INSERT INTO packs (name, latest_version_id, latest_version, display_name, layer,
      addon_type, cloud_types, has_logo, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)`);
  const packs = Math.max(1, Math.round(versions / perPack));
  const names: string[] = [];
  const pushedAt = new Date('2025-06-01T00:00:00Z').toISOString();
  sqlite.transaction(() => {
    for (let p = 0; p < packs; p++) {
      const name = packName(p);
      names.push(name);
      const layer = LAYERS[p % LAYERS.length] as string;
      const cloudTypes = CLOUD_TYPES[p % CLOUD_TYPES.length] as string[];
      const addonType = layer === 'addon' ? (ADDON_TYPES[p % ADDON_TYPES.length] ?? null) : null;
      let latestId = 0;
      let latestVersion = '';
      for (let v = 0; v < perPack; v++) {
        const version = `1.${v}.0`;
        // A pack.json and file list of realistic size: the list and version routes parse them per row.
        const manifest = JSON.stringify({
          name,
          displayName: `Pack ${p}`,
          version,
          layer,
          addonType,
          cloudTypes,
          annotations: { source: 'community', contributor: 'bench' },
          kubeManifests: ['manifests/main.yaml'],
        });
        const files = JSON.stringify(
          ['logo.png', 'manifests/main.yaml', 'pack.json', 'values.yaml'].map((file) => ({ path: file, size: 1000, sha256: hex(`${name}/${version}/${file}`) })),
        );
        const id = Number(
          insertVersion.run(name, version, version, `sha256:${hex(`c/${name}/${version}`)}`, `sha256:${hex(`a/${name}/${version}`)}`, 5000, pushedAt, manifest, files)
            .lastInsertRowid,
        );
        insertTag.run(name, version, id);
        latestId = id;
        latestVersion = version;
      }
      insertPack.run(name, latestId, latestVersion, `Pack ${p}`, layer, addonType, JSON.stringify(cloudTypes), pushedAt);
    }
  })();
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  sqlite.close();
  await writeMetadataDocuments(root, path, names);
  return { packs, versions: packs * perPack, names };
}

/** The documents FilesystemMetadataStore would hold, written without its per-file fsync (a seed, not a push). */
async function writeMetadataDocuments(root: string, indexPath: string, names: string[]): Promise<void> {
  const store = new FilesystemMetadataStore(root);
  const db = new SqliteIndex(indexPath);
  try {
    for (const name of names) {
      for (const record of await db.versionsOfPack(name)) {
        const path = store.pathOf(name, record.normalizedVersion);
        mkdirSync(dirname(path), { recursive: true });
        const document = versionMetadata(record, await db.tagsOfVersion(record.id), await db.latestPushEvent(name, record.version));
        writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
      }
    }
  } finally {
    await db.close();
  }
}

/**
 * The same index in PostgreSQL: the rows a seedIndex wrote (packs, versions with their ids, tags), copied into
 * `dsn` after PostgresIndex.open has run the project's own PostgreSQL migrations, in batches of JSON documents
 * that json_populate_recordset turns into rows of the very tables (so every column keeps its schema type). The
 * storage folder, with its metadata documents, then serves both drivers alike. Returns the copy's milliseconds.
 */
export async function copyIndexToPostgres(root: string, dsn: string): Promise<number> {
  const started = nowMs();
  await (await PostgresIndex.open({ dsn, poolSize: 1 })).close();
  const sqlite = new Database(indexPath(root), { readonly: true });
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  try {
    await client.query('BEGIN');
    // Parents first: tags reference versions.
    for (const table of ['packs', 'versions', 'tags']) {
      let batch: unknown[] = [];
      const flush = async () => {
        await client.query(`INSERT INTO ${table} SELECT * FROM json_populate_recordset(NULL::${table}, $1::json)`, [JSON.stringify(batch)]);
        batch = [];
      };
      for (const row of sqlite.prepare(`SELECT * FROM ${table}`).iterate()) {
        batch.push(row);
        if (batch.length === COPY_BATCH_ROWS) await flush();
      }
      if (batch.length > 0) await flush();
    }
    // The ids were copied, not drawn: the identity must start past them, as it would after real pushes.
    await client.query("SELECT setval(pg_get_serial_sequence('versions', 'id'), (SELECT max(id) FROM versions))");
    await client.query('COMMIT');
    await client.query('ANALYZE');
  } finally {
    await client.end();
    sqlite.close();
  }
  return nowMs() - started;
}

/** Rows per INSERT when copying into PostgreSQL: a few MB of JSON each at 100k versions. */
const COPY_BATCH_ROWS = 5000;
