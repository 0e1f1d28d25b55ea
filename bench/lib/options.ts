// Command-line options of `npm run bench` and the scale each mode runs at.
import { KB, MB } from './stats.js';
import type { LoadSettings } from './load.js';

export const SECTIONS = ['push', 'download', 'catalog', 'ui', 'coldstart', 'reindex', 'ceiling', 'notifications', 's3', 'postgres', 'profile'] as const;
export type SectionName = (typeof SECTIONS)[number];

export interface BenchOptions {
  quick: boolean;
  peers: boolean;
  sections: Set<SectionName>;
  load: LoadSettings;
  tsx: boolean;
  /** A compiled server to run instead of compiling src/ (a kept run's build/dist, edited to try a change). */
  serverBuild?: string;
  /** Extra REGISTRY_* variables for our server (`--server-env=REGISTRY_AUTH_ANONYMOUS_READ=true,...`): a setting's cost. */
  serverEnv: Record<string, string>;
  write: boolean;
  keep: boolean;
  scale: Scale;
}

export interface PackSize {
  label: string;
  name: string;
  bytes: number;
}

export interface Scale {
  pushSizes: PackSize[];
  pushRuns: number;
  /** The pack downloaded under load, and the large one streamed (MB/s). */
  smallDownload: PackSize;
  largeDownload: PackSize;
  smallConcurrency: number[];
  largeConcurrency: number[];
  /** Versions stored for catalog and list pages (10 versions per pack). */
  catalogVersions: number[];
  catalogConcurrency: number;
  /** Packs in the index behind the web UI's pages (section `ui`), 2 versions each; loaded at catalogConcurrency. */
  uiPacks: number;
  reindexVersions: number;
  reindexRuns: number;
  coldStartRuns: number;
  /** Starts over the largest seeded index: each reads every metadata document, so fewer. */
  coldStartRunsLargeIndex: number;
  hashRuns: number;
  /** Pushes per size for the notifications row (with and without webhook endpoints). */
  notificationPushRuns: number;
}

const FULL: Scale = {
  pushSizes: [
    { label: '10 KB', name: 'bench-10kb', bytes: 10 * KB },
    { label: '1 MB', name: 'bench-1mb', bytes: MB },
    { label: '50 MB', name: 'bench-50mb', bytes: 50 * MB },
  ],
  pushRuns: 5,
  smallDownload: { label: '50 KB', name: 'bench-50kb', bytes: 50 * KB },
  largeDownload: { label: '50 MB', name: 'bench-50mb', bytes: 50 * MB },
  smallConcurrency: [1, 16, 64],
  largeConcurrency: [1, 4],
  catalogVersions: [1_000, 100_000],
  catalogConcurrency: 16,
  uiPacks: 10_000,
  reindexVersions: 10_000,
  reindexRuns: 3,
  coldStartRuns: 5,
  coldStartRunsLargeIndex: 2,
  hashRuns: 5,
  notificationPushRuns: 15,
};

/** For building and debugging the harness: every step runs, on small data and for a second or so. */
const QUICK: Scale = {
  ...FULL,
  pushSizes: [FULL.pushSizes[0] as PackSize, FULL.pushSizes[1] as PackSize, { label: '5 MB', name: 'bench-5mb', bytes: 5 * MB }],
  pushRuns: 2,
  largeDownload: { label: '5 MB', name: 'bench-5mb', bytes: 5 * MB },
  catalogVersions: [1_000, 10_000],
  reindexVersions: 300,
  reindexRuns: 1,
  coldStartRuns: 2,
  coldStartRunsLargeIndex: 1,
  hashRuns: 2,
  notificationPushRuns: 3,
};

const USAGE = `usage: npm run bench -- [--quick] [--peers] [--only=${SECTIONS.join(',')}] [--rounds=N] [--duration=SECONDS] [--tsx | --server-build=DIR] [--server-env=REGISTRY_X=V,...] [--no-write] [--keep]
  --quick      tiny data and 1 s runs, for working on the harness (results are not written to bench/results)
  --peers      also run CNCF Distribution and Verdaccio (installed on demand) and print ratios
  --only       run only these sections (profile runs only when named here or with --profile)
  --profile    add CPU profiles of the server (node --cpu-prof) for downloads, a 50 MB push and catalog pages
  --rounds     measured runs per load configuration, figures are medians (default 3; quick 1)
  --duration   seconds per measured run (default 3; quick 1)
  --server-env REGISTRY_* variables for our server, comma-separated (e.g. REGISTRY_AUTH_ANONYMOUS_READ=true)
  --tsx        run the server through tsx instead of compiled JavaScript
  --server-build=DIR  run this compiled server (DIR = build/dist of a run kept with --keep, edited by hand to
               measure a change before making it in src/) instead of compiling src/
  --no-write   print only; do not write bench/results/<date>.md
  --keep       keep the scratch folder (storage, archives, logs) for inspection`;

export function parseOptions(argv: string[]): BenchOptions {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match?.[1]) throw new Error(`unknown argument ${arg}\n${USAGE}`);
    flags.set(match[1], match[2] ?? 'true');
  }
  const known = new Set(['quick', 'peers', 'only', 'profile', 'rounds', 'duration', 'tsx', 'server-build', 'server-env', 'no-write', 'keep', 'help']);
  for (const flag of flags.keys()) if (!known.has(flag)) throw new Error(`unknown option --${flag}\n${USAGE}`);
  if (flags.has('help')) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const quick = flags.has('quick');
  const sections = new Set<SectionName>(SECTIONS.filter((section) => section !== 'profile'));
  const only = flags.get('only');
  if (only) {
    sections.clear();
    for (const name of only.split(',')) {
      if (!(SECTIONS as readonly string[]).includes(name)) throw new Error(`unknown section ${name}\n${USAGE}`);
      sections.add(name as SectionName);
    }
  }
  if (flags.has('profile')) sections.add('profile');
  const number = (flag: string, fallback: number): number => {
    const value = Number(flags.get(flag) ?? fallback);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${flag} must be a positive number`);
    return value;
  };
  return {
    quick,
    peers: flags.has('peers'),
    sections,
    load: { durationSec: number('duration', quick ? 1 : 3), warmupSec: quick ? 0.5 : 1, rounds: Math.round(number('rounds', quick ? 1 : 3)) },
    tsx: flags.has('tsx'),
    serverBuild: flags.get('server-build'),
    serverEnv: parseServerEnv(flags.get('server-env')),
    write: !quick && !flags.has('no-write'),
    keep: flags.has('keep'),
    scale: quick ? QUICK : FULL,
  };
}

/** `REGISTRY_A=1,REGISTRY_B=x` → variables; only REGISTRY_* names, so the flag cannot change anything else. */
function parseServerEnv(value: string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of (value ?? '').split(',').filter((item) => item !== '')) {
    const match = /^(REGISTRY_[A-Z0-9_]+)=(.*)$/.exec(pair);
    if (!match?.[1]) throw new Error(`--server-env: ${pair} is not REGISTRY_NAME=value`);
    env[match[1]] = match[2] ?? '';
  }
  return env;
}
