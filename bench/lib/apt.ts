// Debian packages installed on demand (never project dependencies): `apt-get update` at most once per run.
import { existsSync } from 'node:fs';
import { runCommand } from './proc.js';
import { PeerUnavailable } from './target.js';

let updated = false;

export async function ensureDebianPackage(pkg: string, binary: string): Promise<void> {
  if (existsSync(binary)) return;
  if (process.getuid?.() !== 0) throw new PeerUnavailable(`${binary} is missing and installing ${pkg} needs root`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!updated) {
    process.stderr.write(`installing ${pkg}: apt-get update\n`);
    const update = await runCommand('apt-get', ['update'], { env, timeoutMs: 300_000 });
    if (update.code !== 0) throw new PeerUnavailable(`apt-get update failed: ${update.stderr.trim().split('\n').at(-1) ?? ''}`);
    updated = true;
  }
  process.stderr.write(`installing ${pkg}: apt-get install -y ${pkg}\n`);
  const install = await runCommand('apt-get', ['install', '-y', '--no-install-recommends', pkg], { env, timeoutMs: 600_000 });
  if (install.code !== 0 || !existsSync(binary)) {
    throw new PeerUnavailable(`apt-get install ${pkg} failed: ${install.stderr.trim().split('\n').at(-1) ?? `no ${binary}`}`);
  }
}
