import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { blobNotFound, digestHex, type BlobStore, type ByteRange, type OpenBlob } from './store.js';

/**
 * Blobs held in process memory (`storage: inmemory`), for experiments and tests. Uploads are still staged
 * on disk, in a private temporary folder, so that pushes stream exactly as they do with the filesystem.
 */
export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, Buffer>();

  private constructor(readonly uploadDir: string) {}

  static async open(): Promise<MemoryBlobStore> {
    return new MemoryBlobStore(await mkdtemp(join(tmpdir(), 'pack-registry-uploads-')));
  }

  async put(stagedFile: string, digest: string): Promise<void> {
    // Refuse what is not a digest, as every driver does.
    digestHex(digest);
    // The map holds the whole blob or none of it: readers never see a part.
    this.blobs.set(digest, await readFile(stagedFile));
    await rm(stagedFile, { force: true });
  }

  async stat(digest: string): Promise<{ size: number } | null> {
    const blob = this.blobs.get(digest);
    return blob ? { size: blob.length } : null;
  }

  async open(digest: string): Promise<OpenBlob> {
    const blob = this.blobs.get(digest);
    if (!blob) throw blobNotFound(digest);
    return bufferBlob(blob);
  }

  async delete(digest: string): Promise<void> {
    this.blobs.delete(digest);
  }

  async *list(): AsyncIterable<string> {
    yield* [...this.blobs.keys()];
  }

  async check(): Promise<void> {
    // Memory is always writable while the process lives.
  }

  /** Removes the staging folder when the server stops. */
  async close(): Promise<void> {
    await rm(this.uploadDir, { recursive: true, force: true });
  }
}

/** An open blob over bytes already in memory. */
export function bufferBlob(bytes: Buffer): OpenBlob {
  return {
    size: bytes.length,
    bytes,
    stream: (range?: ByteRange) => Readable.from([range ? bytes.subarray(range.start, range.end + 1) : bytes]),
    close: async () => {},
  };
}
