// Logos as Spectro Cloud's registries address them: `logoUrl` in the pack and version documents, an absolute
// `<base>/v1/{name}/blobs/sha256:<hex>?type=image/png`, answered with the file's exact bytes by
// `GET`/`HEAD /v1/{name}/blobs/sha256:{hex}` — any file of any stored version of that pack, by its SHA-256.
import type { Response } from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PackDocument, VersionDocument } from '../../src/api/index.js';
import { packFixture, sha256Hex } from '../helpers/archives.js';
import { ADMIN, READER, createTestApp, pushArchive, type TestApp } from '../helpers/app.js';
import { pngImage } from '../helpers/png.js';

const FILE_CSP = "sandbox; default-src 'none'";
const LOGO = pngImage({ width: 16, height: 16, fill: 'noise', seed: 'blobs-logo' });
const OTHER_LOGO = pngImage({ width: 16, height: 16, fill: 'noise', seed: 'blobs-other-logo' });
const PAGE = '<!doctype html><script>fetch("/v1/_catalog")</script>\n';
const NOTES = '# Notes\n<script>alert(1)</script>\n';

let registry: TestApp;
let pushed: VersionDocument;

beforeAll(async () => {
  registry = await createTestApp();
  const archive = await packFixture('hello-universe-pack', { extraFiles: { 'logo.png': LOGO, 'page.html': PAGE, 'NOTES.md': NOTES } });
  pushed = (await pushArchive(registry, archive).expect(201)).body as VersionDocument;
  const other = await packFixture('hello-universe-pack', {
    editPackJson: (pack) => {
      pack.name = 'otherpack';
    },
    extraFiles: { 'logo.png': OTHER_LOGO },
  });
  await pushArchive(registry, other).expect(201);
});

const read = (path: string) => registry.get(path).auth(READER.user, READER.password).buffer(true);
const blobPath = (name: string, bytes: Buffer | string) => `/v1/${name}/blobs/sha256:${sha256Hex(Buffer.from(bytes))}`;

function bodyOf(response: Response): Buffer {
  return Buffer.isBuffer(response.body) ? response.body : Buffer.from(response.text ?? '');
}

function pathOf(url: string): string {
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
}

function expectSandboxed(response: Response): void {
  expect(response.headers['content-security-policy']).toBe(FILE_CSP);
  expect(response.headers['x-content-type-options']).toBe('nosniff');
}

