import bcrypt from 'bcrypt';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { whenDone } from './cleanup.js';

/** bcrypt cost 4: the real algorithm, as cheap as it allows, so tests stay quick. */
export async function writeHtpasswd(path: string, users: { user: string; password: string }[], cost = 4): Promise<void> {
  const lines = await Promise.all(
    // `htpasswd -B` writes `$2y$`; use the same spelling the real tool produces.
    users.map(async ({ user, password }) => `${user}:${(await bcrypt.hash(password, cost)).replace(/^\$2b\$/, '$2y$')}`),
  );
  await writeFile(path, `${lines.join('\n')}\n`, { mode: 0o600 });
}

/**
 * A new folder under the system temporary folder, removed when the current test ends (or, made outside a
 * test, when the file ends) — whether the test passed or not.
 */
export async function makeTempDir(prefix = 'pack-registry-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  whenDone(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
