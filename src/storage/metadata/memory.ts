import { documentId, KeyedQueue } from './keyed-queue.js';
import type { MetadataKey, MetadataStore, StoredMetadata } from './store.js';

/** `storage: inmemory`: the documents live as long as the process, like the blobs and the index. */
export class MemoryMetadataStore implements MetadataStore {
  private readonly documents = new Map<string, StoredMetadata>();
  private readonly queue = new KeyedQueue();

  sync(pack: string, key: string, build: () => unknown | Promise<unknown>): Promise<void> {
    const id = documentId(pack, key);
    return this.queue.run(id, async () => {
      const document = await build();
      if (document === null || document === undefined) this.documents.delete(id);
      else this.documents.set(id, { pack, key, document: structuredClone(document), size: 0 });
    });
  }

  remove(pack: string, key: string): Promise<void> {
    const id = documentId(pack, key);
    // Queued like a sync, so a removal issued after a sync is not overtaken by it.
    return this.queue.run(id, async () => {
      this.documents.delete(id);
    });
  }

  async *list(): AsyncIterable<StoredMetadata> {
    yield* [...this.documents.values()].sort((a, b) => a.pack.localeCompare(b.pack) || a.key.localeCompare(b.key));
  }

  async *keys(): AsyncIterable<MetadataKey> {
    for await (const { pack, key } of this.list()) yield { pack, key };
  }
}
