import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { RegistryError } from '../registry/errors.js';
import type { Registry } from '../registry/registry.js';

type FoundFile = Awaited<ReturnType<Registry['findFile']>>;
type PackVersion = FoundFile['version'];

export interface PackFileBody {
  /** The version the bytes are from: the one the reference resolves to when the read began. */
  version: PackVersion;
  size: number;
  /** Small files as bytes (cached), larger ones streamed. */
  body: Buffer | Readable;
}

export interface FileReadLimits {
  /** Reads that may search their archives at once; more are refused with 503 TOO_MANY_FILE_READS. */
  maxConcurrent: number;
  /** Files up to this size are read whole and cached. */
  maxCachedFileBytes?: number;
  /** The cache's bound, in bytes of file content. */
  cacheBytes?: number;
}

const MIB = 1024 * 1024;

/** Seconds a client refused with TOO_MANY_FILE_READS is told to wait. */
export const FILE_READ_RETRY_AFTER_SECONDS = 2;

/**
 * Reads one file out of a stored archive for `/files`. An archive is a gzip stream, so a file can only be
 * reached by inflating everything before it: a file at the end of a small archive of zeros can cost seconds
 * of CPU to reach (a 1.5 MB archive inflating to 1.5 GB took 3.8 s). Three things keep that from being a
 * lever for anyone who may read:
 *
 * - Small files (≤ 1 MiB: values.yaml, README.md, logo.png, manifests) are read once per (archive digest,
 *   path) and then served from a bounded LRU cache (32 MiB). Archive digests name immutable bytes, so an entry
 *   can never be stale; a deleted version's entries are never reached (the index is asked first) and age out.
 * - Concurrent reads of the same small file share one inflation (single flight).
 * - At most `maxConcurrent` reads search their archives at once, the rest are refused at once with
 *   503 TOO_MANY_FILE_READS and Retry-After. A large file's read holds its place only until its entry is
 *   found: from there on it inflates no faster than its client downloads, like an archive download.
 *
 * HEAD needs only the index (describe), never the archive.
 */
export class PackFileReads {
  private readonly maxConcurrent: number;
  private readonly maxCachedFileBytes: number;
  private readonly cache: ByteLru;
  private readonly inFlight = new Map<string, Promise<{ version: PackVersion; bytes: Buffer }>>();
  private searching = 0;

  constructor(
    private readonly registry: Registry,
    limits: FileReadLimits,
  ) {
    this.maxConcurrent = limits.maxConcurrent;
    this.maxCachedFileBytes = limits.maxCachedFileBytes ?? MIB;
    this.cache = new ByteLru(limits.cacheBytes ?? 32 * MIB);
  }

  /** The version and size of a file, from the index alone (for HEAD). */
  async describe(name: string, ref: string, path: string): Promise<{ version: PackVersion; size: number }> {
    const { version, file } = await this.registry.findFile(name, ref, path);
    return { version, size: file.size };
  }

  async open(name: string, ref: string, path: string): Promise<PackFileBody> {
    const { version, file } = await this.registry.findFile(name, ref, path);
    return this.read(name, ref, path, version, file.size);
  }

  /** A file of any version of pack `name` by its SHA-256, from the index alone (for HEAD and conditional GETs). */
  async describeBlob(name: string, sha256: string): Promise<{ version: PackVersion; path: string; size: number }> {
    const { version, file } = await this.registry.findBlob(name, sha256);
    return { version, path: file.path, size: file.size };
  }

  /**
   * The bytes of `/v1/{name}/blobs/sha256:{hex}`: the file is located by the index, then read like any `/files`
   * read (same cache, single flight and bound), its version named by its content digest — a version with that
   * digest holds exactly the same files, whichever one it resolves to.
   */
  async openBlob(name: string, sha256: string): Promise<PackFileBody & { path: string }> {
    const { version, file } = await this.registry.findBlob(name, sha256);
    const body = await this.read(name, version.contentDigest, file.path, version, file.size);
    return { ...body, path: file.path };
  }

  private async read(name: string, ref: string, path: string, version: PackVersion, size: number): Promise<PackFileBody> {
    if (size > this.maxCachedFileBytes) return this.openLarge(name, ref, path);
    const key = cacheKey(version.archiveDigest, path);
    const cached = this.cache.get(key);
    if (cached) return { version, size: cached.length, body: cached };
    let read = this.inFlight.get(key);
    if (!read) {
      read = this.readSmall(name, ref, path).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, read);
    }
    const { version: readVersion, bytes } = await read;
    return { version: readVersion, size: bytes.length, body: bytes };
  }

  private async openLarge(name: string, ref: string, path: string): Promise<PackFileBody> {
    const release = this.takePlace();
    try {
      const { stream, size, version } = await this.registry.openFile(name, ref, path);
      return { version, size, body: stream };
    } finally {
      release();
    }
  }

  /** Reads a small file whole, checks it against the index's hash, and caches it. */
  private async readSmall(name: string, ref: string, path: string): Promise<{ version: PackVersion; bytes: Buffer }> {
    const release = this.takePlace();
    try {
      // The reference is resolved again as the archive is opened: after a racing force push, the bytes and
      // the version they are cached and answered under are the new ones, together.
      const { stream, size, version } = await this.registry.openFile(name, ref, path);
      const bytes = await readWhole(stream, size);
      const expected = version.files.find((file) => file.path === path)?.sha256;
      if (bytes.length !== size || createHash('sha256').update(bytes).digest('hex') !== expected) {
        throw new Error(`the archive ${version.archiveDigest} holds other bytes at ${path} than its index lists`);
      }
      this.cache.set(cacheKey(version.archiveDigest, path), bytes);
      return { version, bytes };
    } finally {
      release();
    }
  }

  private takePlace(): () => void {
    if (this.searching >= this.maxConcurrent) {
      throw new RegistryError(
        'TOO_MANY_FILE_READS',
        `the registry is reading ${this.maxConcurrent} pack files out of their archives already; retry in a few seconds`,
        { max: this.maxConcurrent },
      );
    }
    this.searching += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.searching -= 1;
    };
  }
}

function cacheKey(archiveDigest: string, path: string): string {
  // Paths never hold control characters (the archive walk refuses them), so NUL cannot be part of one.
  return `${archiveDigest}\0${path}`;
}

/** Collects a stream known to hold `size` bytes; more than that is an error, not a bigger buffer. */
async function readWhole(stream: Readable, size: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length > size) throw new Error(`the archive entry is larger than the ${size} bytes its index lists`);
      chunks.push(chunk);
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks, length);
}

/** A least-recently-used map of byte buffers, bounded by their total size. */
class ByteLru {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): Buffer | undefined {
    const value = this.entries.get(key);
    if (value) {
      // Map keeps insertion order: re-inserting makes this the most recently used entry.
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: Buffer): void {
    if (value.length > this.maxBytes) return;
    const previous = this.entries.get(key);
    if (previous) {
      this.entries.delete(key);
      this.bytes -= previous.length;
    }
    this.entries.set(key, value);
    this.bytes += value.length;
    for (const [oldest, buffer] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= buffer.length;
    }
  }
}
