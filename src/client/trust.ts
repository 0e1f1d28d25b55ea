// Which TLS certificates packctl accepts for a registry, as the Spectro CLI (and Docker) decide it:
// the system's roots, plus `<certs.d>/SERVER/ca.crt` when that file exists; with `insecure`, any
// certificate at all (and, in http.ts, plain http when the registry has TLS off).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { CliError, EXIT } from './errors.js';

export const DEFAULT_CERTS_DIR = '/etc/spectro/certs.d';

export interface Trust {
  insecure: boolean;
  /** The CA bundle to verify against; `undefined` means Node's default roots. */
  ca?: string[];
  /** The ca.crt that was found, for messages. */
  caFile?: string;
  /** Where a ca.crt for this server would be looked for, for the hint when verification fails. */
  expectedCaFile: string;
}

export function caFileFor(certsDir: string, server: string): string {
  return join(certsDir, server, 'ca.crt');
}

export async function loadTrust(certsDir: string, server: string, insecure: boolean): Promise<Trust> {
  const expectedCaFile = caFileFor(certsDir, server);
  let pem: string;
  try {
    pem = await readFile(expectedCaFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { insecure, expectedCaFile };
    throw new CliError(EXIT.NETWORK, `cannot read ${expectedCaFile}: ${(error as Error).message}`);
  }
  // Added to the system roots rather than replacing them, as Docker does with certs.d.
  return { insecure, ca: [...rootCertificates, pem], caFile: expectedCaFile, expectedCaFile };
}
