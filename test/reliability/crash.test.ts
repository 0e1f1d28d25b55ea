// The real server process is killed with SIGKILL at named points of a push (a test-only hook,
// PACK_REGISTRY_TEST_KILL_AT), and once from outside while the body is still arriving. After a restart the
// pushed version is either complete or absent, no staging file is left, every index row has its blob, and a
// blob without a row is what `pack-registry gc` reports.
import { cp, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { packFixture } from '../helpers/archives.js';
import { ADMIN, READER, makeTempDir, writeHtpasswd } from '../helpers/registry.js';
import { runServerCommand, type RunningProcess } from '../helpers/process.js';
import { registryEnv, startRegistryProcess, type RegistryProcess } from '../helpers/server-process.js';
import { startRawUpload } from '../helpers/raw-upload.js';
import { blobFiles } from '../helpers/storage.js';

export const KILL_POINTS = ['receiving', 'received', 'validated', 'blob-stored', 'committed'] as const;

const running: RegistryProcess[] = [];
afterEach(async () => {
  for (const server of running.splice(0)) await server.process.shutDown();
});

async function serverIn(dir: string, env: Record<string, string> = {}): Promise<RegistryProcess & { server: RunningProcess }> {
  const started = await startRegistryProcess({ dir, env });
  running.push(started);
  return { ...started, server: started.process };
}

describe('a push killed at any point', () => {
  /** A stopped registry's folder (users, certificate, storage) holding an earlier, complete version. */
  let seeded: string;
  let kept: Buffer;
  beforeAll(async () => {
    seeded = await makeTempDir();
    await writeHtpasswd(join(seeded, 'htpasswd'), [ADMIN, READER]);
    const before = await serverIn(seeded);
    kept = await packFixture('hello-universe-pack');
    await request(before.url).post('/v1/packs').ca(before.ca).auth(ADMIN.user, ADMIN.password).attach('pack', kept, 'p.tar.gz').expect(201);
    expect(await before.server.stop('SIGTERM')).toBe(0);
  });

  it.each(KILL_POINTS)('leaves the complete version or no trace of it when killed at "%s"', async (point) => {
    // An earlier, complete version that must survive whatever happens next: a copy of the seeded folder, as
    // a server stopped cleanly left it (one server start and push for all the kill points, not one each).
    const dir = await makeTempDir();
    await cp(seeded, dir, { recursive: true });
    const archive = await packFixture('hello-universe-1.3.1');

    const first = await serverIn(dir, point === 'receiving' ? {} : { PACK_REGISTRY_TEST_KILL_AT: point });

    if (point === 'receiving') {
      const upload = startRawUpload(first.url, { ca: first.ca, user: ADMIN.user, password: ADMIN.password, archive });
      await upload.send(archive.length / 2);
      // Wait until the server has staged part of the body, then kill it.
      await expect.poll(async () => (await readdir(join(dir, 'storage', 'uploads'))).length).toBeGreaterThan(0);
      await first.server.stop('SIGKILL');
      upload.request.destroy();
    } else {
      const attempt = request(first.url).post('/v1/packs').ca(first.ca).auth(ADMIN.user, ADMIN.password).attach('pack', archive, 'p.tar.gz');
      await expect(attempt).rejects.toThrow();
      expect(await first.server.exited).toBeNull();
      expect(first.server.child.signalCode).toBe('SIGKILL');
    }

    const second = await serverIn(dir);
    const read = (path: string) => request(second.url).get(path).ca(second.ca).auth(READER.user, READER.password);

    // No staging file survives a restart.
    expect(await readdir(join(dir, 'storage', 'uploads'))).toEqual([]);
    // The earlier version is intact.
    expect(Buffer.compare((await read('/v1/packs/hellouniverse/1.0.0/archive').buffer(true).expect(200)).body as Buffer, kept)).toBe(0);
    // The interrupted version is whole, or absent everywhere.
    const version = await read('/v1/packs/hello-universe/1.3.1');
    if (point === 'committed') {
      expect(version.status).toBe(200);
      const stored = await read('/v1/packs/hello-universe/1.3.1/archive').buffer(true).expect(200);
      expect(Buffer.compare(stored.body as Buffer, archive)).toBe(0);
    } else {
      expect(version.status).toBe(404);
      expect((await read('/v1/_catalog').expect(200)).body.repositories).toEqual(['hellouniverse']);
      await read('/v1/packs/hello-universe/history').expect(404);
    }
    // Every version the index lists can be downloaded: no row points at a missing blob.
    for (const name of (await read('/v1/_catalog').expect(200)).body.repositories as string[]) {
      for (const { version: v } of (await read(`/v1/packs/${name}`).expect(200)).body.versions as { version: string }[]) {
        await read(`/v1/packs/${name}/${v}/archive`).expect(200);
      }
    }
    await second.server.stop('SIGTERM');

    // A blob written before the kill but never committed is an orphan, and gc finds it.
    const blobs = await blobFiles(join(dir, 'storage'));
    const expectedBlobs = point === 'committed' ? 2 : point === 'blob-stored' ? 2 : 1;
    expect(blobs).toHaveLength(expectedBlobs);
    const gc = await runServerCommand(['gc', '--dry-run', '--json'], { cwd: dir, env: registryEnv({ dir }) });
    expect(gc.code).toBe(0);
    const orphans = point === 'blob-stored' ? 1 : 0;
    const report = JSON.parse(gc.stdout) as Record<string, unknown>;
    expect(JSON.stringify(report).match(/[0-9a-f]{64}/g) ?? []).toHaveLength(orphans);
  });
});
