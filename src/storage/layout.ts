// The one owner of the storage tree: every path (or, for a bucket, key) under the storage root is built here,
// so the layout can be read in one place and changed in one place. Keys are relative to the root and use `/`
// whatever the platform, as an object store's keys do; `storagePath` turns one into a filesystem path.
//
//   <root>/
//     registry.lock                     StorageLock (lock.ts): held by a server, a reindex or a gc while it runs
//     index.db  (-wal, -shm)            the SQLite index (db/): a cache of what follows, rebuilt from it by reindex
//     index.db.reindex-<pid>            an index being rebuilt; renamed over index.db when it is whole
//     tokens.json                       access tokens (auth/tokens.ts): names, scopes, keyed hashes — never in
//                                       index.db, which reindex rebuilds; gc and reindex leave it alone
//     tokens.key                        the server key the token hashes are made with (0600, created once)
//     uploads/<uuid>.tar.gz             uploads being received (staging.ts); they become blobs by a rename
//     uploads/.health-<pid>             the probe /health writes and removes (FilesystemBlobStore.check)
//     blobs/sha256/<xx>/<hex>           archives, named by the SHA-256 of their bytes; <xx> = the first two hex
//                                       digits, so no folder holds more than 1/256 of the blobs
//     metadata/<pack>/<version>.json    one document per pack version (registry/metadata.ts), keyed by the
//                                       normalised version: with the blobs, everything the index is built from
//     metadata/<pack>/.<random>.tmp     a document being written (fs.ts writeAtomically)
//
// With `storage: s3` the same keys name objects under `storage.s3.rootdirectory` in the bucket: blobs/,
// metadata/ and uploads/ (a staging object, or an incomplete multipart upload, becomes a blob by a server-side
// copy; the health probe is an object too; no .tmp documents, a PutObject replaces a document whole). The
// index, the tokens and the lock stay in a local folder, `storage.s3.localdirectory`, under these same names.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { digestHex } from './blobs/store.js';
import { isTemporaryFileName } from './fs.js';

export const LOCK_FILE = 'registry.lock';
export const INDEX_FILE = 'index.db';
const REINDEX_PREFIX = `${INDEX_FILE}.reindex-`;
export const UPLOADS_FOLDER = 'uploads';
export const TOKENS_FILE = 'tokens.json';
export const TOKEN_KEY_FILE = 'tokens.key';
export const BLOBS_FOLDER = 'blobs/sha256';
export const METADATA_FOLDER = 'metadata';
const METADATA_SUFFIX = '.json';

/** The filesystem path of a key under a storage root. */
export function storagePath(root: string, key: string): string {
  return join(root, key);
}

export function lockPath(root: string): string {
  return storagePath(root, LOCK_FILE);
}

export function indexPath(root: string): string {
  return storagePath(root, INDEX_FILE);
}

/** The access tokens and the key their hashes are made with (see auth/tokens.ts). */
export function tokenPaths(root: string): { tokens: string; key: string } {
  return { tokens: storagePath(root, TOKENS_FILE), key: storagePath(root, TOKEN_KEY_FILE) };
}

/** Where `reindex` builds the new index before renaming it over the old one. */
export function reindexPath(root: string, pid: number = process.pid): string {
  return storagePath(root, `${REINDEX_PREFIX}${pid}`);
}

/** An index a reindex was building when it was interrupted: gc removes it. */
export function isReindexLeftover(name: string): boolean {
  return name.startsWith(REINDEX_PREFIX);
}

/** A new, unique name for an upload's staging file in the uploads folder. */
export function stagedUploadName(): string {
  return `${randomUUID()}.tar.gz`;
}

/** The file /health writes and removes in the uploads folder to learn that the storage takes writes. */
export function healthProbeName(pid: number = process.pid): string {
  return `.health-${pid}`;
}

/** `blobs/sha256/<xx>/<hex>`; refuses anything but a sha256 digest, so a digest can never become a path trick. */
export function blobKey(digest: string): string {
  const hex = digestHex(digest);
  return `${BLOBS_FOLDER}/${hex.slice(0, 2)}/${hex}`;
}

/** The digest a file name in a blob folder stands for, or undefined for anything else found there. */
export function digestOfBlobName(name: string): string | undefined {
  return /^[0-9a-f]{64}$/.test(name) ? `sha256:${name}` : undefined;
}

/** The longest file name ext4, xfs, btrfs, APFS and NTFS take (bytes), and a safe ceiling for a key segment. */
const MAX_FILE_NAME_BYTES = 255;

/** The longest pack name or version key a metadata document can be stored under: `<key>.json` must be a file name. */
export const MAX_METADATA_SEGMENT_LENGTH = MAX_FILE_NAME_BYTES - METADATA_SUFFIX.length;

/**
 * ASCII letters and digits first (so never `.` or `..`), then those and `.`, `_`, `+`, `-`; no `/`. `a..b` is
 * an ordinary file name: only a whole segment `..` leaves a folder.
 */
const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/**
 * Whether a pack name or version key can name a metadata document: a file name of its own, inside its folder.
 * Every pack name and normalised version the pack rules accept passes (packs/names.ts, packs/version.ts;
 * test/unit/storable-names.property.test.ts proves it), and the registry checks it before it commits a push,
 * so a version is never in the index without a place for its document.
 */
export function isStorableSegment(value: string): boolean {
  return value.length <= MAX_METADATA_SEGMENT_LENGTH && SAFE_SEGMENT.test(value);
}

/** Whether the document of `pack` at version key `key` can be stored (see isStorableSegment). */
export function isStorableMetadataKey(pack: string, key: string): boolean {
  return isStorableSegment(pack) && isStorableSegment(key);
}

function assertSegment(value: string): string {
  if (!isStorableSegment(value)) throw new Error(`not usable in a metadata path: ${value}`);
  return value;
}

/** `metadata/<pack>`: the folder of one pack's documents. */
export function metadataPackKey(pack: string): string {
  return `${METADATA_FOLDER}/${assertSegment(pack)}`;
}

/** `metadata/<pack>/<version>.json`; refuses a pack or version that could make the path leave its folder. */
export function metadataKey(pack: string, version: string): string {
  return `${metadataPackKey(pack)}/${assertSegment(version)}${METADATA_SUFFIX}`;
}

/**
 * The key of a document as a store listed it. Listed names were read from the tree (a folder listing holds
 * no separator and no `..`), so they are not checked again: an odd name must be reported, not thrown on.
 */
export function listedMetadataKey(listed: { pack: string; key: string }): string {
  return `${METADATA_FOLDER}/${listed.pack}/${listed.key}${METADATA_SUFFIX}`;
}

/** The version key a file name in a pack's metadata folder stands for, or undefined for anything else. */
export function versionOfMetadataName(name: string): string | undefined {
  return name.endsWith(METADATA_SUFFIX) && !name.startsWith('.') ? name.slice(0, -METADATA_SUFFIX.length) : undefined;
}

/** A document write that never finished (see writeAtomically): gc removes it. */
export function isMetadataLeftover(name: string): boolean {
  return isTemporaryFileName(name);
}
