// packctl sends the saved password with every request, so it follows the registry's links only on the
// registry's own origin and never follows a redirect (src/client/http.ts). No network: every refusal here
// happens before a connection is opened.
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { CliError, EXIT } from '../../src/client/errors.js';
import { errorFromAnswer, RegistryClient } from '../../src/client/http.js';

const clients: RegistryClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

function clientFor(server: string): RegistryClient {
  const client = new RegistryClient({
    server,
    credentials: { user: 'admin', password: 'secret' },
    trust: { insecure: false, expectedCaFile: '/nonexistent/ca.crt' },
  });
  clients.push(client);
  return client;
}

function refusal(work: () => unknown): CliError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    return error as CliError;
  }
  throw new Error('expected a refusal');
}

describe('RegistryClient.followLink', () => {
  const client = () => clientFor('registry.example.com:5000');

  it.each([
    ['/v1/packs?n=100&last=b', '/v1/packs?n=100&last=b'],
    ['?n=100&last=b', '/v1/packs?n=100&last=b'],
    ['packs?last=b', '/v1/packs?last=b'],
    ['../v1/packs?last=b', '/v1/packs?last=b'],
    ['https://registry.example.com:5000/v1/packs?last=b', '/v1/packs?last=b'],
    ['HTTPS://REGISTRY.example.com:5000/v1/packs?last=b', '/v1/packs?last=b'],
  ])('follows %s on the same registry as %s', (link, path) => {
    expect(client().followLink(link, '/v1/packs?n=100')).toBe(path);
  });

  it('compares ports the way URLs do: no port is the scheme’s default', () => {
    expect(clientFor('registry.example.com').followLink('https://registry.example.com:443/v1/packs?last=b', '/v1/packs')).toBe('/v1/packs?last=b');
    expect(clientFor('registry.example.com:443').followLink('https://registry.example.com/v1/packs', '/v1/packs')).toBe('/v1/packs');
  });

  it.each([
    ['a protocol-relative link to another host', '//evil.example/v1/packs?last=b'],
    ['a protocol-relative link to another port', '//registry.example.com:5001/v1/packs'],
    ['an absolute link to another host', 'https://evil.example/v1/packs'],
    ['an absolute link to another port', 'https://registry.example.com:5001/v1/packs'],
    ['a scheme change https→http on the same host and port', 'http://registry.example.com:5000/v1/packs'],
    ['a link with credentials to another host', 'https://registry.example.com:5000@evil.example/v1/packs'],
    ['a backslash link that URL parsers read as protocol-relative', '\\\\evil.example/v1/packs'],
    ['a non-http scheme', 'file:///etc/passwd'],
    ['a javascript: link', 'javascript:alert(1)'],
  ])('refuses %s with exit code 1 and says why', (_name, link) => {
    const error = refusal(() => client().followLink(link, '/v1/packs', 'next-page link'));
    expect(error.exitCode).toBe(EXIT.FAILURE);
    expect(error.lines).toHaveLength(1);
    expect(error.lines[0]).toContain('refusing to follow the next-page link');
    expect(error.lines[0]).toContain('leads away from the registry registry.example.com:5000 (https://registry.example.com:5000)');
  });

  it('refuses a link that is not a URL at all', () => {
    const error = refusal(() => client().followLink('http://[::1', '/v1/packs', 'next-page link'));
    expect(error.exitCode).toBe(EXIT.FAILURE);
    expect(error.lines[0]).toContain('not a URL');
  });
});

describe('RegistryClient.send', () => {
  it('refuses a path that leaves the registry before connecting anywhere', async () => {
    // Port 9 on a reserved address: were a connection tried, the error would be a network one (exit code 6).
    const client = clientFor('192.0.2.1:9');
    for (const path of ['//127.0.0.2:1/v1/', 'http://127.0.0.2:1/v1/', 'https://192.0.2.1:10/v1/']) {
      const error = await client.send(path).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error, path).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode, path).toBe(EXIT.FAILURE);
      expect((error as CliError).lines[0], path).toContain('refusing to send a request');
    }
  });
});

describe('a redirect answer', () => {
  function answer(statusCode: number, headers: Record<string, string>): IncomingMessage {
    return { statusCode, statusMessage: 'Found', headers } as unknown as IncomingMessage;
  }

  it.each([301, 302, 303, 307, 308])('HTTP %i is reported, not followed, with its Location', (status) => {
    const error = errorFromAnswer(answer(status, { location: 'https://127.0.0.2:5000/v1/' }), '');
    expect(error.exitCode).toBe(EXIT.FAILURE);
    expect(error.lines).toEqual([
      `HTTP_${status}: the registry answered with a redirect to https://127.0.0.2:5000/v1/, which packctl does not follow (its credentials go to the registry they were saved for only)`,
    ]);
  });

  it('keeps a hostile Location on one line without control characters', () => {
    const error = errorFromAnswer(answer(302, { location: '/x\u009b2J\u001b]8;;http://evil/\u0007' }), '');
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    expect(error.lines[0]).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });
});
