import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isNotFound } from './filesystem.js';

/** One stored metadata document, as read back for a reindex or a garbage collection. */
export interface StoredMetadata {
  pack: string;
  /** The version key the document is stored under (the normalised version). */
  key: string;
  /** The parsed JSON, or the reason it could not be read. */
  document: unknown;
  error?: string;
  /** Bytes on disk (0 in memory). */
  size: number;
}

export interface MetadataKey {
  pack: string;
  key: string;
}

/**
 * Small JSON documents kept next to the blobs, one per pack version, so that the storage alone holds
 * everything the index is built from (see registry/metadata.ts for their shape).
 */
export interface MetadataStore {
  /**
   * Bring one version's document in line with `build()`: write what it returns, or remove the document
   * when it returns null. Calls for the same version run one after another and `build` runs only when
   * it is that call's turn, so the last call always writes the newest state, whatever the disk's timing.
   */
  sync(pack: string, key: string, build: () => unknown): Promise<void>;
  /** Every document, read and parsed (for a reindex). */
  list(): AsyncIterable<StoredMetadata>;
  /** Which documents exist, without reading them: what a start needs to find the missing ones. */
  keys(): AsyncIterable<MetadataKey>;
  remove(pack: string, key: string): Promise<void>;
}

/** Serialises work per key: a promise chain for each key that has work pending. */
class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run(key: string, work: () => Promise<void>): Promise<void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => {});
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,254}$/;

function assertSegment(value: string): string {
  // Pack names and versions already follow stricter rules; this keeps a path from ever leaving the folder.
  if (!SAFE_SEGMENT.test(value) || value.includes('..')) throw new Error(`not usable in a metadata path: ${value}`);
  return value;
}

/** Documents as `<root>/metadata/<pack>/<version>.json`: readable by an administrator, backed up with the blobs. */
export class FilesystemMetadataStore implements MetadataStore {
  readonly folder: string;
  private readonly queue = new KeyedQueue();

  constructor(root: string) {
    this.folder = join(root, 'metadata');
  }

  pathOf(pack: string, key: string): string {
    return join(this.folder, assertSegment(pack), `${assertSegment(key)}.json`);
  }

  sync(pack: string, key: string, build: () => unknown): Promise<void> {
    const path = this.pathOf(pack, key);
    return this.queue.run(`${pack}\0${key}`, async () => {
      const document = build();
      if (document === null || document === undefined) await this.removeFile(pack, path);
      else await writeAtomically(path, `${JSON.stringify(document, null, 2)}\n`);
    });
  }

  async remove(pack: string, key: string): Promise<void> {
    await this.queue.run(`${pack}\0${key}`, () => this.removeFile(pack, this.pathOf(pack, key)));
  }

  private async removeFile(pack: string, path: string): Promise<void> {
    await rm(path, { force: true });
    // An empty pack folder is left by the last version's removal; drop it, quietly losing any race.
    await rmdir(join(this.folder, pack)).catch(() => {});
  }

  async *keys(): AsyncIterable<MetadataKey> {
    let packs: string[];
    try {
      packs = (await readdir(this.folder)).sort();
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    for (const pack of packs) {
      let names: string[];
      try {
        names = (await readdir(join(this.folder, pack))).sort();
      } catch {
        continue;
      }
      for (const name of names) {
        if (name.endsWith('.json') && !name.startsWith('.')) yield { pack, key: name.slice(0, -'.json'.length) };
      }
    }
  }

  async *list(): AsyncIterable<StoredMetadata> {
    for await (const { pack, key } of this.keys()) {
      const path = join(this.folder, pack, `${key}.json`);
      let text: string;
      let size = 0;
      try {
        size = (await stat(path)).size;
        text = await readFile(path, 'utf8');
      } catch (error) {
        if (isNotFound(error)) continue;
        yield { pack, key, document: undefined, error: (error as Error).message, size };
        continue;
      }
      try {
        yield { pack, key, document: JSON.parse(text) as unknown, size };
      } catch (error) {
        yield { pack, key, document: undefined, error: `not valid JSON: ${(error as Error).message}`, size };
      }
    }
  }
}

/** Write to a temporary file beside the target, fsync it, rename it over the target, fsync the folder. */
export async function writeAtomically(path: string, text: string): Promise<void> {
  const folder = join(path, '..');
  const temporary = join(folder, `.${randomBytes(6).toString('hex')}.tmp`);
  let handle;
  try {
    await mkdir(folder, { recursive: true });
    handle = await open(temporary, 'wx', 0o644);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    // The folder was emptied and removed between mkdir and open (the last other version went): once more.
    await mkdir(folder, { recursive: true });
    handle = await open(temporary, 'wx', 0o644);
  }
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  const directory = await open(folder, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/** `storage: inmemory`: the documents live as long as the process, like the blobs and the index. */
export class MemoryMetadataStore implements MetadataStore {
  private readonly documents = new Map<string, StoredMetadata>();
  private readonly queue = new KeyedQueue();

  sync(pack: string, key: string, build: () => unknown): Promise<void> {
    const id = `${pack}\0${key}`;
    return this.queue.run(id, async () => {
      const document = build();
      if (document === null || document === undefined) this.documents.delete(id);
      else this.documents.set(id, { pack, key, document: structuredClone(document), size: 0 });
    });
  }

  async remove(pack: string, key: string): Promise<void> {
    this.documents.delete(`${pack}\0${key}`);
  }

  async *list(): AsyncIterable<StoredMetadata> {
    yield* [...this.documents.values()].sort((a, b) => a.pack.localeCompare(b.pack) || a.key.localeCompare(b.key));
  }

  async *keys(): AsyncIterable<MetadataKey> {
    for await (const { pack, key } of this.list()) yield { pack, key };
  }
}
