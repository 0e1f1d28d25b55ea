// `packctl registry login [SERVER]`: credentials are checked against `GET /v1/` before anything is saved,
// so a typo never lands in config.json.
import { configPath, readConfig, withLogin, writeConfig, type Credentials } from '../config.js';
import type { ClientContext } from '../context.js';
import { usageError } from '../errors.js';
import { RegistryClient } from '../http.js';
import { ask, canPrompt, readAllStdin } from '../prompt.js';
import { parseServer } from '../server-address.js';
import { loadTrust } from '../trust.js';

export interface LoginOptions {
  insecure?: boolean;
  default?: boolean;
  username?: string;
  password?: string;
  passwordStdin?: boolean;
}

async function gatherCredentials(ctx: ClientContext, options: LoginOptions): Promise<Credentials> {
  if (options.password !== undefined && options.passwordStdin) {
    throw usageError('give the password with either -p/--password or --password-stdin, not both');
  }
  if (options.passwordStdin && options.username === undefined) {
    throw usageError('--password-stdin needs the user name as -u USER (standard input carries the password)');
  }
  let user = options.username;
  if (user === undefined) {
    if (!canPrompt(ctx)) throw usageError('no user name: pass -u USER (there is no terminal to ask on)');
    user = (await ask(ctx, 'Username: ')).trim();
  }
  let password = options.passwordStdin ? await readAllStdin(ctx.stdin) : options.password;
  if (password === undefined) {
    if (!canPrompt(ctx)) throw usageError('no password: pass --password-stdin or -p PASS (there is no terminal to ask on)');
    password = await ask(ctx, 'Password: ', true);
  }
  if (user === '' || user.includes(':')) throw usageError('the user name must not be empty or contain ":"');
  if (password === '') throw usageError('the password must not be empty');
  return { user, password };
}

/**
 * `SERVER` is optional, as in the Spectro CLI's `registry login [SERVER]`: without it, the config's
 * `defaultRegistry` is logged in to again (e.g. after a password change).
 */
export async function login(ctx: ClientContext, serverArgument: string | undefined, options: LoginOptions): Promise<void> {
  // Read before asking anything: a broken config.json is reported before the user types a password.
  const config = await readConfig(ctx.home);
  const chosen = serverArgument ?? config.defaultRegistry;
  if (chosen === undefined || chosen === '') {
    throw usageError('no registry given and no default registry: pass SERVER as host[:port]');
  }
  const server = parseServer(chosen);
  const credentials = await gatherCredentials(ctx, options);
  const insecure = options.insecure === true;
  const client = new RegistryClient({ server, credentials, trust: await loadTrust(ctx.certsDir, server, insecure) });
  try {
    await client.checkCredentials();
  } finally {
    client.close();
  }
  await writeConfig(ctx.home, withLogin(config, server, credentials, { insecure, makeDefault: options.default === true }));
  ctx.stderr.write(
    `WARNING! Your password is stored unencrypted in ${configPath(ctx.home)}; anyone who can read that file can use it.\n`,
  );
  ctx.stdout.write('Login Succeeded\n');
}
