// packctl against a registry that means harm: the built packctl talks to a small server of this test on
// 127.0.0.1 that answers with links to another origin, redirects, and names, messages and errors full of
// terminal escape sequences. A second server on 127.0.0.2 (another origin on loopback) records whether the
// saved credentials ever reached it: they must not. Both servers speak TLS and plain HTTP on one port, so a
// link that turns https into http on the registry's own host and port is caught too.
import { once } from 'node:events';
import * as http from 'node:http';
import * as https from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import selfsigned from 'selfsigned';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_PAGE_SIZE } from '../../src/api/index.js';
import { fixtureFiles } from '../helpers/archives.js';
import { whenDone } from '../helpers/cleanup.js';
import { errorLines, loggedInUserAt, packctlTempDir, writePackFolder, type PackctlResult, type PackctlUser } from '../helpers/packctl.js';

/** The first page `pack ls` asks for: the largest the registry gives, each pack with its versions and tags. */
const FIRST_PAGE = `/v1/packs?n=${MAX_PAGE_SIZE}&expand=versions`;
const CREDENTIALS = { user: 'victim', password: 'hostile-registry-must-not-learn-this' };
const AUTHORIZATION = `Basic ${Buffer.from(`${CREDENTIALS.user}:${CREDENTIALS.password}`).toString('base64')}`;

/** What a terminal may obey: C0 (but the line break), DEL, C1, and the invisible bidi controls. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/** Text a hostile registry puts in every field it can: SGR, clear screen, title, OSC 8 link, C1 CSI, bidi override, CR, LF. */
const NASTY =
  '\u001b[31mred\u001b[0m\u001b[2J\u001b]0;pwned\u0007\u001b]8;;https://evil.example/\u001b\\click\u001b]8;;\u001b\\' +
  '\u009b2J\u009d0;title\u009c\u202egnp.exe\u2066\r\nerror: forged\u0000\u007f\b\t';

type Scheme = 'http' | 'https';
type Handler = (request: http.IncomingMessage, response: http.ServerResponse, scheme: Scheme) => void;

interface Seen {
  scheme: Scheme;
  method: string;
  url: string;
  authorization: string | undefined;
}

interface RecordingServer {
  /** `host:port`, as packctl names a registry. */
  server: string;
  port: number;
  seen: Seen[];
}

let tls: { key: string; cert: string };

beforeAll(async () => {
  const pems = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], { keySize: 2048, algorithm: 'sha256' });
  tls = { key: pems.private, cert: pems.cert };
});

/**
 * A server on `host` (127.0.0.1 or 127.0.0.2 only) answering TLS and plain HTTP on one port — the first byte
 * of a connection tells them apart — that records every request it gets; closed when the test ends.
 */
async function startServer(host: '127.0.0.1' | '127.0.0.2', handler: Handler): Promise<RecordingServer> {
  const seen: Seen[] = [];
  const recording = (scheme: Scheme) => (request: http.IncomingMessage, response: http.ServerResponse) => {
    seen.push({ scheme, method: request.method ?? '', url: request.url ?? '', authorization: request.headers.authorization });
    handler(request, response, scheme);
  };
  const secure = https.createServer({ ...tls }, recording('https'));
  const plain = http.createServer(recording('http'));
  const sockets = new Set<Socket>();
  const dispatch = (socket: Socket): void => {
    const first = socket.read(1) as Buffer | null;
    if (first === null) {
      socket.once('readable', () => dispatch(socket));
      return;
    }
    socket.unshift(first);
    // 0x16: a TLS handshake record.
    (first[0] === 0x16 ? secure : plain).emit('connection', socket);
  };
  const listener = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    dispatch(socket);
  });
  listener.listen(0, host);
  await once(listener, 'listening');
  const { port } = listener.address() as AddressInfo;
  whenDone(async () => {
    const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
    secure.closeAllConnections();
    plain.closeAllConnections();
    for (const socket of sockets) socket.destroy();
    await closed;
  });
  return { server: `${host}:${port}`, port, seen };
}

