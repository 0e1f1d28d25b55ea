import { X509Certificate } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { packFixture } from '../helpers/archives.js';
import { makeTempDir, writeHtpasswd } from '../helpers/registry.js';
import { runServerCommand, startServerProcess, type RunningProcess } from '../helpers/process.js';

const running: RunningProcess[] = [];
afterEach(async () => {
  for (const server of running.splice(0)) await server.shutDown();
});

function serve(args: string[], cwd: string, env: Record<string, string> = {}): RunningProcess {
  const server = startServerProcess(args, { cwd, env });
  running.push(server);
  return server;
}

async function listeningUrl(server: RunningProcess): Promise<string> {
  const line = await server.waitForLine(/pack registry listening/);
  return (JSON.parse(line) as { url: string }).url;
}

describe('pack-registry serve with no configuration at all', () => {
  it('generates a certificate with IP SANs and an admin password, serves HTTPS, and stops cleanly on SIGTERM', async () => {
    const cwd = await makeTempDir();
    // Only the port differs from the embedded defaults: tests must not take :5000 on a shared machine.
    const server = serve(['serve'], cwd, { REGISTRY_HTTP_ADDR: '127.0.0.1:0' });
    const passwordLine = await server.waitForLine(/the password: /);
    const password = passwordLine.split('the password: ')[1]!.trim();
    const url = await listeningUrl(server);
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    const certificate = await readFile(join(cwd, 'certs', 'tls.crt'));
    const sans = new X509Certificate(certificate).subjectAltName ?? '';
    expect(sans).toContain('DNS:localhost');
    expect(sans).toContain('IP Address:127.0.0.1');
    expect(sans).toMatch(/IP Address:(0:0:0:0:0:0:0:1|::1)/);
    expect(sans).toContain(`DNS:${hostname()}`);
    expect((await stat(join(cwd, 'certs', 'tls.key'))).mode & 0o777).toBe(0o600);

    const htpasswd = await readFile(join(cwd, 'storage', 'htpasswd'), 'utf8');
    expect(htpasswd).toMatch(/^admin:\$2[aby]\$/);
    expect(htpasswd).not.toContain(password);
    expect((await stat(join(cwd, 'storage', 'htpasswd'))).mode & 0o777).toBe(0o600);

    await request(url).get('/health').ca(certificate).expect(200, { status: 'UP' });
    await request(url).get('/v1/').ca(certificate).auth('admin', password).expect(200);
    await request(url).post('/v1/packs').ca(certificate).auth('admin', password)
      .attach('pack', await packFixture('hello-universe-pack'), 'pack.tar.gz').expect(201);

    expect(await server.stop('SIGTERM')).toBe(0);

    // A second start reuses the certificate and the htpasswd file, and prints no new password.
    const again = serve(['serve'], cwd, { REGISTRY_HTTP_ADDR: '127.0.0.1:0' });
    const secondUrl = await listeningUrl(again);
    expect(again.stdout()).not.toContain('the password');
    expect(await readFile(join(cwd, 'certs', 'tls.crt'))).toEqual(certificate);
    const catalog = await request(secondUrl).get('/v1/_catalog').ca(certificate).auth('admin', password).expect(200);
    expect(catalog.body.repositories).toEqual(['hellouniverse']);
  });
});

describe('pack-registry serve CONFIG.yml', () => {
  it("runs the Spectro docs' sample configuration (storage: inmemory)", async () => {
    const dir = await makeTempDir();
    await writeHtpasswd(join(dir, 'htpasswd-basic'), [{ user: 'spectro', password: 'pw' }]);
    const configFile = join(dir, 'myconfig.yml');
    await writeFile(
      configFile,
      [
        'version: 0.1',
        'log:',
        '  level: debug',
        'storage: inmemory',
        'http:',
        '  addr: 127.0.0.1:0',
        '  tls:',
        `    certificate: ${join(dir, 'tls.crt')}`,
        `    key: ${join(dir, 'tls.key')}`,
        'auth:',
        '  htpasswd:',
        '    realm: basic-realm',
        `    path: ${join(dir, 'htpasswd-basic')}`,
        '',
      ].join('\n'),
    );
    const server = serve(['serve', configFile], dir, { REGISTRY_AUTH_HTPASSWD_ADMINS: '[spectro]' });
    const url = await listeningUrl(server);
    const ca = await readFile(join(dir, 'tls.crt'));
    const unauthorized = await request(url).get('/v1/').ca(ca).expect(401);
    expect(unauthorized.headers['www-authenticate']).toBe('Basic realm="basic-realm"');
    await request(url).post('/v1/packs').ca(ca).auth('spectro', 'pw')
      .attach('pack', await packFixture('hello-universe-pack'), 'pack.tar.gz').expect(201);
  });

  it('refuses an invalid configuration with a message naming the key and exit code 2, starting nothing', async () => {
    const dir = await makeTempDir();
    const configFile = join(dir, 'bad.yml');
    await writeFile(configFile, 'limits:\n  maxuploadsise: 10\n');
    const typo = await runServerCommand(['serve', configFile], { cwd: dir });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('limits.maxuploadsise');

    const badAddress = await runServerCommand(['serve'], { cwd: dir, env: { REGISTRY_HTTP_ADDR: 'abc' } });
    expect(badAddress.code).toBe(2);
    expect(badAddress.stderr).toContain('http.addr');
    expect(badAddress.stderr).toContain('REGISTRY_HTTP_ADDR');

    const missing = await runServerCommand(['serve', join(dir, 'nope.yml')], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yml');
    // Nothing was started or created.
    await expect(stat(join(dir, 'storage'))).rejects.toThrow();
    await expect(stat(join(dir, 'certs'))).rejects.toThrow();
  });
});

describe('pack-registry htpasswd add', () => {
  it('adds a bcrypt user that the running server accepts without a restart', async () => {
    const cwd = await makeTempDir();
    // The poll below fails until the file is re-read; keep the login lockout out of its way.
    const env = { REGISTRY_HTTP_ADDR: '127.0.0.1:0', REGISTRY_LIMITS_AUTHFAILURES: '100000' };
    const server = serve(['serve'], cwd, env);
    const url = await listeningUrl(server);
    const ca = await readFile(join(cwd, 'certs', 'tls.crt'));
    const added = await runServerCommand(['htpasswd', 'add', 'alice', '--password-stdin'], { cwd, env, stdin: 'wonder:land\n' });
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('alice');
    expect(added.stdout).not.toContain('wonder:land');
    await expect.poll(async () => (await request(url).get('/v1/').ca(ca).auth('alice', 'wonder:land')).status, { timeout: 5000 }).toBe(200);
    // alice is not an admin: she may read, not write.
    const denied = await request(url).delete('/v1/packs/x/1.0.0').ca(ca).auth('alice', 'wonder:land').expect(403);
    expect(denied.body.errors[0].code).toBe('DENIED');
  });
});
