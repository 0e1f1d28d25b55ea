// moto's S3 server (a real S3-protocol server process, in memory) on a free loopback port, for the S3 tier:
// one server per test file, a fresh bucket per test. Found through real-components.ts (motoServer()).
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Settings } from '../../src/storage/s3/client.js';
import { motoServer } from './real-components.js';
import { freePort, killGroup, spawnInGroup } from './process.js';

/** moto takes any key pair unless told to check them (see startMoto's `enforceCredentials`). */
export const MOTO_CREDENTIALS = { accessKeyId: 'pack-registry-test', secretAccessKey: 'pack-registry-test-secret' };

export interface MotoServer {
  endpoint: string;
  port: number;
  /** SIGKILL the server: S3 is gone (and, moto being in memory, so is everything it stored). */
  kill(): void;
}

/** Resolves once something answers HTTP on the port. */
async function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = request({ host: '127.0.0.1', port, path: '/', method: 'GET', timeout: 1000 }, (response) => {
      response.resume();
      resolve(true);
    });
    probe.on('error', () => resolve(false));
    probe.on('timeout', () => probe.destroy());
    probe.end();
  });
}

/**
 * Start `moto_server -H 127.0.0.1 -p <free port>`, killed (as a process group) when the test or file ends.
 * With `enforceCredentials`, moto checks every request's signature against the users of its IAM (it has
 * none), as `INITIAL_NO_AUTH_ACTION_COUNT=0` makes it: every key pair is then refused (InvalidAccessKeyId, 403).
 */
export async function startMoto(options: { enforceCredentials?: boolean } = {}): Promise<MotoServer> {
  const program = motoServer().path;
  if (!program) throw new Error('moto_server is not installed');
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, ...(options.enforceCredentials ? { INITIAL_NO_AUTH_ACTION_COUNT: '0' } : {}) };
    const child = spawnInGroup(program, ['-H', '127.0.0.1', '-p', String(port)], { env, stdio: 'ignore' });
    let exited = false;
    child.once('exit', () => (exited = true));
    const deadline = Date.now() + 30_000;
    while (!exited && Date.now() < deadline && !(await answers(port))) await sleep(100);
    if (!exited && Date.now() < deadline) {
      return { endpoint: `http://127.0.0.1:${port}`, port, kill: () => killGroup(child) };
    }
    killGroup(child);
    // Another process took the port between our look and moto's bind: try another.
    if (attempt >= 2) throw new Error(`moto_server did not answer on 127.0.0.1:${port}`);
  }
}

/** The s3 driver's settings for a bucket on `endpoint` (path-style, as moto and MinIO want it). */
export function s3SettingsFor(endpoint: string, bucket: string, overrides: Partial<S3Settings> = {}): S3Settings {
  return {
    region: 'us-east-1',
    bucket,
    rootDirectory: 'registry',
    endpoint,
    forcePathStyle: true,
    credentials: MOTO_CREDENTIALS,
    encrypt: false,
    chunkSize: 5 * 1024 * 1024,
    ...overrides,
  };
}

/** A new, empty bucket (moto forgets it with the server); a name of its own unless one is given. */
export async function createBucket(endpoint: string, name = `test-${randomUUID()}`): Promise<string> {
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: MOTO_CREDENTIALS });
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } finally {
    client.destroy();
  }
  return name;
}
