// packctl pack ls and pack pull: the table, references by version, tag and digest, the target folder
// rules, and the digest checks that keep a corrupted or forged archive from being unpacked.
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRawTarGz, fixtureFiles } from '../helpers/archives.js';
import { errorLines, loggedInUser, makePackctlUser, packctlTempDir, type PackctlUser, readTree, writePackFolder } from '../helpers/packctl.js';
import { startArchiveProxy, type ArchiveAnswer } from '../helpers/packctl-proxy.js';
import { ADMIN, READER, startTestRegistry, type TestRegistry } from '../helpers/registry.js';

let registry: TestRegistry;
let admin: PackctlUser;
let reader: PackctlUser;
/** The tutorial pack's files, as pushed as hellouniverse:1.0.0. */
let helloFiles: Map<string, Buffer>;
let helloDigest: string;

async function pushFolder(files: Map<string, Buffer>, name: string): Promise<void> {
  const result = await admin.run(['pack', 'push', await writePackFolder(files, name)]);
  if (result.code !== 0) throw new Error(`push failed: ${result.stderr}`);
}

/** The hello-universe tutorial pack renamed (and versioned, grouped) for one test. */
function tutorialPack(name: string, version = '1.0.0', group?: string): Promise<Map<string, Buffer>> {
  return fixtureFiles('hello-universe-pack', {
    editPackJson: (packJson) => {
      packJson.name = name;
      packJson.version = version;
      if (group) packJson.group = group;
    },
  });
}

beforeAll(async () => {
  registry = await startTestRegistry();
  admin = await loggedInUser(registry);
  reader = await loggedInUser(registry, READER);
  helloFiles = await fixtureFiles('hello-universe-pack');
  await pushFolder(helloFiles, 'hellouniverse');
  await pushFolder(await tutorialPack('hellouniverse', '1.1.0', 'lts'), 'hellouniverse-lts');
  await pushFolder(await fixtureFiles('hello-universe-1.3.1'), 'hello-universe');
  const version = await registry.get('/v1/packs/hellouniverse/1.0.0').auth(ADMIN.user, ADMIN.password);
  helloDigest = (version.body as { digest: string }).digest;
});
afterAll(async () => {
  await registry.destroy();
});

