// A plain-http proxy on 127.0.0.1 in front of an in-process registry (app.ts) that records every request it
// gets and lets a test answer some of them itself: a busy registry, a reset connection, an older registry's
// answer. packctl reaches it logged in with `insecure` (plain http).
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { whenDone } from './cleanup.js';

export interface RecordedRequest {
  method: string;
  url: string;
  /** Body bytes the proxy received (so far, for a request it cut). */
  bytes: number;
  /** The announced Content-Length, if any. */
  contentLength: number | undefined;
}

/** Sends the request on to the registry; `rewrite` may change a complete answer's body first. */
export type Forward = (rewrite?: (body: Buffer) => Buffer) => void;

/** Answers the request itself, or calls `forward()`. */
export type ProxyHandler = (request: IncomingMessage, response: ServerResponse, forward: Forward, seen: RecordedRequest) => void;

export interface RecordingProxy {
  /** `127.0.0.1:PORT`, as packctl names a registry. */
  server: string;
  seen: RecordedRequest[];
}

export async function startRecordingProxy(upstreamUrl: string, handler: ProxyHandler = (_req, _res, forward) => forward()): Promise<RecordingProxy> {
  const upstream = new URL(upstreamUrl);
  const seen: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const proxy = createServer((req, res) => {
    const declared = req.headers['content-length'];
    const record: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', bytes: 0, contentLength: declared === undefined ? undefined : Number(declared) };
    seen.push(record);
    req.on('data', (chunk: Buffer) => (record.bytes += chunk.length));
    const forward: Forward = (rewrite) => {
      const headers = { ...req.headers, host: upstream.host };
      const onward = httpRequest({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers }, async (answer) => {
        const chunks: Buffer[] = [];
        for await (const chunk of answer) chunks.push(chunk as Buffer);
        const body = rewrite ? rewrite(Buffer.concat(chunks)) : Buffer.concat(chunks);
        const answerHeaders: IncomingHttpHeaders = { ...answer.headers, 'content-length': String(body.length) };
        delete answerHeaders.connection;
        delete answerHeaders['keep-alive'];
        delete answerHeaders['transfer-encoding'];
        res.writeHead(answer.statusCode ?? 502, answerHeaders);
        res.end(body);
      });
      onward.on('error', () => res.destroy());
      req.pipe(onward);
    };
    handler(req, res, forward, record);
  });
  proxy.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  whenDone(
    () =>
      new Promise<void>((resolve) => {
        proxy.close(() => resolve());
        proxy.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      }),
  );
  return { server: `127.0.0.1:${(proxy.address() as AddressInfo).port}`, seen };
}

/** An error answer in the registry's shape. */
export function sendError(response: ServerResponse, status: number, code: string, headers: Record<string, string> = {}): void {
  const text = JSON.stringify({ errors: [{ code, message: `${code} (said by the test's proxy)` }] });
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

/** Reads a request's body to its end, then runs `then`, as a registry answers an upload. */
export function afterBody(request: IncomingMessage, then: () => void): void {
  request.resume();
  request.on('end', then);
}
