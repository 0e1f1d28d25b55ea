// A misconfigured S3 storage stops `pack-registry serve` at start with a message that says what is wrong,
// rather than a server that comes up and fails every push: the real CLI process, on a real moto server.
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/files.js';
import { createBucket, MOTO_CREDENTIALS, startMoto } from '../helpers/moto.js';
import { runServerCommand } from '../helpers/process.js';
import { available, motoServer } from '../helpers/real-components.js';

const moto = motoServer();

function s3Env(endpoint: string, bucket: string, dir: string): Record<string, string> {
  return {
    REGISTRY_HTTP_ADDR: '127.0.0.1:0',
    REGISTRY_HTTP_TLS_ENABLED: 'false',
    REGISTRY_STORAGE_S3_BUCKET: bucket,
    REGISTRY_STORAGE_S3_REGIONENDPOINT: endpoint,
    REGISTRY_STORAGE_S3_ACCESSKEY: MOTO_CREDENTIALS.accessKeyId,
    REGISTRY_STORAGE_S3_SECRETKEY: MOTO_CREDENTIALS.secretAccessKey,
    REGISTRY_STORAGE_S3_LOCALDIRECTORY: `${dir}/local`,
    REGISTRY_AUTH_HTPASSWD_PATH: `${dir}/htpasswd`,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

describe.skipIf(!available(moto))(`pack-registry serve on a misconfigured S3 storage ${moto.path ? '' : moto.skipReason}`, () => {
  it('exits 1 with a clear message when the bucket does not exist', async () => {
    const server = await startMoto();
    const dir = await makeTempDir();
    const result = await runServerCommand(['serve'], { cwd: dir, env: s3Env(server.endpoint, 'no-such-bucket', dir) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: the bucket no-such-bucket does not exist (storage.s3.bucket); create it first');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 1 with a clear message when S3 refuses the credentials', async () => {
    // In this mode moto checks every signature against the users of its IAM, which has none: it refuses every key.
    const server = await startMoto({ enforceCredentials: true });
    const dir = await makeTempDir();
    const result = await runServerCommand(['serve'], { cwd: dir, env: s3Env(server.endpoint, 'packs', dir) });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error: S3 refused the credentials for the bucket packs \(403\): check storage\.s3\.accesskey and secretkey/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 1 saying S3 did not answer when nothing listens at the endpoint', async () => {
    const server = await startMoto();
    const bucket = await createBucket(server.endpoint);
    server.kill();
    const dir = await makeTempDir();
    const result = await runServerCommand(['serve'], { cwd: dir, env: s3Env(server.endpoint, bucket, dir) });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error: S3 did not answer the check of the bucket .* \(ECONNREFUSED\)/);
  });
});
