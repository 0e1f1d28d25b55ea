// A TCP proxy on loopback in front of a server (moto's S3), for the faults a network shows: a link that is
// slow (every chunk held back `delayMs`, each direction in order) and one that is cut (every connection reset,
// new ones refused) until it is restored. The server behind it keeps what it stored meanwhile.
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { Transform } from 'node:stream';
import { whenDone } from './cleanup.js';

export interface TcpProxy {
  endpoint: string;
  /** Latency added to every chunk, in each direction; change it at any time. */
  delayMs: number;
  /** Reset every open connection and every new one, until restore(). */
  cut(): void;
  restore(): void;
  /** Bytes forwarded to the server so far. */
  readonly bytesUp: number;
}

function delayed(proxy: { delayMs: number }, count?: (bytes: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      count?.(chunk.length);
      if (proxy.delayMs <= 0) return done(null, chunk);
      setTimeout(() => done(null, chunk), proxy.delayMs);
    },
  });
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let down = false;
  let bytesUp = 0;
  const state: TcpProxy = {
    endpoint: '',
    delayMs: 0,
    cut() {
      down = true;
      for (const socket of sockets) socket.resetAndDestroy();
      sockets.clear();
    },
    restore() {
      down = false;
    },
    get bytesUp() {
      return bytesUp;
    },
  };
  const server = createServer((client) => {
    if (down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      // A failure on one side ends both; a plain end travels through the pipes after the delayed bytes.
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(delayed(state, (bytes) => (bytesUp += bytes))).pipe(upstream);
    upstream.pipe(delayed(state)).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  whenDone(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return state;
}
