// `pack-registry token create|list|revoke`, and where a registry keeps its access tokens (auth/tokens.ts): in
// its storage's token file, or, for replicas on a PostgreSQL index, in that database. A running server picks up
// a change within a second, so these need no stop, unlike reindex.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { TokenSnapshot } from '../auth/token-document.js';
import { FileTokenKeeper } from '../auth/token-file.js';
import { TokenError, TokenStore, type TokenInfo } from '../auth/tokens.js';
import type { PostgresIndexConfig, RegistryConfig } from '../config/schema.js';
import { tokenPaths } from '../storage/layout.js';
import { actAsServerUser, stdio, type Output } from './admin.js';

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

async function openStore(config: RegistryConfig, command: string, output: Output): Promise<TokenStore | undefined> {
  if (config.auth.kind !== 'htpasswd') {
    output.err(`token ${command}: auth is "none": every caller is an admin, tokens would mean nothing`);
    return undefined;
  }
  if (config.storage.kind === 'inmemory') {
    output.err(`token ${command}: the storage is "inmemory": tokens live in the server's memory; manage them over HTTP (/v1/tokens)`);
    return undefined;
  }
  const root = config.storage.rootDirectory;
  await mkdir(root, { recursive: true });
  // In the image, as the server's user: a token file root made and kept would be unreadable to the server.
  await actAsServerUser(root);
  return openTokenStore(config, (message) => output.err(`token ${command}: ${message}`));
}

/**
 * The tokens of a registry with this configuration: in memory (`storage: inmemory`), in the storage's token
 * files, or — replicas on a PostgreSQL index — in that database, shared by every replica. The PostgreSQL keeper
 * is loaded only then, like the index's driver.
 */
export async function openTokenStore(config: RegistryConfig, report: (message: string) => void): Promise<TokenStore> {
  if (config.storage.kind === 'inmemory') return TokenStore.inMemory();
  const paths = tokenPaths(config.storage.rootDirectory);
  if (config.index.driver !== 'postgres') return TokenStore.open(paths);
  return openSharedTokenStore(config.index.postgres, paths, report);
}

/**
 * A registry that kept its tokens in files before its replicas shared a database brings them along: the first
 * replica to start with tokens.json in its local folder puts them (and their key) into the empty database. A
 * local file whose tokens the database does not hold is then reported at every start, never used.
 */
async function openSharedTokenStore(postgres: PostgresIndexConfig, paths: { tokens: string; key: string }, report: (message: string) => void): Promise<TokenStore> {
  const { PostgresTokenKeeper } = await import('../db/postgres-tokens.js');
  const keeper = await PostgresTokenKeeper.open({
    dsn: postgres.dsn,
    onPollFailure: (error) => report(`the database did not answer (${(error as Error).message}); the tokens known until now stay in use`),
  });
  try {
    const local = existsSync(paths.tokens) ? await readLocalTokens(paths, report) : undefined;
    if (local?.key && local.tokens.length > 0) {
      if (await keeper.adopt(local.tokens, local.key)) {
        report(`moved the ${local.tokens.length} access token(s) of ${paths.tokens} into the PostgreSQL index's database, which every replica shares`);
      } else {
        const shared = new Set(keeper.current().tokens.map((token) => token.hash));
        const left = local.tokens.filter((token) => !shared.has(token.hash)).map((token) => token.name);
        if (left.length > 0) report(`${paths.tokens} is not used with a PostgreSQL index (the tokens are in the database); its tokens ${left.join(', ')} are not there: create them again`);
      }
    }
  } catch (error) {
    await keeper.close();
    throw error;
  }
  return new TokenStore(keeper);
}

/** A local token file that cannot be read is reported, not fatal: the replica does not use it. */
async function readLocalTokens(paths: { tokens: string; key: string }, report: (message: string) => void): Promise<TokenSnapshot | undefined> {
  try {
    return (await FileTokenKeeper.open(paths, 0)).current();
  } catch (error) {
    report(`${paths.tokens} could not be read (${(error as Error).message}); it is not used with a PostgreSQL index`);
    return undefined;
  }
}

/** Known refusals (a taken name, an unknown one) are one line and exit 1; usage mistakes exit 2. */
async function run(command: string, output: Output, work: (store: TokenStore) => Promise<void>, config: RegistryConfig): Promise<number> {
  const store = await openStore(config, command, output);
  if (!store) return EXIT_USAGE;
  try {
    await work(store);
    return 0;
  } catch (error) {
    if (!(error instanceof TokenError)) throw error;
    output.err(`token ${command}: ${error.message}`);
    return error.code === 'TOKEN_INVALID' ? EXIT_USAGE : EXIT_FAILURE;
  } finally {
    await store.close();
  }
}

/** Prints only the secret on stdout (so `TOKEN=$(pack-registry token create …)` works), the rest on stderr. */
export async function tokenCreateCommand(
  config: RegistryConfig,
  name: string,
  options: { scope: string; expires?: string },
  output: Output = stdio,
): Promise<number> {
  return run(
    'create',
    output,
    async (store) => {
      const { token, info } = await store.create({ name, scope: options.scope, expires: options.expires });
      output.out(token);
      output.err(`Created the token "${info.name}" (scope ${info.scope}, ${info.expires ? `expires ${info.expires}` : 'never expires'}).`);
      output.err('The token above is shown only this once. Use it as the password of any user name, or as "Authorization: Bearer <token>".');
    },
    config,
  );
}

export async function tokenListCommand(config: RegistryConfig, options: { json?: boolean }, output: Output = stdio): Promise<number> {
  return run(
    'list',
    output,
    async (store) => {
      const tokens = await store.list();
      if (options.json) {
        output.out(JSON.stringify({ tokens }, null, 2));
        return;
      }
      for (const line of tokenTable(tokens)) output.out(line);
    },
    config,
  );
}

export async function tokenRevokeCommand(config: RegistryConfig, name: string, output: Output = stdio): Promise<number> {
  return run(
    'revoke',
    output,
    async (store) => {
      await store.revoke(name);
      output.out(`Revoked the token "${name}"; a running server refuses it within a second.`);
    },
    config,
  );
}

/** NAME SCOPE CREATED EXPIRES LAST USED STATUS, in aligned columns; never a secret (none is kept). */
export function tokenTable(tokens: readonly TokenInfo[], now = Date.now()): string[] {
  const rows = [
    ['NAME', 'SCOPE', 'CREATED', 'EXPIRES', 'LAST USED', 'STATUS'],
    ...tokens.map((token) => [
      token.name,
      token.scope,
      token.created,
      token.expires ?? 'never',
      token.lastUsed ?? 'never',
      token.revoked ? `revoked ${token.revoked}` : token.expires && Date.parse(token.expires) <= now ? 'expired' : 'active',
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
}
