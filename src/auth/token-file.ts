// The access tokens of one registry in two files beside its index: tokens.json (names, scopes, keyed hashes) and
// tokens.key (the hashing key, 0600, made with the first token). A `pack-registry token` command may change them
// while a server runs, so the server compares tokens.json's identity (inode, size, mtime) at most once a second
// on the hot path and reads it again when it changed; every change reads the file again just before writing it.
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isNotFound, writeAtomically } from '../storage/fs.js';
import { decodeTokenKey, EMPTY_TOKENS, encodeTokenKey, parseTokenDocument, serializeTokenDocument, type StoredToken, type TokenKeeper, type TokenSnapshot } from './token-document.js';

export class FileTokenKeeper implements TokenKeeper {
  private snapshot: TokenSnapshot;
  private identity = '';
  private lastCheck = 0;

  private constructor(
    private readonly paths: { tokens: string; key: string },
    private readonly reloadCheckMs: number,
    key: Buffer | undefined,
  ) {
    this.snapshot = { tokens: EMPTY_TOKENS, key };
  }

  /** Nothing is written until the first token is created: a server that never makes one leaves a read-only mount alone. */
  static async open(paths: { tokens: string; key: string }, reloadCheckMs: number): Promise<FileTokenKeeper> {
    const keeper = new FileTokenKeeper(paths, reloadCheckMs, await readKey(paths.key));
    keeper.reloadIfChanged(true);
    return keeper;
  }

  current(): TokenSnapshot {
    this.reloadIfChanged(false);
    return this.snapshot;
  }

  async refresh(): Promise<void> {
    this.reloadIfChanged(true);
  }

  async change(apply: (tokens: readonly StoredToken[], key: Buffer | undefined) => StoredToken[], withKey: boolean): Promise<TokenSnapshot> {
    this.reloadIfChanged(true);
    const key = withKey ? (this.snapshot.key ?? (await readOrCreateKey(this.paths.key))) : this.snapshot.key;
    const tokens = apply(this.snapshot.tokens, key);
    await writeAtomically(this.paths.tokens, serializeTokenDocument(tokens), 0o600);
    this.snapshot = { tokens, key };
    this.identity = identityOf(this.paths.tokens);
    return this.snapshot;
  }

  async close(): Promise<void> {}

  private reloadIfChanged(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastCheck < this.reloadCheckMs) return;
    this.lastCheck = now;
    const identity = identityOf(this.paths.tokens);
    if (identity === this.identity) return;
    if (identity === '') {
      this.snapshot = { tokens: EMPTY_TOKENS, key: this.snapshot.key };
    } else {
      const tokens = parseTokenDocument(readFileSync(this.paths.tokens, 'utf8'), this.paths.tokens);
      // Tokens made by another process (`pack-registry token create`) come with the key it made.
      // Without it (deleted) every token is unknown; the next token created makes a new one.
      const key = this.snapshot.key ?? (tokens.length > 0 ? readKeySync(this.paths.key) : undefined);
      this.snapshot = { tokens, key };
    }
    this.identity = identity;
  }
}

/** inode, size and mtime; '' when the file does not exist (yet). */
function identityOf(path: string): string {
  try {
    const info = statSync(path);
    return `${info.ino}:${info.size}:${info.mtimeMs}`;
  } catch (error) {
    if (isNotFound(error)) return '';
    throw error;
  }
}

/** The key, when one was made; undefined when not (yet). */
async function readKey(path: string): Promise<Buffer | undefined> {
  try {
    return decodeTokenKey(await readFile(path, 'utf8'), path);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

function readKeySync(path: string): Buffer | undefined {
  try {
    return decodeTokenKey(readFileSync(path, 'utf8'), path);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** The key is made once and never changes: a new key would turn every token into an unknown one. */
async function readOrCreateKey(path: string): Promise<Buffer> {
  const existing = await readKey(path);
  if (existing) return existing;
  await mkdir(dirname(path), { recursive: true });
  const key = randomBytes(32);
  let handle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (error) {
    // Another process made it first: use that one.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return decodeTokenKey(await readFile(path, 'utf8'), path);
    throw error;
  }
  try {
    await handle.writeFile(encodeTokenKey(key), 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  return key;
}
