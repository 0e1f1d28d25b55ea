import { readdir } from 'node:fs/promises';
import { isMetadataLeftover, isReindexLeftover, METADATA_FOLDER, storagePath, UPLOADS_FOLDER } from './layout.js';

/**
 * Keys (root-relative paths, see layout.ts) of what interrupted work left in a filesystem storage: staging
 * files in uploads/ (pushes that never finished) and the temporary files of interrupted metadata writes and
 * index rebuilds. Sorted within each folder, so a gc report reads the same on every run.
 */
export async function leftoverKeys(root: string): Promise<string[]> {
  const found: string[] = [];
  const list = async (folder: string) => (await readdir(storagePath(root, folder)).catch(() => [] as string[])).sort();
  for (const name of await list(UPLOADS_FOLDER)) found.push(`${UPLOADS_FOLDER}/${name}`);
  for (const pack of await list(METADATA_FOLDER)) {
    const folder = `${METADATA_FOLDER}/${pack}`;
    for (const name of await list(folder)) if (isMetadataLeftover(name)) found.push(`${folder}/${name}`);
  }
  for (const name of await list('.')) if (isReindexLeftover(name)) found.push(name);
  return found;
}
