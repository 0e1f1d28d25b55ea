// Every command, argument form and flag of the Spectro CLI reference (docs.spectrocloud.com, "Spectro Cloud CLI
// Tool") works with packctl with the same meaning, and packctl's own spellings stay as aliases. The user's
// default registry is a decoy that answers nothing, so a command only succeeds when the flag or argument that
// names the registry was understood.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureFiles } from '../helpers/archives.js';
import { errorLines, makePackctlUser, packctlTempDir, type PackctlUser, serverOf, writePackFolder } from '../helpers/packctl.js';
import { ADMIN, startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const DECOY = '127.0.0.1:9';

let registry: TestRegistry;
let server: string;
let user: PackctlUser;

/** Logged in to the registry and to the decoy, with the decoy as the default registry. */
async function decoyUser(): Promise<PackctlUser> {
  const made = await makePackctlUser();
  await mkdir(made.home, { recursive: true, mode: 0o700 });
  const auth = Buffer.from(`${ADMIN.user}:${ADMIN.password}`, 'utf8').toString('base64');
  const config = { auths: { [serverOf(registry)]: { auth, insecure: false }, [DECOY]: { auth, insecure: false } }, defaultRegistry: DECOY };
  await writeFile(join(made.home, 'config.json'), JSON.stringify(config), { mode: 0o600 });
  await made.trust(registry);
  return made;
}

async function packFolder(name: string): Promise<string> {
  const files = await fixtureFiles('hello-universe-pack', { editPackJson: (packJson) => (packJson.name = name) });
  return writePackFolder(files, name);
}

async function stored(name: string, ref = '1.0.0'): Promise<{ status: number; body: Record<string, unknown> }> {
  const answer = await registry.get(`/v1/packs/${name}/${ref}`).auth(ADMIN.user, ADMIN.password);
  return { status: answer.status, body: answer.body as Record<string, unknown> };
}

beforeAll(async () => {
  registry = await startTestRegistry();
  server = serverOf(registry);
  user = await decoyUser();
});
afterAll(async () => {
  await registry.destroy();
});

describe('the Spectro CLI’s spellings', () => {
  it('registry login [SERVER] with -i/--insecure and -d/--default; without SERVER, the default registry', async () => {
    for (const flags of [['-i', '-d'], ['--insecure', '--default']]) {
      const fresh = await makePackctlUser();
      const result = await fresh.run(['registry', 'login', server, ...flags, '-u', ADMIN.user, '--password-stdin'], { stdin: ADMIN.password });
      expect(result.code, flags.join(' ')).toBe(0);
      expect(await fresh.config()).toMatchObject({ auths: { [server]: { insecure: true } }, defaultRegistry: server });

      const again = await fresh.run(['registry', 'login', '-i', '-u', ADMIN.user, '--password-stdin'], { stdin: ADMIN.password });
      expect(again.code).toBe(0);
      expect(again.stdout).toBe('Login Succeeded\n');
    }
    const nobody = await makePackctlUser();
    const none = await nobody.run(['registry', 'login', '-u', ADMIN.user, '--password-stdin'], { stdin: ADMIN.password });
    expect(none.code).toBe(2);
    expect(errorLines(none)).toEqual(['error: no registry given and no default registry: pass SERVER as host[:port]']);
  });

  it('pack push DIR with -r, --registry-server (both forms) and the old --registry', async () => {
    const spellings = [['-r', server], ['--registry-server', server], [`--registry-server=${server}`], ['--registry', server]];
    for (const [index, flags] of spellings.entries()) {
      const result = await user.run(['pack', 'push', await packFolder(`spelling-${index}`), ...flags]);
      expect(result.code, flags.join(' ')).toBe(0);
      expect(result.stdout).toContain(`Pushed spelling-${index}:1.0.0 to ${server}`);
    }
    const both = await user.run(['pack', 'push', await packFolder('spelling-both'), '-r', server, '--registry', server]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("option '--registry <server>' cannot be used with option '-r, --registry-server <server>'");
  });

  it('pack push with no PACK_SOURCE_DIR pushes the current folder', async () => {
    const folder = await packFolder('push-here');
    const result = await user.run(['pack', 'push', '-r', server], { cwd: folder });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Pushed push-here:1.0.0');
  });

  it('pack push -f/--force with -m/--message, the digest check, and --skip-digest-check', async () => {
    const folder = await packFolder('force-spellings');
    expect((await user.run(['pack', 'push', folder, '-r', server])).code).toBe(0);

    await writeFile(join(folder, 'values.yaml'), 'pack:\n  namespace: one\n');
    const short = await user.run(['pack', 'push', folder, '-f', '-m', 'short flags', '-r', server]);
    expect(short.code).toBe(0);
    expect((await stored('force-spellings')).body.message).toBe('short flags');

    await writeFile(join(folder, 'values.yaml'), 'pack:\n  namespace: two\n');
    const long = await user.run(['pack', 'push', folder, '--force', '--message', 'long flags', '--registry-server', server]);
    expect(long.code).toBe(0);
    expect((await stored('force-spellings')).body.message).toBe('long flags');

    const unchanged = await user.run(['pack', 'push', '-m', 'same', '--registry-server', server, '--force', folder]);
    expect(unchanged.code).toBe(0);
    expect(unchanged.stdout).toMatch(/^Unchanged: force-spellings:1\.0\.0 on \S+ already has this content \(sha256:[0-9a-f]{64}\); nothing was pushed\n$/);
    expect(unchanged.stderr).toBe('');
    expect((await stored('force-spellings')).body.message).toBe('long flags');

    const skipped = await user.run(['pack', 'push', folder, '--force', '--message', 'skip', '--skip-digest-check', '-r', server]);
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toContain('Pushed force-spellings:1.0.0');
    expect((await stored('force-spellings')).body.message).toBe('skip');
  });

  it('pack ls [SERVER] with -n/--name and -r/--registry-server', async () => {
    await user.run(['pack', 'push', await packFolder('ls-spelling'), '-r', server]);
    const forms = [
      [server],
      [server, '--name', 'ls-spelling', '--registry-server', server],
      ['-n', 'ls-spelling', '-r', server],
      ['--name=ls-spelling', `--registry-server=${server}`],
      ['--name', 'ls-spelling', '--registry', server],
    ];
    for (const args of forms) {
      const result = await user.run(['pack', 'ls', ...args]);
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout, args.join(' ')).toMatch(/^ls-spelling\s+1\.0\.0/m);
    }
    const two = await user.run(['pack', 'ls', server, '-r', DECOY]);
    expect(two.code).toBe(2);
    expect(errorLines(two)).toEqual([`error: two registries given: ${server} and -r ${DECOY}; give one`]);
  });

  it('pack pull NAME[:TAG|@DIGEST] TARGET_DIR with -r/--registry-server', async () => {
    const pushed = await user.run(['pack', 'push', await packFolder('pull-spelling'), '-r', server]);
    const digest = /Digest: (\S+)/.exec(pushed.stdout)?.[1] ?? '';
    expect(digest).toMatch(/^sha256:/);
    for (const [reference, flags] of [
      ['pull-spelling:1.0.0', ['--registry-server', server]],
      [`pull-spelling@${digest}`, ['-r', server]],
      ['pull-spelling', ['--registry', server]],
    ] as const) {
      const target = await packctlTempDir();
      const result = await user.run(['pack', 'pull', reference, target, ...flags]);
      expect(result.code, reference).toBe(0);
      expect(await readdir(target)).toEqual(['pull-spelling-1.0.0']);
    }
  });

  it('pack tag add SOURCE_PACK:TAG TARGET_LABEL with -g/--group and -r/--registry-server; pack tag delete PACK:TAG', async () => {
    await user.run(['pack', 'push', await packFolder('tag-spelling'), '-r', server]);
    expect((await user.run(['pack', 'tag', 'add', 'tag-spelling:1.0.0', 'stable', '-r', server])).code).toBe(0);
    expect((await user.run(['pack', 'tag', 'add', 'tag-spelling:1.0.0', 'beta', '-g', 'lts', '-r', server])).code).toBe(0);
    expect((await user.run(['pack', 'tag', 'add', 'tag-spelling:stable', 'edge', '--group', 'lts', '--registry-server', server])).code).toBe(0);
    expect((await user.run(['pack', 'tag', 'add', 'tag-spelling:1.0.0', 'old', '--registry', server])).code).toBe(0);
    expect((await stored('tag-spelling')).body.tags).toEqual(expect.arrayContaining(['stable', 'lts__beta', 'lts__edge', 'old']));

    expect((await user.run(['pack', 'tag', 'delete', 'tag-spelling:stable', '-r', server])).code).toBe(0);
    expect((await user.run(['pack', 'tag', 'delete', 'tag-spelling:lts__beta', '--registry-server', server])).code).toBe(0);
    expect((await user.run(['pack', 'tag', 'delete', 'tag-spelling:old', '--registry', server])).code).toBe(0);
    const tags = (await stored('tag-spelling')).body.tags as string[];
    expect(tags).toContain('lts__edge');
    expect(tags).not.toEqual(expect.arrayContaining(['stable']));
    expect(tags).not.toContain('lts__beta');
    expect(tags).not.toContain('old');
  });

  it('version, and the global -s/--home and -h/--help anywhere on the line', async () => {
    expect((await user.run(['version'])).stdout).toMatch(/^packctl version \d+\.\d+\.\d+/);
    // runPackctl passes --home first; -s/--home after the command names another home (with no registry).
    const empty = await packctlTempDir();
    for (const flag of ['-s', '--home']) {
      const result = await user.run(['pack', 'ls', flag, empty]);
      expect(result.code, flag).toBe(2);
      expect(errorLines(result)[0]).toContain('no registry given and no default registry');
    }
    for (const command of [['pack', 'push'], ['pack', 'ls'], ['pack', 'pull'], ['pack', 'tag', 'add'], ['pack', 'tag', 'delete']]) {
      const help = await user.run([...command, '-h']);
      expect(help.code).toBe(0);
      expect(help.stdout, command.join(' ')).toContain('-r, --registry-server <server>');
      expect(help.stdout, command.join(' ')).not.toContain('--registry <server>');
      expect(help.stdout).toContain('-s, --home <dir>');
    }
  });
});
