import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BILLION_LAUGHS_YAML, buildRawTarGz, minimalPackEntries, packFixture } from '../helpers/archives.js';
import { ADMIN, createTestApp, pushArchive, type TestApp } from '../helpers/app.js';
import { startRawUpload } from '../helpers/raw-upload.js';
import { walk } from '../helpers/storage.js';

let registry: TestApp;
beforeAll(async () => {
  registry = await createTestApp({ env: { REGISTRY_LIMITS_MAXUPLOADSIZE: String(2 * 1024 * 1024) } });
});

export const FUZZ_CASES = 120;

describe('hostile archives through the registry API', () => {
  it(`never answers 5xx for ${FUZZ_CASES} mutated archives (truncations, flipped bytes, random blocks), and stores only whole ones`, async () => {
    const original = await packFixture('hello-universe-pack');
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('truncate' as const), at: fc.integer({ min: 0, max: original.length - 1 }) }),
      fc.record({
        kind: fc.constant('flip' as const),
        at: fc.integer({ min: 0, max: original.length - 1 }),
        mask: fc.integer({ min: 1, max: 255 }),
      }),
      fc.record({
        kind: fc.constant('block' as const),
        at: fc.integer({ min: 0, max: original.length - 1 }),
        block: fc.uint8Array({ minLength: 1, maxLength: 512 }),
      }),
    );
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(mutation, async (change) => {
        let mutated: Buffer;
        if (change.kind === 'truncate') mutated = original.subarray(0, change.at);
        else if (change.kind === 'flip') {
          mutated = Buffer.from(original);
          mutated[change.at] = (mutated[change.at] ?? 0) ^ change.mask;
        } else mutated = Buffer.concat([original.subarray(0, change.at), Buffer.from(change.block), original.subarray(change.at)]);
        const response = await pushArchive(registry, mutated);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        // Some mutations leave a valid archive (a flipped gzip mtime byte, bytes after the gzip end):
        // the first is stored, the next are 409. Whatever is stored must be exactly what was sent.
        expect([201, 400, 409]).toContain(response.status);
        if (response.status === 400) expect(response.body.errors[0].code).toBe('PACK_INVALID');
        if (response.status === 201) {
          const stored = await registry.get('/v1/packs/hellouniverse/1.0.0/archive').auth(ADMIN.user, ADMIN.password).buffer(true);
          expect(Buffer.compare(stored.body as Buffer, mutated)).toBe(0);
        }
      }),
      { numRuns: FUZZ_CASES, seed: 20261123 },
    );
    expect(statuses.get(400)).toBeGreaterThan(FUZZ_CASES / 2);
    expect(await walk(join(registry.dir, 'storage', 'uploads'))).toEqual([]);
    await registry.get('/health').expect(200);
  });

  it.each([
    ['a pack name that is not valid', minimalPackEntries({ name: '../../etc' }), 'name'],
    ['a pack.json that is JSON but not an object', [{ path: 'pack.json', body: '[1,2,3]' }, { path: 'values.yaml', body: '' }], 'object'],
    ['deeply nested JSON in pack.json', [{ path: 'pack.json', body: '['.repeat(100_000) + ']'.repeat(100_000) }, { path: 'values.yaml', body: '' }], 'pack.json'],
    ['a billion-laughs values.yaml', [minimalPackEntries()[0]!, { path: 'values.yaml', body: BILLION_LAUGHS_YAML }], 'values.yaml'],
    ['a file name with control characters', [...minimalPackEntries(), { path: 'bad\u0007name', body: 'x' }], 'bad'],
    ['a file name that is not UTF-8', [...minimalPackEntries(), { path: 'x', rawPath: Buffer.from([0x66, 0xff, 0xfe, 0x6f]), body: 'x' }], 'UTF-8'],
  ])('refuses %s with 400 PACK_INVALID', async (_label, entries, mentioned) => {
    const response = await pushArchive(registry, await buildRawTarGz(entries)).expect(400);
    expect(response.body.errors[0].code).toBe('PACK_INVALID');
    expect(JSON.stringify(response.body.errors)).toContain(mentioned);
    await registry.get('/health').expect(200);
  });

  it('answers 413 as soon as limits.maxuploadsize is passed, without reading the rest of the body', async () => {
    const archive = randomBytes(64 * 1024 * 1024);
    // No Content-Length: the server can only notice the size while reading.
    const upload = startRawUpload(registry.url, { user: ADMIN.user, password: ADMIN.password, archive, chunked: true });
    let answered = false;
    void upload.response.then(() => {
      answered = true;
    });
    while (!answered && upload.sent() < archive.length) {
      await upload.send(256 * 1024);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const response = await upload.response;
    expect(response.status).toBe(413);
    expect((response.body as { errors: { code: string }[] }).errors[0]!.code).toBe('PACK_TOO_LARGE');
    // The limit is 2 MiB: the answer came long before the 64 MiB body was sent (about 4 MiB on an idle machine;
    // the client shares this process's event loop with the server, so a loaded machine lets it run further).
    expect(upload.sent()).toBeLessThan(32 * 1024 * 1024);
    upload.request.destroy();
    await registry.get('/health').expect(200);
  });
});
