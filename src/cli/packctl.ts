#!/usr/bin/env node
// packctl: the pack client, with the Spectro CLI's commands, flags, config file and certificate lookup.
// This file only wires commander to the commands in src/client/commands and turns every failure into
// `error: ...` lines and an exit code (see src/client/errors.ts); it is the only place reading the environment.
// Commands are imported when run, so `--help` and `version` do not load the archive and HTTP code.
import { Command, CommanderError, Option } from 'commander';
import { defaultHome } from '../client/config.js';
import type { ClientContext } from '../client/context.js';
import { CliError, EXIT, usageError } from '../client/errors.js';
import { writeLines } from '../client/printable.js';
import { removeTemporaryFoldersNow } from '../client/temporary.js';
import { DEFAULT_CERTS_DIR } from '../client/trust.js';
import { packageVersion } from './version.js';

function contextOf(command: Command): ClientContext {
  const { home } = command.optsWithGlobals<{ home?: string }>();
  return {
    home: home ?? defaultHome(),
    certsDir: process.env.PACKCTL_CERTS_DIR || DEFAULT_CERTS_DIR,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
  };
}

/**
 * The Spectro CLI's `-r, --registry-server SERVER`, plus packctl's earlier spelling `--registry SERVER`, kept
 * as a hidden alias (commander has no option aliases: a second option, folded into `registry` before the
 * action runs; see the preAction hook below). Giving both is a usage error.
 */
const registryServerOption = (): Option =>
  new Option('-r, --registry-server <server>', 'the registry as host[:port] (default: defaultRegistry in config.json)');
const registryAliasOption = (): Option => new Option('--registry <server>', 'alias of --registry-server').hideHelp().conflicts('registryServer');

/** `pack ls SERVER` (the Spectro CLI's form) and `-r SERVER` name the same thing; two different ones are refused. */
function registryOfLs(server: string | undefined, option: string | undefined): string | undefined {
  if (server !== undefined && option !== undefined && server !== option) {
    throw usageError(`two registries given: ${server} and -r ${option}; give one`);
  }
  return option ?? server;
}

const program = new Command('packctl')
  .description('Push, list, pull and tag packs on a pack registry (Spectro CLI style)')
  .option('-s, --home <dir>', 'folder holding config.json (default: $HOME/.spectro)')
  .version(packageVersion(), '-v, --version', 'print the version')
  .configureHelp({ showGlobalOptions: true })
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()
  // Commands read `registry`: the Spectro spelling `--registry-server` (attribute registryServer) lands there.
  .hook('preAction', (_program, actionCommand) => {
    const { registryServer } = actionCommand.opts<{ registryServer?: string }>();
    if (registryServer !== undefined) actionCommand.setOptionValue('registry', registryServer);
  })
  .addHelpText(
    'after',
    '\nEnvironment:\n  PACKCTL_CERTS_DIR  where SERVER/ca.crt is looked for (default: /etc/spectro/certs.d)\n' +
      '\nExit codes: 0 ok, 1 other error, 2 usage, 3 auth, 4 not found, 5 conflict, 6 network/TLS, 7 invalid pack',
  );

program
  .command('version')
  .description('print the version of packctl')
  .action(() => {
    process.stdout.write(`packctl version ${packageVersion()}\n`);
  });

const registry = program.command('registry').description('log in to a registry');
registry
  .command('login')
  .description('check credentials against the registry and save them in config.json')
  .argument('[server]', 'the registry as host[:port], without a scheme (default: defaultRegistry in config.json)')
  .option('-i, --insecure', 'accept any TLS certificate (e.g. self-signed), or plain http when the registry has TLS off')
  .option('-d, --default', 'make this the default registry (the first login does so anyway)')
  .option('-u, --username <user>', 'user name (asked on a terminal when missing)')
  .option('-p, --password <password>', 'password (visible in the process list: prefer --password-stdin)')
  .option('--password-stdin', 'read the password from standard input')
  .action(async (server: string | undefined, options, command: Command) =>
    (await import('../client/commands/login.js')).login(contextOf(command), server, options),
  );

