// The one home of the filesystem's durability rules: how a name comes to point at bytes so that a crash
// leaves either the old state or the new one, never a name without its bytes.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Whether an error says the file or folder does not exist. */
export function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** fsync a folder, so that a rename (or a new name) inside it survives a crash. */
export async function syncFolder(folder: string): Promise<void> {
  await syncPath(folder);
}

/** fsync a file's bytes. */
export async function syncFile(path: string): Promise<void> {
  await syncPath(path);
}

async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Rename, then fsync the target's folder so that the new name survives a crash. */
export async function renameDurably(from: string, to: string): Promise<void> {
  await rename(from, to);
  await syncFolder(dirname(to));
}

/**
 * Move a finished file in under its final name, creating the folder when needed. The file is fsynced before
 * the rename: after a crash the name must never point at bytes that did not reach the disk.
 */
export async function moveDurably(finishedFile: string, target: string): Promise<void> {
  await syncFile(finishedFile);
  await mkdir(dirname(target), { recursive: true });
  await renameDurably(finishedFile, target);
}

/**
 * Write to a temporary file beside the target (`.<random>.tmp`, see layout.ts), fsync it, rename it over the
 * target, fsync the folder: a reader sees the old text or the new, whole. `mode` applies to a new file (the
 * process umask may remove bits, never add them).
 */
export async function writeAtomically(path: string, text: string, mode = 0o644): Promise<void> {
  const folder = dirname(path);
  const temporary = join(folder, temporaryFileName());
  let handle;
  try {
    await mkdir(folder, { recursive: true });
    handle = await open(temporary, 'wx', mode);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    // The folder was emptied and removed between mkdir and open (the last other version went): once more.
    await mkdir(folder, { recursive: true });
    handle = await open(temporary, 'wx', mode);
  }
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await syncFolder(folder);
}

/** The name writeAtomically gives its temporary file; gc recognises leftovers by it (isTemporaryFileName). */
function temporaryFileName(): string {
  return `.${randomBytes(6).toString('hex')}.tmp`;
}

/** Whether a file name is one writeAtomically left behind (a crash between open and rename). */
export function isTemporaryFileName(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}
