// Reading a pack folder from disk into the same shape the sample builder produces.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Every regular file under `root`, by path relative to it, sorted by UTF-8 bytes (inspectArchive's order). */
export async function readPackFolder(root: string): Promise<Map<string, Buffer>> {
  const paths: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    for (const entry of await readdir(join(root, relative), { withFileTypes: true })) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) paths.push(path);
    }
  };
  await walk('');
  paths.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const files = new Map<string, Buffer>();
  for (const path of paths) files.set(path, await readFile(join(root, path)));
  return files;
}
