// The web UI's routes: HTML pages at `/` beside the JSON API under `/v1`. Read-only: every page is a GET
// answered from the registry's read methods, behind the same authenticate() as the API (basic auth through the
// browser's own prompt, tokens, anonymous reads when `auth.anonymous.read` is on). Static assets need no
// credentials (the sign-in page itself uses them). Mounted after every /v1 route, so the API's requests never
// pass through here, and /v1 keeps its JSON 404.
import express, { type ErrorRequestHandler, type IRouter, type Request, type RequestHandler, type Response } from 'express';
import { gzipSync } from 'node:zlib';
import { ERROR_CATALOGUE } from '../../api/index.js';
import { RegistryError } from '../../registry/errors.js';
import type { PackFilter, Registry } from '../../registry/registry.js';
import { tagEntry } from '../../registry/views.js';
import { authenticate, type AuthSettings } from '../authenticate.js';
import { baseUrlOf } from '../base-url.js';
import type { PackFileBody, PackFileReads } from '../file-reads.js';
import { FILE_RESPONSE_HEADERS, packFileType } from '../file-types.js';
import { sendStream } from '../routes/packs.js';
import { singleQueryValue } from '../query.js';
import { ASSET_PREFIX, ASSETS_BY_PATH } from './assets.js';
import type { Html } from './html.js';
import type { Viewer } from './layout.js';
import { errorPage } from './pages/errors.js';
import { LIST_FRAGMENT_PATH, listPage, listResults, type ListQuery } from './pages/list.js';
import { packPage } from './pages/pack.js';
import type { FileText } from './pages/version.js';

/**
 * The version and diff pages load with their first request, and with them markdown-it, highlight.js and diff:
 * a server that never shows them (most only answer packctl and Palette) keeps about 3 MB less resident.
 */
const versionPages = () => import('./pages/version.js');
const diffPages = () => import('./pages/diff.js');

/**
 * Packs per list page. The logos are most of a page's weight (each the pack's own bytes, lazily loaded): 20
 * rows keep the first page near 80 KB with icon-sized logos and three 6–12 KB ones (see the browser tests);
 * search and filters are the way through 10,000 packs, not paging.
 */
export const UI_PAGE_SIZE = 20;
const HISTORY_PAGE_SIZE = 50;
/** Text files read out of an archive for a page (README, values.yaml) up to this size; larger ones are linked. */
const MAX_SHOWN_FILE_BYTES = 1024 * 1024;
/** HTML answers smaller than this are sent as they are: gzip would save less than it costs. */
const GZIP_MIN_BYTES = 2048;

export interface WebUiDependencies {
  registry: Registry;
  auth: AuthSettings;
  files: PackFileReads;
  externalUrl?: string | undefined;
  logError: (error: unknown) => void;
}

