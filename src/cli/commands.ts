// The `pack-registry` command line (pack-registry.ts loads it once V8 is set up).
import { Command, CommanderError } from 'commander';
import { existsSync } from 'node:fs';
import { ConfigError } from '../config/errors.js';
import { loadConfig } from '../config/load.js';
import { readAllStdin } from '../client/prompt.js';
import type { RegistryConfig } from '../config/schema.js';
import { randomPassword, setHtpasswdUser } from '../auth/htpasswd.js';
import { gcCommand, healthcheckCommand, reindexCommand } from './admin.js';
import { createLogger } from './logger.js';
import { accountToBecome, becomeAccount, chownFiles, chownTree } from './privileges.js';
import type { PushStep } from '../registry/registry.js';
import { startRegistry } from './serve.js';
import { tokenCreateCommand, tokenListCommand, tokenRevokeCommand } from './tokens.js';
import { packageVersion } from './version.js';

/** Exit codes: 2 for configuration and usage errors (nothing was started), 1 for failures at run time. */
const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;

/** A mistake in how a command was called, reported as one line with exit code 2. */
class UsageError extends Error {}

/**
 * Without a CONFIG argument, `PACK_REGISTRY_CONFIG` names the file (the image sets it to its default
 * config, so `docker exec … pack-registry gc` works on the server's storage); otherwise the embedded defaults.
 */
function readConfig(file: string | undefined): RegistryConfig {
  const { config, warnings } = loadConfig({ file: file ?? (process.env.PACK_REGISTRY_CONFIG || undefined), env: process.env });
  for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
  return config;
}

