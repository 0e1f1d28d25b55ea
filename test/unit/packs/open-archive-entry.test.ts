import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { ArchiveEntryTooLargeError, openArchiveEntry } from '../../../src/packs/archive.js';
import { buildRawTarGz, countingReadable, fixtureFiles, minimalPackEntries, packFixture, sha256Hex } from '../../helpers/archives.js';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('openArchiveEntry', () => {
  const folder = 'kubevious-1.0.10';

  it('streams the bytes of values.yaml', async () => {
    const stream = await openArchiveEntry(Readable.from([await packFixture(folder)]), `${folder}/values.yaml`);
    expect(stream).not.toBeNull();
    expect(await readAll(stream as Readable)).toEqual((await fixtureFiles(folder)).get('values.yaml'));
  });

  it('streams the bytes of a chart archive', async () => {
    const chart = 'charts/kubevious-1.0.10.tgz';
    const stream = await openArchiveEntry(Readable.from([await packFixture(folder)]), `${folder}/${chart}`);
    const bytes = await readAll(stream as Readable);
    expect(sha256Hex(bytes)).toBe(sha256Hex((await fixtureFiles(folder)).get(chart) ?? Buffer.alloc(0)));
  });

  it('finds a file at the archive root, however the path is spelled', async () => {
    const archive = await packFixture(folder, { topDir: null });
    for (const path of ['values.yaml', './values.yaml']) {
      const stream = await openArchiveEntry(Readable.from([archive]), path);
      expect((await readAll(stream as Readable)).length).toBeGreaterThan(0);
    }
  });

  it('answers null for a path the archive does not hold', async () => {
    expect(await openArchiveEntry(Readable.from([await packFixture(folder)]), `${folder}/nope.txt`)).toBeNull();
  });

  it('answers null for a directory', async () => {
    const archive = await buildRawTarGz([{ path: 'charts/', type: 'dir' }, ...minimalPackEntries()]);
    expect(await openArchiveEntry(Readable.from([archive]), 'charts')).toBeNull();
  });

  it('stops reading the archive once the entry has been read', async () => {
    const archive = await buildRawTarGz([...minimalPackEntries(), { path: 'big.bin', body: randomBytes(4 * 1024 * 1024) }]);
    const { stream: input, bytesRead } = countingReadable(archive, 16 * 1024);
    const stream = await openArchiveEntry(input, 'values.yaml');
    expect((await readAll(stream as Readable)).toString()).toContain('namespace');
    await vi.waitFor(() => expect(input.destroyed).toBe(true));
    expect(bytesRead()).toBeLessThan(archive.length / 2);
  });

  it('delivers a large entry intact to a slow reader', async () => {
    const body = randomBytes(3 * 1024 * 1024);
    const archive = await buildRawTarGz([{ path: 'big.bin', body }, ...minimalPackEntries()]);
    const stream = await openArchiveEntry(Readable.from([archive]), 'big.bin');
    const chunks: Buffer[] = [];
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        setImmediate(done);
      },
    });
    await pipeline(stream as Readable, slow);
    expect(sha256Hex(Buffer.concat(chunks))).toBe(sha256Hex(body));
  });

  it('stops reading when the consumer destroys the stream', async () => {
    const archive = await buildRawTarGz([{ path: 'big.bin', body: randomBytes(4 * 1024 * 1024) }, ...minimalPackEntries()]);
    const { stream: input, bytesRead } = countingReadable(archive, 16 * 1024);
    const stream = (await openArchiveEntry(input, 'big.bin')) as Readable;
    stream.destroy();
    await vi.waitFor(() => expect(input.destroyed).toBe(true));
    expect(bytesRead()).toBeLessThan(archive.length / 2);
  });

  it('refuses an entry larger than maxBytes', async () => {
    const archive = await packFixture(folder);
    await expect(openArchiveEntry(Readable.from([archive]), `${folder}/values.yaml`, 100)).rejects.toBeInstanceOf(ArchiveEntryTooLargeError);
  });

  it('rejects with the input stream\'s own error', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('disk on fire'));
      },
    });
    await expect(openArchiveEntry(failing, 'values.yaml')).rejects.toThrow('disk on fire');
  });

  it('rejects a corrupt archive', async () => {
    await expect(openArchiveEntry(Readable.from([Buffer.from('not an archive')]), 'values.yaml')).rejects.toThrow(/gzip/);
  });

  it('fails the stream when the archive is truncated inside the entry', async () => {
    const archive = await buildRawTarGz([{ path: 'big.bin', body: randomBytes(2 * 1024 * 1024) }]);
    const { gunzipSync, gzipSync } = await import('node:zlib');
    const tar = gunzipSync(archive);
    const truncated = gzipSync(tar.subarray(0, 1024 * 1024));
    const stream = await openArchiveEntry(Readable.from([truncated]), 'big.bin');
    await expect(readAll(stream as Readable)).rejects.toThrow(/Truncated/);
  });
});
