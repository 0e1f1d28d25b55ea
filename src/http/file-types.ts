import { basename, extname } from 'node:path';

/**
 * How a pack's file is served by `GET /v1/packs/{name}/{ref}/files/{path}`. A pack is anyone-with-push-rights'
 * content served from the registry's own origin (which a web UI will share), so nothing in it may ever run
 * there: only types a browser never executes are served inline — text as `text/plain` and a few raster image
 * types — and everything else (HTML, SVG, JavaScript, XML, PDF, archives, unknown) is an
 * `application/octet-stream` attachment, which a browser only downloads. The route adds a sandboxing CSP
 * and `nosniff` to every answer as a second wall (see FILE_RESPONSE_HEADERS).
 */
export interface PackFileType {
  contentType: string;
  /** `Content-Disposition`, set for attachments only. */
  disposition?: string;
}

const TEXT = 'text/plain; charset=utf-8';

/**
 * Text formats found in packs (values, manifests, charts' templates, Ansible roles, docs, policies). Served
 * as plain text whatever they hold: a browser shows them, it never renders or runs them.
 */
const TEXT_EXTENSIONS: ReadonlySet<string> = new Set([
  'yaml', 'yml', 'json', 'md', 'markdown', 'txt', 'text', 'tpl', 'tmpl', 'gotmpl', 'j2', 'jinja', 'jinja2',
  'toml', 'ini', 'cfg', 'conf', 'conflist', 'properties', 'env', 'csv', 'tsv', 'rst', 'adoc', 'lock', 'log',
  'sh', 'bash', 'py', 'go', 'rego', 'cue', 'tf', 'hcl', 'sql', 'patch', 'diff',
]);

/** Files known by name rather than extension (`LICENSE`, `.helmignore`), compared in lower case. */
const TEXT_NAMES: ReadonlySet<string> = new Set([
  'license', 'licence', 'notice', 'readme', 'changelog', 'owners', 'authors', 'makefile', 'dockerfile',
  '.helmignore', '.gitignore', '.gitkeep', '.dockerignore',
]);

/** Raster images a browser decodes without running anything. Not SVG: an SVG document runs its scripts. */
const INLINE_IMAGES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
};

const DOWNLOAD = 'application/octet-stream';

/**
 * Headers on every `/files` answer, errors included. `sandbox` gives a document opened from it an opaque
 * origin with scripts, forms and plugins off, so even a browser that rendered one could not reach the API
 * with the viewer's credentials; `default-src 'none'` loads nothing from it. `nosniff` stops a browser from
 * reading `text/plain` or an attachment as HTML or script (also when it is the `src` of a `<script>`); it is
 * among the default `http.headers` too, but an operator may remove those.
 */
export const FILE_RESPONSE_HEADERS: readonly (readonly [string, string])[] = [
  ['Content-Security-Policy', "sandbox; default-src 'none'"],
  ['X-Content-Type-Options', 'nosniff'],
];

export function packFileType(path: string): PackFileType {
  const name = basename(path);
  const extension = extname(name).slice(1).toLowerCase();
  const image = INLINE_IMAGES[extension];
  if (image) return { contentType: image };
  if (TEXT_EXTENSIONS.has(extension) || TEXT_NAMES.has(name.toLowerCase())) return { contentType: TEXT };
  return { contentType: DOWNLOAD, disposition: attachment(name) };
}

/** `attachment` with the file's name: an ASCII fallback, and the exact name in RFC 8187 form. */
function attachment(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const exact = encodeURIComponent(name).replace(/['()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${exact}`;
}
