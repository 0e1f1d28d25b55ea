import { createServer as createHttpServer, STATUS_CODES, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { ErrorBody } from '../api/index.js';
import { lingerOnUnreadBodies } from './linger.js';
import type { TlsMaterial } from './tls.js';

export interface ListeningServer {
  server: Server;
  /** `https://host:port` (or `http://` with TLS off), with the port actually bound. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface Timeouts {
  /** A connection must finish its TLS handshake this soon after it opened (tls.Server's handshakeTimeout). */
  handshakeMs: number;
  headerMs: number;
  requestMs: number;
  idleMs: number;
  lingerMs: number;
}

export interface ConnectionLimits {
  /** Open connections (TLS handshakes in progress included); Node closes each one beyond at once. */
  maxConnections: number;
  /** Told, at most once a minute, how many connections the cap refused. */
  logger?: Logger;
}

/** Listen on host:port, over TLS unless `tls` is null (plain HTTP only when TLS is explicitly off). */
export async function listen(
  app: RequestListener,
  host: string | undefined,
  port: number,
  tls: TlsMaterial | null,
  timeouts: Timeouts,
  connections: ConnectionLimits,
): Promise<ListeningServer> {
  // Node checks header/request timeouts only every `connectionsCheckingInterval` (30 s by default), which
  // would let a slowloris client outlive a short headers timeout; check four times per timeout instead.
  const connectionsCheckingInterval = Math.max(250, Math.min(30_000, Math.floor(timeouts.headerMs / 4)));
  const serverOptions = { connectionsCheckingInterval };
  // The header, request and idle timeouts below start only once TLS is up: until then only handshakeTimeout
  // (Node's default: 120 s) stands between a connection that never starts TLS and the server's sockets.
  const server: Server = tls
    ? createHttpsServer({ ...tls.options, ...serverOptions, handshakeTimeout: timeouts.handshakeMs }, app)
    : createHttpServer(serverOptions, app);
  // Slow clients (slowloris) may hold a connection only this long: headers, whole request, silence.
  server.headersTimeout = timeouts.headerMs;
  server.requestTimeout = timeouts.requestMs;
  server.setTimeout(timeouts.idleMs, (socket) => socket.destroy());
  // A crowd of connections (silent, or slow to handshake) must not exhaust the process's file descriptors:
  // beyond the cap Node closes each new connection as soon as it is accepted ('drop').
  server.maxConnections = connections.maxConnections;
  if (connections.logger) reportDroppedConnections(server, connections.maxConnections, connections.logger);
  answerUnparsableRequests(server);
  // Before the app's listener, so the watch is in place whenever the app answers.
  server.prependListener('request', lingerOnUnreadBodies(timeouts.lingerMs));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = host && host !== '0.0.0.0' && host !== '::' ? host : 'localhost';
  const urlHost = shownHost.includes(':') ? `[${shownHost}]` : shownHost;
  return {
    server,
    port: address.port,
    url: `${tls ? 'https' : 'http'}://${urlHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

/** One warning a minute at most while the connection cap refuses connections, with how many it refused. */
function reportDroppedConnections(server: Server, maxConnections: number, logger: Logger): void {
  let dropped = 0;
  let timer: NodeJS.Timeout | undefined;
  server.on('drop', () => {
    dropped += 1;
    if (timer) return;
    logger.warn({ maxConnections }, 'http.maxconnections reached: refusing new connections');
    dropped = 0;
    timer = setTimeout(() => {
      timer = undefined;
      if (dropped > 0) logger.warn({ maxConnections, dropped }, 'http.maxconnections reached: refused connections in the last minute');
    }, 60_000);
    timer.unref();
  });
}

/** Node's own answers to requests it times out or cannot size; they carry no body, as Node sends them. */
const BARE_ANSWERS: Readonly<Record<string, number>> = {
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
};

/**
 * Bytes Node's HTTP parser cannot read as a request (a body shorter than its Content-Length followed by more
 * bytes, a body cut off by the client's half-close, a broken chunk) get the contract's 400 BODY_INVALID with
 * a JSON body instead of Node's bare "400 Bad Request", then the connection is closed: nothing after such
 * bytes can be trusted. As in Node, nothing is written when an answer has already begun on the connection.
 */
export function answerUnparsableRequests(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      const bare = error.code ? BARE_ANSWERS[error.code] : undefined;
      socket.write(bare ? `HTTP/1.1 ${bare} ${STATUS_CODES[bare] ?? ''}\r\nConnection: close\r\n\r\n` : unparsableAnswer(error));
    }
    socket.destroy();
  });
}

function unparsableAnswer(error: NodeJS.ErrnoException): string {
  const body: ErrorBody = {
    errors: [
      {
        code: 'BODY_INVALID',
        message: 'the request could not be read as HTTP (is its Content-Length right, and did the body end early?)',
        detail: { reason: error.code ?? error.message },
      },
    ],
  };
  const json = JSON.stringify(body);
  return [
    'HTTP/1.1 400 Bad Request',
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(json)}`,
    'X-Content-Type-Options: nosniff',
    'Connection: close',
    '',
    json,
  ].join('\r\n');
}
