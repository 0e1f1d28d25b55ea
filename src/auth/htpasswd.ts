import bcrypt from 'bcrypt';
import { createHmac, randomBytes } from 'node:crypto';
import { statSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile, rename, chmod } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { VerificationQueue } from './verification-queue.js';

export interface HtpasswdOptions {
  /** How long a successful verification is remembered. bcrypt costs tens of ms; downloads come in bursts. */
  cacheTtlMs?: number;
  /** Most remembered verifications; the oldest is forgotten first. */
  cacheMaxEntries?: number;
  /** At most this often the file's mtime/size/inode is compared, to pick up edits without a restart. */
  reloadCheckMs?: number;
  /** Where bcrypt runs wait for a thread (see VerificationQueue); without it they all run at once. */
  queue?: VerificationQueue;
}

/** bcrypt cost for hashes this project writes; `htpasswd -B` uses 5 by default, Distribution's docs use 10+. */
export const BCRYPT_COST = 10;

// Hashes `$2y$` (PHP/Apache's name) and `$2b$` are the same algorithm; the bcrypt package only knows `$2b$`.
function toNodeBcrypt(hash: string): string {
  return hash.startsWith('$2y$') ? `$2b$${hash.slice(4)}` : hash;
}

const BCRYPT_HASH = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

/** A request's credentials with their cache key, computed once per request. */
export interface Credentials {
  readonly user: string;
  readonly password: string;
  /** HMAC of user and password under the per-process secret: never the password itself. */
  readonly cacheKey: string;
}

/** A successful bcrypt verification, remembered for a while. */
export interface RememberedVerification {
  readonly expiresAt: number;
  /** The client addresses (throttle keys) whose requests ran or shared the verification that proved it. */
  readonly provenFrom: ReadonlySet<string>;
}

/** Addresses remembered per verification: enough for a user's few machines, bounded for anything else. */
const MAX_PROVEN_ADDRESSES = 16;

/**
 * Users and bcrypt hashes from an htpasswd file (`htpasswd -B` output). Successful verifications are cached,
 * keyed by an HMAC of the credentials under a per-process secret: the cache never holds a password, and a
 * key is useless outside this process.
 *
 * A user name that is not in the file is checked against a decoy hash of the file's usual cost, so that an
 * unknown user costs one bcrypt run of the same length as a known user's wrong password, and the answer's
 * timing does not tell which names exist.
 */
export class Htpasswd {
  private users = new Map<string, string>();
  private fileIdentity = '';
  private lastCheck = 0;
  private readonly verified = new Map<string, { expiresAt: number; provenFrom: Set<string> }>();
  private readonly inflight = new Map<string, Promise<boolean>>();
  private readonly cacheSecret = randomBytes(32);
  private readonly cacheTtlMs: number;
  private readonly cacheMaxEntries: number;
  private readonly reloadCheckMs: number;
  private readonly queue: VerificationQueue | undefined;
  /** Compared against when the user is unknown; its cost follows the file's hashes (see decoyHashFor). */
  private decoyHash = decoyHashFor(new Map());

  constructor(
    readonly path: string,
    options: HtpasswdOptions = {},
  ) {
    this.cacheTtlMs = options.cacheTtlMs ?? 60_000;
    this.cacheMaxEntries = options.cacheMaxEntries ?? 10_000;
    this.reloadCheckMs = options.reloadCheckMs ?? 1_000;
    this.queue = options.queue;
    this.reloadIfChanged(true);
  }

  /** The user names in the file, in file order. */
  userNames(): string[] {
    this.reloadIfChanged();
    return [...this.users.keys()];
  }

  hasUser(user: string): boolean {
    return this.users.has(user);
  }

  /** The credentials with their cache key; also picks up a changed file (at most every `reloadCheckMs`). */
  identify(user: string, password: string): Credentials {
    this.reloadIfChanged();
    const cacheKey = createHmac('sha256', this.cacheSecret).update(user).update('\0').update(password).digest('base64');
    return { user, password, cacheKey };
  }

