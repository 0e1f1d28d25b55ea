import bcrypt from 'bcrypt';
import { createHmac, randomBytes } from 'node:crypto';
import { statSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile, rename, chmod } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface HtpasswdOptions {
  /** How long a successful verification is remembered. bcrypt costs tens of ms; downloads come in bursts. */
  cacheTtlMs?: number;
  /** Most remembered verifications; the oldest is forgotten first. */
  cacheMaxEntries?: number;
  /** At most this often the file's mtime/size/inode is compared, to pick up edits without a restart. */
  reloadCheckMs?: number;
}

/** bcrypt cost for hashes this project writes; `htpasswd -B` uses 5 by default, Distribution's docs use 10+. */
export const BCRYPT_COST = 10;

// Hashes `$2y$` (PHP/Apache's name) and `$2b$` are the same algorithm; the bcrypt package only knows `$2b$`.
function toNodeBcrypt(hash: string): string {
  return hash.startsWith('$2y$') ? `$2b$${hash.slice(4)}` : hash;
}

const BCRYPT_HASH = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

/**
 * Users and bcrypt hashes from an htpasswd file (`htpasswd -B` output). Successful verifications are cached,
 * keyed by an HMAC of the credentials under a per-process secret: the cache never holds a password, and a
 * key is useless outside this process.
 */
export class Htpasswd {
  private users = new Map<string, string>();
  private fileIdentity = '';
  private lastCheck = 0;
  private readonly verified = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<boolean>>();
  private readonly cacheSecret = randomBytes(32);
  private readonly cacheTtlMs: number;
  private readonly cacheMaxEntries: number;
  private readonly reloadCheckMs: number;
  /** Compared against when the user is unknown, so the answer takes as long as for a known user. */
  private readonly decoyHash = bcrypt.hashSync(randomBytes(16).toString('hex'), BCRYPT_COST);

  constructor(
    readonly path: string,
    options: HtpasswdOptions = {},
  ) {
    this.cacheTtlMs = options.cacheTtlMs ?? 60_000;
    this.cacheMaxEntries = options.cacheMaxEntries ?? 10_000;
    this.reloadCheckMs = options.reloadCheckMs ?? 1_000;
    this.reloadIfChanged(true);
  }

  /** The user names in the file, in file order. */
  userNames(): string[] {
    this.reloadIfChanged();
    return [...this.users.keys()];
  }

  async verify(user: string, password: string): Promise<boolean> {
    this.reloadIfChanged();
    const key = createHmac('sha256', this.cacheSecret).update(user).update('\0').update(password).digest('base64');
    const expiresAt = this.verified.get(key);
    if (expiresAt !== undefined && expiresAt > Date.now()) return true;
    // Many parallel requests with the same new credential share one bcrypt run.
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.compare(user, password).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    const ok = await pending;
    if (ok) this.remember(key);
    return ok;
  }

  private async compare(user: string, password: string): Promise<boolean> {
    const hash = this.users.get(user);
    const matches = await bcrypt.compare(password, hash ?? this.decoyHash);
    return matches && hash !== undefined;
  }

  private remember(key: string): void {
    this.verified.delete(key);
    this.verified.set(key, Date.now() + this.cacheTtlMs);
    if (this.verified.size > this.cacheMaxEntries) {
      const oldest = this.verified.keys().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
  }

  /** Re-read the file when it changed; a vanished or unreadable file keeps the last good user list. */
  private reloadIfChanged(force = false): void {
    const now = Date.now();
    if (!force && now - this.lastCheck < this.reloadCheckMs) return;
    this.lastCheck = now;
    let identity: string;
    try {
      const info = statSync(this.path);
      identity = `${info.ino}:${info.size}:${info.mtimeMs}`;
    } catch (error) {
      if (force) throw error;
      return;
    }
    if (identity === this.fileIdentity) return;
    this.users = parseHtpasswd(readFileSync(this.path, 'utf8'));
    this.fileIdentity = identity;
    // A changed file may have removed a user or changed a password: forget every cached verification.
    this.verified.clear();
  }
}

/** `user:hash` lines; blank lines and `#` comments are skipped, as are entries that are not bcrypt. */
export function parseHtpasswd(text: string): Map<string, string> {
  const users = new Map<string, string>();
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const hash = line.slice(colon + 1);
    // Only bcrypt is accepted, as in Distribution: MD5/SHA1/crypt entries are too weak to trust.
    if (!BCRYPT_HASH.test(hash)) continue;
    users.set(line.slice(0, colon), toNodeBcrypt(hash));
  }
  return users;
}

export async function hashPassword(password: string, cost = BCRYPT_COST): Promise<string> {
  return bcrypt.hash(password, cost);
}

/**
 * Add or replace one user's entry, keeping every other line as it was. Written to a temporary file and
 * renamed, so a server reading the file never sees half of it. The file is private to its owner (0600).
 */
export async function setHtpasswdUser(path: string, user: string, password: string, cost = BCRYPT_COST): Promise<void> {
  if (!user || user.includes(':') || /\s/.test(user)) {
    throw new Error(`"${user}" is not a valid user name: it must be non-empty, without ":" or white space`);
  }
  let lines: string[] = [];
  try {
    lines = (await readFile(path, 'utf8')).split(/\r?\n/).filter((line) => line.trim() !== '');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const entry = `${user}:${await hashPassword(password, cost)}`;
  const index = lines.findIndex((line) => line.slice(0, line.indexOf(':')) === user);
  if (index >= 0) lines[index] = entry;
  else lines.push(entry);
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${lines.join('\n')}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}

/** A random password that survives copy and paste: 24 URL-safe characters, 144 bits. */
export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}
