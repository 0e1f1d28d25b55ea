// packctl pack push: local validation with the server's rules, upload of a folder or an archive, the
// conflict and force paths, and who may push.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureFiles, packFixture } from '../helpers/archives.js';
import { errorLines, loggedInUser, loggedInUserAt, makePackctlUser, packctlTempDir, type PackctlUser, serverOf, writePackFolder } from '../helpers/packctl.js';
import { ADMIN, READER, startTestRegistry, type TestRegistry } from '../helpers/registry.js';

let registry: TestRegistry;
let admin: PackctlUser;

beforeAll(async () => {
  registry = await startTestRegistry();
  admin = await loggedInUser(registry);
});
afterAll(async () => {
  await registry.destroy();
});

async function storedVersion(name: string, ref: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const answer = await registry.get(`/v1/packs/${name}/${ref}`).auth(ADMIN.user, ADMIN.password);
  return { status: answer.status, body: answer.body as Record<string, unknown> };
}

/** The hello-universe tutorial pack under another name, so each test owns its pack. */
async function packFolder(name: string, edit: (packJson: Record<string, unknown>) => void = () => {}): Promise<string> {
  const files = await fixtureFiles('hello-universe-pack', {
    editPackJson: (packJson) => {
      packJson.name = name;
      edit(packJson);
    },
  });
  return writePackFolder(files, name);
}