function sendJson(response: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

/** Reads a request's body to its end before answering, as a registry does. */
function afterBody(request: http.IncomingMessage, answer: () => void): void {
  request.resume();
  request.on('end', answer);
}

/** The other origin on loopback: answers like an honest registry, so only the records tell whether packctl came. */
function startBystander(): Promise<RecordingServer> {
  return startServer('127.0.0.2', (request, response) => {
    afterBody(request, () => sendJson(response, 200, request.url?.startsWith('/v1/packs') ? { packs: [] } : {}));
  });
}

/** A user of the hostile registry, logged in with `insecure` (its certificate is self-signed). */
function victimOf(registry: RecordingServer): Promise<PackctlUser> {
  return loggedInUserAt(registry.server, CREDENTIALS, { insecure: true });
}

/** Each control character of `text` a terminal would obey, as U+XXXX. */
function controlsIn(text: string): string[] {
  return [...text.matchAll(CONTROL)].map(([character]) => `U+${character.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0')}`);
}

function expectPrintable(result: PackctlResult): void {
  expect(controlsIn(result.stdout), 'control characters on stdout').toEqual([]);
  expect(controlsIn(result.stderr), 'control characters on stderr').toEqual([]);
  // Every line on stderr is packctl's own: no value from the registry could start a forged one.
  for (const line of result.stderr.split('\n').filter(Boolean)) expect(line).not.toMatch(/^error: forged/);
}

describe('packctl refuses to take its credentials to another origin', () => {
  it.each([
    ['a protocol-relative link to another host', (other: RecordingServer) => `//${other.server}${FIRST_PAGE}&last=a`],
    ['an absolute https link to another host', (other: RecordingServer) => `https://${other.server}${FIRST_PAGE}&last=a`],
    ['an absolute http link to another host', (other: RecordingServer) => `http://${other.server}${FIRST_PAGE}&last=a`],
    ['a link to another port on the same host', (other: RecordingServer) => `https://127.0.0.1:${other.port}/v1/packs?last=a`],
  ])('stops `pack ls` at %s in the pagination Link, with exit code 1', async (_name, linkTo) => {
    const bystander = await startBystander();
    const registry = await startServer('127.0.0.1', (request, response) => {
      afterBody(request, () => {
        if (request.url?.startsWith('/v1/packs?')) {
          sendJson(response, 200, { packs: [] }, { Link: `<${linkTo(bystander)}>; rel="next"` });
        } else sendJson(response, 404, { errors: [{ code: 'NOT_FOUND', message: 'no' }] });
      });
    });
    const user = await victimOf(registry);

    const result = await user.run(['pack', 'ls']);

    // First, as it is what matters: the other origin never heard from packctl, so never saw the password.
    expect(bystander.seen).toEqual([]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(errorLines(result)).toEqual([
      expect.stringMatching(
        new RegExp(`^error: refusing to follow the next-page link to .+: it leads away from the registry ${registry.server} \\(https://${registry.server}\\)`),
      ),
    ]);
    expect(registry.seen.map((seen) => `${seen.scheme} ${seen.method} ${seen.url}`)).toEqual([`https GET ${FIRST_PAGE}`]);
    expectPrintable(result);
  });

  it('refuses a link that turns https into http on the registry’s own host and port: the password never travels in clear text', async () => {
    const registry = await startServer('127.0.0.1', (request, response) => {
      afterBody(request, () => sendJson(response, 200, { packs: [] }, { Link: `<http://${registry.server}/v1/packs?last=a>; rel="next"` }));
    });
    const user = await victimOf(registry);

    const result = await user.run(['pack', 'ls']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`refusing to follow the next-page link to http://${registry.server}/v1/packs?last=a`);
    expect(registry.seen.filter((seen) => seen.scheme === 'http')).toEqual([]);
    expect(registry.seen).toHaveLength(1);
  });

  it('follows relative and same-origin links, each with the credentials', async () => {
    const pages: Record<string, string | undefined> = {
      [FIRST_PAGE]: `<${FIRST_PAGE}&last=a>; rel="next"`,
      [`${FIRST_PAGE}&last=a`]: `<?n=${MAX_PAGE_SIZE}&expand=versions&last=b>; rel="next"`,
      [`${FIRST_PAGE}&last=b`]: `<https://127.0.0.1:PORT${FIRST_PAGE}&last=c>; rel="next"`,
      [`${FIRST_PAGE}&last=c`]: undefined,
    };
    const registry = await startServer('127.0.0.1', (request, response) => {
      afterBody(request, () => {
        const link = pages[request.url ?? ''];
        sendJson(response, 200, { packs: [] }, link === undefined ? {} : { Link: link.replace('PORT', String(registry.port)) });
      });
    });
    const user = await victimOf(registry);

    const result = await user.run(['pack', 'ls']);

    expect(result.code).toBe(0);
    expect(registry.seen.map((seen) => seen.url)).toEqual(Object.keys(pages));
    expect(registry.seen.every((seen) => seen.scheme === 'https' && seen.authorization === AUTHORIZATION)).toBe(true);
  });

  it('does not follow a redirect: it reports it with exit code 1 and the other origin hears nothing', async () => {
    const bystander = await startBystander();
    const registry = await startServer('127.0.0.1', (request, response) => {
      afterBody(request, () => {
        response.writeHead(307, { Location: `https://${bystander.server}${FIRST_PAGE}`, 'Content-Length': 0 });
        response.end();
      });
    });
    const user = await victimOf(registry);

    for (const args of [['pack', 'ls'], ['pack', 'pull', 'hello-universe:1.3.1', await packctlTempDir()], ['pack', 'tag', 'add', 'hello-universe:1.3.1', 'stable']]) {
      const result = await user.run(args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(errorLines(result), args.join(' ')).toEqual([
        `error: HTTP_307: the registry answered with a redirect to https://${bystander.server}${FIRST_PAGE}, which packctl does not follow (its credentials go to the registry they were saved for only)`,
      ]);
    }
    expect(bystander.seen).toEqual([]);
  });
});

describe('packctl prints no control character a hostile registry sends', () => {
  it('`pack ls`: names, versions, tags, layers and dates in the table', async () => {
    const registry = await startServer('127.0.0.1', (request, response) => {
      afterBody(request, () => {
        if (request.url?.startsWith('/v1/packs?')) {
          sendJson(response, 200, { packs: [{ name: `evil${NASTY}` }, { name: 'second' }] });
          return;
        }
        sendJson(response, 200, {
          name: `name${NASTY}`,
          layer: `layer${NASTY}`,
          versions: [{ version: `1.0.0${NASTY}`, pushedAt: `2024-01-01T00:00:00Z${NASTY}` }, { version: '2.0.0', pushedAt: '2024-01-02T00:00:00.000Z' }],
          tags: [
            { tag: `tag${NASTY}`, version: `1.0.0${NASTY}` },
            { tag: 'latest', version: '2.0.0' },
          ],
        });
      });
    });
    const user = await victimOf(registry);

    const result = await user.run(['pack', 'ls']);

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expectPrintable(result);
    const lines = result.stdout.trimEnd().split('\n');
    // The header and two rows per pack: no value added a line.
    expect(lines).toHaveLength(5);
    expect(lines[1]).toContain('name [31mred [0m [2J ]0;pwned ]8;;https://evil.example/ \\click ]8;; \\ 2J 0;title gnp.exe error: forged ');
    expect(lines[4]).toMatch(/^name .* 2\.0\.0 +latest +layer .* 2024-01-02T00:00:00Z$/);
  });

  it('error answers: every entry’s code and message, on its own line, with the exit code of the status', async () => {
    const registry = await startServer('127.0.0.1', (request, response) => {
      afterBody(request, () =>
        sendJson(response, 404, {
          errors: [
            { code: 'PACK_NOT_FOUND', message: `no such pack${NASTY}` },
            { code: `MADE_UP${NASTY}`, message: NASTY },
          ],
        }),
      );
    });
    const user = await victimOf(registry);

    const result = await user.run(['pack', 'pull', 'hello-universe:1.3.1', await packctlTempDir()]);

    expect(result.code).toBe(4);
    expect(result.stdout).toBe('');
    expectPrintable(result);
    const lines = errorLines(result);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^error: PACK_NOT_FOUND: no such pack \[31mred/);
    expect(lines[1]).toMatch(/^error: MADE_UP \[31mred/);
  });

  it('a proxy’s error page: the status line’s C1 characters', async () => {
    const registry = await startServer('127.0.0.1', (request, response) => {
      // Bytes 0x80–0xFF are allowed in a status line and are read as Latin-1: U+009B, the one-character CSI,
      // arrives as such (after the Â of its UTF-8 lead byte, as Node sends it).
      afterBody(request, () => {
        response.writeHead(502, 'Bad \u009b2J\u009d0;pwned\u009c Gateway', { 'Content-Type': 'text/html', 'Content-Length': 4 });
        response.end('oops');
      });
    });
    const user = await victimOf(registry);

    const result = await user.run(['pack', 'ls']);

    expect(result.code).toBe(1);
    expectPrintable(result);
    expect(errorLines(result)).toEqual([expect.stringMatching(/^error: HTTP_502: HTTP 502 Bad .*2J.*0;pwned.* Gateway$/)]);
  });

  it('`registry login`: the refusal of the credentials', async () => {
    const registry = await startServer('127.0.0.1', (request, response) => {
      afterBody(request, () => sendJson(response, 401, { errors: [{ code: 'UNAUTHORIZED', message: `go away${NASTY}` }] }));
    });
    const user = await victimOf(registry);

    const result = await user.run(['registry', 'login', registry.server, '--insecure', '-u', CREDENTIALS.user, '--password-stdin'], {
      stdin: `${CREDENTIALS.password}\n`,
    });

    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expectPrintable(result);
    expect(errorLines(result)).toEqual([expect.stringMatching(/^error: UNAUTHORIZED: go away \[31mred/)]);
  });

  it('`pack push`: the name, version, digest and tags of the registry’s answer', async () => {
    const registry = await startServer('127.0.0.1', (request, response) => {
      afterBody(request, () => {
        if (request.method !== 'POST') return sendJson(response, 200, {});
        sendJson(response, 201, { name: `hello${NASTY}`, version: `1.3.1${NASTY}`, digest: `sha256:${NASTY}`, tags: [`1.x${NASTY}`, 'latest'] });
      });
    });
    const user = await victimOf(registry);
    const folder = await writePackFolder(await fixtureFiles('hello-universe-1.3.1'), 'hello-universe');

    const result = await user.run(['pack', 'push', folder]);

    expect(result.code).toBe(0);
    expectPrintable(result);
    expect(result.stdout.split('\n')).toEqual([
      expect.stringMatching(/^Pushed hello \[31mred.*:1\.3\.1 \[31mred.* to 127\.0\.0\.1:\d+$/),
      expect.stringMatching(/^Digest: sha256: \[31mred/),
      expect.stringMatching(/^Tags: 1\.x \[31mred.*, latest$/),
      '',
    ]);
  });

  it('`pack tag add`: the tag and version of the registry’s answer', async () => {
    const registry = await startServer('127.0.0.1', (request, response) => {
      afterBody(request, () => sendJson(response, 201, { tag: `stable${NASTY}`, version: `1.3.1${NASTY}`, auto: false }));
    });
    const user = await victimOf(registry);

    const result = await user.run(['pack', 'tag', 'add', 'hello-universe:1.3.1', 'stable']);

    expect(result.code).toBe(0);
    expectPrintable(result);
    expect(result.stdout).toMatch(/^Tagged hello-universe:1\.3\.1 as hello-universe:stable \[31mred.* \(version 1\.3\.1 \[31mred.*\)\n$/);
  });

  it('`pack pull`: a version document whose name cannot be a folder name', async () => {
    const registry = await startServer('127.0.0.1', (request, response) => {
      afterBody(request, () => sendJson(response, 200, { name: `hello${NASTY}`, version: '1.3.1', digest: `sha256:${'0'.repeat(64)}` }));
    });
    const user = await victimOf(registry);

    const result = await user.run(['pack', 'pull', 'hello-universe:1.3.1', await packctlTempDir()]);

    expect(result.code).toBe(1);
    expectPrintable(result);
    expect(errorLines(result)).toEqual([expect.stringMatching(/^error: the registry answered an unusable pack name or version: /)]);
  });

  it('`pack pull`: C1 characters in the ETag header of the archive, shown in the digest mismatch', async () => {
    const digest = `sha256:${'0'.repeat(64)}`;
    const registry = await startServer('127.0.0.1', (request, response) => {
      afterBody(request, () => {
        if (!request.url?.endsWith('/archive')) return sendJson(response, 200, { name: 'hello-universe', version: '1.3.1', digest });
        response.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Length': 4, ETag: '"\u009b2J\u009d0;pwned\u009c"' });
        response.end('oops');
      });
    });
    const user = await victimOf(registry);

    const result = await user.run(['pack', 'pull', 'hello-universe:1.3.1', await packctlTempDir()]);

    expect(result.code).toBe(1);
    expectPrintable(result);
    expect(errorLines(result)).toEqual([expect.stringMatching(/^error: DIGEST_MISMATCH: .* but the registry announced .*2J.*0;pwned.*; nothing was unpacked$/)]);
  });
});