  /** The remembered successful verification of these credentials, if one has not expired: no bcrypt. */
  recall(credentials: Credentials): RememberedVerification | undefined {
    const remembered = this.verified.get(credentials.cacheKey);
    return remembered !== undefined && remembered.expiresAt > Date.now() ? remembered : undefined;
  }

  /** A bcrypt run for these very credentials is under way: a request that joins it costs nothing more. */
  isVerifying(credentials: Credentials): boolean {
    return this.inflight.has(credentials.cacheKey);
  }

  async verify(user: string, password: string): Promise<boolean> {
    return this.verifyCredentials(this.identify(user, password));
  }

  /**
   * From the cache, or with bcrypt (through the queue, when there is one: it may reject with
   * VerificationQueueFull). `from` is the client's throttle key, remembered with a success.
   */
  async verifyCredentials(credentials: Credentials, from = ''): Promise<boolean> {
    const key = credentials.cacheKey;
    if (this.recall(credentials)) return true;
    // Many parallel requests with the same new credential share one bcrypt run.
    let pending = this.inflight.get(key);
    if (!pending) {
      const compare = () => this.compare(credentials.user, credentials.password);
      pending = (this.queue ? this.queue.run(compare) : compare()).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    const ok = await pending;
    if (ok) this.remember(key, from);
    return ok;
  }

  private async compare(user: string, password: string): Promise<boolean> {
    const hash = this.users.get(user);
    const matches = await bcrypt.compare(password, hash ?? this.decoyHash);
    return matches && hash !== undefined;
  }

  private remember(key: string, from: string): void {
    const now = Date.now();
    const earlier = this.verified.get(key);
    const provenFrom = earlier && earlier.expiresAt > now ? earlier.provenFrom : new Set<string>();
    if (provenFrom.size < MAX_PROVEN_ADDRESSES) provenFrom.add(from);
    this.verified.delete(key);
    this.verified.set(key, { expiresAt: now + this.cacheTtlMs, provenFrom });
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
    this.decoyHash = decoyHashFor(this.users);
    this.fileIdentity = identity;
    // A changed file may have removed a user or changed a password: forget every cached verification.
    this.verified.clear();
  }
}

/** The cost (log2 of the rounds) a bcrypt hash was made with. */
export function bcryptCost(hash: string): number {
  return Number(hash.slice(4, 6));
}

/**
 * The cost most of the file's hashes have (the higher one on a tie; BCRYPT_COST for an empty file): an
 * unknown name then takes as long as most known users' wrong passwords. A user whose hash has another cost
 * answers a wrong password in another time — rehash such entries to the common cost to hide them too.
 */
export function typicalCost(hashes: Iterable<string>): number {
  const counts = new Map<number, number>();
  for (const hash of hashes) {
    const cost = bcryptCost(hash);
    counts.set(cost, (counts.get(cost) ?? 0) + 1);
  }
  let typical = { cost: BCRYPT_COST, count: 0 };
  for (const [cost, count] of counts) {
    if (count > typical.count || (count === typical.count && cost > typical.cost)) typical = { cost, count };
  }
  return typical.cost;
}

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A well-formed hash of the users' typical cost that no password matches. bcrypt.compare spends the full
 * cost on any well-formed hash, so a real salt and 31 random digest characters do: nothing is hashed here,
 * and a reload does not block the event loop for one bcrypt run.
 */
function decoyHashFor(users: ReadonlyMap<string, string>): string {
  const digest = [...randomBytes(31)].map((byte) => BCRYPT_ALPHABET[byte & 63]).join('');
  return bcrypt.genSaltSync(typicalCost(users.values())) + digest;
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
    // bcrypt knows costs 4 to 31; any other number is a corrupt entry, not a hash to compare against.
    const cost = bcryptCost(hash);
    if (cost < 4 || cost > 31) continue;
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
