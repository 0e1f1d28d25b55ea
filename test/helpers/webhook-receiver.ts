// A real HTTP receiver for webhook tests, on 127.0.0.1 and a free port: it records every request (headers,
// exact body bytes, arrival time) and answers as the test's behaviour says — at once, with a failure status,
// after a delay, or never (a hung receiver: the request stays open until the receiver is closed).
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { whenDone } from './cleanup.js';

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  /** performance.now() when the body had arrived. */
  at: number;
  /** The status answered; undefined while unanswered (hung or slow). */
  status?: number;
}

/** What to answer: a status now, `{ status, afterMs }` later, or `'hang'`. */
export type Answer = number | { status: number; afterMs: number } | 'hang';

export interface WebhookReceiver {
  url: string;
  received: ReceivedRequest[];
  /** Change what the next requests get. */
  answerWith(behaviour: (request: ReceivedRequest, index: number) => Answer): void;
  /** Resolves once `count` requests have arrived; rejects after `timeoutMs`. */
  waitForRequests(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

/** `port`: listen there (a receiver coming back where a test's earlier one was); 0, the default: a free port. */
export async function startWebhookReceiver(
  behaviour: (request: ReceivedRequest, index: number) => Answer = () => 204,
  port = 0,
): Promise<WebhookReceiver> {
  let answer = behaviour;
  const received: ReceivedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const reply = (response: ServerResponse, request: ReceivedRequest, status: number) => {
    request.status = status;
    response.writeHead(status, { 'Content-Type': 'text/plain' }).end(`${status}\n`);
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ReceivedRequest = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: performance.now() };
      const index = received.push(request) - 1;
      const decided = answer(request, index);
      if (decided === 'hang') return;
      if (typeof decided === 'number') return reply(res, request, decided);
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed) reply(res, request, decided.status);
      }, decided.afterMs);
      timers.add(timer);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      for (const timer of timers) clearTimeout(timer);
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closed;
  };
  whenDone(close);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    answerWith: (next) => {
      answer = next;
    },
    waitForRequests: async (count, timeoutMs = 30_000) => {
      const deadline = performance.now() + timeoutMs;
      while (received.length < count) {
        if (performance.now() > deadline) throw new Error(`the receiver got ${received.length} requests, not ${count}, within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return received.slice(0, count);
    },
    close,
  };
}
