// A tiny plain-http proxy in front of a test registry, for what an honest registry never does: send an
// archive whose bytes or digests do not match. packctl reaches it with --insecure (plain http).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { whenDone } from './cleanup.js';
import type { TestRegistry } from './registry.js';

export interface ArchiveAnswer {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface TestProxy {
  /** `127.0.0.1:PORT`. */
  server: string;
  /** Done by itself when the test or file ends; calling it twice is fine. */
  close(): Promise<void>;
}

/** Forwards every request to `registry`; answers to `.../archive` pass through `rewriteArchive` first. */
export async function startArchiveProxy(
  registry: TestRegistry,
  rewriteArchive: (answer: ArchiveAnswer) => ArchiveAnswer,
): Promise<TestProxy> {
  const upstream = new URL(registry.url);
  const proxy: Server = createServer((req, res) => {
    const headers = { ...req.headers, host: upstream.host };
    const forward = httpsRequest(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers, ca: registry.ca },
      async (answer) => {
        const chunks: Buffer[] = [];
        for await (const chunk of answer) chunks.push(chunk as Buffer);
        let result: ArchiveAnswer = { headers: { ...answer.headers }, body: Buffer.concat(chunks) };
        if (answer.statusCode === 200 && /\/archive(\?|$)/.test(req.url ?? '')) result = rewriteArchive(result);
        result.headers['content-length'] = String(result.body.length);
        delete result.headers.connection;
        delete result.headers['keep-alive'];
        res.writeHead(answer.statusCode ?? 502, result.headers);
        res.end(result.body);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= new Promise<void>((resolve) => {
      proxy.close(() => resolve());
      proxy.closeAllConnections();
    }));
  whenDone(close);
  return { server: `127.0.0.1:${port}`, close };
}
