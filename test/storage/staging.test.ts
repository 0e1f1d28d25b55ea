// Staging an upload with a second reader of the same bytes (a push inspects the archive while receiving it).
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { folderStaging, stageUpload, UploadTooLargeError } from '../../src/storage/staging.js';
import { temporaryFolder } from './temporary.js';

const MB = 1024 * 1024;

/** `total` random bytes in 64 KiB chunks, like a socket delivers them. */
function chunked(bytes: Buffer, chunk = 64 * 1024): Readable {
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunk) parts.push(bytes.subarray(at, at + chunk));
  return Readable.from(parts);
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('stageUpload with a reader', () => {
  it('gives the reader exactly the bytes it stages, and returns its answer', async () => {
    const dir = await temporaryFolder();
    const bytes = randomBytes(6 * MB + 123);
    const staged = await stageUpload(chunked(bytes), folderStaging(dir), 10 * MB, async (copy) => sha256(await buffer(copy)));
    expect(staged.read).toBe(sha256(bytes));
    expect(staged.digest).toBe(sha256(bytes));
    expect(staged.size).toBe(bytes.length);
    expect((await readFile(staged.path)).equals(bytes)).toBe(true);
  });

  it('goes on staging after a reader that has seen enough and stopped reading', async () => {
    const dir = await temporaryFolder();
    const bytes = randomBytes(8 * MB);
    const staged = await stageUpload(chunked(bytes), folderStaging(dir), 10 * MB, (copy) =>
      // Reads one chunk, then never again (as the archive inspection does when it finds a problem early).
      new Promise<number>((resolve) => copy.once('data', (chunk: Buffer) => resolve(chunk.length))),
    );
    expect(staged.read).toBe(64 * 1024);
    expect((await readFile(staged.path)).equals(bytes)).toBe(true);
  });

  it('removes the staging file and settles when the upload passes the limit, whatever the reader does', async () => {
    const dir = await temporaryFolder();
    let readerError: unknown;
    const upload = stageUpload(chunked(randomBytes(3 * MB)), folderStaging(dir), 2 * MB, async (copy) => {
      try {
        return (await buffer(copy)).length;
      } catch (error) {
        readerError = error;
        throw error;
      }
    });
    await expect(upload).rejects.toBeInstanceOf(UploadTooLargeError);
    expect(await readdir(dir)).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(readerError).toBeInstanceOf(UploadTooLargeError);
  });

  it('fails, and removes the staging file, when the reader fails', async () => {
    const dir = await temporaryFolder();
    const upload = stageUpload(chunked(randomBytes(MB)), folderStaging(dir), 2 * MB, async (copy) => {
      await buffer(copy);
      throw new Error('reader broke');
    });
    await expect(upload).rejects.toThrow('reader broke');
    expect(await readdir(dir)).toEqual([]);
  });

  it('stages without a reader, and then reports no answer', async () => {
    const dir = await temporaryFolder();
    const bytes = randomBytes(100_000);
    const staged = await stageUpload(chunked(bytes), folderStaging(dir), MB);
    expect(staged).not.toHaveProperty('read');
    expect(staged.digest).toBe(sha256(bytes));
  });
});
