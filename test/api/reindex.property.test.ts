// Anything a push accepts survives a reindex unchanged: the storage (blobs and metadata documents) holds every
// accepted version, under any name and version the rules accept — near the length limits, with dots, dashes,
// plus signs, pre-releases, build metadata and loose versions such as `1.5`, `23.07.1` or `0.30.0-5.5.2026`.
// A push answers 201, or refuses with a 4xx and keeps nothing; never a 500.
import fc from 'fast-check';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../src/api/errors.js';
import { SqliteIndex } from '../../src/db/sqlite.js';
import { isValidGroup, isValidPackName } from '../../src/packs/names.js';
import { normalizePackVersion } from '../../src/packs/version.js';
import { RegistryError } from '../../src/registry/errors.js';
import { reindexChecked } from '../../src/registry/maintenance.js';
import { Registry } from '../../src/registry/registry.js';
import { FilesystemBlobStore } from '../../src/storage/blobs/filesystem.js';
import { indexPath } from '../../src/storage/layout.js';
import { FilesystemMetadataStore } from '../../src/storage/metadata/filesystem.js';
import { buildRawTarGz, minimalPackEntries } from '../helpers/archives.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { groupArbitrary, packNameArbitrary, packVersionArbitrary } from '../helpers/name-arbitraries.js';

let app: TestApp;
let root: string;
beforeAll(async () => {
  app = await createTestApp();
  root = join(app.dir, 'storage');
});

/** Push through the registry itself (the HTTP layer adds nothing here): the status the API would answer. */
async function push(archive: Buffer): Promise<{ status: number; code?: string }> {
  const upload = await app.registry.receiveUpload(Readable.from([archive]), 1024 * 1024);
  try {
    await app.registry.push(upload, { user: 'admin' });
    return { status: 201 };
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    return { status: ERROR_CATALOGUE[error.code].status, code: error.code };
  }
}

/** What the API serves of every pack and version, but a pack's updatedAt (a reindex sets it to the newest push). */
async function served(registry: Registry): Promise<Record<string, unknown>> {
  const view: Record<string, unknown> = {};
  for (const name of (await registry.catalog({ limit: 1000, last: '' })).items) {
    const { updatedAt: _updatedAt, ...pack } = await registry.getPack(name);
    view[name] = pack;
    for (const { version } of pack.versions) view[`${name}:${version}`] = await registry.getVersion(name, version);
  }
  return view;
}

describe('reindex', () => {
  it('restores every version a push accepted, whatever its name and version, exactly as the live index serves it', async () => {
    const accepted = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ name: packNameArbitrary, version: packVersionArbitrary, group: groupArbitrary }), { minLength: 1, maxLength: 3 }),
        async (packs) => {
          for (const { name, version, group } of packs) {
            const archive = await buildRawTarGz(minimalPackEntries({ name, version, ...(group === undefined ? {} : { group }) }));
            const outcome = await push(archive);
            const valid = isValidPackName(name) && normalizePackVersion(version) !== null && (group === undefined || isValidGroup(group));
            const key = `${name}\0${normalizePackVersion(version)}`;
            if (valid && !accepted.has(key)) {
              expect(outcome, `${name}:${version}`).toEqual({ status: 201 });
              accepted.add(key);
            } else {
              expect(outcome, `${name}:${version}`).toEqual({ status: valid ? 409 : 400, code: valid ? 'PACK_EXISTS' : 'PACK_INVALID' });
            }
          }
          const current = new SqliteIndex(indexPath(root));
          const rebuilt = new SqliteIndex(':memory:');
          try {
            const storage = { blobs: await FilesystemBlobStore.open(root), metadata: new FilesystemMetadataStore(root) };
            const report = await reindexChecked(rebuilt, storage, current);
            expect(report).toMatchObject({ skipped: [], lost: [], backfill: { written: 0, skipped: [] }, versions: accepted.size });
            const restored = new Registry({ db: rebuilt, blobs: storage.blobs, limits: { maxEntries: 1, maxUnpackedSize: 1 } });
            expect(await served(restored)).toEqual(await served(app.registry));
          } finally {
            await rebuilt.close();
            await current.close();
          }
        },
      ),
      // A fixed seed: the check below, that the run pushed enough valid versions to mean something, must not
      // depend on the draw (most generated names and versions sit on the refused side of a limit).
      { numRuns: 25, seed: 20261129 },
    );
    expect(accepted.size).toBeGreaterThan(10);
  });
});
