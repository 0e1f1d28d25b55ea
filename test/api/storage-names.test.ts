// Names and versions the rules accept are exactly what storage can hold, and a committed change is never
// answered with 500. Before: a name with `..` and a version of 251+ characters passed the rules, but their
// metadata document could not be written — the index committed, the client got 500, the start-up backfill
// stopped at the first such version (so other versions' documents were never written), and `reindex` then
// lost them all, after which gc would have deleted their archives.
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { reindexCommand, type Output } from '../../src/cli/admin.js';
import { SqliteIndex } from '../../src/db/sqlite.js';
import { MAX_PACK_VERSION_LENGTH } from '../../src/packs/version.js';
import { indexPath } from '../../src/storage/layout.js';
import { FilesystemBlobStore } from '../../src/storage/blobs/filesystem.js';
import { FilesystemMetadataStore } from '../../src/storage/metadata/filesystem.js';
import { buildRawTarGz, minimalPackEntries } from '../helpers/archives.js';
import { ADMIN, READER, createTestApp, pushArchive, type TestApp } from '../helpers/app.js';
import { snapshotStorage } from '../helpers/storage.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const pack = (name: string, version: string) => buildRawTarGz(minimalPackEntries({ name, version }));
const read = (app: TestApp, path: string) => app.get(path).auth(READER.user, READER.password);

async function documents(app: TestApp): Promise<string[]> {
  const folder = join(app.dir, 'storage', 'metadata');
  if (!existsSync(folder)) return [];
  return (await readdir(folder, { recursive: true })).map(String).filter((path) => path.endsWith('.json')).sort();
}

function captured(): Output & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (line) => lines.push(line), err: (line) => lines.push(line) };
}

describe('names and versions at the edges of the rules', () => {
  it('stores a name with two dots in a row, and versions of the longest length, each with its document', async () => {
    const app = await createTestApp();
    const longest = `1.5-${'a'.repeat(MAX_PACK_VERSION_LENGTH - 4)}`;
    const longName = `b${'.-'.repeat(63)}c`;
    await pushArchive(app, await pack('a..b', '1.0.0')).expect(201);
    await pushArchive(app, await pack(longName, longest)).expect(201);
    expect(await documents(app)).toEqual([`${longName}/1.5.0-${'a'.repeat(MAX_PACK_VERSION_LENGTH - 4)}.json`, 'a..b/1.0.0.json'].sort());
    expect((await read(app, '/v1/packs/a..b/1.0.0').expect(200)).body.name).toBe('a..b');
    expect((await read(app, `/v1/packs/${longName}/${longest}`).expect(200)).body.version).toBe(longest);
  });

  it.each([
    ['a version one character too long', 'p', `1.0.0-${'a'.repeat(MAX_PACK_VERSION_LENGTH - 5)}`, 'at most 128 are allowed'],
    ['a version of 251 characters', 'p', `1.0.0-${'a'.repeat(245)}`, 'at most 128 are allowed'],
    ['a name one character too long', 'n'.repeat(129), '1.0.0', 'not a valid pack name'],
  ])('refuses %s with 400 PACK_INVALID and stores nothing', async (_what, name, version, message) => {
    const app = await createTestApp();
    await pushArchive(app, await pack('kept', '1.0.0')).expect(201);
    const before = await snapshotStorage(join(app.dir, 'storage'));
    const response = await pushArchive(app, await pack(name, version)).expect(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ code: 'PACK_INVALID', message: expect.stringContaining(message) })]);
    expect(await snapshotStorage(join(app.dir, 'storage'))).toEqual(before);
  });
});

describe('a metadata document that cannot be written after a commit', () => {
  it('leaves the answer a success; the next start writes the document', async () => {
    const app = await createTestApp();
    const sync = vi.spyOn(FilesystemMetadataStore.prototype, 'sync').mockRejectedValue(new Error('EIO: the disk failed'));
    const pushed = await pushArchive(app, await pack('flaky', '1.0.0')).expect(201);
    expect(pushed.body.version).toBe('1.0.0');
    await app.put('/v1/packs/flaky/tags/stable').auth(ADMIN.user, ADMIN.password).send({ reference: '1.0.0' }).expect(201);
    await pushArchive(app, await pack('flaky', '1.1.0')).expect(201);
    await app.del('/v1/packs/flaky/1.1.0').auth(ADMIN.user, ADMIN.password).expect(204);
    expect(sync).toHaveBeenCalled();
    expect(await documents(app)).toEqual([]);
    expect((await read(app, '/v1/packs/flaky/stable').expect(200)).body.version).toBe('1.0.0');

    sync.mockRestore();
    await app.stop();
    const restarted = await createTestApp({ dir: app.dir, writeUsers: false });
    await expect.poll(() => documents(restarted)).toEqual(['flaky/1.0.0.json']);
    const document = JSON.parse(await readFile(join(app.dir, 'storage', 'metadata', 'flaky', '1.0.0.json'), 'utf8'));
    expect(document.userTags).toEqual(['stable']);
  });
});

