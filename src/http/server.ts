import type { Express } from 'express';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
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
  headerMs: number;
  requestMs: number;
  idleMs: number;
  lingerMs: number;
}

/** Listen on host:port, over TLS unless `tls` is null (plain HTTP only when TLS is explicitly off). */
export async function listen(
  app: Express,
  host: string | undefined,
  port: number,
  tls: TlsMaterial | null,
  timeouts: Timeouts,
): Promise<ListeningServer> {
  // Node checks header/request timeouts only every `connectionsCheckingInterval` (30 s by default), which
  // would let a slowloris client outlive a short headers timeout; check four times per timeout instead.
  const connectionsCheckingInterval = Math.max(250, Math.min(30_000, Math.floor(timeouts.headerMs / 4)));
  const serverOptions = { connectionsCheckingInterval };
  const server: Server = tls ? createHttpsServer({ ...tls.options, ...serverOptions }, app) : createHttpServer(serverOptions, app);
  // Slow clients (slowloris) may hold a connection only this long: headers, whole request, silence.
  server.headersTimeout = timeouts.headerMs;
  server.requestTimeout = timeouts.requestMs;
  server.setTimeout(timeouts.idleMs, (socket) => socket.destroy());
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
