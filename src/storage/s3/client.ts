// One bucket under one key prefix, as the s3 storage driver sees it: the SDK client built from the
// `storage.s3` settings, and the names of objects (the layout of layout.ts under `rootdirectory`).
import { HeadBucketCommand, S3Client, type ServerSideEncryption } from '@aws-sdk/client-s3';
import { s3Failure, s3Status } from './errors.js';

/** `storage.s3`, as the configuration hands it over (config/schema.ts S3StorageConfig, which checks `chunkSize` ≥ 5 MiB). */
export interface S3Settings {
  region: string;
  bucket: string;
  /** The key prefix everything is stored under, without leading or trailing `/`; '' for the bucket's root. */
  rootDirectory: string;
  /** `scheme://host[:port]` of an S3-protocol service other than AWS (MinIO, Ceph, moto); undefined: AWS. */
  endpoint: string | undefined;
  forcePathStyle: boolean;
  /** undefined: the AWS default credential chain (environment, shared files, instance or task role). */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** Server-side encryption with S3-managed keys (SSE-S3, AES256) on every object written. */
  encrypt: boolean;
  /** Part size of multipart uploads (bytes, at least 5 MiB): an archive larger than this is sent in parts. */
  chunkSize: number;
}

/** A connection S3 has not accepted in this time counts as S3 being away (503), not as a slow S3. */
const CONNECTION_TIMEOUT_MS = 5_000;
/** A request whose socket stays silent this long is cut and retried; a slow S3 that keeps sending is not. */
const SOCKET_IDLE_TIMEOUT_MS = 60_000;

export interface S3Bucket {
  client: S3Client;
  bucket: string;
  /** The object key of a root-relative key (layout.ts): `<rootdirectory>/<key>`. */
  objectKey(key: string): string;
  /** The root-relative key of an object key under the prefix, or undefined for one outside it. */
  storageKey(objectKey: string): string | undefined;
  /** The `ServerSideEncryption` parameter of every write: AES256 with `encrypt`, else none. */
  encryption: { ServerSideEncryption?: ServerSideEncryption };
  chunkSize: number;
  /** Where the bucket is, for messages: `s3://bucket/prefix`. */
  describe(): string;
  close(): void;
}

export function openBucket(settings: S3Settings): S3Bucket {
  const client = new S3Client({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    forcePathStyle: settings.forcePathStyle,
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, socketTimeout: SOCKET_IDLE_TIMEOUT_MS },
    // The SDK's checksums on every PutObject/UploadPart are the newer default; S3-protocol services
    // (MinIO, Ceph, moto) differ in what they accept, and the registry hashes every byte itself.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const prefix = settings.rootDirectory === '' ? '' : `${settings.rootDirectory}/`;
  return {
    client,
    bucket: settings.bucket,
    objectKey: (key) => `${prefix}${key}`,
    storageKey: (objectKey) => (objectKey.startsWith(prefix) ? objectKey.slice(prefix.length) : undefined),
    encryption: settings.encrypt ? { ServerSideEncryption: 'AES256' } : {},
    chunkSize: settings.chunkSize,
    describe: () => `s3://${settings.bucket}/${settings.rootDirectory}`,
    close: () => client.destroy(),
  };
}

/**
 * At start: the bucket exists and these credentials may use it — or a message that says which is wrong. A
 * misconfigured registry must not come up and fail every push.
 */
export async function assertBucketUsable(bucket: S3Bucket): Promise<void> {
  try {
    await bucket.client.send(new HeadBucketCommand({ Bucket: bucket.bucket }));
  } catch (error) {
    const status = s3Status(error);
    if (status === 404) throw new Error(`the bucket ${bucket.bucket} does not exist (storage.s3.bucket); create it first`, { cause: error });
    if (status === 403 || status === 401) {
      throw new Error(
        `S3 refused the credentials for the bucket ${bucket.bucket} (${status}): check storage.s3.accesskey and secretkey ` +
          '(or the AWS credential chain) and the bucket policy',
        { cause: error },
      );
    }
    throw s3Failure(error, `the check of the bucket ${bucket.bucket}`);
  }
}
