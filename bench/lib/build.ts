// The server under test runs as compiled JavaScript, as in the Docker image (dist/, NODE_ENV=production), not
// through tsx. It is compiled into the run's scratch folder, outside the work tree, so the bench never touches
// dist/ while other work uses it; node_modules is reached through a symlink.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, symlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from './proc.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CACHE_DIR = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'pack-registry-bench');

export type Runtime = 'build' | 'tsx';

export interface ServerEntry {
  runtime: Runtime;
  /** `node <args…> serve`: the node arguments that start the CLI. */
  nodeArgs: string[];
}

/**
 * Compile src/ with the project's own tsconfig.build.json into `<root>/dist` (the run's own scratch folder, so
 * runs started side by side never overwrite each other's server); emitted even with type errors.
 */
export async function buildServer(root: string): Promise<ServerEntry> {
  const outDir = join(root, 'dist');
  await mkdir(root, { recursive: true });
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = await runCommand(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir], {
    cwd: REPO_ROOT,
    timeoutMs: 180_000,
  });
  const entry = join(outDir, 'cli', 'pack-registry.js');
  if (!existsSync(entry)) throw new Error(`compiling src/ failed:\n${result.stdout}${result.stderr}`);
  if (result.code !== 0) process.stderr.write(`warning: tsc reported type errors in src/; benchmarking what it emitted\n`);
  // version.ts reads ../../package.json from dist/cli; node_modules resolves upwards from dist/.
  await copyFile(join(REPO_ROOT, 'package.json'), join(root, 'package.json'));
  await symlink(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  return { runtime: 'build', nodeArgs: [entry] };
}

/**
 * A compiled server someone prepared (`--server-build=DIR`), e.g. the dist/ of a run kept with --keep and then
 * edited by hand to measure a change before making it in src/.
 */
export function existingBuild(distDir: string): ServerEntry {
  const entry = join(distDir, 'cli', 'pack-registry.js');
  if (!existsSync(entry)) throw new Error(`--server-build: no ${entry}`);
  if (!existsSync(join(distDir, '..', 'node_modules')) || !existsSync(join(distDir, '..', 'package.json'))) {
    throw new Error(`--server-build: ${distDir}/.. needs package.json and node_modules beside dist/ (a kept run's build/ folder has them)`);
  }
  return { runtime: 'build', nodeArgs: [entry] };
}

/** `npm start`'s way: TypeScript through tsx, compiled on load. */
export function tsxServer(): ServerEntry {
  return { runtime: 'tsx', nodeArgs: ['--import', 'tsx', join(REPO_ROOT, 'src', 'cli', 'pack-registry.ts')] };
}
