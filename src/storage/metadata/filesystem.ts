import { readdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isNotFound, writeAtomically } from '../fs.js';
import { listedMetadataKey, METADATA_FOLDER, metadataKey, metadataPackKey, storagePath, versionOfMetadataName } from '../layout.js';
import { documentId, KeyedQueue } from './keyed-queue.js';
import type { MetadataKey, MetadataStore, StoredMetadata } from './store.js';

/** Documents as `<root>/metadata/<pack>/<version>.json`: readable by an administrator, backed up with the blobs. */
export class FilesystemMetadataStore implements MetadataStore {
  readonly folder: string;
  private readonly queue = new KeyedQueue();

  constructor(private readonly root: string) {
    this.folder = storagePath(root, METADATA_FOLDER);
  }

  /** The file of one version's document; throws for a pack or version that could leave the folder. */
  pathOf(pack: string, key: string): string {
    return storagePath(this.root, metadataKey(pack, key));
  }

  sync(pack: string, key: string, build: () => unknown | Promise<unknown>): Promise<void> {
    const path = this.pathOf(pack, key);
    return this.queue.run(documentId(pack, key), async () => {
      const document = await build();
      if (document === null || document === undefined) await this.removeFile(pack, path);
      else await writeAtomically(path, `${JSON.stringify(document, null, 2)}\n`);
    });
  }

  async remove(pack: string, key: string): Promise<void> {
    await this.queue.run(documentId(pack, key), () => this.removeFile(pack, this.pathOf(pack, key)));
  }

  private async removeFile(pack: string, path: string): Promise<void> {
    await rm(path, { force: true });
    // An empty pack folder is left by the last version's removal; drop it, quietly losing any race.
    await rmdir(storagePath(this.root, metadataPackKey(pack))).catch(() => {});
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
        const key = versionOfMetadataName(name);
        if (key !== undefined) yield { pack, key };
      }
    }
  }

  async *list(): AsyncIterable<StoredMetadata> {
    for await (const listed of this.keys()) {
      const { pack, key } = listed;
      const path = storagePath(this.root, listedMetadataKey(listed));
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
