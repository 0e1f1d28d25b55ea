// One certificate and one set of users for every server in the run, so TLS and auth cost the same work
// everywhere: the registry's own self-signed generator (RSA 2048, IP SANs), and htpasswd files written the
// way `htpasswd -B` writes them ($2y$), at the costs the comparison needs.
import bcrypt from 'bcrypt';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSelfSigned } from '../../src/http/tls.js';

export interface Certificate {
  certPath: string;
  keyPath: string;
  cert: Buffer;
}

export async function makeCertificate(dir: string): Promise<Certificate> {
  const certPath = join(dir, 'tls.crt');
  const keyPath = join(dir, 'tls.key');
  await generateSelfSigned(certPath, keyPath, ['localhost', '127.0.0.1']);
  return { certPath, keyPath, cert: await readFile(certPath) };
}

export const BENCH_USER = { user: 'admin', password: 'bench-admin-password' };

export interface HtpasswdFile {
  path: string;
  cost: number;
}

/** An htpasswd file with the bench user hashed at `cost` (10: the project's default; 5: `htpasswd -B`'s). */
export async function writeHtpasswd(dir: string, cost: number): Promise<HtpasswdFile> {
  const path = join(dir, `htpasswd-cost${cost}`);
  const hash = (await bcrypt.hash(BENCH_USER.password, cost)).replace(/^\$2b\$/, '$2y$');
  await writeFile(path, `${BENCH_USER.user}:${hash}\n`, { mode: 0o600 });
  return { path, cost };
}
