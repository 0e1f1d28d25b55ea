// A multipart push written by hand over node:http(s), so a test controls exactly when each byte is sent:
// slow uploads, uploads that stop half-way, uploads larger than the limit.
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface RawUpload {
  request: ClientRequest;
  /** Resolves with the response (status and parsed JSON body) whenever the server answers. */
  response: Promise<{ status: number; headers: IncomingMessage['headers']; body: unknown }>;
  /** Bytes of the body written so far. */
  sent(): number;
  /** Write `bytes` more of the archive part (or all that is left). */
  send(bytes?: number): Promise<void>;
  /** Write the rest and the closing boundary. */
  finish(): Promise<void>;
}

export function startRawUpload(
  url: string,
  /** `ca` trusts an https server's certificate; an http URL (the in-process app) needs none. */
  options: { ca?: Buffer; user: string; password: string; archive: Buffer; chunked?: boolean; localAddress?: string },
): RawUpload {
  const boundary = `----pack-registry-test-${Date.now()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="pack"; filename="pack.tar.gz"\r\nContent-Type: application/gzip\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const headers: Record<string, string | number> = {
    'Content-Type': `multipart/form-data; boundary=${boundary}`,
    Authorization: `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`,
  };
  if (!options.chunked) headers['Content-Length'] = head.length + options.archive.length + tail.length;
  const target = new URL('/v1/packs', url);
  const req =
    target.protocol === 'https:'
      ? httpsRequest(target, { method: 'POST', ca: options.ca, headers, localAddress: options.localAddress })
      : httpRequest(target, { method: 'POST', headers, localAddress: options.localAddress });
  let sent = 0;
  let offset = 0;
  const response = new Promise<{ status: number; headers: IncomingMessage['headers']; body: unknown }>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.on('error', reject);
  });
  // The answer may come (and the socket close) before the body is finished: writes then fail, which is fine.
  response.catch(() => {});
  const write = (chunk: Buffer) =>
    new Promise<void>((resolve) => {
      if (req.destroyed) return resolve();
      sent += chunk.length;
      req.write(chunk, () => resolve());
    });
  let headSent = false;
  const send = async (bytes = Infinity) => {
    if (!headSent) {
      headSent = true;
      await write(head);
    }
    const end = Math.min(options.archive.length, offset + bytes);
    if (end > offset) await write(options.archive.subarray(offset, end));
    offset = end;
  };
  return {
    request: req,
    response,
    sent: () => sent,
    send,
    finish: async () => {
      await send();
      await write(tail);
      req.end();
    },
  };
}
