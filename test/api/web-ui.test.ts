// The web UI's HTTP behaviour in process (its pages in a real browser: test/browser/web-ui.test.ts): HTML
// under `/`, JSON kept under /v1, the same authentication, assets cached by content, no inline script or style.
import { beforeAll, describe, expect, it } from 'vitest';
import { ASSETS } from '../../src/http/ui/assets.js';
import { packFixture } from '../helpers/archives.js';
import { ADMIN, createTestApp, pushArchive, READER, type TestApp } from '../helpers/app.js';

let registry: TestApp;
beforeAll(async () => {
  registry = await createTestApp();
  expect((await pushArchive(registry, await packFixture('hello-universe-pack'))).status).toBe(201);
  const second = await packFixture('hello-universe-pack', { editPackJson: (packJson) => void (packJson.version = '1.1.0') });
  expect((await pushArchive(registry, second)).status).toBe(201);
});

const read = (path: string) => registry.get(path).auth(READER.user, READER.password);

describe('the web UI over HTTP', () => {
  it.each(['/', '/?name=hello&layer=addon', '/packs/hellouniverse', '/packs/hellouniverse/1.0.0', '/packs/hellouniverse/-/diff?from=1.0.0&to=1.1.0'])(
    'answers %s with HTML under the CSP, with no inline script or style',
    async (path) => {
      const response = await read(path).expect(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['content-security-policy']).toContain("default-src 'self'");
      expect(response.headers['content-security-policy']).toContain("script-src 'self'");
      const page = response.text;
      expect(page).toContain(`<script src="${ASSETS.script.path}" defer></script>`);
      expect(page.match(/<script\b/g)?.length).toBe(1);
      expect(page).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    },
  );

  it('asks for credentials with 401 and WWW-Authenticate, as an HTML page', async () => {
    const response = await registry.get('/').expect(401);
    expect(response.headers['www-authenticate']).toBe('Basic realm="Test Realm"');
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect((await registry.get('/').auth(ADMIN.user, 'wrong').expect(401)).text).toContain('Sign in required');
  });

  it('serves the assets without credentials, cached for a year by their content hash', async () => {
    const response = await registry.get(ASSETS.stylesheet.path).expect(200);
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(response.headers['content-type']).toBe('text/css; charset=utf-8');
    await registry.get(ASSETS.stylesheet.path).set('If-None-Match', ASSETS.stylesheet.etag).expect(304);
    await registry.get('/ui/assets/app.0000000000000000.css').auth(READER.user, READER.password).expect(404);
  });

  it('answers unknown pages and packs with HTML 404s, and leaves /v1 and other methods to the API', async () => {
    expect((await read('/no/such/page').expect(404)).headers['content-type']).toMatch(/^text\/html/);
    // No credentials are asked for a path that is no page.
    expect((await registry.get('/metrics').expect(404)).headers['www-authenticate']).toBeUndefined();
    await registry.get('/packs/hellouniverse').expect(401);
    expect((await read('/packs/nosuchpack').expect(404)).text).toContain('pack nosuchpack not found');
    expect((await read('/packs/hellouniverse/9.9.9').expect(404)).headers['content-type']).toMatch(/^text\/html/);
    expect((await read('/v1/no/such/endpoint').expect(404)).body.errors[0].code).toBe('NOT_FOUND');
    expect((await registry.post('/').auth(ADMIN.user, ADMIN.password).expect(404)).body.errors[0].code).toBe('NOT_FOUND');
    expect((await read('/?layer=a&layer=b').expect(400)).headers['content-type']).toMatch(/^text\/html/);
  });

  it('gzips pages for clients that accept it', async () => {
    const response = await read('/packs/hellouniverse/1.0.0').set('Accept-Encoding', 'gzip').expect(200);
    expect(response.headers['content-encoding']).toBe('gzip');
    expect(response.text).toContain('Hello Universe');
  });
});
