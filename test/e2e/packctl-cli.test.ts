// packctl as a program: version, help on every command, usage errors, and what it shows on a terminal
// (progress bars, prompts with a hidden password).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureFiles } from '../helpers/archives.js';
import { errorLines, loggedInUser, makePackctlUser, packctlTempDir, runInTerminal, serverOf, writePackFolder } from '../helpers/packctl.js';
import { ADMIN, startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { readFileSync } from 'node:fs';
import { REPO_ROOT } from '../helpers/process.js';

const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };

describe('packctl commands and help', () => {
  it('prints its version with `version` and --version', async () => {
    const user = await makePackctlUser();
    const result = await user.run(['version']);
    expect(result).toEqual({ code: 0, stdout: `packctl version ${version}\n`, stderr: '' });
    expect((await user.run(['--version'])).stdout).toBe(`${version}\n`);
  });

  it.each([
    [[], 'Usage: packctl [options] [command]'],
    [['registry'], 'Usage: packctl registry [options] [command]'],
    [['registry', 'login'], 'Usage: packctl registry login [options] [server]'],
    [['pack'], 'Usage: packctl pack [options] [command]'],
    [['pack', 'push'], 'Usage: packctl pack push [options] [source]'],
    [['pack', 'ls'], 'Usage: packctl pack ls [options] [server]'],
    [['pack', 'pull'], 'Usage: packctl pack pull [options] <reference> <target_dir>'],
    [['pack', 'tag'], 'Usage: packctl pack tag [options] [command]'],
    [['pack', 'tag', 'add'], 'Usage: packctl pack tag add [options] <reference> <label>'],
    [['pack', 'tag', 'delete'], 'Usage: packctl pack tag delete [options] <reference>'],
    [['version'], 'Usage: packctl version [options]'],
  ])('shows help for `packctl %j -h` with the global --home option, exit code 0', async (command, usage) => {
    const user = await makePackctlUser();
    const results = await Promise.all(['-h', '--help'].map((flag) => user.run([...command, flag])));
    for (const result of results) {
      expect(result.code).toBe(0);
      expect(result.stdout.split('\n')[0]).toBe(usage);
      expect(result.stdout).toContain('-s, --home <dir>');
    }
  });

  it('answers unknown commands, unknown options and missing arguments with one usage error line, exit code 2', async () => {
    const user = await makePackctlUser();
    for (const args of [['nope'], ['pack', 'ls', '--bogus'], ['pack', 'pull', 'hellouniverse'], ['registry', 'login']]) {
      const result = await user.run(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(errorLines(result), args.join(' ')).toHaveLength(1);
      expect(result.stdout).toBe('');
    }
  });
});

describe('packctl on a terminal', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startTestRegistry();
  });
  afterAll(async () => {
    await registry.destroy();
  });

  it('asks for the user name and a hidden password when they are missing', async () => {
    const user = await makePackctlUser();
    await user.trust(registry);
    const result = await runInTerminal(user, ['registry', 'login', serverOf(registry)], [
      { waitFor: /Username: /, type: `${ADMIN.user}\r` },
      { waitFor: /Password: /, type: `${ADMIN.password}\r` },
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Login Succeeded');
    // eslint-disable-next-line no-control-regex -- removing the terminal's escape sequences is the point
    expect(result.stdout.replace(/\u001b(\[[0-9;?]*[A-Za-z]|[78])/g, '')).toMatch(/Username: admin\s+Password: \s+WARNING!/);
    expect(result.stdout).not.toContain(ADMIN.password);
    expect(await user.config()).toMatchObject({ defaultRegistry: serverOf(registry) });
  });

  it('draws progress bars for the upload and the download', async () => {
    const user = await loggedInUser(registry);
    const files = await fixtureFiles('hello-universe-1.3.1');
    const pushed = await runInTerminal(user, ['pack', 'push', await writePackFolder(files, 'hello-universe')]);
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toMatch(/Uploading hello-universe-1\.3\.1\.tar\.gz \[█+\] 100% /);

    const pulled = await runInTerminal(user, ['pack', 'pull', 'hello-universe:1.3.1', await packctlTempDir()]);
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toMatch(/Downloading hello-universe:1\.3\.1 \[█+\] 100% /);
  });
});