async function serve(file: string | undefined): Promise<void> {
  const config = readConfig(file);
  const logger = createLogger(config.log);
  // Test-only crash hook (see test/e2e/crash.test.ts); read here, at the process boundary, not by the config.
  const killAtPushStep = process.env.PACK_REGISTRY_TEST_KILL_AT as PushStep | undefined;
  // Listening before the start: a signal during a long start (a reindex) stops the server once it is up.
  let signalled: string | undefined;
  const server: { running?: Awaited<ReturnType<typeof startRegistry>> } = {};
  let forceStop: () => void = () => {};
  const force = new Promise<void>((resolve) => {
    forceStop = resolve;
  });
  const stop = (signal: string) => {
    if (signalled) {
      // A second signal: stop waiting for the requests in flight.
      logger.warn({ signal }, 'second signal: cutting the requests in flight');
      forceStop();
      return;
    }
    signalled = signal;
    const running = server.running;
    if (!running) return;
    logger.info({ signal, drainTimeoutMs: config.http.drainTimeoutMs }, 'shutting down: no new connections, finishing the requests in flight');
    running.stop(force).then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(EXIT_FAILURE);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  const account = accountToBecome(process.env);
  const created = account ? filesThisStartMayCreate(config) : [];
  server.running = await startRegistry(config, { logger, killAtPushStep });
  if (account) {
    // Everything root had to read is read; the storage and what this start created become the user's.
    // With S3, the local folder (index, tokens, lock); the bucket's objects belong to no local user.
    if (config.storage.kind !== 'inmemory') await chownTree(config.storage.rootDirectory, account);
    await chownFiles(created.filter((path) => existsSync(path)), account);
    becomeAccount(account);
    logger.info({ user: account.name, uid: account.uid, gid: account.gid }, 'running as an unprivileged user');
  }
  if (signalled) {
    const signal = signalled;
    signalled = undefined;
    stop(signal);
  }
}

/** Files a start creates when missing: the self-signed certificate and key, the htpasswd file. */
function filesThisStartMayCreate(config: RegistryConfig): string[] {
  const paths = [config.http.tls.certificate, config.http.tls.key];
  if (config.auth.kind === 'htpasswd') paths.push(config.auth.path);
  return paths.filter((path) => !existsSync(path));
}

async function htpasswdAdd(user: string, options: { config?: string; password?: string; passwordStdin?: boolean }): Promise<void> {
  const config = readConfig(options.config);
  if (config.auth.kind !== 'htpasswd') {
    throw new ConfigError([{ key: 'auth', message: 'auth is "none": there is no htpasswd file to add users to' }]);
  }
  let password = options.passwordStdin ? await readAllStdin(process.stdin) : options.password;
  const generated = password === undefined;
  password ??= randomPassword();
  if (!password) throw new UsageError('the password must not be empty');
  await setHtpasswdUser(config.auth.path, user, password);
  process.stdout.write(`Saved user "${user}" in ${config.auth.path}\n`);
  if (generated) process.stdout.write(`Password (shown only once): ${password}\n`);
}

const program = new Command('pack-registry')
  .description('A pack registry for Spectro Cloud Palette-style clients')
  .version(packageVersion(), '-v, --version')
  .exitOverride();

program
  .command('serve')
  .description('run the registry (no CONFIG: the embedded defaults, overridable by REGISTRY_* variables)')
  .argument('[config]', 'a Distribution-style YAML configuration file')
  .action(serve);

const htpasswd = program.command('htpasswd').description('manage users in the htpasswd file');
htpasswd
  .command('add')
  .description('add a user or replace its password (bcrypt); without a password one is generated and shown')
  .argument('<user>')
  .option('-c, --config <file>', 'configuration file naming the htpasswd path (auth.htpasswd.path)')
  .option('-p, --password <password>', 'the password (visible in the process list: prefer --password-stdin)')
  .option('--password-stdin', 'read the password from standard input')
  .action(htpasswdAdd);

const token = program.command('token').description('manage access tokens (for CI and clients: Bearer, or the password of any user)');
token
  .command('create')
  .description('create a token and print it, once')
  .argument('<name>')
  .requiredOption('--scope <scope>', 'read (GET/HEAD), push (read + push and tag) or admin (everything)')
  .option('--expires <lifetime>', 'a lifetime like 90d, 12h, 2w, 30m or 10s (default: never expires)')
  .option('-c, --config <file>', 'configuration file naming the storage')
  .action(async (name: string, options: { scope: string; expires?: string; config?: string }) => {
    process.exitCode = await tokenCreateCommand(readConfig(options.config), name, options);
  });
token
  .command('list')
  .description('list the tokens: name, scope, created, expires, last used, status (never a secret)')
  .option('--json', 'print the list as JSON')
  .option('-c, --config <file>', 'configuration file naming the storage')
  .action(async (options: { json?: boolean; config?: string }) => {
    process.exitCode = await tokenListCommand(readConfig(options.config), options);
  });
token
  .command('revoke')
  .description('revoke a token; a running server refuses it within a second')
  .argument('<name>')
  .option('-c, --config <file>', 'configuration file naming the storage')
  .action(async (name: string, options: { config?: string }) => {
    process.exitCode = await tokenRevokeCommand(readConfig(options.config), name);
  });

program
  .command('reindex')
  .description('rebuild the index (index.db) from the blobs and metadata documents in storage; stop the server first')
  .argument('[config]', 'a Distribution-style YAML configuration file')
  .option('--allow-loss', 'replace the index even when the rebuilt one lacks versions the current one holds (they are listed)')
  .action(async (file: string | undefined, options: { allowLoss?: boolean }) => {
    process.exitCode = await reindexCommand(readConfig(file), undefined, options);
  });

program
  .command('gc')
  .description('apply the retention rules (retention), then remove blobs, metadata documents and staging files that nothing references, and report what was (or would be) removed')
  .argument('[config]', 'a Distribution-style YAML configuration file')
  .option('--dry-run', 'only report what would be removed')
  .option('--json', 'print the report as JSON')
  .action(async (file: string | undefined, options: { dryRun?: boolean; json?: boolean }) => {
    process.exitCode = await gcCommand(readConfig(file), options);
  });

program
  .command('healthcheck')
  .description("ask the local server's /health (for Docker's HEALTHCHECK); exit 0 when it answers UP")
  .argument('[config]', 'a Distribution-style YAML configuration file')
  .option('--timeout <ms>', 'how long to wait for an answer', '5000')
  .action(async (file: string | undefined, options: { timeout: string }) => {
    process.exitCode = await healthcheckCommand(readConfig(file), { timeoutMs: Number(options.timeout) || 5000 });
  });

program
  .command('version')
  .description('print the version')
  .action(() => {
    process.stdout.write(`${packageVersion()}\n`);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode === 0 ? 0 : EXIT_USAGE);
  }
  if (error instanceof ConfigError) {
    process.stderr.write(`configuration error: ${error.message}\n`);
    process.exit(EXIT_USAGE);
  }
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(EXIT_USAGE);
  }
  process.stderr.write(`error: ${(error as Error).message}\n`);
  process.exit(EXIT_FAILURE);
}
