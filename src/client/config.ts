// config.json in the Spectro CLI's (and Docker's) format:
//   {"auths": {"SERVER": {"auth": "<base64 user:pass>", "insecure": true}}, "defaultRegistry": "SERVER"}
// Keys packctl does not know are kept as they are, so a file shared with the Spectro CLI survives a login.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError, EXIT } from './errors.js';

export interface AuthEntry {
  auth?: string;
  insecure?: boolean;
  [key: string]: unknown;
}

export interface SpectroConfig {
  auths?: Record<string, AuthEntry>;
  defaultRegistry?: string;
  [key: string]: unknown;
}

export interface Credentials {
  user: string;
  password: string;
}

export const CONFIG_FILE = 'config.json';

export function defaultHome(): string {
  return join(homedir(), '.spectro');
}

export function configPath(home: string): string {
  return join(home, CONFIG_FILE);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The config file, or an empty one when it does not exist yet. */
export async function readConfig(home: string): Promise<SpectroConfig> {
  const path = configPath(home);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(EXIT.FAILURE, `cannot read ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    throw new CliError(EXIT.FAILURE, `${path} is not valid JSON (${(error as Error).message}); fix or remove it`);
  }
  if (!isObject(parsed) || (parsed.auths !== undefined && !isObject(parsed.auths))) {
    throw new CliError(EXIT.FAILURE, `${path} is not a packctl/Spectro CLI config file: expected {"auths": {...}}`);
  }
  return parsed as SpectroConfig;
}

/**
 * Writes the config with mode 0600 (it holds passwords) in a folder created with mode 0700. The file is
 * written next to its final name and renamed, so an interrupted login never leaves half a file.
 */
export async function writeConfig(home: string, config: SpectroConfig): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const path = configPath(home);
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    // writeFile's mode is filtered by the umask; the file must be private whatever the umask says.
    await chmod(temporary, 0o600);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new CliError(EXIT.FAILURE, `cannot write ${path}: ${(error as Error).message}`);
  }
}

export function encodeAuth(credentials: Credentials): string {
  return Buffer.from(`${credentials.user}:${credentials.password}`, 'utf8').toString('base64');
}

/** Splits at the first colon: a password may contain colons, a user name may not. */
export function decodeAuth(auth: string): Credentials | undefined {
  const decoded = Buffer.from(auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The config after a successful login: the server's entry replaced, everything else kept. */
export function withLogin(
  config: SpectroConfig,
  server: string,
  credentials: Credentials,
  options: { insecure: boolean; makeDefault: boolean },
): SpectroConfig {
  const auths = { ...(config.auths ?? {}) };
  auths[server] = { ...(auths[server] ?? {}), auth: encodeAuth(credentials), insecure: options.insecure };
  const next: SpectroConfig = { ...config, auths };
  // The first registry one logs in to becomes the default, so `packctl pack ls` works right away.
  if (options.makeDefault || !config.defaultRegistry) next.defaultRegistry = server;
  return next;
}
