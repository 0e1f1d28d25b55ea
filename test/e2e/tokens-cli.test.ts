// Access tokens end to end: `pack-registry token` as a real process beside a running TLS server, the token in
// packctl's config.json `auth` field, a plain HTTPS request with Bearer, and a reindex by the CLI.
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureFiles } from '../helpers/archives.js';
import { loggedInUser, writePackFolder } from '../helpers/packctl.js';
import { runServerCommand } from '../helpers/process.js';
import { ADMIN, startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/** The CLI on the test registry's storage, configured by REGISTRY_* variables as an operator would. */
function tokenCli(registry: TestRegistry, args: string[]) {
  return runServerCommand(['token', ...args], {
    cwd: registry.dir,
    env: {
      REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: join(registry.dir, 'storage'),
      REGISTRY_AUTH_HTPASSWD_PATH: join(registry.dir, 'htpasswd'),
    },
  });
}

/** `curl -H "Authorization: Bearer …" https://…`: node's https, trusting only the registry's CA. */
function httpsGet(registry: TestRegistry, path: string, authorization: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpsRequest(`${registry.url}${path}`, { ca: registry.ca, headers: { Authorization: authorization } }, (incoming) => {
      let body = '';
      incoming.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('pack-registry token', () => {
  it('creates, lists and revokes tokens that a running server, packctl and a plain HTTPS client use', async () => {
    const registry = await startTestRegistry();

    const created = await tokenCli(registry, ['create', 'ci-push', '--scope', 'push', '--expires', '90d']);
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^prt_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain('shown only this once');

    // The running server picks the token file up within a second.
    await expect.poll(async () => (await httpsGet(registry, '/v1/', `Bearer ${token}`)).status, { timeout: 5000 }).toBe(200);

    // packctl, logged in by config.json's `auth` = base64(anything:token).
    const ci = await loggedInUser(registry, { user: 'ci', password: token });
    const files = await fixtureFiles('hello-universe-pack');
    const pushed = await ci.run(['pack', 'push', await writePackFolder(files, 'hellouniverse')]);
    expect(pushed.code, pushed.stderr).toBe(0);
    const listed = await ci.run(['pack', 'ls']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('hellouniverse');

    const version = await httpsGet(registry, '/v1/packs/hellouniverse/1.0.0', `Bearer ${token}`);
    expect(version.status).toBe(200);
    expect(JSON.parse(version.body)).toMatchObject({ pushedBy: 'token:ci-push' });

    const list = await tokenCli(registry, ['list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+SCOPE\s+CREATED\s+EXPIRES\s+LAST USED\s+STATUS/);
    expect(list.stdout).toMatch(/ci-push\s+push\s+\S+\s+\S+\s+\S+\s+active/);
    expect(list.stdout).not.toContain(token.slice(4));
    const json = await tokenCli(registry, ['list', '--json']);
    expect(JSON.parse(json.stdout).tokens[0]).toMatchObject({ name: 'ci-push', scope: 'push', revoked: null });

    expect((await tokenCli(registry, ['create', 'ci-push', '--scope', 'read'])).code).toBe(1);
    expect((await tokenCli(registry, ['create', 'bad', '--scope', 'root'])).code).toBe(2);

    const revoked = await tokenCli(registry, ['revoke', 'ci-push']);
    expect(revoked.code, revoked.stderr).toBe(0);
    await expect
      .poll(async () => JSON.parse((await httpsGet(registry, '/v1/', `Bearer ${token}`)).body).errors?.[0]?.code, { timeout: 5000 })
      .toBe('TOKEN_REVOKED');
    expect((await ci.run(['pack', 'ls'])).code).toBe(3);
    expect((await tokenCli(registry, ['revoke', 'ci-push'])).code).toBe(1);
  });

  it('gives tokens that outlive a stop, a `pack-registry reindex` and a start', async () => {
    const registry = await startTestRegistry();
    const created = await tokenCli(registry, ['create', 'reader', '--scope', 'read']);
    const token = created.stdout.trim();
    const shortLived = (await tokenCli(registry, ['create', 'brief', '--scope', 'read', '--expires', '1s'])).stdout.trim();
    await expect.poll(async () => (await httpsGet(registry, '/v1/', `Bearer ${token}`)).status, { timeout: 5000 }).toBe(200);
    await registry.stop();

    const reindex = await runServerCommand(['reindex'], {
      cwd: registry.dir,
      env: { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: join(registry.dir, 'storage') },
    });
    expect(reindex.code, reindex.stderr).toBe(0);

    const again = await startTestRegistry({ dir: registry.dir, writeUsers: false });
    expect((await httpsGet(again, '/v1/', `Bearer ${token}`)).status).toBe(200);
    await again.get('/v1/').auth(ADMIN.user, ADMIN.password).expect(200);
    // Created with --expires 1s, before the stop: past it by now (waited for, on a fast machine).
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const expired = await httpsGet(again, '/v1/', `Bearer ${shortLived}`);
    expect(expired.status).toBe(401);
    expect(JSON.parse(expired.body).errors[0].code).toBe('TOKEN_EXPIRED');
  });
});
