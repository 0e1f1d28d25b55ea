// `storage.s3`: Distribution's keys, the Spectro docs' host/port form, their REGISTRY_STORAGE_S3_* variables,
// and the refusals that keep a misconfigured bucket from failing only at the first push.
import { describe, expect, it } from 'vitest';
import { load, loadError, writeConfigFile } from './support.js';

describe('storage: s3', () => {
  it("reads the Spectro docs' MinIO form: host, port and secure build the endpoint; path-style by default", () => {
    const file = writeConfigFile(`storage:
  s3:
    region: us-east-1
    bucket: packs
    rootdirectory: /registry/
    host: minio.internal
    port: 9000
    secure: false
    accesskey: AKIA
    secretkey: secret
    encrypt: true
`);
    const { config } = load({ file });
    expect(config.storage).toEqual({
      kind: 's3',
      rootDirectory: '/srv/registry/storage',
      readOnly: false,
      s3: {
        region: 'us-east-1',
        bucket: 'packs',
        rootDirectory: 'registry',
        endpoint: 'http://minio.internal:9000',
        forcePathStyle: true,
        credentials: { accessKeyId: 'AKIA', secretAccessKey: 'secret' },
        encrypt: true,
        chunkSize: 10 * 1024 * 1024,
      },
    });
  });

  it('selects s3 from REGISTRY_STORAGE_S3_* alone; without keys, the AWS default credential chain; AWS host-style', () => {
    const { config } = load({
      env: { REGISTRY_STORAGE_S3_BUCKET: 'packs', REGISTRY_STORAGE_S3_REGION: 'eu-west-1', REGISTRY_STORAGE_S3_CHUNKSIZE: '5242880', REGISTRY_STORAGE_S3_LOCALDIRECTORY: '/data' },
    });
    expect(config.storage).toMatchObject({
      kind: 's3',
      rootDirectory: '/data',
      s3: { region: 'eu-west-1', endpoint: undefined, forcePathStyle: false, credentials: undefined, chunkSize: 5242880, rootDirectory: '' },
    });
  });

  it('refuses a missing bucket and parts smaller than S3 takes, naming each key', () => {
    const error = loadError({ env: { REGISTRY_STORAGE_S3_CHUNKSIZE: '1024' } });
    expect(error.problems.map((problem) => problem.key).sort()).toEqual(['storage.s3.bucket', 'storage.s3.chunksize']);
  });

  it('refuses half a key pair, two endpoints, and a port without a host', () => {
    const halfKeys = loadError({
      env: { REGISTRY_STORAGE_S3_BUCKET: 'packs', REGISTRY_STORAGE_S3_ACCESSKEY: 'AKIA', REGISTRY_STORAGE_S3_HOST: 'minio', REGISTRY_STORAGE_S3_REGIONENDPOINT: 'https://s3.example.com' },
    });
    expect(halfKeys.problems.map((problem) => problem.key).sort()).toEqual(['storage.s3.host', 'storage.s3.secretkey']);
    const port = loadError({ env: { REGISTRY_STORAGE_S3_BUCKET: 'packs', REGISTRY_STORAGE_S3_PORT: '9000' } });
    expect(port.message).toContain('a port needs storage.s3.host');
  });
});
