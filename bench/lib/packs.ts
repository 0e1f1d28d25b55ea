// The packs the bench pushes and downloads: the test suite's sample of a small community pack
// (nfs-subdir-external, built in memory by test/helpers/sample-packs.ts, nothing read from outside the
// repository) plus an incompressible payload, like the charts/*.tgz real packs carry, sized so the .tar.gz
// is close to the wanted size. Every archive gets its own version, so each push stores new bytes.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { samplePack } from '../../test/helpers/sample-packs.js';
import { tarStream, type TarEntry } from './tar.js';

const BASE_SAMPLE = 'nfs-subdir-external-4.0.13';
const PAYLOAD_PATH = 'charts/bench-payload.tgz';

export interface BenchPack {
  /** Pack name; also a valid Distribution repository and npm package name. */
  name: string;
  version: string;
  /** The .tar.gz on disk. */
  path: string;
  size: number;
  /** Hex SHA-256 of the archive bytes (Distribution's blob digest). */
  sha256: string;
  /** Hex SHA-1 of the archive bytes (npm's dist.shasum). */
  sha1: string;
}

async function fixtureEntries(): Promise<{ path: string; body: Buffer }[]> {
  const files = await samplePack(BASE_SAMPLE).files();
  return [...files].map(([path, body]) => ({ path, body })).sort((a, b) => a.path.localeCompare(b.path));
}

/** Random bytes on disk, written in 1 MiB chunks (a 50 MB buffer is exactly what the bench must not need). */
export async function writePayload(path: string, bytes: number): Promise<void> {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let left = bytes; left > 0; left -= 1024 * 1024) yield randomBytes(Math.min(left, 1024 * 1024));
  }
  await pipeline(Readable.from(chunks()), createWriteStream(path));
}

export interface PackSpec {
  name: string;
  version: string;
  /** Payload file (random bytes) to add, or none. */
  payload?: { path: string; size: number };
}

export async function buildPack(dir: string, spec: PackSpec): Promise<BenchPack> {
  const entries: TarEntry[] = (await fixtureEntries()).map((entry) => {
    if (entry.path !== 'pack.json') return entry;
    const packJson = JSON.parse(entry.body.toString('utf8')) as Record<string, unknown>;
    packJson.name = spec.name;
    packJson.version = spec.version;
    return { path: entry.path, body: Buffer.from(`${JSON.stringify(packJson, null, 2)}\n`) };
  });
  if (spec.payload) entries.push({ path: PAYLOAD_PATH, file: spec.payload.path, size: spec.payload.size });
  const path = join(dir, `${spec.name}-${spec.version}.tar.gz`);
  const sha256 = createHash('sha256');
  const sha1 = createHash('sha1');
  const hashes = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sha256.update(chunk);
      sha1.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(Readable.from(tarStream(entries)), createGzip(), hashes, createWriteStream(path));
  return { name: spec.name, version: spec.version, path, size: (await stat(path)).size, sha256: sha256.digest('hex'), sha1: sha1.digest('hex') };
}

/** The payload size that brings the archive to about `targetBytes` (the sample itself compresses to ~5 KB). */
export async function payloadFor(dir: string, targetBytes: number): Promise<{ path: string; size: number } | undefined> {
  const bare = await buildPack(dir, { name: 'bench-probe', version: '0.0.1' });
  const size = targetBytes - bare.size - 1024;
  if (size <= 0) return undefined;
  const path = join(dir, `payload-${targetBytes}.bin`);
  await writePayload(path, size);
  return { path, size };
}

/** `count` packs of about `targetBytes` each: the same name and payload, versions 1.0.0, 1.0.1, … */
export async function buildPackSeries(dir: string, name: string, targetBytes: number, count: number, firstPatch = 0): Promise<BenchPack[]> {
  const payload = await payloadFor(dir, targetBytes);
  const packs: BenchPack[] = [];
  for (let index = 0; index < count; index++) {
    packs.push(await buildPack(dir, { name, version: `1.0.${firstPatch + index}`, payload }));
  }
  return packs;
}
