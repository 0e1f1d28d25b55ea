// Storage written before metadata documents existed (or a crash between a commit and its document):
// the server writes the missing documents itself, after it has started listening.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packFixture } from '../helpers/archives.js';
import { ADMIN, createTestApp, pushArchive } from '../helpers/app.js';

describe('missing metadata documents', () => {
  it('are written again in the background after a start, while the server already answers', async () => {
    const first = await createTestApp();
    await pushArchive(first, await packFixture('hello-universe-1.3.1')).expect(201);
    await pushArchive(first, await packFixture('antrea-1.9.0')).expect(201);
    await first.stop();
    const metadataDir = join(first.dir, 'storage', 'metadata');
    await rm(metadataDir, { recursive: true, force: true });

    const second = await createTestApp({ dir: first.dir, writeUsers: false });
    await second.get('/v1/_catalog').auth(ADMIN.user, ADMIN.password).expect(200);
    await expect
      .poll(async () => (await readdir(metadataDir, { recursive: true }).catch(() => [])).filter((f) => String(f).endsWith('.json')).sort())
      .toEqual(['antrea/1.9.0.json', 'hello-universe/1.3.1.json']);
  });
});
