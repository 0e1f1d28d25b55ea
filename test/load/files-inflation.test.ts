// Reading a file out of a stored archive means inflating everything before it. A small file behind a large run
// of zeros is the worst case: small on the wire, expensive to reach. A reader must not be able to pay that
// cost again and again, nor many times at once.
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCallback, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TAR_END, minimalPackEntries, rawTarEntries, type RawEntry } from '../helpers/archives.js';
import { READER, createTestApp, pushArchive, type TestApp } from '../helpers/app.js';
import { tarPadding } from '../helpers/raw-tar.js';

const gzip = promisify(gzipCallback);
const MIB = 1024 * 1024;
const ZERO_BYTES = 128 * MIB;
const README = '# Behind the zeros\n\nThis file lies after 128 MiB of inflated zeros.\n';

/**
 * pack.json and values.yaml, then `zeros.bin` (ZERO_BYTES of zeros, a few hundred KB compressed: one
 * compressed 16 MiB block repeated as gzip members), then `after` — the files a reader asks for.
 */
async function zerosThenFiles(version: string, after: RawEntry[]): Promise<Buffer> {
  const chunkSize = 16 * MIB;
  const head = rawTarEntries([...minimalPackEntries({ name: 'zeros', version }), { path: 'zeros.bin', size: ZERO_BYTES }]);
  const zeroChunk = gzipSync(Buffer.alloc(chunkSize), { level: 9 });
  const members: Buffer[] = [await gzip(head)];
  for (let index = 0; index < ZERO_BYTES / chunkSize; index++) members.push(zeroChunk);
  members.push(await gzip(Buffer.concat([tarPadding(ZERO_BYTES), rawTarEntries(after), TAR_END])));
  return Buffer.concat(members);
}

async function pushZeros(registry: TestApp, version: string, after: RawEntry[]): Promise<void> {
  await pushArchive(registry, await zerosThenFiles(version, after)).expect(201);
}

const get = (registry: TestApp, path: string) => registry.get(path).auth(READER.user, READER.password).buffer(true);

afterEach(() => {
  vi.restoreAllMocks();
});

describe('reading a file that lies behind a large inflated stream', () => {
  it('inflates the archive once for a small file: later reads and HEAD come from the cache', async () => {
    const registry = await createTestApp();
    await pushZeros(registry, '1.0.0', [{ path: 'README.md', body: README }]);
    const openFile = vi.spyOn(registry.registry, 'openFile');

    const first = await get(registry, '/v1/packs/zeros/1.0.0/files/README.md').expect(200);
    expect(first.text).toBe(README);
    expect(openFile).toHaveBeenCalledTimes(1);

    for (let round = 0; round < 5; round++) {
      const again = await get(registry, '/v1/packs/zeros/1.0.0/files/README.md').expect(200);
      expect(again.text).toBe(README);
      expect(again.headers['content-length']).toBe(String(README.length));
      expect(again.headers['pack-version']).toBe('1.0.0');
    }
    await registry.head('/v1/packs/zeros/1.0.0/files/README.md').auth(READER.user, READER.password).expect(200);
    // By tag and by digest it is the same archive, so the same cached bytes.
    const { body: version } = await get(registry, '/v1/packs/zeros/1.0.0').expect(200);
    await get(registry, `/v1/packs/zeros/${version.digest as string}/files/README.md`).expect(200);
    expect(openFile).toHaveBeenCalledTimes(1);
  });

  it('collapses concurrent reads of the same small file into one inflation', async () => {
    const registry = await createTestApp();
    await pushZeros(registry, '1.0.0', [{ path: 'README.md', body: README }]);
    const openFile = vi.spyOn(registry.registry, 'openFile');
    const answers = await Promise.all(Array.from({ length: 6 }, () => get(registry, '/v1/packs/zeros/1.0.0/files/README.md')));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(new Set(answers.map((answer) => answer.text))).toEqual(new Set([README]));
    expect(openFile).toHaveBeenCalledTimes(1);
  });

  it('streams a large file (over 1 MiB) without caching it', async () => {
    const registry = await createTestApp();
    const body = randomBytes(2 * MIB);
    await pushZeros(registry, '1.0.0', [{ path: 'big.bin', body }]);
    const openFile = vi.spyOn(registry.registry, 'openFile');
    for (let round = 0; round < 2; round++) {
      const response = await get(registry, '/v1/packs/zeros/1.0.0/files/big.bin').expect(200);
      expect(Buffer.compare(response.body as Buffer, body)).toBe(0);
    }
    expect(openFile).toHaveBeenCalledTimes(2);
  });

  it(
    'lets limits.maxconcurrentfilereads reads search archives at once and refuses more with 503 TOO_MANY_FILE_READS and Retry-After',
    async () => {
      const registry = await createTestApp({ env: { REGISTRY_LIMITS_MAXCONCURRENTFILEREADS: '1' } });
      await pushZeros(registry, '1.0.0', [{ path: 'README.md', body: README }, { path: 'NOTES.txt', body: 'notes\n' }]);
      // One small file read already, so it is cached.
      await get(registry, '/v1/packs/zeros/1.0.0/files/NOTES.txt').expect(200);

      // Hold the next search at its start until the test lets it go on.
      let letGo!: () => void;
      const gate = new Promise<void>((resolve) => (letGo = resolve));
      const original = registry.registry.openFile.bind(registry.registry);
      const openFile = vi.spyOn(registry.registry, 'openFile').mockImplementation(async (...args) => {
        await gate;
        return original(...args);
      });
      const searching = get(registry, '/v1/packs/zeros/1.0.0/files/README.md').then((response) => response);
      await expect.poll(() => openFile.mock.calls.length).toBe(1);

      const refused = await get(registry, '/v1/packs/zeros/1.0.0/files/values.yaml').expect(503);
      expect(refused.headers['retry-after']).toBe('2');
      expect(refused.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(refused.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
      expect(refused.body.errors[0].code).toBe('TOO_MANY_FILE_READS');
      // A second read of the file being searched joins that search instead of being refused.
      const joining = get(registry, '/v1/packs/zeros/1.0.0/files/README.md').then((response) => response);
      // What needs no search is still served: cached files, HEAD, the archive.
      await get(registry, '/v1/packs/zeros/1.0.0/files/NOTES.txt').expect(200);
      await registry.head('/v1/packs/zeros/1.0.0/files/values.yaml').auth(READER.user, READER.password).expect(200);
      await get(registry, '/v1/packs/zeros/1.0.0/archive').expect(200);

      letGo();
      expect((await searching).status).toBe(200);
      expect((await joining).text).toBe(README);
      expect(openFile).toHaveBeenCalledTimes(1);
      // The place is free again.
      await get(registry, '/v1/packs/zeros/1.0.0/files/values.yaml').expect(200);
    },
  );
});
