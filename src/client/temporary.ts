// Temporary folders (the packed archive of a push, the download and staging folder of a pull) are
// removed when a command ends, and also when it is interrupted: Ctrl-C must not leave them behind.
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';

const live = new Set<string>();

/** Runs `work` with a new folder `<prefix>XXXXXX` that is removed afterwards, whatever happens. */
export async function withTemporaryFolder<T>(prefix: string, work: (folder: string) => Promise<T>): Promise<T> {
  const folder = await mkdtemp(prefix);
  live.add(folder);
  try {
    return await work(folder);
  } finally {
    live.delete(folder);
    await rm(folder, { recursive: true, force: true });
  }
}

/** For a signal handler: removes what is left, synchronously, since the process is about to exit. */
export function removeTemporaryFoldersNow(): void {
  for (const folder of live) rmSync(folder, { recursive: true, force: true });
  live.clear();
}