const pack = program.command('pack').description('push, list, pull and tag packs');
pack
  .command('build')
  .description('generate a pack in TARGET_DIR from the Helm chart in it (a chart folder or a chart .tgz), then validate or push it')
  .argument('<pack_name>', 'the name of the pack')
  .argument('<target_dir>', 'the folder holding the chart (TARGET_DIR/<chart>/, TARGET_DIR/*.tgz or TARGET_DIR/charts/), where the pack is written')
  .option('-p, --push', 'push the pack to the registry after creating it')
  .addOption(registryServerOption())
  .addOption(registryAliasOption())
  .option('-f, --force', 'replace pack.json, values.yaml and chart archives that already exist in TARGET_DIR')
  .action(async (packName: string, targetDir: string, options, command: Command) =>
    (await import('../client/commands/build.js')).build(contextOf(command), packName, targetDir, options),
  );
pack
  .command('push')
  .description('validate a pack locally with the registry’s rules, then upload it')
  .argument('[source]', 'a pack folder (with pack.json and values.yaml) or a .tar.gz archive', '.')
  .addOption(registryServerOption())
  .addOption(registryAliasOption())
  .option('-f, --force', 'overwrite the version if it exists (needs -m); unchanged content is not pushed (exit 0)')
  .option('-m, --message <message>', 'why this push (required with --force)')
  .option('--skip-digest-check', 'with --force, overwrite even when the content is unchanged')
  .action(async (source: string, options, command: Command) => (await import('../client/commands/push.js')).push(contextOf(command), source, options));

pack
  .command('ls')
  .description('list packs: name, version, tags, layer, pushed at')
  .argument('[server]', 'the registry as host[:port], like -r (the Spectro CLI’s `pack ls SERVER`)')
  .option('-n, --name <name>', 'only packs whose name contains this (case-insensitive)')
  .addOption(registryServerOption())
  .addOption(registryAliasOption())
  .action(async (server: string | undefined, options: { registry?: string }, command: Command) =>
    (await import('../client/commands/ls.js')).ls(contextOf(command), { ...options, registry: registryOfLs(server, options.registry) }),
  );

pack
  .command('pull')
  .description('download a pack, verify its digests and unpack it into TARGET_DIR/<name>-<version>/')
  .argument('<reference>', 'NAME (highest version), NAME:TAG (a tag or version) or NAME@sha256:DIGEST')
  .argument('<target_dir>', 'the folder to unpack into (created if missing)')
  .addOption(registryServerOption())
  .addOption(registryAliasOption())
  .option('-f, --force', 'replace TARGET_DIR/<name>-<version>/ if it exists and is not empty')
  .action(async (reference: string, targetDir: string, options, command: Command) =>
    (await import('../client/commands/pull.js')).pull(contextOf(command), reference, targetDir, options),
  );

const tag = pack.command('tag').description('add or delete tags');
tag
  .command('add')
  .description('point a new tag [GROUP__]LABEL at the version NAME:TAG resolves to')
  .argument('<reference>', 'NAME:TAG (an existing tag or version) or NAME@sha256:DIGEST')
  .argument('<label>', 'the new tag’s label')
  .option('-g, --group <group>', 'the new tag’s group (the tag becomes GROUP__LABEL)')
  .addOption(registryServerOption())
  .addOption(registryAliasOption())
  .action(async (reference: string, label: string, options, command: Command) =>
    (await import('../client/commands/tag.js')).tagAdd(contextOf(command), reference, label, options),
  );
tag
  .command('delete')
  .description('delete a user tag (parent tags such as 1.x are managed by the registry)')
  .argument('<reference>', 'NAME:TAG')
  .addOption(registryServerOption())
  .addOption(registryAliasOption())
  .action(async (reference: string, options, command: Command) => (await import('../client/commands/tag.js')).tagDelete(contextOf(command), reference, options));

/**
 * The one place failures are printed. Their lines carry what the registry or the network said (error entries,
 * names, header values, socket messages), so each is made printable here, whoever built it.
 */
function report(lines: string[]): void {
  writeLines(process.stderr, lines.map((line) => `error: ${line}`));
}

// Ctrl-C: no temporary folder left behind, and the cursor a progress bar hid is shown again.
process.once('SIGINT', () => {
  removeTemporaryFoldersNow();
  if (process.stderr.isTTY) process.stderr.write('\u001b[?25h\n');
  process.exit(130);
});

// `packctl pack ls | head` closes stdout early: that is the reader's choice, not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.OK);
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // commander has printed its message (or the help) already.
    process.exitCode = error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  } else if (error instanceof CliError) {
    report(error.lines);
    process.exitCode = error.exitCode;
  } else {
    // Never a stack trace: one line saying what failed.
    report([error instanceof Error ? error.message : String(error)]);
    process.exitCode = EXIT.FAILURE;
  }
}
