import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inspectArchive } from '../../../src/packs/archive.js';
import { MAX_PACK_JSON_BYTES } from '../../../src/packs/pack-json.js';
import { PROBLEM_RULES, type ArchiveLimits, type InspectedPack, type InspectionResult, type PackProblem } from '../../../src/packs/types.js';
import { MAX_VALUES_YAML_BYTES } from '../../../src/packs/values-yaml.js';
import {
  BILLION_LAUGHS_YAML,
  TAR_END,
  buildRawTarGz,
  countingReadable,
  fixtureFiles,
  fixtureNames,
  gzipBomb,
  minimalPackEntries,
  extraFixtureNames,
  packFixture,
  rawTarEntries,
  sha256Hex,
  type RawEntry,
} from '../../helpers/archives.js';
import { PNG_SIGNATURE } from '../../helpers/png.js';
import { REAL_PACK_FACTS, type PackFacts } from '../../helpers/real-pack-facts.js';
import { LARGE_PAYLOAD_BYTES, MANY_FILES_TEMPLATES } from '../../helpers/sample-packs.js';

const LIMITS: ArchiveLimits = { maxEntries: 10_000, maxUnpackedSize: 2 * 1024 ** 3 };

function inspect(archive: Buffer, limits: ArchiveLimits = LIMITS): Promise<InspectionResult> {
  return inspectArchive(Readable.from([archive]), limits);
}

async function inspectOk(archive: Buffer, limits: ArchiveLimits = LIMITS): Promise<InspectedPack> {
  const result = await inspect(archive, limits);
  if (!result.ok) throw new Error(`expected the archive to be accepted: ${JSON.stringify(result.problems, null, 2)}`);
  return result.pack;
}

async function problemsOf(archive: Buffer, limits: ArchiveLimits = LIMITS): Promise<PackProblem[]> {
  const result = await inspect(archive, limits);
  if (result.ok) throw new Error('expected the archive to be refused');
  expect(result.problems.length).toBeGreaterThan(0);
  for (const problem of result.problems) expect(PROBLEM_RULES).toContain(problem.rule);
  return result.problems;
}

const rulesOf = (problems: PackProblem[]): string[] => problems.map((p) => p.rule);

/** A valid pack at the archive root followed by `extra` entries. */
function packWith(...extra: RawEntry[]): Promise<Buffer> {
  return buildRawTarGz([...minimalPackEntries(), ...extra]);
}

