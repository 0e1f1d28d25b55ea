// The metadata store's contract. Every driver (filesystem.ts, memory.ts) implements it and runs the one
// conformance suite, test/storage/metadata-store-suite.ts; a new driver (S3) is done when that suite passes.

/** One stored metadata document, as read back for a reindex or a garbage collection. */
export interface StoredMetadata {
  pack: string;
  /** The version key the document is stored under (the normalised version). */
  key: string;
  /** The parsed JSON, or undefined when it could not be read (then `error` says why). */
  document: unknown;
  error?: string;
  /** Bytes in storage (0 where the driver does not keep bytes, as in memory). */
  size: number;
}

export interface MetadataKey {
  pack: string;
  key: string;
}

/**
 * Small JSON documents kept next to the blobs, one per pack version, so that the storage alone holds
 * everything the index is built from (see registry/metadata.ts for their shape). A document is addressed by
 * its pack name and version key; both follow the pack rules (drivers may refuse anything that could not be
 * a pack name or version, see layout.ts).
 *
 * Listing order is not part of the contract (an object store lists `metadata/a-b/` before `metadata/a/`):
 * callers that need an order sort (reindex sorts by push time). The drivers here happen to yield by pack,
 * then version, which keeps an administrator's reports stable.
 */
export interface MetadataStore {
  /**
   * Bring one version's document in line with `build()`: write what it returns (or resolves to: it may read
   * the index), or remove the document when that is null (or undefined). Calls for the same version run one
   * after another and `build` runs only when it is that call's turn, so the last call always writes the newest
   * state, whatever the disk's timing; calls for different versions run concurrently.
   * - Atomic visibility: a reader sees the previous document or the new one, whole, never a part.
   * - Durable once the promise resolves.
   * - The document is stored as `build` returned it: changing the object afterwards changes nothing stored.
   * - A `build` or a write that fails rejects this call only; the next call for the version still runs.
   * Removing a document that does not exist succeeds.
   */
  sync(pack: string, key: string, build: () => unknown | Promise<unknown>): Promise<void>;
  /**
   * Every document, read and parsed (for a reindex). A document that cannot be read or is not JSON is
   * yielded with `document: undefined` and an `error`, never thrown: one bad file must not stop a reindex.
   * Documents written or removed while the listing runs may or may not appear.
   */
  list(): AsyncIterable<StoredMetadata>;
  /**
   * Which documents exist, without reading them: what a start needs to find the missing ones. Yields the
   * same keys as `list`, in the same order, including those of documents that cannot be read.
   */
  keys(): AsyncIterable<MetadataKey>;
  /**
   * Remove one document, queued behind the version's pending `sync` calls like another of them. Removing
   * a document that does not exist succeeds.
   */
  remove(pack: string, key: string): Promise<void>;
}
