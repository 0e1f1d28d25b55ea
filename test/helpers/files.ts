import bcrypt from 'bcrypt';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** bcrypt cost 4: the real algorithm, as cheap as it allows, so tests stay quick. */
export async function writeHtpasswd(path: string, users: { user: string; password: string }[], cost = 4): Promise<void> {
  const lines = await Promise.all(
    // `htpasswd -B` writes `$2y$`; use the same spelling the real tool produces.
    users.map(async ({ user, password }) => `${user}:${(await bcrypt.hash(password, cost)).replace(/^\$2b\$/, '$2y$')}`),
  );
  await writeFile(path, `${lines.join('\n')}\n`, { mode: 0o600 });
}

export async function makeTempDir(prefix = 'pack-registry-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

