// packctl registry login, config.json and the two trust modes, against a real registry over HTTPS.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorLines, makePackctlUser, serverOf } from '../helpers/packctl.js';
import { ADMIN, READER, startTestRegistry, type TestRegistry } from '../helpers/registry.js';

let registry: TestRegistry;
let server: string;

beforeAll(async () => {
  registry = await startTestRegistry();
  server = serverOf(registry);
});
afterAll(async () => {
  await registry.destroy();
});

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

describe('packctl registry login', () => {
  it('checks the password, then saves it in config.json in the Spectro CLI format (file 0600, folder 0700) and warns it is unencrypted', async () => {
    const user = await makePackctlUser();
    await user.trust(registry);
    const result = await user.run(['registry', 'login', server, '-u', ADMIN.user, '--password-stdin'], { stdin: `${ADMIN.password}\n` });

    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Login Succeeded\n');
    expect(result.stderr).toMatch(/password is stored unencrypted in .*config\.json/);
    expect(await user.config()).toEqual({
      auths: { [server]: { auth: base64(`${ADMIN.user}:${ADMIN.password}`), insecure: false } },
      defaultRegistry: server,
    });
    expect((await stat(join(user.home, 'config.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(user.home)).mode & 0o777).toBe(0o700);
  });

  it('keeps the other keys of an existing config.json; only the first login or --default changes defaultRegistry', async () => {
    const user = await makePackctlUser();
    await user.trust(registry);
    await mkdir(user.home, { recursive: true });
    const existing = {
      auths: { 'other.example.com:5000': { auth: base64('someone:pw'), insecure: true } },
      defaultRegistry: 'other.example.com:5000',
      spectroCliSetting: { keep: 'me' },
    };
    await writeFile(join(user.home, 'config.json'), JSON.stringify(existing));

    // READER's password holds colons: it must come back whole from the base64 `auth`.
    await user.login(registry, READER);
    let config = await user.config();
    expect(config.defaultRegistry).toBe('other.example.com:5000');
    expect(config.spectroCliSetting).toEqual({ keep: 'me' });
    expect(config.auths).toEqual({
      ...existing.auths,
      [server]: { auth: base64(`${READER.user}:${READER.password}`), insecure: false },
    });
    expect((await user.run(['pack', 'ls', '-r', server])).code).toBe(0);

    await user.login(registry, ADMIN, ['--default']);
    config = await user.config();
    expect(config.defaultRegistry).toBe(server);
    expect((config.auths as Record<string, unknown>)[server]).toEqual({ auth: base64(`${ADMIN.user}:${ADMIN.password}`), insecure: false });
  });

  it('accepts the password as -p too', async () => {
    const user = await makePackctlUser();
    await user.trust(registry);
    const result = await user.run(['registry', 'login', server, '-u', ADMIN.user, '-p', ADMIN.password]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Login Succeeded');
  });

  it('refuses a wrong password with exit code 3, the registry’s UNAUTHORIZED, and saves nothing', async () => {
    const user = await makePackctlUser();
    await user.trust(registry);
    const result = await user.run(['registry', 'login', server, '-u', ADMIN.user, '--password-stdin'], { stdin: 'wrong\n' });

    expect(result.code).toBe(3);
    expect(errorLines(result)).toEqual([expect.stringMatching(/^error: UNAUTHORIZED: /)]);
    expect(result.stdout).toBe('');
    await expect(stat(join(user.home, 'config.json'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a SERVER given with a scheme with a usage error that shows the host:port form', async () => {
    const user = await makePackctlUser();
    const result = await user.run(['registry', 'login', `https://${server}/`, '-u', ADMIN.user, '-p', ADMIN.password]);

    expect(result.code).toBe(2);
    expect(errorLines(result)).toHaveLength(1);
    expect(result.stderr).toContain(`includes a scheme; give the registry as host[:port]`);
    expect(result.stderr).toContain(`packctl registry login ${server}`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses the self-signed certificate without --insecure or a ca.crt: exit code 6 and a hint naming both', async () => {
    const user = await makePackctlUser();
    const result = await user.run(['registry', 'login', server, '-u', ADMIN.user, '--password-stdin'], { stdin: ADMIN.password });

    expect(result.code).toBe(6);
    const lines = errorLines(result);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`the TLS certificate of ${server} is not trusted`);
    expect(lines[0]).toContain(join(user.certsDir, server, 'ca.crt'));
    expect(lines[0]).toContain('--insecure');
    await expect(stat(join(user.home, 'config.json'))).rejects.toThrow(/ENOENT/);
  });

  it('accepts the self-signed certificate with --insecure, records insecure: true, and later commands use it', async () => {
    const user = await makePackctlUser();
    await user.login(registry, ADMIN, ['--insecure']);
    const config = await user.config();
    expect((config.auths as Record<string, { insecure: boolean }>)[server]?.insecure).toBe(true);

    const ls = await user.run(['pack', 'ls']);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^NAME\s+VERSION\s+TAGS\s+LAYER\s+PUSHED AT/);
  });

  it('trusts a ca.crt in PACKCTL_CERTS_DIR/SERVER/, and a wrong ca.crt there is refused with the file named', async () => {
    const user = await makePackctlUser();
    await user.trust(registry);
    await user.login(registry);
    expect((await user.run(['pack', 'ls'])).code).toBe(0);

    // Another registry's certificate in the same place: the connection must be refused, not trusted anyway.
    const other = await startTestRegistry();
    try {
      await writeFile(join(user.certsDir, server, 'ca.crt'), other.ca);
      const result = await user.run(['pack', 'ls']);
      expect(result.code).toBe(6);
      expect(result.stderr).toContain(`checked against ${join(user.certsDir, server, 'ca.crt')}`);
    } finally {
      await other.destroy();
    }
  });

  it('asks for nothing without a terminal: a missing user or password is a usage error (exit code 2)', async () => {
    const user = await makePackctlUser();
    await user.trust(registry);
    const noUser = await user.run(['registry', 'login', server, '-p', ADMIN.password]);
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toContain('no user name: pass -u USER');
    const noPassword = await user.run(['registry', 'login', server, '-u', ADMIN.user]);
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toContain('no password: pass --password-stdin or -p PASS');
    const both = await user.run(['registry', 'login', server, '-u', ADMIN.user, '-p', 'x', '--password-stdin'], { stdin: 'y' });
    expect(both.code).toBe(2);
  });

  it('reports a registry that is not listening as a network error (exit code 6)', async () => {
    const user = await makePackctlUser();
    const stopped = await startTestRegistry();
    const address = serverOf(stopped);
    await stopped.destroy();
    const result = await user.run(['registry', 'login', address, '-u', ADMIN.user, '-p', ADMIN.password]);
    expect(result.code).toBe(6);
    expect(errorLines(result)).toEqual([`error: cannot reach ${address}: connection refused (is the registry running, and on this port?)`]);
  });

  it('reports an unreadable config.json as one line naming the file', async () => {
    const user = await makePackctlUser();
    await mkdir(user.home, { recursive: true });
    await writeFile(join(user.home, 'config.json'), '{not json');
    const result = await user.run(['pack', 'ls']);
    expect(result.code).toBe(1);
    expect(errorLines(result)).toEqual([expect.stringContaining(`${join(user.home, 'config.json')} is not valid JSON`)]);
    expect(await readFile(join(user.home, 'config.json'), 'utf8')).toBe('{not json');
  });
});

describe('packctl against a registry with TLS off', () => {
  let plain: TestRegistry;
  beforeAll(async () => {
    plain = await startTestRegistry({ env: { REGISTRY_HTTP_TLS_ENABLED: 'false' } });
  });
  afterAll(async () => {
    await plain.destroy();
  });

  it('uses plain http only with --insecure, and says why it refuses otherwise', async () => {
    const user = await makePackctlUser();
    const refused = await user.run(['registry', 'login', serverOf(plain), '-u', ADMIN.user, '-p', ADMIN.password]);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain('answered in plain HTTP, not TLS');
    expect(refused.stderr).toContain('--insecure');

    await user.login(plain, ADMIN, ['--insecure']);
    const ls = await user.run(['pack', 'ls']);
    expect(ls.code).toBe(0);
  });
});
