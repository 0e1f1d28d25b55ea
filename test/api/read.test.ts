import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureFiles, packFixture } from '../helpers/archives.js';
import { READER, pushArchive, createTestApp, type TestApp } from '../helpers/app.js';

let registry: TestApp;
const pushed: Record<string, { digest: string; archiveDigest: string; version: string; archive: Buffer }> = {};

/** One file of a fixture pack, as pushed. */
async function fixtureFile(folder: string, path: string): Promise<Buffer> {
  const body = (await fixtureFiles(folder)).get(path);
  if (!body) throw new Error(`${folder} has no ${path}`);
  return body;
}

const reader = (path: string) => registry.get(path).auth(READER.user, READER.password);

beforeAll(async () => {
  registry = await createTestApp();
  for (const folder of ['antrea-1.9.0', 'hello-universe-1.3.1', 'trident-operator-23.07.1', 'kubeflow-pipelines-1.5.0', 'akuity-agent-0.30.0-5.5.2026']) {
    const archive = await packFixture(folder);
    const response = await pushArchive(registry, archive).expect(201);
    pushed[response.body.name] = { ...response.body, archive };
  }
  // A second version of antrea, so that "latest" and version ordering can be checked.
  const newer = await packFixture('antrea-1.9.0', {
    editPackJson: (pj) => {
      pj.version = '1.10.0';
      pj.displayName = 'Antrea (newer)';
    },
  });
  await pushArchive(registry, newer).expect(201);
});

describe('catalog and lists', () => {
  it('answers GET /v1/ with {} for valid credentials', async () => {
    const response = await reader('/v1/').expect(200);
    expect(response.body).toEqual({});
  });

  it('lists repositories sorted by name, paginated with a Link header', async () => {
    const all = await reader('/v1/_catalog').expect(200);
    expect(all.body.repositories).toEqual(['akuity-agent', 'antrea', 'csi-trident', 'hello-universe', 'kubeflow-pipelines']);
    const first = await reader('/v1/_catalog?n=2').expect(200);
    expect(first.body.repositories).toEqual(['akuity-agent', 'antrea']);
    expect(first.headers.link).toBe('</v1/_catalog?n=2&last=antrea>; rel="next"');
    const second = await reader('/v1/_catalog?n=2&last=antrea').expect(200);
    expect(second.body.repositories).toEqual(['csi-trident', 'hello-universe']);
    const last = await reader('/v1/_catalog?n=2&last=hello-universe').expect(200);
    expect(last.body.repositories).toEqual(['kubeflow-pipelines']);
    expect(last.headers.link).toBeUndefined();
  });

  it('refuses a page size that is not a positive number', async () => {
    const response = await reader('/v1/_catalog?n=zero').expect(400);
    expect(response.body.errors[0].code).toBe('PAGINATION_INVALID');
  });

  it('lists pack summaries with the latest version and filters them', async () => {
    const all = await reader('/v1/packs').expect(200);
    const antrea = all.body.packs.find((pack: { name: string }) => pack.name === 'antrea');
    expect(antrea).toMatchObject({ layer: 'cni', latestVersion: '1.10.0', displayName: 'Antrea (newer)', logo: true });
    const csi = await reader('/v1/packs?layer=csi').expect(200);
    expect(csi.body.packs.map((pack: { name: string }) => pack.name)).toEqual(['csi-trident']);
    const byName = await reader('/v1/packs?name=UNIVERSE').expect(200);
    expect(byName.body.packs.map((pack: { name: string }) => pack.name)).toEqual(['hello-universe']);
    // cloudType "all" means every cloud, so an addon for all clouds matches vsphere too.
    const vsphere = await reader('/v1/packs?cloudType=vsphere').expect(200);
    expect(vsphere.body.packs.map((pack: { name: string }) => pack.name)).toEqual([
      'akuity-agent',
      'antrea',
      'csi-trident',
      'hello-universe',
      'kubeflow-pipelines',
    ]);
    const maas = await reader('/v1/packs?cloudType=maas&layer=csi').expect(200);
    expect(maas.body.packs.map((pack: { name: string }) => pack.name)).toEqual(['csi-trident']);
    const systemApps = await reader('/v1/packs?addonType=system%20app').expect(200);
    expect(systemApps.body.packs.map((pack: { name: string }) => pack.name)).toEqual(['kubeflow-pipelines']);
    const page = await reader('/v1/packs?n=1&layer=addon').expect(200);
    expect(page.headers.link).toBe('</v1/packs?layer=addon&n=1&last=akuity-agent>; rel="next"');
  });
});

