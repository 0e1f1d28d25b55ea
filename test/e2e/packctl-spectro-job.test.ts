// Spectro's own publishing job (spectrocloud/pack-central, scripts/push_packs.sh) runs unchanged with packctl
// in the place of the `spectro` binary: it writes ~/.spectro/config.json by hand (the base64 `user:pass`,
// `insecure: true`, `defaultRegistry`), then pushes every pack folder with
// `spectro pack push -m MSG --registry-server SERVER --force DIR` and stops at the first non-zero exit. It runs
// on every commit, so most packs are unchanged: the second run must succeed too, without sending any archive.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureFiles, fixtureNames } from '../helpers/archives.js';
import { makeTempDir, writeHtpasswd } from '../helpers/files.js';
import { PACKCTL } from '../helpers/packctl.js';
import { spawnInGroup } from '../helpers/process.js';
import { startRegistryProcess, type RegistryProcess } from '../helpers/server-process.js';

const ADMIN = { user: 'admin', password: 'pack-central-ci' };

// The job's steps, written here in our own words (the upstream script carries no licence, so it is not copied):
// arguments are the registry and base64(user:pass); it writes $HOME/.spectro/config.json by hand in the
// Spectro CLI's format (an "auths" entry with "auth" and "insecure": true, and "defaultRegistry"); then for each
// folder of $GITHUB_WORKSPACE/packs it takes the message from a "commit_msg" line of pack.json when there is one,
// runs `spectro pack push -m MSG --registry-server SERVER --force DIR`, and stops with a non-zero exit at the
// first failure. The CLI is $SPECTRO_HOME/spectro.
const PUBLISH_JOB_SH = `#!/bin/sh
registry="$1"
credentials="$2"
mkdir -p "$HOME/.spectro"
printf '{"auths": {"%s": {"auth": "%s", "insecure": true}}, "defaultRegistry": "%s"}\\n' \\
  "$registry" "$credentials" "$registry" > "$HOME/.spectro/config.json"
cd "$GITHUB_WORKSPACE" || exit 1
for pack in packs/*; do
  message="Generic Pack Change"
  line=$(grep '"commit_msg":' "$pack/pack.json")
  if [ -n "$line" ]; then message=$(printf '%s' "$line" | cut -d : -f 2-); fi
  "$SPECTRO_HOME/spectro" pack push -m "$message" --registry-server "$registry" --force "$pack" || exit 2
done
`;

interface RequestLine {
  method: string;
  path: string;
  status: number;
  bytesIn: number;
  requestId: string;
}

let root: string;
let server: RegistryProcess;
let serverAddress: string;

/** Runs the job once, like CI: HOME, GITHUB_WORKSPACE and SPECTRO_HOME set, the server and credentials as arguments. */
function runJob(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: join(root, 'home'),
    GITHUB_WORKSPACE: join(root, 'workspace'),
    SPECTRO_HOME: join(root, 'spectroCLI'),
    // No /etc/spectro/certs.d: the job trusts the registry through `insecure: true` alone.
    PACKCTL_CERTS_DIR: join(root, 'no-certs.d'),
  };
  const creds = Buffer.from(`${ADMIN.user}:${ADMIN.password}`, 'utf8').toString('base64');
  const child = spawnInGroup('sh', [join(root, 'publish-job.sh'), serverAddress, creds], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The server's request log lines up to a marker request sent now, and the marker's own id. */
async function requestLinesUntilMarker(marker: string): Promise<RequestLine[]> {
  await request(server.url).get('/v1/').ca(server.ca).auth(ADMIN.user, ADMIN.password).set('X-Request-Id', marker).expect(200);
  await server.process.waitForLine(new RegExp(`"requestId":"${marker}"`));
  return server.process
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Partial<RequestLine>)
    .filter((record): record is RequestLine => typeof record.requestId === 'string' && typeof record.method === 'string');
}

