// What every command gets from the entry point: where the config and the CA certificates live and the
// standard streams. Only src/cli/packctl.ts reads the environment; commands receive it from here.
import type { ErrorCode } from '../api/index.js';
import { configPath, decodeAuth, readConfig } from './config.js';
import { ApiError, CliError, EXIT, usageError } from './errors.js';
import { RegistryClient } from './http.js';
import { parseServer } from './server-address.js';
import { loadTrust } from './trust.js';

export interface ClientContext {
  /** The folder holding config.json (`-s/--home`, default `$HOME/.spectro`). */
  home: string;
  /** The certs.d root: `<certsDir>/SERVER/ca.crt` (`PACKCTL_CERTS_DIR`, default `/etc/spectro/certs.d`). */
  certsDir: string;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/**
 * The registry a command talks to: `-r SERVER`, else the config's `defaultRegistry`, with the credentials
 * and the `insecure` choice saved by `packctl registry login`.
 */
export async function openRegistry(ctx: ClientContext, registryOption: string | undefined): Promise<RegistryClient> {
  const config = await readConfig(ctx.home);
  const chosen = registryOption ?? config.defaultRegistry;
  if (chosen === undefined || chosen === '') {
    throw usageError('no registry given and no default registry: pass -r SERVER, or log in first with packctl registry login SERVER');
  }
  const server = parseServer(chosen, '-r');
  const entry = config.auths?.[server];
  const credentials = typeof entry?.auth === 'string' ? decodeAuth(entry.auth) : undefined;
  if (!entry || !credentials) {
    throw new CliError(
      EXIT.AUTH,
      `not logged in to ${server} (no credentials in ${configPath(ctx.home)}): run packctl registry login ${server}`,
    );
  }
  const trust = await loadTrust(ctx.certsDir, server, entry.insecure === true);
  return new RegistryClient({ server, credentials, trust });
}

/** Runs `work` with the registry's client and closes its connections afterwards, so the process can exit. */
export async function withRegistry<T>(
  ctx: ClientContext,
  registryOption: string | undefined,
  work: (client: RegistryClient) => Promise<T>,
): Promise<T> {
  const client = await openRegistry(ctx, registryOption);
  try {
    return await work(client);
  } catch (error) {
    // The password saved at login was refused: it changed since, or the user was removed.
    if (error instanceof ApiError && error.status === 401) {
      const [first = 'UNAUTHORIZED' satisfies ErrorCode, ...rest] = error.lines;
      throw new CliError(EXIT.AUTH, [`${first} (the credentials saved for ${client.server} were refused; run packctl registry login ${client.server})`, ...rest]);
    }
    throw error;
  } finally {
    client.close();
  }
}