describe('one pack and one version', () => {
  it('describes a pack with its versions in semver order and its tags', async () => {
    const response = await reader('/v1/packs/antrea').expect(200);
    expect(response.body).toMatchObject({ name: 'antrea', layer: 'cni', cloudTypes: ['vsphere'], logo: true, latestVersion: '1.10.0' });
    expect(response.body.versions.map((version: { version: string }) => version.version)).toEqual(['1.9.0', '1.10.0']);
    expect(response.body.tags).toEqual(
      expect.arrayContaining([
        { tag: '1.9.0', version: '1.9.0', auto: false },
        { tag: '1.10.0', version: '1.10.0', auto: false },
      ]),
    );
  });

  it('resolves a version by its version string, its normalised form, its tag and its content digest', async () => {
    const trident = pushed['csi-trident']!;
    const byString = await reader('/v1/packs/csi-trident/23.07.1').expect(200);
    expect(byString.body).toMatchObject({ name: 'csi-trident', version: '23.07.1', digest: trident.digest });
    expect(byString.body.pack.displayName).toBe('Trident');
    expect(byString.body.files.find((file: { path: string }) => file.path === 'values.yaml')).toMatchObject({
      size: (await fixtureFile('trident-operator-23.07.1', 'values.yaml')).length,
    });
    const normalised = await reader('/v1/packs/csi-trident/23.7.1').expect(200);
    expect(normalised.body.version).toBe('23.07.1');
    const byDigest = await reader(`/v1/packs/csi-trident/${trident.digest}`).expect(200);
    expect(byDigest.body.version).toBe('23.07.1');
    const kubeflow = await reader('/v1/packs/kubeflow-pipelines/1.5').expect(200);
    expect(kubeflow.body.tags).toEqual(['1.5', '1.5.x', '1.x']);
  });

  it('keeps unknown pack.json keys as they are', async () => {
    const response = await reader('/v1/packs/kubeflow-pipelines/1.5').expect(200);
    expect(response.body.pack.constraints.dependencies).toHaveLength(6);
    expect(response.body.pack.annotations).toEqual({ source: 'community', contributor: 'spectrocloud' });
  });

  it('answers 404 PACK_NOT_FOUND for an unknown pack or version, and 400 NAME_INVALID for a bad name', async () => {
    expect((await reader('/v1/packs/nope').expect(404)).body.errors[0].code).toBe('PACK_NOT_FOUND');
    expect((await reader('/v1/packs/antrea/9.9.9').expect(404)).body.errors[0]).toMatchObject({
      code: 'PACK_NOT_FOUND',
      message: 'pack antrea:9.9.9 not found',
    });
    expect((await reader('/v1/packs/-bad-').expect(400)).body.errors[0].code).toBe('NAME_INVALID');
  });
});

