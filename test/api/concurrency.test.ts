import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { packVariant } from '../helpers/archives.js';
import { ADMIN, READER, createTestApp, pushArchive, type TestApp } from '../helpers/app.js';
import { startRawUpload } from '../helpers/raw-upload.js';

let registry: TestApp;
beforeAll(async () => {
  // Room for every racing upload at once: the concurrent-upload limit is tested elsewhere.
  registry = await createTestApp({ env: { REGISTRY_LIMITS_MAXCONCURRENTUPLOADS: '32' } });
});

const sha = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const download = (path: string) => registry.get(path).auth(READER.user, READER.password).buffer(true);

describe('concurrent pushes', () => {
  it('lets exactly one of 12 simultaneous pushes of a new version win; the others get 409 and the stored archive is the winner’s, whole', async () => {
    const archives = await Promise.all(Array.from({ length: 12 }, (_, index) => packVariant('race', '1.0.0', `racer: ${index}\n`)));
    const responses = await Promise.all(archives.map((archive) => pushArchive(registry, archive)));
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([201, ...Array(11).fill(409)]);
    for (const response of responses.filter((r) => r.status === 409)) expect(response.body.errors[0].code).toBe('PACK_EXISTS');
    const winner = responses.find((response) => response.status === 201)!;
    const stored = await download('/v1/packs/race/1.0.0/archive').expect(200);
    expect(sha(stored.body as Buffer)).toBe(winner.body.archiveDigest);
    expect(archives.some((archive) => Buffer.compare(archive, stored.body as Buffer) === 0)).toBe(true);
  });

  it('lands every one of 10 distinct versions pushed at once, with correct parent tags', async () => {
    const versions = ['1.0.0', '1.0.1', '1.1.0', '1.1.7', '1.2.0-rc.1', '2.0.0', '2.0.3', '2.1.0', '0.9.0', '1.1.10'];
    const archives = await Promise.all(versions.map((version) => packVariant('parallel', version, `v: "${version}"\n`)));
    const responses = await Promise.all(archives.map((archive) => pushArchive(registry, archive)));
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(201));
    const pack = (await registry.get('/v1/packs/parallel').auth(READER.user, READER.password).expect(200)).body;
    expect(pack.versions).toHaveLength(10);
    const parents = Object.fromEntries(
      (pack.tags as { tag: string; version: string; auto: boolean }[]).filter((t) => t.auto).map((t) => [t.tag, t.version]),
    );
    expect(parents).toEqual({
      '0.x': '0.9.0',
      '0.9.x': '0.9.0',
      '1.x': '1.1.10',
      '1.0.x': '1.0.1',
      '1.1.x': '1.1.10',
      '1.2.x': '1.2.0-rc.1',
      '2.x': '2.1.0',
      '2.0.x': '2.0.3',
      '2.1.x': '2.1.0',
    });
  });

  it('gives a pull running during force-pushes the old or the new archive whole, never a mix', async () => {
    const first = await packVariant('flip', '1.0.0', 'side: a\n');
    const second = await packVariant('flip', '1.0.0', 'side: b\n');
    await pushArchive(registry, first).expect(201);
    const known = new Set([sha(first), sha(second)]);
    const pulls: Promise<void>[] = [];
    const checkPull = async () => {
      const response = await download('/v1/packs/flip/1.0.0/archive');
      expect(response.status).toBe(200);
      const digest = sha(response.body as Buffer);
      expect(known.has(digest)).toBe(true);
      expect(response.headers.etag).toBe(`"${digest}"`);
    };
    for (let round = 0; round < 6; round++) {
      const archive = round % 2 === 0 ? second : first;
      for (let index = 0; index < 5; index++) pulls.push(checkPull());
      const push = pushArchive(registry, archive, { force: 'true', message: `round ${round}` });
      for (let index = 0; index < 5; index++) pulls.push(checkPull());
      expect((await push).status).toBe(201);
    }
    await Promise.all(pulls);
  });

  it('keeps answering reads while a long upload is in progress', async () => {
    const archive = await packVariant('slow', '1.0.0', 'slow: true\n');
    const upload = startRawUpload(registry.url, { user: ADMIN.user, password: ADMIN.password, archive });
    await upload.send(archive.length / 2);
    // The upload cannot finish: half its body has not been sent. Reads must still be answered meanwhile.
    for (let index = 0; index < 5; index++) {
      await registry.get('/v1/_catalog').auth(READER.user, READER.password).expect(200);
      await download('/v1/packs/race/1.0.0/archive').expect(200);
    }
    await upload.finish();
    expect((await upload.response).status).toBe(201);
  });
});
