// Running as root only as long as needed (the container image): the server reads what only root may read
// (a TLS key written by openssl with mode 0600, an htpasswd file on a root-owned mount), takes ownership of
// its storage, then continues as an ordinary user. An administrator's `docker run` with root-owned host
// folders therefore works as it did with the original registry, and the server never runs as root.
import { readFileSync } from 'node:fs';
import { chown, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface Account {
  name: string;
  uid: number;
  gid: number;
}

/** `node`, `1000` or `1000:1000`: a user of /etc/passwd, or numeric ids. */
export function resolveAccount(spec: string, passwd = '/etc/passwd'): Account {
  const numeric = /^(\d+)(?::(\d+))?$/.exec(spec.trim());
  if (numeric) {
    const uid = Number(numeric[1]);
    return { name: spec, uid, gid: numeric[2] === undefined ? uid : Number(numeric[2]) };
  }
  for (const line of readFileSync(passwd, 'utf8').split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === spec.trim() && uid !== undefined && gid !== undefined) return { name, uid: Number(uid), gid: Number(gid) };
  }
  throw new Error(`PACK_REGISTRY_USER=${spec}: no such user in ${passwd}`);
}

/** The account to become, when running as root and the environment names one; otherwise nothing to do. */
export function accountToBecome(env: Record<string, string | undefined>): Account | undefined {
  const spec = env.PACK_REGISTRY_USER?.trim();
  if (!spec || typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const account = resolveAccount(spec);
  return account.uid === 0 ? undefined : account;
}

/** Give `path` and everything under it to `account`, skipping what it already owns (fast on restarts). */
export async function chownTree(path: string, account: Account): Promise<void> {
  let info;
  try {
    info = await lstat(path);
  } catch {
    return;
  }
  if (info.uid !== account.uid || info.gid !== account.gid) {
    await chown(path, account.uid, account.gid).catch(() => {});
  }
  if (info.isDirectory()) {
    for (const name of await readdir(path)) await chownTree(join(path, name), account);
  }
}

/** Give files this start created (a generated certificate, a new htpasswd file) to `account`. */
export async function chownFiles(paths: string[], account: Account): Promise<void> {
  // A read-only mount (EROFS) or a vanished file is not worth failing a start for.
  for (const path of paths) await chown(path, account.uid, account.gid).catch(() => {});
}

/** Become `account` for good: supplementary groups, group, then user (the order that still has the right). */
export function becomeAccount(account: Account): void {
  process.setgroups?.([account.gid]);
  process.setgid?.(account.gid);
  process.setuid?.(account.uid);
}
