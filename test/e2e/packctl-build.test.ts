// packctl pack build, the built CLI as a process: a pack made from a chart folder and from a chart .tgz, the
// refusal to overwrite without --force (exit 5, nothing changed), and -p pushing the result to a registry.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartArchive, chartFiles, type ChartSpec } from '../helpers/pack-builder.js';
import { errorLines, loggedInUser, makePackctlUser, packctlTempDir, readTree, serverOf, type PackctlUser } from '../helpers/packctl.js';
import { ADMIN, startTestRegistry, type TestRegistry } from '../helpers/registry.js';

let registry: TestRegistry;
let admin: PackctlUser;

beforeAll(async () => {
  registry = await startTestRegistry();
  admin = await loggedInUser(registry);
});
afterAll(async () => {
  await registry.destroy();
});

const chart: ChartSpec = {
  name: 'podinfo',
  version: '6.5.4',
  appVersion: '6.5.4',
  templates: ['deployment.yaml', 'service.yaml'],
  values: 'replicaCount: 1\nimage:\n  repository: ghcr.io/stefanprodan/podinfo\n  tag: ""\n  pullPolicy: IfNotPresent\n',
};

async function chartFolderIn(target: string, spec: ChartSpec): Promise<void> {
  for (const [path, body] of chartFiles(spec)) {
    await mkdir(dirname(join(target, spec.name, path)), { recursive: true });
    await writeFile(join(target, spec.name, path), body);
  }
}

describe('packctl pack build', () => {
  it('makes a valid pack from a chart folder; a second build without --force exits 5 and changes nothing', async () => {
    const user = await makePackctlUser();
    const target = await packctlTempDir('build-e2e-folder-');
    await chartFolderIn(target, chart);

    const built = await user.run(['pack', 'build', 'podinfo', target]);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    expect(built.stdout).toBe(`Built podinfo:6.5.4 in ${target} (charts/podinfo-6.5.4.tgz, README.md, values.yaml, pack.json)\n`);
    const tree = await readTree(target);
    expect([...tree.keys()].filter((path) => !path.startsWith('podinfo/'))).toEqual(['README.md', 'charts/podinfo-6.5.4.tgz', 'pack.json', 'values.yaml']);
    expect(tree.get('values.yaml')?.toString('utf8')).toContain('      - image: "ghcr.io/stefanprodan/podinfo:6.5.4"\n');

    const again = await user.run(['pack', 'build', 'podinfo', target]);
    expect(again.code).toBe(5);
    expect(errorLines(again)).toEqual([`error: pack.json, values.yaml, charts/podinfo-6.5.4.tgz already exist in ${target}; nothing was written (pass --force to replace)`]);
    expect(await readTree(target)).toEqual(tree);

    const forced = await user.run(['pack', 'build', 'podinfo', target, '--force']);
    expect(forced.code).toBe(0);
  });

  it('makes a pack from a chart .tgz and pushes it with -p -r SERVER; the registry stores it', async () => {
    const target = await packctlTempDir('build-e2e-archive-');
    await writeFile(join(target, 'podinfo-6.5.4.tgz'), chartArchive(chart));

    const result = await admin.run(['pack', 'build', 'podinfo-built', target, '-p', '-r', serverOf(registry)]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Built podinfo-built:6\.5\.4 in .*\nPushed podinfo-built:6\.5\.4 to 127\.0\.0\.1:\d+\nDigest: sha256:[0-9a-f]{64}\n/);
    const stored = await registry.get('/v1/packs/podinfo-built/6.5.4').auth(ADMIN.user, ADMIN.password);
    expect(stored.status).toBe(200);
    expect(((stored.body as { files: { path: string }[] }).files).map((file) => file.path)).toEqual(['README.md', 'charts/podinfo-6.5.4.tgz', 'pack.json', 'values.yaml']);
  });

  it('refuses a folder without a chart as a usage error', async () => {
    const user = await makePackctlUser();
    const result = await user.run(['pack', 'build', 'nothing', await packctlTempDir('build-e2e-empty-')]);
    expect(result.code).toBe(2);
    expect(errorLines(result)[0]).toMatch(/^error: no Helm chart in /);
  });
});