describe('logoUrl', () => {
  it('is in the push answer, the version document and the pack document: absolute, from the request', async () => {
    const expected = `${registry.url}/v1/hellouniverse/blobs/sha256:${sha256Hex(LOGO)}?type=image/png`;
    expect(pushed.logoUrl).toBe(expected);
    const version = (await read('/v1/packs/hellouniverse/1.0.0').expect(200)).body as VersionDocument;
    expect(version.logoUrl).toBe(expected);
    const pack = (await read('/v1/packs/hellouniverse').expect(200)).body as PackDocument;
    expect(pack.logo).toBe(true);
    expect(pack.logoUrl).toBe(expected);
    const list = (await read('/v1/packs?name=hellouniverse').expect(200)).body as { packs: PackDocument[] };
    expect(list.packs[0]?.logoUrl).toBe(expected);
    const expanded = (await read('/v1/packs?name=hellouniverse&expand=versions').expect(200)).body as { packs: PackDocument[] };
    expect(expanded.packs[0]).toEqual(pack);
  });

  it('fetches the exact logo bytes as image/png from the pack and the version document', async () => {
    const pack = (await read('/v1/packs/hellouniverse').expect(200)).body as PackDocument;
    const version = (await read('/v1/packs/hellouniverse/1.0.0').expect(200)).body as VersionDocument;
    for (const url of [pack.logoUrl, version.logoUrl]) {
      const response = await read(pathOf(url as string)).expect(200);
      expect(response.headers['content-type']).toBe('image/png');
      expect(response.headers['content-length']).toBe(String(LOGO.length));
      expect(bodyOf(response).equals(LOGO)).toBe(true);
      expectSandboxed(response);
    }
  });

  it('ignores X-Forwarded-* from a peer that is not a trusted proxy', async () => {
    const response = await read('/v1/packs/hellouniverse')
      .set('X-Forwarded-Host', 'evil.example')
      .set('X-Forwarded-Proto', 'https')
      .expect(200);
    expect((response.body as PackDocument).logoUrl?.startsWith(`${registry.url}/v1/`)).toBe(true);
  });

  it('is absent when the highest version has no logo; older versions keep theirs and their blob', async () => {
    const app = await createTestApp();
    await pushArchive(app, await packFixture('hello-universe-pack', { extraFiles: { 'logo.png': LOGO } })).expect(201);
    const noLogo = await packFixture('hello-universe-pack', {
      omit: ['logo.png'],
      editPackJson: (pack) => {
        pack.version = '1.1.0';
      },
    });
    await pushArchive(app, noLogo).expect(201);
    const pack = (await app.get('/v1/packs/hellouniverse').auth(READER.user, READER.password).expect(200)).body as PackDocument;
    expect(pack.logo).toBe(false);
    expect(pack).not.toHaveProperty('logoUrl');
    const latest = (await app.get('/v1/packs/hellouniverse/1.1.0').auth(READER.user, READER.password).expect(200)).body as VersionDocument;
    expect(latest).not.toHaveProperty('logoUrl');
    const old = (await app.get('/v1/packs/hellouniverse/1.0.0').auth(READER.user, READER.password).expect(200)).body as VersionDocument;
    const response = await app.get(pathOf(old.logoUrl as string)).auth(READER.user, READER.password).buffer(true).expect(200);
    expect(bodyOf(response).equals(LOGO)).toBe(true);
  });

  it('uses http.host when it is set, whatever the request says', async () => {
    const app = await createTestApp({ env: { REGISTRY_HTTP_HOST: 'https://registry.example.com/' } });
    const body = (await pushArchive(app, await packFixture('hello-universe-pack', { extraFiles: { 'logo.png': LOGO } })).expect(201)).body as VersionDocument;
    const expected = `https://registry.example.com/v1/hellouniverse/blobs/sha256:${sha256Hex(LOGO)}?type=image/png`;
    expect(body.logoUrl).toBe(expected);
    const pack = await app.get('/v1/packs/hellouniverse').set('Host', 'elsewhere.example:8443').auth(READER.user, READER.password).expect(200);
    expect((pack.body as PackDocument).logoUrl).toBe(expected);
    const response = await app.get(pathOf(expected)).auth(READER.user, READER.password).buffer(true).expect(200);
    expect(bodyOf(response).equals(LOGO)).toBe(true);
  });

  it('follows a trusted proxy’s X-Forwarded-Proto and X-Forwarded-Host', async () => {
    const app = await createTestApp({ env: { REGISTRY_HTTP_TRUSTEDPROXIES: 'loopback' } });
    await pushArchive(app, await packFixture('hello-universe-pack', { extraFiles: { 'logo.png': LOGO } })).expect(201);
    const response = await app
      .get('/v1/packs/hellouniverse')
      .set('X-Forwarded-Proto', 'https')
      .set('X-Forwarded-Host', 'packs.example.org')
      .auth(READER.user, READER.password)
      .expect(200);
    expect((response.body as PackDocument).logoUrl).toBe(`https://packs.example.org/v1/hellouniverse/blobs/sha256:${sha256Hex(LOGO)}?type=image/png`);
  });

  it('refuses an http.host that is not an origin', async () => {
    await expect(createTestApp({ env: { REGISTRY_HTTP_HOST: 'https://registry.example.com/prefix' } })).rejects.toThrow(/http\.host|REGISTRY_HTTP_HOST/);
  });
});

