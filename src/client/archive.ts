// Turning a pack folder into a .tar.gz and a pulled .tar.gz back into a folder. Judging an archive is not
// done here: that is src/packs' inspectArchive, the server's own code, run on the same file before
// anything is uploaded or unpacked. Extraction is written for archives that passed it, and still refuses
// anything but regular files and folders, and any path that would leave the target, on its own.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { create as createTar, Parser, type ReadEntry } from 'tar';
import { normalizeArchivePath, type InspectedPack } from '../packs/index.js';

/**
 * Writes the folder's contents as a .tar.gz with the files at the archive root, streamed straight to
 * `archivePath`. Links are stored as links (never followed), so that the pack rules refuse them rather
 * than a link's target being uploaded silently. `portable` leaves out the owner and other host details.
 */
export async function packDirectory(directory: string, archivePath: string): Promise<void> {
  const names = (await readdir(directory)).sort();
  if (names.length === 0) {
    // node-tar will not create an archive of nothing; an empty tar (its end marker) lets the rules say what is missing.
    await writeFile(archivePath, gzipSync(Buffer.alloc(1024)), { flag: 'wx', mode: 0o600 });
    return;
  }
  await pipeline(createTar({ gzip: true, cwd: directory, portable: true, follow: false }, names), createWriteStream(archivePath, { flags: 'wx', mode: 0o600 }));
}

export class UnsafeArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeArchiveError';
  }
}

const FILE_TYPES: ReadonlySet<string> = new Set(['File', 'OldFile', 'ContiguousFile']);

function isAppleDouble(path: string): boolean {
  return (path.split('/').pop() ?? '').startsWith('._');
}

/** The pack-relative path of an entry, `''` for the pack root itself, `undefined` for macOS metadata outside it. */
function packRelativePath(entryPath: string, rootPrefix: string): string | undefined {
  const normalized = normalizeArchivePath(entryPath);
  if (rootPrefix === '') return normalized;
  if (`${normalized}/` === rootPrefix) return '';
  if (normalized.startsWith(rootPrefix)) return normalized.slice(rootPrefix.length);
  if (isAppleDouble(normalized)) return undefined;
  throw new UnsafeArchiveError(`${JSON.stringify(entryPath)} lies outside the pack folder ${JSON.stringify(rootPrefix)}`);
}

/** Where a pack-relative path lands inside `root`, refusing anything that could point elsewhere. */
function targetPath(root: string, relative: string): string {
  const segments = relative.split('/');
  if (relative.startsWith('/') || relative.includes('\\') || segments.some((segment) => segment === '..' || segment === '.' || segment === '')) {
    throw new UnsafeArchiveError(`${JSON.stringify(relative)} is not a safe path inside a pack`);
  }
  const target = resolve(root, relative);
  if (!target.startsWith(root + sep)) throw new UnsafeArchiveError(`${JSON.stringify(relative)} would be written outside the target folder`);
  return target;
}

/**
 * Unpacks a verified archive into `root`, which must be a new, empty folder this process created (so no
 * link can already sit on a path being written). Only regular files and folders are created, never links;
 * the archive's top-level folder (`pack.rootPrefix`) is stripped; file modes keep only the executable bit.
 * Every file written is hashed and the set must equal `pack.files`, the inspection's list.
 */
export async function extractPack(archivePath: string, pack: InspectedPack, root: string): Promise<void> {
  const written = new Map<string, { size: number; sha256: string }>();
  const writes: Promise<void>[] = [];
  let failure: Error | undefined;
  const parser = new Parser({ strict: true, brotli: false, zstd: false });

  const writeFileEntry = (entry: ReadEntry, relative: string, target: string): void => {
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    // `wx`: never open an existing path, so a duplicate entry can never overwrite what was written.
    const output = createWriteStream(target, { flags: 'wx', mode: (entry.mode ?? 0) & 0o111 ? 0o755 : 0o644 });
    const hash = createHash('sha256');
    let size = 0;
    // Read by iteration, not a 'data' listener: node-tar may hold body bytes already, and a listener
    // added before the pipe would take them past the file.
    async function* hashed(): AsyncGenerator<Buffer> {
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        size += chunk.length;
        hash.update(chunk);
        yield chunk;
      }
    }
    writes.push(
      pipeline(hashed, output).then(
        () => {
          written.set(relative, { size, sha256: hash.digest('hex') });
        },
        (error: unknown) => {
          failure ??= error as Error;
          // Drain what is left of the entry, or the parser would wait for this reader forever.
          entry.resume();
        },
      ),
    );
  };

  parser.on('entry', (entry: ReadEntry) => {
    try {
      if (failure) throw failure;
      const relative = packRelativePath(entry.path, pack.rootPrefix);
      if (relative === undefined || relative === '' || isAppleDouble(relative)) {
        entry.resume();
        return;
      }
      const target = targetPath(root, relative);
      if (entry.type === 'Directory') {
        mkdirSync(target, { recursive: true, mode: 0o755 });
        entry.resume();
      } else if (FILE_TYPES.has(entry.type)) {
        writeFileEntry(entry, relative, target);
      } else {
        throw new UnsafeArchiveError(`${JSON.stringify(entry.path)} is a ${entry.type}; only regular files and folders are unpacked`);
      }
    } catch (error) {
      failure ??= error as Error;
      entry.resume();
    }
  });
  parser.on('ignoredEntry', (entry: ReadEntry) => {
    failure ??= new UnsafeArchiveError(`${JSON.stringify(entry.path)} is an entry of an unsupported type (${entry.type})`);
  });
  parser.on('warn', (_code: string, message: string) => {
    failure ??= new UnsafeArchiveError(`the archive is corrupt: ${message}`);
  });

  await new Promise<void>((resolveParse, rejectParse) => {
    parser.on('error', rejectParse);
    parser.on('end', () => resolveParse());
    const input = createReadStream(archivePath);
    input.on('error', rejectParse);
    input.pipe(parser);
  });
  await Promise.all(writes);
  if (failure) throw failure;
  checkWrittenFiles(written, pack);
}

function checkWrittenFiles(written: Map<string, { size: number; sha256: string }>, pack: InspectedPack): void {
  const expected = new Map(pack.files.map((file) => [file.path, file]));
  for (const [path, file] of written) {
    const wanted = expected.get(path);
    if (!wanted) throw new UnsafeArchiveError(`${JSON.stringify(path)} was not in the verified file list`);
    if (wanted.size !== file.size || wanted.sha256 !== file.sha256) {
      throw new UnsafeArchiveError(`${JSON.stringify(path)} differs from the verified file list`);
    }
  }
  for (const path of expected.keys()) {
    if (!written.has(path)) throw new UnsafeArchiveError(`${JSON.stringify(path)} is in the verified file list but was not unpacked`);
  }
}