describe('a blob that cannot be removed after a committed delete', () => {
  it('leaves the answer 204: the version is gone, the blob waits for gc', async () => {
    const app = await createTestApp();
    const pushed = await pushArchive(app, await pack('sticky', '1.0.0')).expect(201);
    const remove = vi.spyOn(FilesystemBlobStore.prototype, 'delete').mockRejectedValue(new Error('EACCES: permission denied'));
    await app.del('/v1/packs/sticky/1.0.0').auth(ADMIN.user, ADMIN.password).expect(204);
    expect(remove).toHaveBeenCalledWith(pushed.body.archiveDigest);
    await read(app, '/v1/packs/sticky').expect(404);
    expect(await documents(app)).toEqual([]);
  });
});

describe('an index from an older release holding a version storage cannot name', () => {
  /** Two packs pushed; then a version of 251 characters added to the index as an older release accepted it. */
  async function legacyStorage(): Promise<{ app: TestApp; longVersion: string }> {
    const app = await createTestApp();
    await pushArchive(app, await pack('good', '1.0.0')).expect(201);
    await pushArchive(app, await pack('other', '2.0.0')).expect(201);
    await app.stop();
    const longVersion = `1.0.0-${'x'.repeat(245)}`;
    const db = new SqliteIndex(indexPath(join(app.dir, 'storage')));
    const { id: _id, ...good } = (await db.versionByString('good', '1.0.0'))!;
    await db.transaction('good', async (tx) => {
      const id = await tx.insertVersion({ ...good, version: longVersion, normalizedVersion: longVersion, files: good.files, manifest: good.manifest });
      await tx.setTag('good', longVersion, id, 'version');
    });
    await db.close();
    return { app, longVersion };
  }

  it('the start-up backfill skips it and still writes every other missing document', async () => {
    const { app, longVersion } = await legacyStorage();
    // other's document lost (a crash between a commit and its write): the backfill must still reach it.
    await rm(join(app.dir, 'storage', 'metadata', 'other'), { recursive: true });
    const restarted = await createTestApp({ dir: app.dir, writeUsers: false });
    await expect.poll(() => documents(restarted)).toEqual(['good/1.0.0.json', 'other/2.0.0.json']);
    // Still served as before: by its exact string, and the others are untouched.
    expect((await read(restarted, `/v1/packs/good/${longVersion}`).expect(200)).body.version).toBe(longVersion);
  });

  it('reindex lists it and keeps the current index, unless told to accept the loss', async () => {
    const { app, longVersion } = await legacyStorage();
    await rm(join(app.dir, 'storage', 'metadata', 'other'), { recursive: true });
    const refused = captured();
    expect(await reindexCommand(app.config, refused)).toBe(1);
    expect(refused.lines).toContain('wrote 1 missing metadata document from the current index first');
    expect(refused.lines.find((line) => line.startsWith('would lose good:'))).toContain(longVersion);
    expect(refused.lines.at(-1)).toMatch(/would lack 1 version the current index holds .* the current index is kept/);
    const kept = new SqliteIndex(indexPath(join(app.dir, 'storage')));
    expect(await kept.versionCount()).toBe(3);
    await kept.close();
    // The document the reindex wrote first is there: only the version storage cannot name is missing.
    expect(await documents(app)).toEqual(['good/1.0.0.json', 'other/2.0.0.json']);

    const accepted = captured();
    expect(await reindexCommand(app.config, accepted, { allowLoss: true })).toBe(0);
    expect(accepted.lines.find((line) => line.startsWith('lost good:'))).toContain(longVersion);
    expect(accepted.lines).toContain(`rebuilt ${indexPath(join(app.dir, 'storage'))} from 2 metadata documents: 2 packs, 2 versions, 0 user tags`);
  });
});
