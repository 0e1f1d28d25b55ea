// A pack's files are served from the registry's own origin, which a web UI will share: nothing in a pack may run
// there. Only plain text and raster images are inline; HTML, SVG, JavaScript and anything unknown are
// downloads; every /files answer carries a sandboxing CSP and nosniff.
import type { Response } from 'supertest';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { packFixture } from '../helpers/archives.js';
import { READER, createTestApp, pushArchive, type TestApp } from '../helpers/app.js';
import { pngImage } from '../helpers/png.js';

const FILE_CSP = "sandbox; default-src 'none'";
const TEXT = 'text/plain; charset=utf-8';

const HOSTILE_FILES: Record<string, string | Buffer> = {
  'index.html': '<!doctype html><html><body><script>fetch("/v1/_catalog").then(r => r.text()).then(alert)</script></body></html>\n',
  'docs/evil.svg': '<svg xmlns="http://www.w3.org/2000/svg" onload="fetch(\'/v1/packs\')"><circle r="5"/></svg>\n',
  'ui/app.js': 'fetch("/v1/packs", { method: "POST" });\n',
  'page.xhtml': '<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>\n',
  'README.md': '# Hello\n\n<img src=x onerror="fetch(\'/v1/_catalog\')">\n<script>alert(document.cookie)</script>\n',
  'notes/résumé.html': '<script>alert(1)</script>\n',
  'charts/extra.json': '{"a": 1}\n',
  'LICENSE': 'Apache License 2.0\n',
  'images/shot.webp': Buffer.from('RIFF\u0000\u0000\u0000\u0000WEBPVP8 '),
  'images/photo.JPG': Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
};

let registry: TestApp;
const base = '/v1/packs/hellouniverse/1.0.0/files';
const reader = (path: string) => registry.get(`${base}/${path}`).auth(READER.user, READER.password).buffer(true);

beforeAll(async () => {
  registry = await createTestApp();
  const archive = await packFixture('hello-universe-pack', { extraFiles: { ...HOSTILE_FILES, 'logo.png': pngImage({ width: 16, height: 16, fill: 'gradient' }) } });
  await pushArchive(registry, archive).expect(201);
});

afterEach(() => {
  vi.restoreAllMocks();
});

function expectSandboxed(response: Response): void {
  expect(response.headers['content-security-policy']).toBe(FILE_CSP);
  expect(response.headers['x-content-type-options']).toBe('nosniff');
}

function bodyOf(response: Response): Buffer {
  return Buffer.isBuffer(response.body) ? response.body : Buffer.from(response.text ?? '');
}

describe('GET /v1/packs/{name}/{ref}/files/{path}', () => {
  it.each([
    ['index.html', 'index.html'],
    ['docs/evil.svg', 'evil.svg'],
    ['ui/app.js', 'app.js'],
    ['page.xhtml', 'page.xhtml'],
  ])('serves %s (active content) as an octet-stream attachment, byte for byte', async (path, filename) => {
    const response = await reader(path).expect(200);
    expect(response.headers['content-type']).toBe('application/octet-stream');
    expect(response.headers['content-disposition']).toBe(`attachment; filename="${filename}"; filename*=UTF-8''${filename}`);
    expectSandboxed(response);
    expect(bodyOf(response).equals(Buffer.from(HOSTILE_FILES[path] as string))).toBe(true);
  });

  it('names an attachment with a non-ASCII name safely: an ASCII fallback and the exact name in RFC 8187 form', async () => {
    const response = await reader(encodeURI('notes/résumé.html')).expect(200);
    expect(response.headers['content-type']).toBe('application/octet-stream');
    expect(response.headers['content-disposition']).toBe(`attachment; filename="r_sum_.html"; filename*=UTF-8''r%C3%A9sum%C3%A9.html`);
    expectSandboxed(response);
  });

  it('serves a README.md holding raw HTML and script as plain text, inline', async () => {
    const response = await reader('README.md').expect(200);
    expect(response.headers['content-type']).toBe(TEXT);
    expect(response.headers['content-disposition']).toBeUndefined();
    expectSandboxed(response);
    expect(response.text).toBe(HOSTILE_FILES['README.md']);
  });

  it.each(['values.yaml', 'pack.json', 'charts/extra.json', 'LICENSE'])('serves the text file %s as text/plain', async (path) => {
    const response = await reader(path).expect(200);
    expect(response.headers['content-type']).toBe(TEXT);
    expect(response.headers['content-disposition']).toBeUndefined();
    expectSandboxed(response);
  });

  it.each([
    ['logo.png', 'image/png'],
    ['images/shot.webp', 'image/webp'],
    ['images/photo.JPG', 'image/jpeg'],
  ])('serves the raster image %s inline as %s', async (path, type) => {
    const response = await reader(path).expect(200);
    expect(response.headers['content-type']).toBe(type);
    expect(response.headers['content-disposition']).toBeUndefined();
    expectSandboxed(response);
  });

  it('sandboxes its errors too, which stay JSON', async () => {
    const response = await reader('nope.html').expect(404);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.headers['content-disposition']).toBeUndefined();
    expect(response.body.errors[0].code).toBe('FILE_NOT_FOUND');
    expectSandboxed(response);
  });

  it('answers HEAD with the same headers from the index alone, without opening the archive', async () => {
    const openFile = vi.spyOn(registry.registry, 'openFile');
    const response = await registry.head(`${base}/index.html`).auth(READER.user, READER.password).expect(200);
    expect(response.headers['content-type']).toBe('application/octet-stream');
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="index.html"/);
    expect(response.headers['content-length']).toBe(String(Buffer.byteLength(HOSTILE_FILES['index.html'] as string)));
    expect(response.headers['pack-version']).toBe('1.0.0');
    expectSandboxed(response);
    expect(openFile).not.toHaveBeenCalled();
  });

  it('keeps the configured security headers on other routes', async () => {
    const response = await registry.get('/v1/packs/hellouniverse').auth(READER.user, READER.password).expect(200);
    expect(response.headers['content-security-policy']).toBe("default-src 'self'; img-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
  });
});
