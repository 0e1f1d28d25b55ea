#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/errors.js';
import { loadConfig } from '../config/load.js';
import type { RegistryConfig } from '../config/schema.js';
import { randomPassword, setHtpasswdUser } from '../auth/htpasswd.js';
import { createLogger } from './logger.js';
import { startRegistry } from './serve.js';
import { packageVersion } from './version.js';

/** Exit codes: 2 for configuration and usage errors (nothing was started), 1 for failures at run time. */
const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;

/** A mistake in how a command was called, reported as one line with exit code 2. */
class UsageError extends Error {}

function readConfig(file: string | undefined): RegistryConfig {
  const { config, warnings } = loadConfig({ file, env: process.env });
  for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
  return config;
}

async function serve(file: string | undefined): Promise<void> {
  const config = readConfig(file);
  const logger = createLogger(config.log);
  const running = await startRegistry(config, { logger });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(EXIT_FAILURE);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function htpasswdAdd(user: string, options: { config?: string; password?: string; passwordStdin?: boolean }): Promise<void> {
  const config = readConfig(options.config);
  if (config.auth.kind !== 'htpasswd') {
    throw new ConfigError([{ key: 'auth', message: 'auth is "none": there is no htpasswd file to add users to' }]);
  }
  let password = options.passwordStdin ? await readStdin() : options.password;
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