describe('packctl pack ls', () => {
  it('lists every version as a row: name, version, tags, layer, pushed at', async () => {
    const result = await reader.run(['pack', 'ls']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+VERSION\s+TAGS\s+LAYER\s+PUSHED AT$/);
    const byVersion = lines.slice(1).map((line) => line.split(/\s+/));
    expect(byVersion.map((cells) => [cells[0], cells[1]])).toEqual([
      ['hello-universe', '1.3.1'],
      ['hellouniverse', '1.0.0'],
      ['hellouniverse', '1.1.0'],
    ]);
    for (const cells of byVersion) {
      expect(cells[2]?.split(',')).toContain(cells[1] === '1.1.0' ? 'lts__1.1.0' : cells[1]);
      expect(cells[3]).toBe('addon');
      expect(cells[4]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
  });

  it('filters by name with -n (a substring, as the registry matches it)', async () => {
    const result = await reader.run(['pack', 'ls', '-n', 'hello-uni']);
    expect(result.code).toBe(0);
    const names = result.stdout.trimEnd().split('\n').slice(1).map((line) => line.split(/\s+/)[0]);
    expect(names).toEqual(['hello-universe']);

    const none = await reader.run(['pack', 'ls', '--name', 'no-such-pack']);
    expect(none.code).toBe(0);
    expect(none.stdout.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('packctl pack pull', () => {
  it('pulls NAME:VERSION into TARGET_DIR/<name>-<version>/ with every file as pushed, progress as plain lines', async () => {
    const target = await packctlTempDir();
    const result = await reader.run(['pack', 'pull', 'hellouniverse:1.0.0', target]);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `Pulled hellouniverse:1.0.0 from ${new URL(registry.url).host} into ${join(target, 'hellouniverse-1.0.0')}\nDigest: ${helloDigest}\n`,
    );
    expect(result.stderr).toMatch(/^Downloading hellouniverse:1\.0\.0 \(\d+\.\d kB\) \.\.\.\n.*done in/s);
    expect(await readdir(target)).toEqual(['hellouniverse-1.0.0']);
    expect(await readTree(join(target, 'hellouniverse-1.0.0'))).toEqual(helloFiles);
  });

  it('pulls by a tag (lts__1.1.0), by @digest, and a bare NAME as its highest version', async () => {
    const target = await packctlTempDir();
    const byTag = await reader.run(['pack', 'pull', 'hellouniverse:lts__1.1.0', target]);
    expect(byTag.code).toBe(0);
    const pack = JSON.parse(await readFile(join(target, 'hellouniverse-1.1.0', 'pack.json'), 'utf8')) as { version: string; group: string };
    expect(pack).toMatchObject({ version: '1.1.0', group: 'lts' });

    const byDigest = await reader.run(['pack', 'pull', `hellouniverse@${helloDigest}`, target]);
    expect(byDigest.code).toBe(0);
    expect(await readTree(join(target, 'hellouniverse-1.0.0'))).toEqual(helloFiles);

    const latestTarget = await packctlTempDir();
    const latest = await reader.run(['pack', 'pull', 'hellouniverse', latestTarget]);
    expect(latest.code).toBe(0);
    expect(await readdir(latestTarget)).toEqual(['hellouniverse-1.1.0']);
  });

  it('creates a missing TARGET_DIR and uses an empty existing pack folder', async () => {
    const parent = await packctlTempDir();
    const target = join(parent, 'a', 'b');
    expect((await reader.run(['pack', 'pull', 'hellouniverse:1.0.0', target])).code).toBe(0);
    await mkdir(join(parent, 'c', 'hellouniverse-1.0.0'), { recursive: true });
    expect((await reader.run(['pack', 'pull', 'hellouniverse:1.0.0', join(parent, 'c')])).code).toBe(0);
    expect(await readTree(join(parent, 'c', 'hellouniverse-1.0.0'))).toEqual(helloFiles);
  });

  it('refuses to overwrite a non-empty pack folder (exit code 5) unless --force, which replaces it whole', async () => {
    const target = await packctlTempDir();
    const folder = join(target, 'hellouniverse-1.0.0');
    await mkdir(folder);
    await writeFile(join(folder, 'my-notes.txt'), 'keep me');

    const refused = await reader.run(['pack', 'pull', 'hellouniverse:1.0.0', target]);
    expect(refused.code).toBe(5);
    expect(errorLines(refused)).toEqual([`error: ${folder} already exists and is not empty; pass --force to replace it`]);
    expect(await readdir(folder)).toEqual(['my-notes.txt']);

    const forced = await reader.run(['pack', 'pull', 'hellouniverse:1.0.0', target, '--force']);
    expect(forced.code).toBe(0);
    expect(await readTree(folder)).toEqual(helloFiles);
    expect(await readdir(target)).toEqual(['hellouniverse-1.0.0']);
  });

  it('answers a missing version with PACK_NOT_FOUND and exit code 4, and a malformed reference with exit code 2', async () => {
    const target = await packctlTempDir();
    const missing = await reader.run(['pack', 'pull', 'hellouniverse:9.9.9', target]);
    expect(missing.code).toBe(4);
    expect(errorLines(missing)).toEqual(['error: PACK_NOT_FOUND: pack hellouniverse:9.9.9 not found']);

    const malformed = await reader.run(['pack', 'pull', 'hellouniverse@sha256:abc', target]);
    expect(malformed.code).toBe(2);
    expect(await readdir(target)).toEqual([]);
  });

  it('detects an archive whose bytes do not match its ETag (a corrupted blob) and unpacks nothing', async () => {
    await pushFolder(await tutorialPack('corrupted'), 'corrupted');
    const version = await registry.get('/v1/packs/corrupted/1.0.0').auth(ADMIN.user, ADMIN.password);
    const hex = (version.body as { archiveDigest: string }).archiveDigest.slice('sha256:'.length);
    const blob = join(registry.dir, 'storage', 'blobs', 'sha256', hex.slice(0, 2), hex);
    const bytes = await readFile(blob);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
    await chmod(blob, 0o644);
    await writeFile(blob, bytes);

    const target = await packctlTempDir();
    const result = await admin.run(['pack', 'pull', 'corrupted:1.0.0', target]);
    expect(result.code).toBe(1);
    expect(errorLines(result)).toEqual([
      `error: DIGEST_MISMATCH: the archive received is sha256:${createHash('sha256').update(bytes).digest('hex')} but the registry announced sha256:${hex}; nothing was unpacked`,
    ]);
    expect(await readdir(target)).toEqual([]);
  });

  describe('through a proxy that forges answers', () => {
    async function pullThroughProxy(rewrite: (answer: ArchiveAnswer) => ArchiveAnswer, reference: string) {
      const proxy = await startArchiveProxy(registry, rewrite);
      try {
        const user = await makePackctlUser();
        const login = await user.run(['registry', 'login', proxy.server, '-u', ADMIN.user, '--password-stdin', '--insecure'], {
          stdin: ADMIN.password,
        });
        expect(login.code).toBe(0);
        const target = await packctlTempDir();
        const result = await user.run(['pack', 'pull', reference, join(target, 'packs')]);
        return { result, target };
      } finally {
        await proxy.close();
      }
    }

    it('passes an honest answer through unchanged (the proxy itself is faithful)', async () => {
      const { result, target } = await pullThroughProxy((answer) => answer, 'hellouniverse:1.0.0');
      expect(result.code).toBe(0);
      expect(await readTree(join(target, 'packs', 'hellouniverse-1.0.0'))).toEqual(helloFiles);
    });

    it('detects files whose content digest is not the announced Pack-Digest and unpacks nothing', async () => {
      const forged = `sha256:${'0'.repeat(64)}`;
      const { result, target } = await pullThroughProxy(
        (answer) => ({ ...answer, headers: { ...answer.headers, 'pack-digest': forged } }),
        'hellouniverse:1.0.0',
      );
      expect(result.code).toBe(1);
      expect(errorLines(result)).toEqual([
        `error: DIGEST_MISMATCH: the content received is ${helloDigest} but the registry announced ${forged}; nothing was unpacked`,
      ]);
      expect(await readdir(join(target, 'packs'))).toEqual([]);
    });

    it('refuses an archive with a symlink and a ../ path even when its digests match, writing nothing anywhere', async () => {
      const evil = await buildRawTarGz([
        { path: 'pack.json', body: JSON.stringify({ name: 'hellouniverse', displayName: 'Evil', version: '1.0.0', layer: 'addon' }) },
        { path: 'values.yaml', body: 'a: 1\n' },
        { path: 'escape', type: 'symlink', linkpath: '/etc' },
        { path: '../evil.txt', body: 'outside' },
      ]);
      const { result, target } = await pullThroughProxy(
        (answer) => ({
          body: evil,
          headers: { ...answer.headers, etag: `"sha256:${createHash('sha256').update(evil).digest('hex')}"` },
        }),
        'hellouniverse:1.0.0',
      );
      expect(result.code).toBe(7);
      const lines = errorLines(result);
      expect(lines.join('\n')).toContain('"escape" is a symbolic link');
      expect(lines.join('\n')).toContain(`"../evil.txt" contains a '..' segment`);
      expect(lines.at(-1)).toMatch(/is not a valid pack; nothing was unpacked$/);
      expect(await readdir(join(target, 'packs'))).toEqual([]);
      await expect(stat(join(target, 'evil.txt'))).rejects.toThrow(/ENOENT/);
    });
  });
});
