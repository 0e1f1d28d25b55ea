// A minimal HTTPS client for the bench's own requests (pushes, seeding, readiness). Load itself is generated
// by autocannon (load.ts); these helpers are for single requests whose wall time is measured.
import { Agent, request as httpsRequest } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { nowMs } from './stats.js';

export interface Endpoint {
  /** `https://127.0.0.1:PORT` */
  origin: string;
  /** The self-signed certificate, trusted as the CA: the bench verifies TLS like a real client. */
  ca: Buffer;
  agent: Agent;
}

export function endpoint(origin: string, ca: Buffer): Endpoint {
  // Keep-alive: a push or a readiness poll should not pay a TLS handshake each time.
  return { origin, ca, agent: new Agent({ keepAlive: true, ca, maxSockets: 8 }) };
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RequestSpec {
  method?: string;
  path: string;
  headers?: Record<string, string | number>;
  /** A buffer, or a stream factory (with `headers['content-length']` set) for large bodies. */
  body?: Buffer | (() => Readable);
  timeoutMs?: number;
  /** Count the response bytes but do not keep them (large downloads). */
  discardBody?: boolean;
}

export async function send(target: Endpoint, spec: RequestSpec): Promise<Response> {
  const url = new URL(spec.path, target.origin);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method: spec.method ?? 'GET', headers: spec.headers, agent: target.agent, ca: target.ca, timeout: spec.timeoutMs ?? 120_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => {
          if (!spec.discardBody) chunks.push(chunk);
        });
        res.once('error', reject);
        res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.once('timeout', () => req.destroy(new Error(`${spec.method ?? 'GET'} ${url.href}: timed out`)));
    req.once('error', reject);
    if (spec.body === undefined) req.end();
    else if (Buffer.isBuffer(spec.body)) req.end(spec.body);
    else {
      const source = spec.body();
      source.once('error', (error) => req.destroy(error));
      source.pipe(req);
    }
  });
}

/** Throws with the response body when the status is not the expected one. */
export function expectStatus(response: Response, expected: number | number[], what: string): Response {
  const allowed = Array.isArray(expected) ? expected : [expected];
  if (!allowed.includes(response.status)) {
    throw new Error(`${what}: HTTP ${response.status} (expected ${allowed.join('/')}): ${response.body.toString('utf8').slice(0, 500)}`);
  }
  return response;
}

/**
 * A multipart/form-data body with one file field streamed from disk, and its exact length, so the server
 * gets a Content-Length and the file is never loaded into the bench's memory either.
 */
export function multipartFile(field: string, filename: string, path: string, size: number, contentType: string) {
  const boundary = `----pack-registry-bench-${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const length = head.length + size + tail.length;
  const stream = async function* (): AsyncGenerator<Buffer> {
    yield head;
    for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) yield chunk as Buffer;
    yield tail;
  };
  return { contentType: `multipart/form-data; boundary=${boundary}`, length, stream };
}

/**
 * Poll until `ready(status)` holds; returns the elapsed time. Any HTTP answer proves the port is served,
 * a refused connection means not yet. Bounded by `timeoutMs`.
 */
export async function waitUntilServing(
  target: Endpoint,
  path: string,
  ready: (status: number) => boolean,
  options: { timeoutMs?: number; intervalMs?: number; alive?: () => boolean } = {},
): Promise<number> {
  const start = nowMs();
  const deadline = start + (options.timeoutMs ?? 60_000);
  let last = 'no answer';
  while (nowMs() < deadline) {
    if (options.alive && !options.alive()) throw new Error(`the server exited before serving ${path}`);
    try {
      const response = await send(target, { path, timeoutMs: 2_000 });
      if (ready(response.status)) return nowMs() - start;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 10));
  }
  throw new Error(`${target.origin}${path} not ready within ${options.timeoutMs ?? 60_000} ms (last: ${last})`);
}
