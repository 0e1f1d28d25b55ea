// Every sample pack (test/helpers/sample-packs.ts: the mirrors of real packs, a 5 MB pack, one of 400+
// files, hidden files) survives packctl: push the folder, pull it back, and every file is there, byte for
// byte, and nothing else.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extraFixtureNames, fixtureFiles, fixtureNames } from '../helpers/archives.js';
import { loggedInUser, packctlTempDir, type PackctlUser, readTree, writePackFolder } from '../helpers/packctl.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

let registry: TestRegistry;
let admin: PackctlUser;

beforeAll(async () => {
  registry = await startTestRegistry();
  admin = await loggedInUser(registry);
});
afterAll(async () => {
  await registry.destroy();
});

describe('packctl round-trip of every fixture pack', () => {
  it('has fixtures to test', () => {
    expect(fixtureNames().length).toBeGreaterThanOrEqual(12);
  });

  for (const fixture of [...fixtureNames(), ...extraFixtureNames()]) {
    it(`pushes the folder ${fixture}, pulls it back and gets every file byte for byte`, async () => {
      const source = await writePackFolder(await fixtureFiles(fixture), fixture);
      const { name, version } = JSON.parse(await readFile(join(source, 'pack.json'), 'utf8')) as { name: string; version: string };

      const pushed = await admin.run(['pack', 'push', source]);
      expect(pushed.stderr).not.toContain('error:');
      expect(pushed.code).toBe(0);

      const target = await packctlTempDir('packctl-roundtrip-');
      const pulled = await admin.run(['pack', 'pull', `${name}:${version}`, target]);
      expect(pulled.stderr).not.toContain('error:');
      expect(pulled.code).toBe(0);

      expect(await readdir(target)).toEqual([`${name}-${version}`]);
      const expected = await readTree(source);
      const actual = await readTree(join(target, `${name}-${version}`));
      expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [path, body] of expected) expect(actual.get(path)?.equals(body), path).toBe(true);
    });
  }
});
