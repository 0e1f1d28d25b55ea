import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { folderStaging } from '../staging.js';
import { blobNotFound, digestHex, type BlobStore, type ByteRange, type ListedBlob, type OpenBlob, type StagedLeftover, type Staging } from './store.js';

/**
 * Blobs held in process memory (`storage: inmemory`), for experiments and tests. Uploads are still staged
 * on disk, in a private temporary folder, so that pushes stream exactly as they do with the filesystem.
 */
export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, { bytes: Buffer; modifiedMs: number }>();
  private readonly staging: ReturnType<typeof folderStaging>;

  private constructor(readonly uploadDir: string) {
    this.staging = folderStaging(uploadDir);
  }

  stage(): Staging {
    return this.staging.stage();
  }

  discardStaged(stagedFile: string): Promise<void> {
    return this.staging.discardStaged(stagedFile);
  }

  readStaged(stagedFile: string) {
    return this.staging.readStaged(stagedFile);
  }

  listStaged(): AsyncIterable<StagedLeftover> {
    return this.staging.listStaged();
  }

  static async open(): Promise<MemoryBlobStore> {
    return new MemoryBlobStore(await mkdtemp(join(tmpdir(), 'pack-registry-uploads-')));
  }

  async put(stagedFile: string, digest: string): Promise<void> {
    // Refuse what is not a digest, as every driver does.
    digestHex(digest);
    // The map holds the whole blob or none of it: readers never see a part.
    this.blobs.set(digest, { bytes: await readFile(stagedFile), modifiedMs: Date.now() });
    await rm(stagedFile, { force: true });
  }

  async stat(digest: string): Promise<{ size: number } | null> {
    const blob = this.blobs.get(digest);
    return blob ? { size: blob.bytes.length } : null;
  }

  async open(digest: string): Promise<OpenBlob> {
    const blob = this.blobs.get(digest);
    if (!blob) throw blobNotFound(digest);
    return bufferBlob(blob.bytes);
  }

  async delete(digest: string): Promise<void> {
    this.blobs.delete(digest);
  }

  async *list(): AsyncIterable<ListedBlob> {
    yield* [...this.blobs].map(([digest, blob]) => ({ digest, size: blob.bytes.length, modifiedMs: blob.modifiedMs }));
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
