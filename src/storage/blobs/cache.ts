import { buffer } from 'node:stream/consumers';
import { bufferBlob } from './memory.js';
import type { Readable } from 'node:stream';
import type { BlobStore, ListedBlob, OpenBlob, StagedLeftover, Staging } from './store.js';

export interface BlobCacheLimits {
  /** Blobs up to this size are kept in memory after their first read. */
  maxBlobBytes: number;
  /** The cache's whole budget; the least recently used blobs are dropped first. */
  maxTotalBytes: number;
}

export const DEFAULT_BLOB_CACHE: BlobCacheLimits = { maxBlobBytes: 1024 * 1024, maxTotalBytes: 64 * 1024 * 1024 };

/**
 * Keeps small blobs in memory. Clients sync the same small packs again and again; opening, stat-ing, reading
 * and closing a file per download cost a quarter of the server's CPU (bench/results). A blob is named by the
 * hash of its bytes, so a cached copy can never be stale: only a delete has to drop it.
 */
export class CachedBlobStore implements BlobStore {
  private readonly cached = new Map<string, Buffer>();
  private totalBytes = 0;

  constructor(
    private readonly inner: BlobStore,
    private readonly limits: BlobCacheLimits = DEFAULT_BLOB_CACHE,
  ) {}

  stage(): Staging {
    return this.inner.stage();
  }

  put(staged: string, digest: string): Promise<void> {
    return this.inner.put(staged, digest);
  }

  discardStaged(staged: string): Promise<void> {
    return this.inner.discardStaged(staged);
  }

  readStaged(staged: string): Readable {
    return this.inner.readStaged(staged);
  }

  listStaged(): AsyncIterable<StagedLeftover> {
    return this.inner.listStaged();
  }

  stat(digest: string): Promise<{ size: number } | null> {
    return this.inner.stat(digest);
  }

  async open(digest: string): Promise<OpenBlob> {
    const hit = this.cached.get(digest);
    if (hit) {
      // Re-insert: a Map iterates in insertion order, so the first key is the least recently used.
      this.cached.delete(digest);
      this.cached.set(digest, hit);
      return bufferBlob(hit);
    }
    const blob = await this.inner.open(digest);
    if (blob.size > this.limits.maxBlobBytes) return blob;
    const bytes = await buffer(blob.stream());
    this.remember(digest, bytes);
    return bufferBlob(bytes);
  }

  async delete(digest: string): Promise<void> {
    this.forget(digest);
    await this.inner.delete(digest);
  }

  list(): AsyncIterable<ListedBlob> {
    return this.inner.list();
  }

  check(): Promise<void> {
    return this.inner.check();
  }

  private remember(digest: string, bytes: Buffer): void {
    this.forget(digest);
    this.cached.set(digest, bytes);
    this.totalBytes += bytes.length;
    for (const [oldest, oldBytes] of this.cached) {
      if (this.totalBytes <= this.limits.maxTotalBytes) break;
      this.cached.delete(oldest);
      this.totalBytes -= oldBytes.length;
    }
  }

  private forget(digest: string): void {
    const bytes = this.cached.get(digest);
    if (!bytes) return;
    this.cached.delete(digest);
    this.totalBytes -= bytes.length;
  }
}
