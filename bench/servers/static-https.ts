// The machine's ceiling for Node: a minimal HTTPS server with no framework and no auth, run as its own
// process. GET /<file> answers a file of its folder (held in memory when small, streamed when large);
// POST /upload reads and discards the body (the floor for a push's transfer).
// With FRAMEWORK `express`, the same handler is the one route of an express 5 app: the floor an express server
// reaches on this machine before it does any work of its own (no auth, no lookups).
// Usage: node --import tsx bench/servers/static-https.ts PORT DIR CERT KEY [node|express]
import { createReadStream, readFileSync, readdirSync, statSync } from 'node:fs';
import express from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { join } from 'node:path';

const [portArg, dir, certPath, keyPath, framework = 'node'] = process.argv.slice(2);
if (!portArg || !dir || !certPath || !keyPath) {
  process.stderr.write('usage: static-https.ts PORT DIR CERT KEY\n');
  process.exit(2);
}

const SMALL = 1024 * 1024;
const files = new Map<string, { size: number; body?: Buffer; path: string }>();
for (const name of readdirSync(dir)) {
  const path = join(dir, name);
  const { size } = statSync(path);
  files.set(`/${name}`, { size, path, body: size <= SMALL ? readFileSync(path) : undefined });
}

function answer(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'POST' && req.url === '/upload') {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => res.end(JSON.stringify({ bytes })));
    return;
  }
  const file = files.get(req.url ?? '');
  if (!file) {
    res.statusCode = 404;
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': file.size });
  if (file.body) res.end(file.body);
  else createReadStream(file.path).pipe(res);
}

function expressApp() {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.all('/{*path}', answer);
  return app;
}

const server = createServer({ cert: readFileSync(certPath), key: readFileSync(keyPath) }, framework === 'express' ? expressApp() : answer);
server.listen(Number(portArg), '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
