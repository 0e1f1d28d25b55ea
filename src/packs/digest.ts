// The content digest names a pack by its files, not by the bytes of one particular archive, so that
// re-tarring the same files (another tool, another order, other mtimes, with or without a top folder)
// gives the same digest, and a force-push of unchanged content can be recognised.
import { createHash } from 'node:crypto';
import type { PackFile } from './types.js';

const CONTENT_DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

/**
 * Byte order of the UTF-8 paths. Plain `<` on JS strings compares UTF-16 code units, which disagrees with
 * UTF-8 byte order for characters above U+FFFF; every implementation of the digest (another language in
 * a client, say) can reproduce byte order, so that is the one used for the digest and for file lists.
 */
export function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function sortFilesByPath<T extends { path: string }>(files: readonly T[]): T[] {
  return [...files].sort((a, b) => comparePaths(a.path, b.path));
}

/**
 * `sha256:` + SHA-256 over one line `<path>\0<size>\0<sha256 of file>\n` per regular file, in path byte
 * order. The NUL separators cannot occur in paths or numbers, and the archive walk refuses control
 * characters in paths, so each line, and so the digest, is unambiguous.
 */
export function computeContentDigest(files: readonly PackFile[]): string {
  const hash = createHash('sha256');
  for (const file of sortFilesByPath(files)) {
    hash.update(`${file.path}\0${file.size}\0${file.sha256}\n`, 'utf8');
  }
  return `sha256:${hash.digest('hex')}`;
}

/** `sha256:` followed by 64 lower-case hex digits — what computeContentDigest produces. */
export function isContentDigest(value: string): boolean {
  return CONTENT_DIGEST_PATTERN.test(value);
}