describe('GET/HEAD /v1/{name}/blobs/sha256:{hex}', () => {
  const logo = () => blobPath('hellouniverse', LOGO);

  it('carries a strong digest ETag and immutable, private caching; If-None-Match answers 304', async () => {
    const response = await read(logo()).expect(200);
    expect(response.headers.etag).toBe(`"sha256:${sha256Hex(LOGO)}"`);
    expect(response.headers['cache-control']).toBe('private, max-age=31536000, immutable');
    const again = await read(logo()).set('If-None-Match', response.headers.etag as string).expect(304);
    expect(bodyOf(again).length).toBe(0);
    expect(again.headers.etag).toBe(`"sha256:${sha256Hex(LOGO)}"`);
    await read(logo()).set('If-None-Match', '"sha256:0000"').expect(200);
  });

  it('answers HEAD with the headers and no body', async () => {
    const response = await registry.head(`${logo()}?type=image/png`).auth(READER.user, READER.password).expect(200);
    expect(response.headers['content-type']).toBe('image/png');
    expect(response.headers['content-length']).toBe(String(LOGO.length));
    expect(response.headers.etag).toBe(`"sha256:${sha256Hex(LOGO)}"`);
    expectSandboxed(response);
  });

  it('serves any file of the pack by digest, typed as /files types it', async () => {
    const notes = await read(blobPath('hellouniverse', NOTES)).expect(200);
    expect(notes.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(bodyOf(notes).toString()).toBe(NOTES);
    const page = await read(blobPath('hellouniverse', PAGE)).expect(200);
    expect(page.headers['content-type']).toBe('application/octet-stream');
    expect(page.headers['content-disposition']).toMatch(/^attachment; filename="page\.html"/);
    expectSandboxed(page);
  });

  it.each(['text/html', 'image/svg+xml', 'application/javascript', 'text/html; charset=utf-8'])('ignores ?type=%s', async (type) => {
    const page = await read(`${blobPath('hellouniverse', PAGE)}?type=${encodeURIComponent(type)}`).expect(200);
    expect(page.headers['content-type']).toBe('application/octet-stream');
    expect(page.headers['content-disposition']).toMatch(/^attachment/);
    const notes = await read(`${blobPath('hellouniverse', NOTES)}?type=${encodeURIComponent(type)}`).expect(200);
    expect(notes.headers['content-type']).toBe('text/plain; charset=utf-8');
    expectSandboxed(notes);
  });

  it.each(['image/png', 'image/jpeg', 'image/gif', 'image/webp'])('takes ?type=%s (a raster image type) as the Content-Type', async (type) => {
    const response = await read(`${logo()}?type=${encodeURIComponent(type)}`).expect(200);
    expect(response.headers['content-type']).toBe(type);
    expect(response.headers['content-disposition']).toBeUndefined();
    expectSandboxed(response);
  });

  it('does not answer a digest of another pack’s file: 404 BLOB_NOT_FOUND', async () => {
    await read(blobPath('otherpack', OTHER_LOGO)).expect(200);
    const response = await read(blobPath('hellouniverse', OTHER_LOGO)).expect(404);
    expect(response.body.errors[0].code).toBe('BLOB_NOT_FOUND');
    expectSandboxed(response);
  });

  it.each([
    'sha256:abc',
    `sha256:${sha256Hex(LOGO).toUpperCase()}`,
    `sha512:${sha256Hex(LOGO)}`,
    sha256Hex(LOGO),
  ])('answers a malformed digest (%s) with 404 BLOB_NOT_FOUND', async (digest) => {
    const response = await read(`/v1/hellouniverse/blobs/${digest}`).expect(404);
    expect(response.body.errors[0].code).toBe('BLOB_NOT_FOUND');
  });

  it('answers an unknown pack with 404 and a malformed name with 400', async () => {
    expect((await read(blobPath('nosuchpack', LOGO)).expect(404)).body.errors[0].code).toBe('BLOB_NOT_FOUND');
    expect((await read(blobPath('-bad', LOGO)).expect(400)).body.errors[0].code).toBe('NAME_INVALID');
  });

  it('requires credentials like every other read', async () => {
    const response = await registry.get(logo()).expect(401);
    expect(response.body.errors[0].code).toBe('UNAUTHORIZED');
    await registry.head(logo()).expect(401);
    await registry.get(logo()).auth(ADMIN.user, ADMIN.password).expect(200);
  });

  it('leaves /v1/packs/blobs/{digest} to the pack named blobs (no pack: 404 PACK_NOT_FOUND)', async () => {
    const response = await read(`/v1/packs/blobs/sha256:${sha256Hex(LOGO)}`).expect(404);
    expect(response.body.errors[0].code).toBe('PACK_NOT_FOUND');
  });

  it('gives a pack named like a route segment (packs) no logoUrl', async () => {
    const app = await createTestApp();
    const archive = await packFixture('hello-universe-pack', {
      editPackJson: (pack) => {
        pack.name = 'packs';
      },
      extraFiles: { 'logo.png': LOGO },
    });
    const body = (await pushArchive(app, archive).expect(201)).body as VersionDocument;
    expect(body).not.toHaveProperty('logoUrl');
    const pack = (await app.get('/v1/packs/packs').auth(READER.user, READER.password).expect(200)).body as PackDocument;
    expect(pack.logo).toBe(true);
    expect(pack).not.toHaveProperty('logoUrl');
  });
});