describe('inspectArchive accepts every sample pack', () => {
  // The mirrors of real packs share their facts with the corpus tier; the extra shapes have their own.
  const expected: Record<string, PackFacts> = {
    ...REAL_PACK_FACTS,
    'large-payload-1.0.0': { name: 'large-payload', version: '1.0.0', normalizedVersion: '1.0.0', layer: 'addon', charts: 1, kubeManifests: 0 },
    'logo-and-docs-2.0': { name: 'logo-and-docs', version: '2.0', normalizedVersion: '2.0.0', layer: 'addon', charts: 0, kubeManifests: 1 },
    'many-files-1.0.0': { name: 'many-dashboards', version: '1.0.0', normalizedVersion: '1.0.0', layer: 'addon', charts: 1, kubeManifests: 0 },
  };
  const allFixtures = [...fixtureNames(), ...extraFixtureNames()];

  it('has an expectation for each of the 12 mirrored fixtures and each extra shape', () => {
    expect(fixtureNames()).toHaveLength(12);
    expect([...allFixtures].sort()).toEqual(Object.keys(expected).sort());
  });

  describe.each(allFixtures)('%s', (folder) => {
    const want = expected[folder];

    it('is accepted under one top-level folder, which is stripped from the file paths', async () => {
      const pack = await inspectOk(await packFixture(folder));
      expect(pack.rootPrefix).toBe(`${folder}/`);
      expect(pack.manifest).toMatchObject({ name: want?.name, version: want?.version, normalizedVersion: want?.normalizedVersion, layer: want?.layer });
      expect(pack.manifest.group).toBe(want?.group);
      expect(pack.manifest.charts).toHaveLength(want?.charts ?? -1);
      expect(pack.manifest.kubeManifests).toHaveLength(want?.kubeManifests ?? -1);
    });

    it('is accepted with its files at the archive root, with the same content digest', async () => {
      const atRoot = await inspectOk(await packFixture(folder, { topDir: null }));
      const inFolder = await inspectOk(await packFixture(folder));
      expect(atRoot.rootPrefix).toBe('');
      expect(atRoot.contentDigest).toBe(inFolder.contentDigest);
      expect(atRoot.files).toEqual(inFolder.files);
    });

    it('lists every file with its size and SHA-256, sorted by path', async () => {
      const files = await fixtureFiles(folder);
      const pack = await inspectOk(await packFixture(folder));
      expect(pack.files.map((f) => f.path)).toEqual([...files.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
      for (const file of pack.files) {
        const bytes = files.get(file.path);
        expect(bytes, file.path).toBeDefined();
        expect(file.size).toBe(bytes?.length);
        expect(file.sha256).toBe(sha256Hex(bytes ?? Buffer.alloc(0)));
      }
    });
  });

  it('lists hidden files: the .helmignore of an unpacked chart, a .gitkeep', async () => {
    const antrea = await inspectOk(await packFixture('antrea-1.9.0'));
    expect(antrea.files.map((f) => f.path)).toContain('charts/antrea/.helmignore');
    const docs = await inspectOk(await packFixture('logo-and-docs-2.0'));
    expect(docs.files.find((f) => f.path === 'charts/.gitkeep')).toMatchObject({ size: 0, sha256: sha256Hex(Buffer.alloc(0)) });
  });

  it(`accepts a pack of about 5 MB and lists its chart at full size`, async () => {
    const files = await fixtureFiles('large-payload-1.0.0');
    const archive = await packFixture('large-payload-1.0.0');
    expect(archive.length).toBeGreaterThan(LARGE_PAYLOAD_BYTES);
    const pack = await inspectOk(archive);
    const chart = pack.files.find((f) => f.path === 'charts/bundled-binaries-1.0.0.tgz');
    expect(chart?.size).toBeGreaterThan(LARGE_PAYLOAD_BYTES);
    expect(chart?.sha256).toBe(sha256Hex(files.get('charts/bundled-binaries-1.0.0.tgz') ?? Buffer.alloc(0)));
  });

  it('accepts a pack of more than 400 files, and refuses it when the entry limit is lower', async () => {
    const archive = await packFixture('many-files-1.0.0');
    const pack = await inspectOk(archive);
    expect(pack.files.length).toBeGreaterThan(400);
    expect(pack.files.filter((f) => f.path.startsWith('charts/dashboards/templates/dashboards/'))).toHaveLength(MANY_FILES_TEMPLATES);
    expect(rulesOf(await problemsOf(archive, { ...LIMITS, maxEntries: 400 }))).toEqual(['too-many-entries']);
  });

  it('lists logo.png with the bytes of the PNG', async () => {
    const files = await fixtureFiles('logo-and-docs-2.0');
    const logo = files.get('logo.png') ?? Buffer.alloc(0);
    expect(logo.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    const pack = await inspectOk(await packFixture('logo-and-docs-2.0'));
    expect(pack.files.find((f) => f.path === 'logo.png')).toEqual({ path: 'logo.png', size: logo.length, sha256: sha256Hex(logo) });
  });

  it.each([
    ['kubeflow-pipelines-1.5.0', '1.5', '1.5.0'],
    ['trident-operator-23.07.1', '23.07.1', '23.7.1'],
    ['outcold-26.04.4', '26.04.4', '26.4.4'],
    ['akuity-agent-0.30.0-5.5.2026', '0.30.0-5.5.2026', '0.30.0-5.5.2026'],
  ])('keeps the loose version of %s as written (%s) next to its normalised form (%s)', async (folder, version, normalizedVersion) => {
    const pack = await inspectOk(await packFixture(folder));
    expect(pack.manifest).toMatchObject({ version, normalizedVersion });
  });

  it('reads the blank group " " of akuity-agent as no group', async () => {
    const pack = await inspectOk(await packFixture('akuity-agent-0.30.0-5.5.2026'));
    expect(pack.manifest.raw['group']).toBe(' ');
    expect(pack.manifest.group).toBeUndefined();
  });

  it('keeps the unknown keys of pack.json', async () => {
    const pack = await inspectOk(await packFixture('elastic-stack-0.19.0'));
    expect(pack.manifest.raw).toHaveProperty('constraints.dependencies');
    expect(pack.manifest.raw).toHaveProperty('annotations.commit_msg');
  });

  it('reads a trimmed group', async () => {
    const pack = await inspectOk(await packFixture('antrea-1.9.0', { editPackJson: (pj) => (pj['group'] = ' LTS ') }));
    expect(pack.manifest.group).toBe('LTS');
  });
});

describe('the content digest', () => {
  const folder = 'hello-universe-1.3.1';

  /** The fixture written entry by entry in reverse order, with other mtimes and a `./` prefix. */
  async function reversedRawArchive(edit?: (files: Map<string, Buffer>) => void): Promise<Buffer> {
    const files = await fixtureFiles(folder);
    edit?.(files);
    const entries: RawEntry[] = [...files]
      .reverse()
      .map(([path, body], index) => ({ path: `./${path}`, body, mtime: new Date(Date.UTC(2001, 0, 1 + index)), mode: 0o600 }));
    return buildRawTarGz([{ path: './', type: 'dir' }, ...entries]);
  }

  it('is the same for the same files tarred in another order, with other mtimes and modes', async () => {
    const reference = await inspectOk(await packFixture(folder));
    const reversed = await inspectOk(await reversedRawArchive());
    expect(reversed.contentDigest).toBe(reference.contentDigest);
    expect(reversed.files).toEqual(reference.files);
  });

  it('changes when one byte of one file changes', async () => {
    const reference = await inspectOk(await reversedRawArchive());
    const changed = await inspectOk(
      await reversedRawArchive((files) => {
        const readme = Buffer.from(files.get('README.md') ?? Buffer.alloc(1));
        readme[0] = (readme[0] ?? 0) ^ 0x01;
        files.set('README.md', readme);
      }),
    );
    expect(changed.contentDigest).not.toBe(reference.contentDigest);
  });

  it('changes when a file is added', async () => {
    const reference = await inspectOk(await packFixture(folder));
    const added = await inspectOk(await packFixture(folder, { extraFiles: { 'NOTES.txt': '' } }));
    expect(added.contentDigest).not.toBe(reference.contentDigest);
  });
});

describe('archives made by other tools', () => {
  const execFileAsync = promisify(execFile);
  const hasGnuTar = (async () => {
    try {
      const { stdout } = await execFileAsync('tar', ['--version']);
      return stdout.includes('GNU tar');
    } catch {
      return false;
    }
  })();

  it('accepts GNU tar output (gnu format, long names) with the same content digest', async () => {
    if (!(await hasGnuTar)) return;
    const folder = 'elastic-stack-0.19.0';
    const work = await mkdtemp(join(tmpdir(), 'gnu-tar-'));
    try {
      // A long top folder pushes paths past 100 bytes, so GNU tar writes ././@LongLink entries.
      const top = `${folder}-${'x'.repeat(60)}`;
      for (const [path, body] of await fixtureFiles(folder)) {
        await mkdir(dirname(join(work, top, path)), { recursive: true });
        await writeFile(join(work, top, path), body);
      }
      const { stdout } = await execFileAsync('tar', ['--format=gnu', '-czf', '-', '-C', work, top], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
      const pack = await inspectOk(stdout);
      expect(pack.rootPrefix).toBe(`${top}/`);
      expect(pack.contentDigest).toBe((await inspectOk(await packFixture(folder))).contentDigest);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it('accepts macOS tar output: pax xattr records and AppleDouble ._ files, which are not pack content', async () => {
    const folder = 'hello-universe-pack';
    const files = await fixtureFiles(folder);
    const xattr = { 'LIBARCHIVE.xattr.com.apple.provenance': 'AQIAgT3u1Q==', 'SCHILY.dev': '16777232', 'SCHILY.ino': '1234' };
    const appleDouble = Buffer.concat([Buffer.from([0, 5, 0x16, 7, 0, 2, 0, 0]), Buffer.from('Mac OS X        ')]);
    const entries: RawEntry[] = [
      { path: './._mypack', body: appleDouble },
      { path: './mypack/', type: 'dir', pax: xattr },
    ];
    for (const [path, body] of files) {
      entries.push({ path: `./mypack/${dirname(path) === '.' ? '' : `${dirname(path)}/`}._${path.split('/').pop()}`, body: appleDouble });
      entries.push({ path: `./mypack/${path}`, body, pax: xattr });
    }
    const pack = await inspectOk(await buildRawTarGz(entries));
    expect(pack.rootPrefix).toBe('mypack/');
    expect(pack.files.map((f) => f.path)).toEqual([...files.keys()].sort());
    expect(pack.contentDigest).toBe((await inspectOk(await packFixture(folder))).contentDigest);
  });

  it('accepts a global pax header (git archive writes one) and non-ASCII names in pax records', async () => {
    const pack = await inspectOk(
      await buildRawTarGz([
        { path: 'pax_global_header', typeflag: 'g', body: '52 comment=0123456789abcdef0123456789abcdef01234567\n' },
        ...minimalPackEntries(),
        { path: 'docs/café-ü.md', body: 'bonjour' },
      ]),
    );
    expect(pack.files.map((f) => f.path)).toEqual(['docs/café-ü.md', 'pack.json', 'values.yaml']);
  });

  it('accepts an archive without directory entries', async () => {
    const pack = await inspectOk(await buildRawTarGz([...minimalPackEntries()].map((e) => ({ ...e, path: `top/${e.path}` }))));
    expect(pack.rootPrefix).toBe('top/');
  });
});

describe('inspectArchive and its input stream', () => {
  it('rejects with the input stream\'s own error (an aborted upload is not a pack problem)', async () => {
    const archive = await packFixture('antrea-1.9.0');
    const failing = new Readable({
      read() {
        this.push(archive.subarray(0, 1000));
        this.destroy(new Error('connection reset'));
      },
    });
    await expect(inspectArchive(failing, LIMITS)).rejects.toThrow('connection reset');
  });

  it('accepts an old-style stream that is not a stream.Readable', async () => {
    const archive = await packWith();
    const { Stream } = await import('node:stream');
    const legacy = Object.assign(new Stream(), { readable: true, pause: () => legacy, resume: () => legacy });
    setImmediate(() => {
      legacy.emit('data', archive);
      legacy.emit('end');
    });
    expect(legacy).not.toBeInstanceOf(Readable);
    expect((await inspectArchive(legacy as unknown as NodeJS.ReadableStream, LIMITS)).ok).toBe(true);
  });
});

describe('inspectArchive refuses', () => {
  it.each([
    ['a symbolic link', { path: 'charts/evil', type: 'symlink', linkpath: '/etc/passwd' }, 'symbolic link'],
    ['a hard link', { path: 'charts/hard', type: 'hardlink', linkpath: 'pack.json' }, 'hard link'],
    ['a character device', { path: 'dev/zero', type: 'chardev' }, 'character device'],
    ['a block device', { path: 'dev/sda', type: 'blockdev' }, 'block device'],
    ['a FIFO', { path: 'pipe', type: 'fifo' }, 'FIFO'],
    ['a sparse file (unsupported type)', { path: 'sparse', typeflag: 'S', body: 'x' }, 'unsupported'],
  ] as [string, RawEntry, string][])('%s, naming the entry', async (_what, entry, words) => {
    const problems = await problemsOf(await packWith(entry));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ rule: 'entry-type', path: entry.path });
    expect(problems[0]?.message).toContain(entry.path);
    expect(problems[0]?.message).toContain(words);
  });

  it.each([
    ['an absolute path', '/etc/cron.d/evil', 'path-absolute'],
    ['a Windows absolute path', 'C:/evil', 'path-absolute'],
    ['a .. segment', '../evil', 'path-traversal'],
    ['a .. segment deeper down', 'charts/../../evil', 'path-traversal'],
    ['a newline in a name', 'evil\nname', 'path-invalid'],
    ['an escape character in a name', 'evil\u001b[31m', 'path-invalid'],
    ['a backslash in a name', 'charts\\..\\evil', 'path-invalid'],
  ])('%s, naming the entry', async (_what, path, rule) => {
    const problems = await problemsOf(await packWith({ path, body: 'x' }));
    expect(problems.map((p) => p.rule)).toContain(rule);
    expect(problems.every((p) => p.path === path)).toBe(true);
  });

  it('a name that is not UTF-8', async () => {
    const problems = await problemsOf(await packWith({ path: 'x', rawPath: Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe]), body: 'x' }));
    expect(rulesOf(problems)).toEqual(['path-invalid']);
  });

  it('a path given twice, also when spelled ./a and a', async () => {
    const problems = await problemsOf(await packWith({ path: './values.yaml', body: 'b: 2\n' }));
    expect(problems).toEqual([expect.objectContaining({ rule: 'path-duplicate', path: './values.yaml' })]);
  });

  it('a folder and a file of the same name', async () => {
    const problems = await problemsOf(await packWith({ path: 'charts/', type: 'dir' }, { path: 'charts', body: 'x' }));
    expect(rulesOf(problems)).toEqual(['path-duplicate']);
  });

  it('a file used as a folder', async () => {
    const problems = await problemsOf(await packWith({ path: 'README', body: 'x' }, { path: 'README/inner', body: 'y' }));
    expect(problems).toEqual([expect.objectContaining({ rule: 'path-conflict', path: 'README/inner' })]);
  });

  it('more entries than the limit, stopping at the first one too many', async () => {
    const archive = await packFixture('many-files-1.0.0');
    const { stream, bytesRead } = countingReadable(archive, 4096);
    const result = await inspectArchive(stream, { ...LIMITS, maxEntries: 5 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(rulesOf(result.problems)).toEqual(['too-many-entries']);
    expect(bytesRead()).toBeLessThan(archive.length);
  });

  it('a 10 GB gzip bomb with a 1 MB limit, reading only the first bytes of it', async () => {
    const bomb = await gzipBomb(10e9);
    const { stream, bytesRead } = countingReadable(bomb);
    const result = await inspectArchive(stream, { ...LIMITS, maxUnpackedSize: 1_000_000 });
    expect(result).toMatchObject({ ok: false, problems: [{ rule: 'unpacked-size', path: 'zeros.bin' }] });
    expect(bomb.length).toBeGreaterThan(9_000_000);
    expect(bytesRead()).toBeLessThan(256 * 1024);
    expect(stream.destroyed).toBe(true);
  });

  it('a gzip bomb whose header lies about its size, by counting inflated bytes', async () => {
    const bomb = await gzipBomb(10e9, { declaredSize: 1024 });
    const { stream, bytesRead } = countingReadable(bomb);
    const result = await inspectArchive(stream, { ...LIMITS, maxUnpackedSize: 1_000_000 });
    expect(result).toMatchObject({ ok: false, problems: [{ rule: 'unpacked-size' }] });
    expect(bytesRead()).toBeLessThan(1024 * 1024);
  });

  it('an archive just over the unpacked-size limit, and accepts it at the limit', async () => {
    const archive = await packWith({ path: 'big.bin', body: Buffer.alloc(100_000, 1) });
    const inflated = rawTarEntries([...minimalPackEntries(), { path: 'big.bin', body: Buffer.alloc(100_000, 1) }]).length + TAR_END.length;
    expect((await inspect(archive, { ...LIMITS, maxUnpackedSize: inflated })).ok).toBe(true);
    expect(rulesOf(await problemsOf(archive, { ...LIMITS, maxUnpackedSize: 99_999 }))).toEqual(['unpacked-size']);
  });

  describe('a corrupt stream', () => {
    it('an empty input', async () => {
      expect(await problemsOf(Buffer.alloc(0))).toEqual([expect.objectContaining({ rule: 'archive-corrupt', message: expect.stringContaining('empty') })]);
    });

    it('bytes that are not gzip', async () => {
      expect(rulesOf(await problemsOf(Buffer.from('this is not a pack archive')))).toEqual(['archive-corrupt']);
    });

    it('an uncompressed tar', async () => {
      const tar = Buffer.concat([rawTarEntries(minimalPackEntries()), TAR_END]);
      expect(rulesOf(await problemsOf(tar))).toEqual(['archive-corrupt']);
    });

    it('a truncated gzip stream', async () => {
      const archive = await packFixture('kubevious-1.0.10');
      expect(rulesOf(await problemsOf(archive.subarray(0, Math.floor(archive.length / 2))))).toEqual(['archive-corrupt']);
    });

    it('a truncated tar stream inside valid gzip', async () => {
      const tar = rawTarEntries([...minimalPackEntries(), { path: 'big.bin', body: Buffer.alloc(10_000, 7) }]);
      const problems = await problemsOf(gzipSync(tar.subarray(0, tar.length - 5_000)));
      expect(problems).toEqual([expect.objectContaining({ rule: 'archive-corrupt', message: expect.stringContaining('Truncated') })]);
    });

    it('a flipped byte in the compressed data', async () => {
      const archive = Buffer.from(await packFixture('hello-universe-pack'));
      const middle = Math.floor(archive.length / 2);
      archive[middle] = (archive[middle] ?? 0) ^ 0xff;
      expect(rulesOf(await problemsOf(archive))).toContain('archive-corrupt');
    });

    it('a tar header with a wrong checksum', async () => {
      const tar = Buffer.concat([rawTarEntries(minimalPackEntries()), TAR_END]);
      tar[10] = 0x41; // inside the first entry's name: the stored checksum no longer matches
      expect(rulesOf(await problemsOf(gzipSync(tar)))).toEqual(['archive-corrupt']);
    });

    it('garbage after the gzip stream', async () => {
      const archive = Buffer.concat([await packWith(), Buffer.from('trailing garbage')]);
      expect(rulesOf(await problemsOf(archive))).toEqual(['archive-corrupt']);
    });

    it('a .tar.gz.gz', async () => {
      expect(rulesOf(await problemsOf(gzipSync(await packWith())))).toEqual(['archive-corrupt']);
    });
  });

  describe('a bad layout', () => {
    it('two top-level folders without pack.json at the root', async () => {
      const entries = minimalPackEntries();
      const problems = await problemsOf(await buildRawTarGz([...entries.map((e) => ({ ...e, path: `a/${e.path}` })), { path: 'b/README.md', body: 'x' }]));
      expect(problems).toEqual([expect.objectContaining({ rule: 'layout', message: expect.stringContaining('"b"') })]);
    });

    it('a top-level folder without pack.json', async () => {
      const problems = await problemsOf(await packFixture('antrea-1.9.0', { omit: ['pack.json'] }));
      expect(problems).toEqual([expect.objectContaining({ rule: 'file-missing', path: 'pack.json' })]);
    });

    it('pack.json two folders down', async () => {
      const problems = await problemsOf(await packFixture('antrea-1.9.0', { topDir: 'a/b' }));
      expect(problems).toEqual([
        expect.objectContaining({ rule: 'file-missing', path: 'pack.json' }),
        expect.objectContaining({ rule: 'file-missing', path: 'values.yaml' }),
      ]);
    });

    it('a missing values.yaml', async () => {
      const problems = await problemsOf(await packFixture('antrea-1.9.0', { omit: ['values.yaml'] }));
      expect(problems).toEqual([expect.objectContaining({ rule: 'file-missing', path: 'values.yaml' })]);
    });

    it('pack.json as a folder', async () => {
      const problems = await problemsOf(await buildRawTarGz([{ path: 'pack.json/', type: 'dir' }, { path: 'values.yaml', body: '' }]));
      expect(problems).toEqual([expect.objectContaining({ rule: 'file-missing', path: 'pack.json' })]);
    });

    it('an archive with no entries', async () => {
      expect(rulesOf(await problemsOf(await buildRawTarGz([])))).toEqual(['file-missing', 'file-missing']);
    });
  });

  describe('a bad pack.json or values.yaml', () => {
    it.each([['[1, 2]'], ['null'], ['"a string"']])('pack.json holding %s, which is not an object', async (text) => {
      const problems = await problemsOf(await buildRawTarGz([{ path: 'pack.json', body: text }, { path: 'values.yaml', body: '' }]));
      expect(problems).toEqual([expect.objectContaining({ rule: 'pack-json-type', path: 'pack.json' })]);
    });

    it('pack.json nested 100 000 levels deep', async () => {
      const text = `{"name": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
      const problems = await problemsOf(await buildRawTarGz([{ path: 'pack.json', body: text }, { path: 'values.yaml', body: '' }]));
      expect(rulesOf(problems)).toContain('pack-json-depth');
    });

    it(`pack.json larger than ${MAX_PACK_JSON_BYTES} bytes`, async () => {
      const archive = await packFixture('antrea-1.9.0', { editPackJson: (pj) => (pj['padding'] = 'x'.repeat(MAX_PACK_JSON_BYTES)) });
      expect(await problemsOf(archive)).toEqual([expect.objectContaining({ rule: 'pack-json-too-large', path: 'pack.json' })]);
    });

    it('pack.json that is not UTF-8', async () => {
      const problems = await problemsOf(await buildRawTarGz([{ path: 'pack.json', body: Buffer.from([0x7b, 0xff, 0x7d]) }, { path: 'values.yaml', body: '' }]));
      expect(problems).toEqual([expect.objectContaining({ rule: 'file-encoding', path: 'pack.json' })]);
    });

    it('a chart listed in pack.json but missing from the archive', async () => {
      const problems = await problemsOf(await packFixture('antrea-1.9.0', { omit: ['charts/antrea-1.9.0.tgz'] }));
      expect(problems).toEqual([expect.objectContaining({ rule: 'pack-json-missing-file', path: 'pack.json:charts[0]' })]);
      expect(problems[0]?.message).toContain('charts/antrea-1.9.0.tgz');
    });

    it('a manifest listed in pack.json but missing from the archive', async () => {
      const problems = await problemsOf(await packFixture('kubeflow-pipelines-1.5.0', { omit: ['manifests/base_manifests.yaml'] }));
      expect(problems).toEqual([expect.objectContaining({ rule: 'pack-json-missing-file', path: 'pack.json:kubeManifests[0]' })]);
    });

    it('a layer outside the list', async () => {
      const problems = await problemsOf(await packFixture('antrea-1.9.0', { editPackJson: (pj) => (pj['layer'] = 'network') }));
      expect(problems).toEqual([expect.objectContaining({ rule: 'pack-json-field', path: 'pack.json:layer' })]);
    });

    it('the version latest', async () => {
      const problems = await problemsOf(await packFixture('antrea-1.9.0', { editPackJson: (pj) => (pj['version'] = 'latest') }));
      expect(problems).toEqual([expect.objectContaining({ rule: 'pack-json-field', path: 'pack.json:version' })]);
    });

    it('a billion-laughs values.yaml', async () => {
      const problems = await problemsOf(await packFixture('antrea-1.9.0', { extraFiles: { 'values.yaml': BILLION_LAUGHS_YAML } }));
      expect(problems).toEqual([expect.objectContaining({ rule: 'values-yaml-aliases', path: 'values.yaml' })]);
    });

    it(`values.yaml larger than ${MAX_VALUES_YAML_BYTES} bytes`, async () => {
      const problems = await problemsOf(await packFixture('antrea-1.9.0', { extraFiles: { 'values.yaml': `a: ${'x'.repeat(MAX_VALUES_YAML_BYTES)}\n` } }));
      expect(problems).toEqual([expect.objectContaining({ rule: 'values-yaml-too-large', path: 'values.yaml' })]);
    });

    it('values.yaml that is not YAML', async () => {
      const problems = await problemsOf(await packFixture('antrea-1.9.0', { extraFiles: { 'values.yaml': 'a: [1\nb: :' } }));
      expect(rulesOf(problems).every((rule) => rule === 'values-yaml-syntax')).toBe(true);
    });
  });

  it('several problems at once, each reported', async () => {
    const archive = await packFixture('antrea-1.9.0', { topDir: null, omit: ['values.yaml'], editPackJson: (pj) => (pj['version'] = 'v-next') });
    // node-tar writes no symlink from memory: put hand-made entries in front of its (inflated) archive.
    const hostile = rawTarEntries([
      { path: 'charts/link', type: 'symlink', linkpath: '../../etc' },
      { path: '/abs', body: 'x' },
    ]);
    const problems = await problemsOf(gzipSync(Buffer.concat([hostile, gunzipSync(archive)])));
    expect(problems).toEqual([
      expect.objectContaining({ rule: 'entry-type', path: 'charts/link' }),
      expect.objectContaining({ rule: 'path-absolute', path: '/abs' }),
      expect.objectContaining({ rule: 'pack-json-field', path: 'pack.json:version' }),
      expect.objectContaining({ rule: 'file-missing', path: 'values.yaml' }),
    ]);
  });
});