describe('packctl pack push', () => {
  it('packs a folder, validates it, uploads it and prints what the registry stored; plain progress lines off a terminal', async () => {
    const folder = await packFolder('push-folder');
    const result = await admin.run(['pack', 'push', folder]);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Pushed push-folder:1\.0\.0 to 127\.0\.0\.1:\d+\nDigest: sha256:[0-9a-f]{64}\nTags: .*1\.0\.0/);
    expect(result.stderr).toMatch(/^Uploading push-folder-1\.0\.0\.tar\.gz \(\d+\.\d kB\) \.\.\.\n/);
    expect(result.stderr).toMatch(/Uploading push-folder-1\.0\.0\.tar\.gz: \d+\.\d kB done in \d+\.\d s\n$/);
    expect(result.stderr).not.toContain('\r');
    const stored = await storedVersion('push-folder', '1.0.0');
    expect(stored.status).toBe(200);
    expect((stored.body.files as { path: string }[]).map((file) => file.path)).toEqual([
      'README.md',
      'logo.png',
      'manifests/hello-universe.yaml',
      'pack.json',
      'values.yaml',
    ]);
    expect(stored.body.digest).toBe(result.stdout.match(/Digest: (\S+)/)?.[1]);
  });

  it('uploads a .tar.gz archive as it is (the stored archive digest is the file’s SHA-256)', async () => {
    const archive = await packFixture('hello-universe-1.3.1');
    const path = join(await packctlTempDir(), 'hello-universe-1.3.1.tar.gz');
    await writeFile(path, archive);
    const result = await admin.run(['pack', 'push', path]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Pushed hello-universe:1.3.1');
    const stored = await storedVersion('hello-universe', '1.3.1');
    expect(stored.body.archiveDigest).toBe(`sha256:${createHash('sha256').update(archive).digest('hex')}`);
  });

  it('shows every problem of an invalid pack at once, exit code 7, before any network call and with nothing uploaded', async () => {
    const folder = await packFolder('push-invalid', (packJson) => {
      delete packJson.layer;
      packJson.kubeManifests = ['manifests/hello-universe.yaml', 'manifests/missing.yaml'];
    });
    await rm(join(folder, 'values.yaml'));
    await symlink('/etc/passwd', join(folder, 'passwd'));

    const result = await admin.run(['pack', 'push', folder]);
    expect(result.code).toBe(7);
    const lines = errorLines(result);
    expect(lines.slice(0, -1).every((line) => line.startsWith('error: PACK_INVALID: '))).toBe(true);
    expect(lines.join('\n')).toContain('"passwd" is a symbolic link (to "/etc/passwd")');
    expect(lines.join('\n')).toContain('values.yaml is missing');
    expect(lines.join('\n')).toMatch(/layer/);
    expect(lines.join('\n')).toContain('manifests/missing.yaml');
    expect(lines.at(-1)).toBe(`error: ${lines.length - 1} problems in ${folder}; nothing was uploaded`);
    expect(lines.length - 1).toBeGreaterThanOrEqual(4);
    expect(result.stderr).not.toContain('Uploading');
    expect((await storedVersion('push-invalid', '1.0.0')).status).toBe(404);

    // The same push towards a registry that does not even exist fails the same way: nothing was sent.
    const offline = await makePackctlUser();
    await mkdir(offline.home, { recursive: true });
    await writeFile(
      join(offline.home, 'config.json'),
      JSON.stringify({ auths: { '127.0.0.1:9': { auth: Buffer.from('admin:x').toString('base64') } }, defaultRegistry: '127.0.0.1:9' }),
    );
    const offlineResult = await offline.run(['pack', 'push', folder]);
    expect(offlineResult.code).toBe(7);
    expect(errorLines(offlineResult)).toEqual(lines);
  });

  it('refuses a version that exists with PACK_EXISTS and exit code 5', async () => {
    const folder = await packFolder('push-conflict');
    expect((await admin.run(['pack', 'push', folder])).code).toBe(0);
    const again = await admin.run(['pack', 'push', folder]);

    expect(again.code).toBe(5);
    expect(errorLines(again)).toEqual([
      'error: PACK_EXISTS: pack push-conflict:1.0.0 already exists; push with force and a message to overwrite it',
    ]);
  });

  it('requires a message with --force (MESSAGE_REQUIRED, exit code 2) before uploading anything', async () => {
    const folder = await packFolder('push-force-no-message');
    const result = await admin.run(['pack', 'push', folder, '-f']);
    expect(result.code).toBe(2);
    expect(errorLines(result)).toEqual(['error: MESSAGE_REQUIRED: a forced push must say why: add -m MESSAGE']);
    expect((await storedVersion('push-force-no-message', '1.0.0')).status).toBe(404);
  });

  it('overwrites with -f -m, pushes nothing for unchanged content (exit code 0), and --skip-digest-check overrides that', async () => {
    const folder = await packFolder('push-force');
    expect((await admin.run(['pack', 'push', folder])).code).toBe(0);
    await writeFile(join(folder, 'values.yaml'), 'pack:\n  namespace: changed\n');

    const forced = await admin.run(['pack', 'push', folder, '-f', '-m', 'fix the namespace']);
    expect(forced.code).toBe(0);
    expect((await storedVersion('push-force', '1.0.0')).body.message).toBe('fix the namespace');

    // Spectro's digest check: the registry's content digest is asked for first, and nothing is uploaded.
    const unchanged = await admin.run(['pack', 'push', folder, '--force', '--message', 'same again']);
    expect(unchanged.code).toBe(0);
    expect(unchanged.stdout).toMatch(
      /^Unchanged: push-force:1\.0\.0 on 127\.0\.0\.1:\d+ already has this content \(sha256:[0-9a-f]{64}\); nothing was pushed\n$/,
    );
    expect(unchanged.stderr).toBe('');
    expect((await storedVersion('push-force', '1.0.0')).body.message).toBe('fix the namespace');

    const skipped = await admin.run(['pack', 'push', folder, '-f', '-m', 'republish', '--skip-digest-check']);
    expect(skipped.code).toBe(0);
    expect((await storedVersion('push-force', '1.0.0')).body.message).toBe('republish');
  });

  it('takes the registry’s own PACK_UNCHANGED answer to a forced push (stored after the check) as unchanged too, exit code 0', async () => {
    // A registry that had no such version when asked, and has it by the time the upload arrives.
    const seen: string[] = [];
    const racing = createServer((request, response) => {
      seen.push(`${request.method} ${request.url}`);
      request.resume();
      request.on('end', () => {
        const send = (status: number, body: unknown) => {
          response.writeHead(status, { 'Content-Type': 'application/json' });
          response.end(JSON.stringify(body));
        };
        if (request.url === '/v1/') send(200, {});
        else if (request.method === 'GET') send(404, { errors: [{ code: 'PACK_NOT_FOUND', message: 'no such version' }] });
        else send(409, { errors: [{ code: 'PACK_UNCHANGED', message: 'pack race:1.0.0 already has exactly this content' }] });
      });
    });
    racing.listen(0, '127.0.0.1');
    await once(racing, 'listening');
    try {
      const server = `127.0.0.1:${(racing.address() as AddressInfo).port}`;
      const user = await loggedInUserAt(server, ADMIN, { insecure: true });
      const result = await user.run(['pack', 'push', await packFolder('race'), '--force', '-m', 'again']);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Unchanged: race:1\.0\.0 on 127\.0\.0\.1:\d+ already has this content \(sha256:[0-9a-f]{64}\); nothing was pushed\n$/);
      expect(seen).toEqual(['GET /v1/', 'GET /v1/packs/race/1.0.0', 'POST /v1/packs']);
      // Without --force the registry's answer stays what it says.
      const unforced = await user.run(['pack', 'push', await packFolder('race')]);
      expect(unforced.code).toBe(5);
      expect(errorLines(unforced)).toEqual(['error: PACK_UNCHANGED: pack race:1.0.0 already has exactly this content']);
    } finally {
      racing.close();
      racing.closeAllConnections();
    }
  });

  it('refuses a reader’s push with the registry’s DENIED and exit code 3', async () => {
    const reader = await loggedInUser(registry, READER);
    const result = await reader.run(['pack', 'push', await packFolder('push-denied')]);
    expect(result.code).toBe(3);
    expect(errorLines(result)).toEqual([expect.stringMatching(/^error: DENIED: user reader may read but not write/)]);
  });

  it('says to log in when there is no registry to push to (usage, exit code 2) or no credentials for it (exit code 3)', async () => {
    const nobody = await makePackctlUser();
    const folder = await packFolder('push-nobody');
    const noDefault = await nobody.run(['pack', 'push', folder]);
    expect(noDefault.code).toBe(2);
    expect(errorLines(noDefault)).toEqual([
      'error: no registry given and no default registry: pass -r SERVER, or log in first with packctl registry login SERVER',
    ]);
    const notLoggedIn = await nobody.run(['pack', 'push', folder, '-r', serverOf(registry)]);
    expect(notLoggedIn.code).toBe(3);
    expect(notLoggedIn.stderr).toContain(`not logged in to ${serverOf(registry)}`);
  });

  it('refuses a source that does not exist with a usage error', async () => {
    const result = await admin.run(['pack', 'push', '/nonexistent/pack']);
    expect(result.code).toBe(2);
    expect(errorLines(result)).toEqual(['error: /nonexistent/pack: no such file or folder; give a pack folder or a .tar.gz archive']);
  });

  it('shows PACK_TOO_LARGE with exit code 7 whether the registry refuses before reading or during the upload', async () => {
    const small = await startTestRegistry({ env: { REGISTRY_LIMITS_MAXUPLOADSIZE: '1000' } });
    try {
      const user = await loggedInUser(small);
      // 19 kB is refused as the upload passes the limit; 126 kB from its Content-Length, before any byte is
      // read (the registry allows 64 KiB above the limit for the form around the archive).
      for (const fixture of ['hello-universe-pack', 'hello-universe-1.3.1']) {
        const result = await user.run(['pack', 'push', await writePackFolder(await fixtureFiles(fixture), fixture)]);
        expect(result.code, fixture).toBe(7);
        expect(errorLines(result), fixture).toEqual(['error: PACK_TOO_LARGE: the pack archive is larger than the limit of 1000 bytes']);
      }
    } finally {
      await small.destroy();
    }
  });

  it('leaves no temporary archive behind', async () => {
    const tmp = await packctlTempDir('packctl-tmp-');
    const result = await admin.run(['pack', 'push', await packFolder('push-tidy')], { env: { TMPDIR: tmp } });
    expect(result.code).toBe(0);
    expect(await readdir(tmp)).toEqual([]);
  });
});
