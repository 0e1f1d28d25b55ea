// The real server on `storage: s3` killed with SIGKILL mid-push (the test-only hook PACK_REGISTRY_TEST_KILL_AT):
// after a restart the version is absent, and what the push had sent to the bucket is either removed by the
// start (a staging object) or found by `pack-registry gc` (a copied blob without an index row).
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { openBucket } from '../../src/storage/s3/client.js';
import { buildRawTarGz, minimalPackEntries } from '../helpers/archives.js';
import { whenDone } from '../helpers/cleanup.js';
import { createBucket, MOTO_CREDENTIALS, s3SettingsFor, startMoto } from '../helpers/moto.js';
import { runServerCommand } from '../helpers/process.js';
import { available, motoServer } from '../helpers/real-components.js';
import { ADMIN, makeTempDir, writeHtpasswd } from '../helpers/registry.js';
import { registryEnv, startRegistryProcess } from '../helpers/server-process.js';

const moto = motoServer();

describe.skipIf(!available(moto))(`a push on S3 killed mid-way ${moto.path ? '' : moto.skipReason}`, () => {
  it.each(['validated', 'blob-stored'] as const)('leaves no version, and nothing a start or gc does not find, when killed at "%s"', async (point) => {
    const server = await startMoto();
    const name = await createBucket(server.endpoint);
    const bucket = openBucket(s3SettingsFor(server.endpoint, name));
    whenDone(() => bucket.close());
    const dir = await makeTempDir();
    await writeHtpasswd(join(dir, 'htpasswd'), [ADMIN]);
    const s3Env = {
      REGISTRY_STORAGE_S3_BUCKET: name,
      REGISTRY_STORAGE_S3_REGIONENDPOINT: server.endpoint,
      REGISTRY_STORAGE_S3_ACCESSKEY: MOTO_CREDENTIALS.accessKeyId,
      REGISTRY_STORAGE_S3_SECRETKEY: MOTO_CREDENTIALS.secretAccessKey,
      REGISTRY_STORAGE_S3_ROOTDIRECTORY: 'registry',
      REGISTRY_STORAGE_S3_CHUNKSIZE: String(5 * 1024 * 1024),
      REGISTRY_STORAGE_S3_LOCALDIRECTORY: join(dir, 'local'),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const keys = async (prefix: string) =>
      ((await bucket.client.send(new ListObjectsV2Command({ Bucket: name, Prefix: `registry/${prefix}` }))).Contents ?? []).map((object) => object.Key);

    const first = await startRegistryProcess({ dir, env: { ...s3Env, PACK_REGISTRY_TEST_KILL_AT: point } });
    // Larger than a part: the staging is a multipart upload.
    const archive = await buildRawTarGz([...minimalPackEntries({ name: 'crash', version: '1.0.0' }), { path: 'payload.bin', body: randomBytes(7 * 1024 * 1024) }]);
    const attempt = request(first.url).post('/v1/packs').ca(first.ca).auth(ADMIN.user, ADMIN.password).attach('pack', archive, 'p.tar.gz');
    await expect(attempt).rejects.toThrow();
    expect(await first.process.exited).toBeNull();
    expect(await keys(point === 'validated' ? 'uploads/' : 'blobs/')).toHaveLength(1);

    const second = await startRegistryProcess({ dir, env: s3Env });
    // The start removed the staging object (and any incomplete upload): no push can be in flight then.
    expect(await keys('uploads/')).toEqual([]);
    expect((await bucket.client.send(new ListMultipartUploadsCommand({ Bucket: name }))).Uploads ?? []).toEqual([]);
    await request(second.url).get('/v1/packs/crash/1.0.0').ca(second.ca).auth(ADMIN.user, ADMIN.password).expect(404);
    expect(await second.stop()).toBe(0);

    // A blob copied before the kill has no index row and no document: gc finds and removes it.
    const gc = await runServerCommand(['gc'], { cwd: dir, env: registryEnv({ dir, env: s3Env }) });
    expect(gc.code).toBe(0);
    expect(gc.stdout).toMatch(new RegExp(`unreferenced blobs: +${point === 'blob-stored' ? 1 : 0} file`));
    expect(await keys('blobs/')).toEqual([]);
  });
});
