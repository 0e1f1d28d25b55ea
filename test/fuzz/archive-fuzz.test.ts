// Random mutations of real pack archives against the inspector (fast-check). In the process tier: about 1.7 s
// of CPU on purpose, which the fast tier's budget cannot hold.
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { inspectArchive } from '../../src/packs/archive.js';
import { PROBLEM_RULES, type InspectionResult } from '../../src/packs/types.js';
import { packFixture } from '../helpers/archives.js';

const LIMITS = { maxEntries: 1_000, maxUnpackedSize: 64 * 1024 * 1024 };

function expectWellFormed(result: InspectionResult): void {
  if (result.ok) {
    expect(result.pack.contentDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    return;
  }
  expect(result.problems.length).toBeGreaterThan(0);
  for (const problem of result.problems) {
    expect(PROBLEM_RULES).toContain(problem.rule);
    expect(problem.message.length).toBeGreaterThan(0);
  }
}

/** A damaged copy of `bytes`: cut short, bytes flipped, or bytes spliced in. */
const damage = (length: number) =>
  fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(length) }),
    fc.record({ kind: fc.constant('flip' as const), flips: fc.array(fc.tuple(fc.nat(length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(length), bytes: fc.uint8Array({ minLength: 1, maxLength: 600 }) }),
  );

type Damage = { kind: 'truncate'; at: number } | { kind: 'flip'; flips: [number, number][] } | { kind: 'insert'; at: number; bytes: Uint8Array };

function applyDamage(bytes: Buffer, change: Damage): Buffer {
  switch (change.kind) {
    case 'truncate':
      return bytes.subarray(0, change.at);
    case 'flip': {
      const copy = Buffer.from(bytes);
      for (const [at, mask] of change.flips) copy[at] = (copy[at] ?? 0) ^ mask;
      return copy;
    }
    case 'insert':
      return Buffer.concat([bytes.subarray(0, change.at), Buffer.from(change.bytes), bytes.subarray(change.at)]);
  }
}

describe('inspectArchive on damaged archives', () => {
  let archive: Buffer;
  let tar: Buffer;
  beforeAll(async () => {
    archive = await packFixture('hello-universe-1.3.1');
    tar = gunzipSync(archive);
  });

  it('never throws and answers ok or problems when the compressed bytes are damaged', async () => {
    await fc.assert(
      fc.asyncProperty(damage(archive.length), fc.integer({ min: 64, max: 65_536 }), async (change, chunkSize) => {
        const bytes = applyDamage(archive, change);
        const chunks = Array.from({ length: Math.ceil(bytes.length / chunkSize) }, (_, i) => bytes.subarray(i * chunkSize, (i + 1) * chunkSize));
        expectWellFormed(await inspectArchive(Readable.from(chunks), LIMITS));
      }),
      { numRuns: 150 },
    );
  });

  it('never throws and answers ok or problems when the tar inside valid gzip is damaged', async () => {
    await fc.assert(
      fc.asyncProperty(damage(tar.length), async (change) => {
        expectWellFormed(await inspectArchive(Readable.from([gzipSync(applyDamage(tar, change))]), LIMITS));
      }),
      { numRuns: 150 },
    );
  });
});