export function addWebUi(app: IRouter, deps: WebUiDependencies): void {
  const { registry, files } = deps;
  const ui = express.Router({ caseSensitive: true, strict: false });
  ui.get(`${ASSET_PREFIX}:file`, serveAsset);
  ui.use(isUiRequest, signInWithHtmlRefusal(deps.auth));

  ui.get('/', async (req, res) => {
    const filters = readListQuery(req);
    const result = await registry.listPacks(packFilter(filters), { limit: UI_PAGE_SIZE, last: filters.last ?? '' }, '');
    sendHtml(req, res, 200, listPage(viewerOf(req), await registry.packFacets(), filters, result));
  });

  ui.get(LIST_FRAGMENT_PATH, async (req, res) => {
    const filters = readListQuery(req);
    const result = await registry.listPacks(packFilter(filters), { limit: UI_PAGE_SIZE, last: filters.last ?? '' }, '');
    sendHtml(req, res, 200, listResults(filters, result));
  });

  // Where a visitor reading anonymously asks to sign in: the browser shows its prompt on the 401, then comes
  // back with credentials and is sent home. At the root so the browser sends them for every page after it.
  ui.get('/sign-in', (req, res) => {
    if (req.user?.name === 'anonymous' && deps.auth.kind === 'htpasswd') {
      res.setHeader('WWW-Authenticate', `Basic realm="${deps.auth.realm.replaceAll('"', "'")}"`);
      sendHtml(req, res, 401, errorPage(undefined, 401, 'Sign in', 'Give your user name and password (or an access token as the password) in the browser’s prompt.'));
      return;
    }
    res.redirect(303, '/');
  });

  // A page's logos, by the digest the API's logoUrl names. The API's blob route refuses at once (503 with
  // Retry-After) when the file reader's bound is reached; a browser does not retry an image, so the first
  // list page over a cold cache showed broken logos. Here a logo waits its turn instead (bounded), and only
  // raster images are answered.
  ui.get('/ui/logos/:name/:digest', async (req, res) => {
    const { name, digest } = req.params as { name: string; digest: string };
    for (const [header, value] of FILE_RESPONSE_HEADERS) res.setHeader(header, value);
    const sha256 = /^sha256:([0-9a-f]{64})$/.exec(digest)?.[1];
    const found = sha256 === undefined ? undefined : await files.describeBlob(name, sha256);
    const type = found && packFileType(found.path).contentType;
    if (!sha256 || !type?.startsWith('image/')) throw new RegistryError('BLOB_NOT_FOUND', `pack ${name} has no logo ${digest}`, { name, digest });
    res.setHeader('ETag', `"sha256:${sha256}"`);
    res.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
    res.setHeader('Content-Type', type);
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    const file = await inTurn(() => files.openBlob(name, sha256));
    res.setHeader('Content-Length', String(file.size));
    if (req.method === 'HEAD' || Buffer.isBuffer(file.body)) {
      if (!Buffer.isBuffer(file.body)) file.body.destroy();
      res.end(req.method === 'HEAD' ? undefined : file.body);
      return;
    }
    await sendStream(res, file.body);
  });

  ui.get('/packs/:name', async (req, res) => {
    const name = req.params.name as string;
    const events = singleQueryValue(req, 'events');
    const pack = await registry.getPack(name, '');
    const history = await registry.history(name, { limit: HISTORY_PAGE_SIZE, last: events ?? '' });
    sendHtml(req, res, 200, packPage(viewerOf(req), pack, history, events));
  });

  ui.get('/packs/:name/-/diff', async (req, res) => {
    const name = req.params.name as string;
    const pack = await registry.getPack(name, '');
    const newestFirst = pack.versions.map((version) => version.version).reverse();
    const from = await registry.getVersion(name, singleQueryValue(req, 'from') ?? newestFirst[1] ?? newestFirst[0] ?? '', '');
    const to = await registry.getVersion(name, singleQueryValue(req, 'to') ?? newestFirst[0] ?? '', '');
    const values = { from: await readText(files, from, 'values.yaml'), to: await readText(files, to, 'values.yaml') };
    const { diffPage } = await diffPages();
    sendHtml(req, res, 200, diffPage(viewerOf(req), { newestFirst, from, to }, values));
  });

  ui.get('/packs/:name/:ref', async (req, res) => {
    const { name, ref } = req.params as { name: string; ref: string };
    const version = await registry.getVersion(name, ref, '');
    const tags = (await registry.listTags(name)).filter((tag) => tag.version === version.version).map(tagEntry);
    const readmePath = version.files.find((file) => /^readme\.md$/i.test(file.path))?.path;
    const readme = readmePath ? await readText(files, version, readmePath) : ({ state: 'absent' } as const);
    const values = await readText(files, version, 'values.yaml');
    const base = baseUrlOf(req, deps.externalUrl) ?? 'https://REGISTRY';
    const { versionPage } = await versionPages();
    sendHtml(req, res, 200, versionPage(viewerOf(req), version, tags, readme, values, { baseUrl: base, server: base.replace(/^https?:\/\//, '') }));
  });

  ui.use((req, res) => {
    sendHtml(req, res, 404, errorPage(viewerOf(req), 404, 'Not found', `There is no page at ${req.path}.`));
  });
  ui.use(htmlErrors(deps.logError));
  app.use(ui);
}

/** How long a logo waits for the file reader, in steps: a cold list page asks for 20 at once, two are read at a time. */
const LOGO_WAIT_STEP_MS = 50;
const LOGO_WAIT_STEPS = 100;

/** `read()`, tried again while the file reader is at its bound (TOO_MANY_FILE_READS), for at most 5 s. */
async function inTurn<T extends PackFileBody>(read: () => Promise<T>): Promise<T> {
  for (let step = 0; ; step++) {
    try {
      return await read();
    } catch (error) {
      const busy = error instanceof RegistryError && error.code === 'TOO_MANY_FILE_READS';
      if (!busy || step >= LOGO_WAIT_STEPS) throw error;
      await new Promise((resolve) => setTimeout(resolve, LOGO_WAIT_STEP_MS));
    }
  }
}

/** The pages' paths (the routes above): only these ask for credentials; any other path is a 404 at once. */
const UI_PATHS = [/^\/$/, /^\/sign-in$/, /^\/ui\/fragments\/packs$/, /^\/ui\/logos\/[^/]+\/[^/]+$/, /^\/packs\/[^/]+(?:\/[^/]+|\/-\/diff)?\/?$/];

/**
 * Everything but the API: the UI answers GET and HEAD outside /v1 and /health; the rest falls through. A path
 * that is no page is answered 404 before authentication, as a missing file is: asking for credentials first
 * would only tell a visitor to sign in to learn that nothing is there (and `/metrics` on the registry's port
 * would look like something behind a login).
 */
const isUiRequest: RequestHandler = (req, res, next) => {
  if ((req.method !== 'GET' && req.method !== 'HEAD') || req.path === '/v1' || req.path.startsWith('/v1/')) {
    next('router');
    return;
  }
  if (!UI_PATHS.some((pattern) => pattern.test(req.path))) {
    sendHtml(req, res, 404, errorPage(undefined, 404, 'Not found', `There is no page at ${req.path}.`));
    return;
  }
  next();
};

/**
 * authenticate() with a refusal a browser shows: the 401 keeps its WWW-Authenticate challenge (the browser's
 * prompt), and its page says what to do if the prompt is dismissed. Other refusals (an expired token, too many
 * attempts) keep the API's answer and its headers.
 */
function signInWithHtmlRefusal(auth: AuthSettings): RequestHandler {
  return authenticate(auth, {
    // The UI is mounted on express, so these are express's request and response.
    renderUnauthorized: (req, res) =>
      sendHtml(req as Request, res as Response, 401, errorPage(undefined, 401, 'Sign in required', 'This registry needs a user name and password (or an access token): reload the page to get the browser’s prompt again.')),
  });
}

function viewerOf(req: Request): Viewer {
  const name = req.user?.name ?? 'anonymous';
  return { name, anonymous: name === 'anonymous' };
}

function readListQuery(req: Request): ListQuery {
  const value = (key: string) => {
    const given = singleQueryValue(req, key);
    return given === '' ? undefined : given;
  };
  return { name: value('name'), layer: value('layer'), cloudType: value('cloudType'), addonType: value('addonType'), group: value('group'), last: value('last') };
}

function packFilter(query: ListQuery): PackFilter {
  return { nameContains: query.name, layer: query.layer, cloudType: query.cloudType, addonType: query.addonType, group: query.group };
}

/**
 * A text file of the version for a page. Reads go through the /files reader (its cache, single flight and
 * bound): when the bound is reached, or the file is large, the page says so and links the raw file instead.
 */
async function readText(files: PackFileReads, version: { name: string; digest: string; files: readonly { path: string; size: number }[] }, path: string): Promise<FileText> {
  const listed = version.files.find((file) => file.path === path);
  if (!listed) return { state: 'absent' };
  if (listed.size > MAX_SHOWN_FILE_BYTES) return { state: 'unavailable', path, reason: `it is larger than ${MAX_SHOWN_FILE_BYTES / 1024 / 1024} MiB; download it from the file list` };
  try {
    const file = await files.open(version.name, version.digest, path);
    if (!Buffer.isBuffer(file.body)) {
      file.body.destroy();
      return { state: 'unavailable', path, reason: 'it is too large to show here' };
    }
    return { state: 'text', path, text: file.body.toString('utf8') };
  } catch (error) {
    if (error instanceof RegistryError && error.code === 'TOO_MANY_FILE_READS') {
      return { state: 'unavailable', path, reason: 'the registry is busy reading other archives; reload in a few seconds' };
    }
    throw error;
  }
}

function sendHtml(req: Request, res: Response, status: number, body: Html): void {
  let bytes = Buffer.from(body.text, 'utf8');
  res.status(status);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  // Pages show what the viewer may read: never kept by a shared cache, revalidated by the browser.
  res.setHeader('Cache-Control', 'private, no-cache');
  res.setHeader('Vary', 'Accept-Encoding, Authorization');
  if (bytes.length >= GZIP_MIN_BYTES && acceptsGzip(req)) {
    bytes = gzipSync(bytes, { level: 4 });
    res.setHeader('Content-Encoding', 'gzip');
  }
  res.setHeader('Content-Length', String(bytes.length));
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

function acceptsGzip(req: Request): boolean {
  return /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
}

/** `/ui/assets/<name>.<hash>.<ext>`: immutable, public (code, no pack data), gzipped when accepted. */
const serveAsset: RequestHandler = (req, res, next) => {
  const asset = ASSETS_BY_PATH.get(req.path);
  if (!asset) return next();
  res.setHeader('Content-Type', asset.contentType);
  res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
  res.setHeader('ETag', asset.etag);
  res.setHeader('Vary', 'Accept-Encoding');
  if (req.headers['if-none-match'] === asset.etag) {
    res.status(304).end();
    return;
  }
  const gzip = acceptsGzip(req);
  const body = gzip ? asset.gzipped : asset.body;
  if (gzip) res.setHeader('Content-Encoding', 'gzip');
  res.setHeader('Content-Length', String(body.length));
  res.end(req.method === 'HEAD' ? undefined : body);
};

/** A refusal or failure under the UI as a page with the catalogue's status; unexpected errors are logged. */
function htmlErrors(logError: (error: unknown) => void): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    if (!(error instanceof RegistryError)) {
      logError(error);
      sendHtml(req, res, 500, errorPage(viewerOf(req), 500, 'Something went wrong', 'An internal error occurred; see the server log.'));
      return;
    }
    const status = ERROR_CATALOGUE[error.code].status;
    const title = status === 404 ? 'Not found' : status === 400 ? 'Bad request' : `Refused (${error.code})`;
    sendHtml(req, res, status, errorPage(viewerOf(req), status, title, error.message));
  };
}