beforeAll(async () => {
  root = await makeTempDir('spectro-job-');
  await mkdir(join(root, 'server'));
  await writeHtpasswd(join(root, 'server', 'htpasswd'), [ADMIN]);
  server = await startRegistryProcess({ dir: join(root, 'server'), env: { REGISTRY_LOG_LEVEL: 'info' } });
  serverAddress = new URL(server.url).host;

  await mkdir(join(root, 'home'));
  await mkdir(join(root, 'no-certs.d'));
  await mkdir(join(root, 'spectroCLI'));
  // The job's `spectro` is packctl.
  await writeFile(join(root, 'spectroCLI', 'spectro'), `#!/bin/sh\nexec '${process.execPath}' '${PACKCTL}' "$@"\n`);
  await chmod(join(root, 'spectroCLI', 'spectro'), 0o755);
  await writeFile(join(root, 'publish-job.sh'), PUBLISH_JOB_SH);

  // pack-central's layout: packs/<folder>/ with pack.json at its root; one pack carries its own commit_msg.
  for (const [index, fixture] of fixtureNames().entries()) {
    const files = await fixtureFiles(fixture, index === 0 ? { editPackJson: (packJson) => (packJson.commit_msg = 'values for 1.0') } : {});
    for (const [path, body] of files) {
      const target = join(root, 'workspace', 'packs', fixture, path);
      await mkdir(join(target, '..'), { recursive: true });
      await writeFile(target, body);
    }
  }
});

describe('Spectro\'s publishing job (pack-central) with packctl as `spectro`', () => {
  it('pushes every pack on the first run, nothing on the second (unchanged: exit 0, no upload), only a changed pack on the third', async () => {
    const packs = fixtureNames().length;
    expect(packs).toBeGreaterThanOrEqual(12);

    const first = await runJob();
    expect(first.stderr).not.toContain('error:');
    expect(first.code).toBe(0);
    expect(first.stdout.match(/^Pushed /gm)).toHaveLength(packs);
    const afterFirst = await requestLinesUntilMarker('marker-after-first-run');
    const firstPushes = afterFirst.filter((line) => line.method === 'POST' && line.path === '/v1/packs');
    expect(firstPushes.map((line) => line.status)).toEqual(Array.from({ length: packs }, () => 201));

    const second = await runJob();
    expect(second.stderr).not.toContain('error:');
    expect(second.code).toBe(0);
    const unchangedLines = second.stdout.split('\n').filter((line) => line.startsWith('Unchanged: '));
    expect(unchangedLines).toHaveLength(packs);
    for (const line of unchangedLines) expect(line).toMatch(/ already has this content \(sha256:[0-9a-f]{64}\); nothing was pushed$/);
    expect(second.stdout).not.toMatch(/^Pushed /m);
    expect(second.stderr).not.toContain('Uploading');

    const afterSecond = await requestLinesUntilMarker('marker-after-second-run');
    const secondRun = afterSecond.slice(afterFirst.length);
    expect(secondRun.length).toBeGreaterThan(0);
    expect(secondRun.filter((line) => line.method !== 'GET')).toEqual([]);
    expect(secondRun.reduce((sum, line) => sum + line.bytesIn, 0)).toBe(0);
    // Per pack: the credentials check and the version lookup, nothing else.
    expect(secondRun.filter((line) => line.path.startsWith('/v1/packs/'))).toHaveLength(packs);

    // The next commit changes one pack: that one, and only that one, is uploaded.
    const changed = fixtureNames()[1] as string;
    await writeFile(join(root, 'workspace', 'packs', changed, 'values.yaml'), 'pack:\n  namespace: changed-by-a-commit\n');
    const third = await runJob();
    expect(third.stderr).not.toContain('error:');
    expect(third.code).toBe(0);
    expect(third.stdout.match(/^Pushed /gm)).toHaveLength(1);
    expect(third.stdout.match(/^Unchanged: /gm)).toHaveLength(packs - 1);
    const thirdRun = (await requestLinesUntilMarker('marker-after-third-run')).slice(afterSecond.length);
    expect(thirdRun.filter((line) => line.method !== 'GET').map((line) => `${line.method} ${line.path} ${line.status}`)).toEqual(['POST /v1/packs 201']);
  });
});
