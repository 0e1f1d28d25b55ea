// The block walk that refuses what tar readers disagree on (src/packs/tar-structure.ts), without the
// readers themselves: test/differential/ runs Go, Python, GNU tar and bsdtar on the same corpus.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inspectArchive } from '../../../src/packs/archive.js';
import { TarStructureCheck } from '../../../src/packs/tar-structure.js';
import { PROBLEM_RULES, type ArchiveLimits, type InspectionResult } from '../../../src/packs/types.js';
import { HOSTILE, UNUSUAL } from '../../differential/corpus.js';
import { BLOCK, TAR_END, file, packEntries, pax, tarGz } from '../../helpers/tar-header.js';

const LIMITS: ArchiveLimits = { maxEntries: 10_000, maxUnpackedSize: 64 * 1024 * 1024 };

function inspect(archive: Buffer, chunkSize = 64 * 1024): Promise<InspectionResult> {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < archive.length; offset += chunkSize) chunks.push(archive.subarray(offset, offset + chunkSize));
  return inspectArchive(Readable.from(chunks), LIMITS);
}

/** The block walk alone over tar bytes, in chunks of `chunkSize`. */
function walk(tar: Buffer, chunkSize: number): TarStructureCheck {
  const check = new TarStructureCheck();
  for (let offset = 0; offset < tar.length; offset += chunkSize) check.write(tar.subarray(offset, offset + chunkSize));
  check.end();
  return check;
}

describe('the tar structure check refuses what tar readers disagree on', () => {
  it.each(HOSTILE.map((hostile) => [hostile.name, hostile] as const))('%s', async (_name, hostile) => {
    const result = await inspect(hostile.archive());
    expect(result.ok).toBe(false);
    if (result.ok) return;
    for (const problem of result.problems) expect(PROBLEM_RULES).toContain(problem.rule);
    const problem = result.problems.find((p) => p.rule === hostile.rule);
    expect(problem, JSON.stringify(result.problems)).toBeDefined();
    expect(problem?.message).toContain(hostile.words);
  });

  it('names the offending entry when it has one', async () => {
    const result = await inspect(tarGz([packEntries(), file('pack/run.sh', 'x', { mode: 0o4755 }), file('pack/b', 'y')]));
    expect(result).toMatchObject({ ok: false, problems: [{ rule: 'tar-ambiguous', message: expect.stringContaining('setuid') }] });
    const directory = await inspect(tarGz([packEntries(), Buffer.concat([file('pack/d/', 'body', { typeflag: '5' })])]));
    expect(directory).toMatchObject({ ok: false, problems: [{ rule: 'tar-ambiguous', path: 'pack/d/' }] });
  });

  it('stops reading the upload at the first ambiguous header', async () => {
    const archive = tarGz([packEntries(), pax([['path', '../x']], 'g'), file('pack/big.bin', randomBytes(4 * 1024 * 1024))]);
    let pulled = 0;
    const stream = Readable.from(
      (function* () {
        for (let offset = 0; offset < archive.length; offset += 1024) {
          pulled += 1024;
          yield archive.subarray(offset, offset + 1024);
        }
      })(),
    );
    const result = await inspectArchive(stream, LIMITS);
    expect(result.ok).toBe(false);
    expect(pulled).toBeLessThan(archive.length / 4);
  });
});

describe('the tar structure check accepts', () => {
  it.each(UNUSUAL.map((crafted) => [crafted.name, crafted] as const))('%s', async (_name, crafted) => {
    const result = await inspect(crafted.archive());
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it('a PAX path whose record is split between two inflated chunks, at every offset', async () => {
    // Stored (not deflated) gzip, fed a few bytes at a time: inflated chunks end where the input does.
    const name = `pack/docs/${'é'.repeat(40)}-ü.md`;
    const tar = Buffer.concat([packEntries(), pax([['path', name]]), file('pack/docs/short.md', 'bonjour\n'), TAR_END]);
    const archive = gzipSync(tar, { level: 0 });
    for (const chunkSize of [3, 7, 61, 509]) {
      const result = await inspect(archive, chunkSize);
      expect(result.ok ? result.pack.files.map((f) => f.path) : result.problems, `chunks of ${chunkSize}`).toContain(name.slice('pack/'.length));
    }
  });
});

describe('the block walk itself', () => {
  const corpus = [...HOSTILE, ...UNUSUAL].map((crafted) => [crafted.name, crafted] as const);

  it.each(corpus)('gives the same verdict whatever the chunk sizes: %s', (_name, crafted) => {
    let tar: Buffer;
    try {
      tar = gunzipSync(crafted.archive());
    } catch {
      return; // bytes after the gzip stream: not the walk's concern
    }
    const verdicts = [1, 7, BLOCK - 1, BLOCK, BLOCK + 1, 64 * 1024].map((size) => walk(tar, size).finding?.message ?? 'accepted');
    expect(new Set(verdicts).size).toBe(1);
  });

  it('skips file bodies without looking at them: 64 MiB of body in 64 KiB chunks', () => {
    const check = new TarStructureCheck();
    const body = Buffer.alloc(64 * 1024, 0xa5);
    check.write(file('pack/big.bin', Buffer.alloc(0), { size: 64 * 1024 * 1024 }));
    const started = process.hrtime.bigint();
    for (let index = 0; index < 1024; index++) check.write(body);
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    check.write(TAR_END);
    check.end();
    expect(check.finding).toBeUndefined();
    // Counting, not reading: far below what hashing the same bytes costs (~100 ms).
    expect(elapsedMs).toBeLessThan(50);
  });

  it('reads the end marker split across chunks and accepts the zero padding after it', () => {
    const tar = Buffer.concat([packEntries(), TAR_END, Buffer.alloc(10 * BLOCK)]);
    expect(walk(tar, 100).finding).toBeUndefined();
  });

  it('refuses a non-zero byte anywhere in the padding after the end marker', () => {
    const tar = Buffer.concat([packEntries(), TAR_END, Buffer.alloc(100 * 1024)]);
    tar[tar.length - 1] = 1;
    expect(walk(tar, 4096).finding).toMatchObject({ rule: 'tar-ambiguous', message: expect.stringContaining('after its end-of-archive marker') });
  });

  it('holds back an extended header body until it is complete', () => {
    const check = new TarStructureCheck();
    const tar = Buffer.concat([pax([['path', 'pack/a.txt']]), file('pack/b.txt', 'b')]);
    check.write(tar.subarray(0, BLOCK + 5));
    expect(check.holdFrom()).toBe(BLOCK);
    check.write(tar.subarray(BLOCK + 5));
    expect(check.holdFrom()).toBeUndefined();
  });
});
