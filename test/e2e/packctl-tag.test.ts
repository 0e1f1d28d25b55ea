// packctl pack tag add / delete against the registry's tag endpoints, and pulls by the tags made.
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureFiles } from '../helpers/archives.js';
import { errorLines, loggedInUser, packctlTempDir, type PackctlUser, writePackFolder } from '../helpers/packctl.js';
import { ADMIN, READER, startTestRegistry, type TestRegistry } from '../helpers/registry.js';

let registry: TestRegistry;
let admin: PackctlUser;

async function pushTutorial(version: string): Promise<void> {
  const files = await fixtureFiles('hello-universe-pack', { editPackJson: (packJson) => (packJson.version = version) });
  const result = await admin.run(['pack', 'push', await writePackFolder(files, `hellouniverse-${version}`)]);
  if (result.code !== 0) throw new Error(`push failed: ${result.stderr}`);
}

async function tagsOf(name: string): Promise<{ tag: string; version: string; auto: boolean }[]> {
  const answer = await registry.get(`/v1/packs/${name}`).auth(ADMIN.user, ADMIN.password);
  return (answer.body as { tags: { tag: string; version: string; auto: boolean }[] }).tags;
}

beforeAll(async () => {
  registry = await startTestRegistry();
  admin = await loggedInUser(registry);
  await pushTutorial('1.0.0');
  await pushTutorial('1.1.0');
});
afterAll(async () => {
  await registry.destroy();
});

describe('packctl pack tag', () => {
  it('adds LABEL to the version NAME:TAG resolves to, and pull finds the pack by it', async () => {
    const added = await admin.run(['pack', 'tag', 'add', 'hellouniverse:1.0.0', 'stable']);
    expect(added.code).toBe(0);
    expect(added.stdout).toBe('Tagged hellouniverse:1.0.0 as hellouniverse:stable (version 1.0.0)\n');
    expect(await tagsOf('hellouniverse')).toContainEqual({ tag: 'stable', version: '1.0.0', auto: false });

    const target = await packctlTempDir();
    expect((await admin.run(['pack', 'pull', 'hellouniverse:stable', target])).code).toBe(0);
    expect(await readdir(target)).toEqual(['hellouniverse-1.0.0']);
  });

  it('adds GROUP__LABEL with -g, and moves an existing user tag to another version', async () => {
    const grouped = await admin.run(['pack', 'tag', 'add', 'hellouniverse:1.1.0', 'edge', '-g', 'lts']);
    expect(grouped.code).toBe(0);
    expect(await tagsOf('hellouniverse')).toContainEqual({ tag: 'lts__edge', version: '1.1.0', auto: false });

    expect((await admin.run(['pack', 'tag', 'add', 'hellouniverse:1.0.0', 'edge', '--group', 'lts'])).code).toBe(0);
    expect(await tagsOf('hellouniverse')).toContainEqual({ tag: 'lts__edge', version: '1.0.0', auto: false });
  });

  it('shows ls rows with the user tags next to the version’s own tags', async () => {
    expect((await admin.run(['pack', 'tag', 'add', 'hellouniverse:1.1.0', 'latest-ls'])).code).toBe(0);
    const ls = await admin.run(['pack', 'ls', '-n', 'hellouniverse']);
    const row = ls.stdout.split('\n').find((line) => /^hellouniverse\s+1\.1\.0\s/.test(line));
    expect(row?.split(/\s+/)[2]?.split(',')).toEqual(expect.arrayContaining(['1.1.0', 'latest-ls']));
  });

  it('deletes a user tag; pulling by it then answers exit code 4', async () => {
    expect((await admin.run(['pack', 'tag', 'add', 'hellouniverse:1.0.0', 'doomed'])).code).toBe(0);
    const deleted = await admin.run(['pack', 'tag', 'delete', 'hellouniverse:doomed']);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe('Deleted tag hellouniverse:doomed\n');
    expect((await tagsOf('hellouniverse')).map((tag) => tag.tag)).not.toContain('doomed');

    const pull = await admin.run(['pack', 'pull', 'hellouniverse:doomed', await packctlTempDir()]);
    expect(pull.code).toBe(4);
  });

  it('refuses to delete a parent tag the registry manages: TAG_AUTO, exit code 5', async () => {
    const result = await admin.run(['pack', 'tag', 'delete', 'hellouniverse:1.x']);
    expect(result.code).toBe(5);
    expect(errorLines(result)).toEqual([expect.stringMatching(/^error: TAG_AUTO: /)]);
    expect((await tagsOf('hellouniverse')).map((tag) => tag.tag)).toContain('1.x');
  });

  it('answers exit code 4 for a tag or a source version that does not exist', async () => {
    const missingSource = await admin.run(['pack', 'tag', 'add', 'hellouniverse:9.9.9', 'nowhere']);
    expect(missingSource.code).toBe(4);
    expect(errorLines(missingSource)).toEqual([expect.stringMatching(/^error: PACK_NOT_FOUND: /)]);
    const missingTag = await admin.run(['pack', 'tag', 'delete', 'hellouniverse:never-made']);
    expect(missingTag.code).toBe(4);
    expect(errorLines(missingTag)).toEqual([expect.stringMatching(/^error: TAG_NOT_FOUND: /)]);
  });

  it('checks labels and groups with the registry’s naming rules before sending anything (exit code 2)', async () => {
    for (const args of [
      ['add', 'hellouniverse:1.0.0', 'bad__label'],
      ['add', 'hellouniverse:1.0.0', 'tags'],
      ['add', 'hellouniverse:1.0.0', 'ok', '-g', 'bad group'],
      ['add', 'hellouniverse', 'no-source-tag'],
      ['delete', 'hellouniverse'],
    ]) {
      const result = await admin.run(['pack', 'tag', ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(errorLines(result), args.join(' ')).toHaveLength(1);
    }
  });

  it('refuses a reader’s tag change with DENIED, exit code 3', async () => {
    const reader = await loggedInUser(registry, READER);
    const result = await reader.run(['pack', 'tag', 'add', 'hellouniverse:1.0.0', 'mine']);
    expect(result.code).toBe(3);
    expect(errorLines(result)).toEqual([expect.stringMatching(/^error: DENIED: /)]);
  });
});
