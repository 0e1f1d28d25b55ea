// The filesystem helper every filesystem driver uses for durable, atomic writes.
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isNotFound, moveDurably, renameDurably, writeAtomically } from '../../src/storage/fs.js';
import { temporaryFolder } from './temporary.js';

describe('the filesystem helper', () => {
  it('writes a file atomically, creating its folder, and leaves no temporary file', async () => {
    const folder = await temporaryFolder();
    const path = join(folder, 'deep', 'er', 'document.json');
    await writeAtomically(path, 'first');
    await writeAtomically(path, 'second');
    expect(await readFile(path, 'utf8')).toBe('second');
    expect(await readdir(join(folder, 'deep', 'er'))).toEqual(['document.json']);
  });

  it('moves a finished file in under its final name, creating the folder', async () => {
    const folder = await temporaryFolder();
    const finished = join(folder, 'staged');
    await writeFile(finished, 'bytes');
    await moveDurably(finished, join(folder, 'a', 'b', 'final'));
    expect(await readFile(join(folder, 'a', 'b', 'final'), 'utf8')).toBe('bytes');
    expect(await readdir(folder)).toEqual(['a']);
  });

  it('renames over an existing file', async () => {
    const folder = await temporaryFolder();
    await writeFile(join(folder, 'old'), 'old');
    await writeFile(join(folder, 'new'), 'new');
    await renameDurably(join(folder, 'new'), join(folder, 'old'));
    expect(await readFile(join(folder, 'old'), 'utf8')).toBe('new');
    expect(await readdir(folder)).toEqual(['old']);
  });

  it('tells a missing file from other failures', async () => {
    const folder = await temporaryFolder();
    expect(isNotFound(await readFile(join(folder, 'missing')).catch((error: unknown) => error))).toBe(true);
    expect(isNotFound(await readFile(folder).catch((error: unknown) => error))).toBe(false);
    await rm(folder, { recursive: true });
    expect(isNotFound(undefined)).toBe(false);
  });
});
