// `pack ls` costs one request per page: the built packctl asks `GET /v1/packs?expand=versions` and nothing per
// pack. Against a registry without the expansion (its answers stripped by the proxy) it falls back to each
// pack's document, and prints the very same table.
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_PAGE_SIZE } from '../../src/api/index.js';
import { packFixture } from '../helpers/archives.js';
import { ADMIN, createTestApp, pushArchive, type TestApp } from '../helpers/app.js';
import { loggedInUserAt } from '../helpers/packctl.js';
import { startRecordingProxy, type RecordingProxy } from '../helpers/recording-proxy.js';

let registry: TestApp;
const PACKS = ['ls-alpha', 'ls-beta', 'ls-gamma', 'ls-delta'];

beforeAll(async () => {
  registry = await createTestApp();
  for (const name of PACKS) {
    for (const version of ['1.0.0', '1.2.0']) {
      const archive = await packFixture('hello-universe-pack', {
        editPackJson: (packJson) => {
          packJson.name = name;
          packJson.version = version;
        },
      });
      await pushArchive(registry, archive).expect(201);
    }
  }
  await registry.put('/v1/packs/ls-beta/tags/stable').auth(ADMIN.user, ADMIN.password).send({ reference: '1.0.0' }).expect(201);
});

async function lsThrough(proxy: RecordingProxy, args: string[] = []) {
  const user = await loggedInUserAt(proxy.server, ADMIN, { insecure: true });
  return user.run(['pack', 'ls', ...args]);
}

const gets = (proxy: RecordingProxy) => proxy.seen.filter((seen) => seen.method === 'GET' && seen.url !== '/v1/').map((seen) => seen.url);

describe('packctl pack ls', () => {
  it('asks for one expanded page and nothing per pack', async () => {
    const proxy = await startRecordingProxy(registry.url);
    const result = await lsThrough(proxy);

    expect(result.code, result.stderr).toBe(0);
    expect(gets(proxy)).toEqual([`/v1/packs?n=${MAX_PAGE_SIZE}&expand=versions`]);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1 + PACKS.length * 2);
    expect(lines.find((line) => line.startsWith('ls-beta ') && / 1\.0\.0 /.test(line))).toMatch(/ 1\.0\.0 +\S*\bstable\b/);
  });

  it('follows the next-page links, each page one request, with the name filter', async () => {
    const proxy = await startRecordingProxy(registry.url, (request, _response, forward) => {
      // Pages of two: the proxy lowers n, as a registry with a smaller maximum would.
      if (request.url?.startsWith('/v1/packs?')) request.url = request.url.replace(`n=${MAX_PAGE_SIZE}`, 'n=2');
      forward();
    });
    const result = await lsThrough(proxy, ['-n', 'ls-']);

    expect(result.code, result.stderr).toBe(0);
    expect(gets(proxy)).toHaveLength(Math.ceil(PACKS.length / 2));
    expect(gets(proxy).every((url) => url.startsWith('/v1/packs?') && url.includes('expand=versions'))).toBe(true);
    expect(result.stdout.trimEnd().split('\n')).toHaveLength(1 + PACKS.length * 2);
  });

  it('falls back to one request per pack when the registry does not expand, printing the same table', async () => {
    const direct = await lsThrough(await startRecordingProxy(registry.url));
    const proxy = await startRecordingProxy(registry.url, (request, _response, forward) => {
      if (!request.url?.startsWith('/v1/packs?')) return forward();
      // An older registry: summaries only, whatever the query says.
      forward((body) => {
        const list = JSON.parse(body.toString('utf8')) as { packs: Record<string, unknown>[] };
        return Buffer.from(JSON.stringify({ packs: list.packs.map(({ versions: _versions, tags: _tags, ...summary }) => summary) }));
      });
    });
    const result = await lsThrough(proxy);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(direct.stdout);
    expect(gets(proxy)).toEqual([`/v1/packs?n=${MAX_PAGE_SIZE}&expand=versions`, ...[...PACKS].sort().map((name) => `/v1/packs/${name}`)]);
  });
});
