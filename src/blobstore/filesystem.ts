import { mkdir, open, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digestHex, type BlobStore, type ByteRange, type OpenBlob } from './store.js';

/** Blobs as files under `<root>/blobs/sha256/<first two hex>/<hex>`, staged in `<root>/uploads`. */
export class FilesystemBlobStore implements BlobStore {
  readonly uploadDir: string;
  private readonly blobDir: string;

  private constructor(readonly root: string) {
    this.uploadDir = join(root, 'uploads');
    this.blobDir = join(root, 'blobs', 'sha256');
  }

  static async open(root: string): Promise<FilesystemBlobStore> {
    const store = new FilesystemBlobStore(root);
    await mkdir(store.uploadDir, { recursive: true });
    await mkdir(store.blobDir, { recursive: true });
    return store;
  }

  private pathOf(digest: string): string {
    const hex = digestHex(digest);
    return join(this.blobDir, hex.slice(0, 2), hex);
  }

  async put(stagedFile: string, digest: string): Promise<void> {
    const target = this.pathOf(digest);
    // fsync before rename: after a crash the name must never point at bytes that did not reach the disk.
    const handle = await open(stagedFile, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    const folder = join(target, '..');
    await mkdir(folder, { recursive: true });
    await rename(stagedFile, target);
    await syncFolder(folder);
  }

  async stat(digest: string): Promise<{ size: number } | null> {
    try {
      const info = await stat(this.pathOf(digest));
      return { size: info.size };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async open(digest: string): Promise<OpenBlob> {
    const handle = await open(this.pathOf(digest), 'r');
    try {
      const { size } = await handle.stat();
      return {
        size,
        stream: (range?: ByteRange) => handle.createReadStream({ start: range?.start, end: range?.end, autoClose: true }),
        close: () => handle.close(),
      };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async delete(digest: string): Promise<void> {
    await rm(this.pathOf(digest), { force: true });
  }

  async *list(): AsyncIterable<string> {
    for (const prefix of await readdir(this.blobDir)) {
      for (const hex of await readdir(join(this.blobDir, prefix))) {
        if (/^[0-9a-f]{64}$/.test(hex)) yield `sha256:${hex}`;
      }
    }
  }

  /**
   * Remove every staging file. Only safe while no upload is in flight, i.e. at server start: whatever is
   * there was left by a crash mid-push and will never be committed.
   */
  async removeStagedUploads(): Promise<number> {
    const names = await readdir(this.uploadDir);
    await Promise.all(names.map((name) => rm(join(this.uploadDir, name), { force: true, recursive: true })));
    return names.length;
  }

  async check(): Promise<void> {
    const probe = join(this.uploadDir, `.health-${process.pid}`);
    await writeFile(probe, 'ok');
    await unlink(probe);
  }
}

/** fsync a folder, so that a rename inside it survives a crash. */
export async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
