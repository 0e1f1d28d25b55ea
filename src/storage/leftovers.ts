import { readdir } from 'node:fs/promises';
import { isMetadataLeftover, isReindexLeftover, METADATA_FOLDER, storagePath } from './layout.js';

/**
 * Keys (root-relative paths, see layout.ts) of what interrupted work left in a local storage folder: the
 * temporary files of interrupted metadata writes and index rebuilds. (Staging files of pushes that never
 * finished are the blob store's: BlobStore.listStaged.) Sorted within each folder, so a gc report reads the
 * same on every run.
 */
export async function leftoverKeys(root: string): Promise<string[]> {
  const found: string[] = [];
  const list = async (folder: string) => (await readdir(storagePath(root, folder)).catch(() => [] as string[])).sort();
  for (const pack of await list(METADATA_FOLDER)) {
    const folder = `${METADATA_FOLDER}/${pack}`;
    for (const name of await list(folder)) if (isMetadataLeftover(name)) found.push(`${folder}/${name}`);
  }
  for (const name of await list('.')) if (isReindexLeftover(name)) found.push(name);
  return found;
}