describe('archives', () => {
  it('streams the archive bytes exactly as pushed, with the contract headers', async () => {
    const hello = pushed['hello-universe']!;
    const response = await reader('/v1/packs/hello-universe/1.3.1/archive')
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(Buffer.compare(response.body as Buffer, hello.archive)).toBe(0);
    expect(response.headers['content-type']).toBe('application/gzip');
    expect(response.headers['content-length']).toBe(String(hello.archive.length));
    expect(response.headers.etag).toBe(`"${hello.archiveDigest}"`);
    expect(response.headers['pack-digest']).toBe(hello.digest);
    expect(response.headers['content-disposition']).toBe('attachment; filename="hello-universe-1.3.1.tar.gz"');
  });

  it('answers HEAD with the headers and no body', async () => {
    const hello = pushed['hello-universe']!;
    const response = await registry.head('/v1/packs/hello-universe/1.3.1/archive').auth(READER.user, READER.password).expect(200);
    expect(response.headers['content-length']).toBe(String(hello.archive.length));
    expect(response.headers.etag).toBe(`"${hello.archiveDigest}"`);
  });

  it('answers 304 to If-None-Match with the current ETag', async () => {
    const hello = pushed['hello-universe']!;
    await reader('/v1/packs/hello-universe/1.3.1/archive').set('If-None-Match', `"${hello.archiveDigest}"`).expect(304);
  });
});

describe('files of a pack', () => {
  it('serves values.yaml, README.md (as plain text) and logo.png byte for byte', async () => {
    const fixture = (path: string) => fixtureFile('hello-universe-1.3.1', path);
    const values = await reader('/v1/packs/hello-universe/1.3.1/files/values.yaml').expect(200);
    expect(values.text).toBe((await fixture('values.yaml')).toString('utf8'));
    expect(values.headers['content-type']).toBe('text/plain; charset=utf-8');
    const readme = await reader('/v1/packs/hello-universe/1.3.1/files/README.md').expect(200);
    expect(readme.text).toBe((await fixture('README.md')).toString('utf8'));
    expect(readme.headers['content-type']).toBe('text/plain; charset=utf-8');
    const logo = await reader('/v1/packs/hello-universe/1.3.1/files/logo.png').buffer(true).expect(200);
    expect(logo.headers['content-type']).toBe('image/png');
    expect(Buffer.compare(logo.body as Buffer, await fixture('logo.png'))).toBe(0);
  });

  it('serves a file in a subfolder, such as a manifest', async () => {
    const manifest = await reader('/v1/packs/hello-universe/1.3.1/files/manifests/hello-universe.yaml').expect(200);
    expect(manifest.text).toBe((await fixtureFile('hello-universe-1.3.1', 'manifests/hello-universe.yaml')).toString('utf8'));
  });

  it('answers 404 FILE_NOT_FOUND for a path the pack does not hold', async () => {
    const response = await reader('/v1/packs/hello-universe/1.3.1/files/nope.txt').expect(404);
    expect(response.body.errors[0].code).toBe('FILE_NOT_FOUND');
  });
});

describe('refusals of a read', () => {
  it('answers an unsatisfiable range with a JSON body, not with the archive\'s type or disposition', async () => {
    const hello = pushed['hello-universe']!;
    const response = await reader('/v1/packs/hello-universe/1.3.1/archive').set('Range', `bytes=${hello.archive.length + 1}-`).expect(416);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.headers['content-disposition']).toBeUndefined();
    expect(response.headers.etag).toBeUndefined();
    expect(response.headers['content-range']).toBe(`bytes */${hello.archive.length}`);
    expect(response.body.errors[0].code).toBe('RANGE_INVALID');
  });

  it.each(['layer=cni&layer=csi', 'name=a&name=b', 'cloudType=aws&cloudType=maas', 'addonType=x&addonType=y'])(
    'refuses the repeated filter ?%s with 400 QUERY_INVALID',
    async (query) => {
      const response = await reader(`/v1/packs?${query}`).expect(400);
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(response.body.errors[0]).toMatchObject({ code: 'QUERY_INVALID', message: expect.stringMatching(/must be given once/) });
    },
  );

  it.each(['/v1/packs?n=1&n=2', '/v1/packs?last=a&last=b', '/v1/_catalog?n=1&n=2', '/v1/_catalog?last=a&last=b', '/v1/packs/antrea/history?n=1&n=1'])(
    'refuses the repeated page parameter in %s with 400 PAGINATION_INVALID',
    async (path) => {
      const response = await reader(path).expect(400);
      expect(response.body.errors[0]).toMatchObject({ code: 'PAGINATION_INVALID', message: expect.stringMatching(/must be given once/) });
    },
  );
});
