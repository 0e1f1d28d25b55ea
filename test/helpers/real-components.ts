// Where the real components of the extra tiers are: Debian's chromium (test/browser), moto's S3 server
// (test/s3) and Debian's PostgreSQL server programs (test/postgres). The tests start their own instance of each
// on loopback; this file only finds the programs.
//
// A fresh clone on a machine without them still passes `npm test`: the tier reports itself skipped, with the
// reason in its describe title. CI must not silently lose a tier, so .ci/run installs the programs
// (scripts/install-test-tools.sh) and sets PACK_REGISTRY_REQUIRE_COMPONENTS=1, under which a missing program
// fails the tier instead.
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export const REQUIRE_COMPONENTS_ENV = 'PACK_REGISTRY_REQUIRE_COMPONENTS';

export interface Component {
  /** What the tier needs, for messages: `chromium`, `moto_server`, `PostgreSQL server (initdb, postgres)`. */
  name: string;
  /** The program (or folder of programs) when found. */
  path: string | undefined;
  /** The describe title's suffix when the tier is skipped. */
  skipReason: string;
}

function onPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

function component(name: string, path: string | undefined, install: string): Component {
  return { name, path, skipReason: `skipped: ${name} is not installed (${install}, or run bash scripts/install-test-tools.sh)` };
}

/** Debian's chromium (`apt-get install chromium`), or CHROMIUM_PATH. */
export function chromium(): Component {
  const configured = process.env.CHROMIUM_PATH;
  const path = configured ? (existsSync(configured) ? configured : undefined) : ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
  return component('chromium', path, 'apt-get install chromium');
}

/** moto's S3 server (`pip install "moto[server]"`), or MOTO_SERVER_PATH. */
export function motoServer(): Component {
  const configured = process.env.MOTO_SERVER_PATH;
  const path = configured ? (existsSync(configured) ? configured : undefined) : onPath('moto_server');
  return component('moto_server', path, 'pip install "moto[server]"');
}

const DEBIAN_POSTGRESQL = '/usr/lib/postgresql';

/**
 * Debian's PostgreSQL server programs (`apt-get install postgresql`), off the PATH in /usr/lib/postgresql/<major>/bin:
 * the folder of the newest major that has both initdb and postgres, or POSTGRES_BIN_DIR.
 */
export function postgres(): Component {
  const hasPrograms = (dir: string) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'));
  const configured = process.env.POSTGRES_BIN_DIR;
  let path: string | undefined;
  if (configured) {
    path = hasPrograms(configured) ? configured : undefined;
  } else if (existsSync(DEBIAN_POSTGRESQL)) {
    const newest = readdirSync(DEBIAN_POSTGRESQL)
      .filter((major) => /^\d+$/.test(major) && hasPrograms(join(DEBIAN_POSTGRESQL, major, 'bin')))
      .sort((a, b) => Number(b) - Number(a))[0];
    path = newest === undefined ? undefined : join(DEBIAN_POSTGRESQL, newest, 'bin');
  }
  return component('PostgreSQL server (initdb, postgres)', path, 'apt-get install postgresql');
}

/**
 * Whether the tier can run. When the program is missing: false (the caller skips its describe with
 * `component.skipReason`), or, under PACK_REGISTRY_REQUIRE_COMPONENTS=1 (CI), an error that fails the file.
 */
export function available(found: Component): boolean {
  if (found.path) return true;
  if (process.env[REQUIRE_COMPONENTS_ENV] === '1') {
    throw new Error(`${found.name} is required (${REQUIRE_COMPONENTS_ENV}=1) but was not found; ${found.skipReason.replace(/^skipped: /, '')}`);
  }
  return false;
}
