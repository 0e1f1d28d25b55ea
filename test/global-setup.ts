// Builds dist/ once before the tests of the `process` project (vitest.config.ts), with the project's build
// script (tsc -p tsconfig.build.json), so the tests that start programs run the built `packctl` and
// `pack-registry` exactly as they are published. The build is skipped when dist/cli/packctl.js is newer than
// every source file, package.json and the tsconfig files. The in-process tests (`fast`) need no build.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORPUS_SKIP_REASON, corpusDir } from './helpers/corpus.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BUILT = join(ROOT, 'dist', 'cli', 'packctl.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function isUpToDate(): boolean {
  let built: number;
  try {
    built = statSync(BUILT).mtimeMs;
  } catch {
    return false;
  }
  const inputs = ['package.json', 'tsconfig.json', 'tsconfig.build.json'].map((file) => statSync(join(ROOT, file)).mtimeMs);
  return built > Math.max(newestSource(join(ROOT, 'src')), ...inputs);
}

export default function setup(): void {
  announceCorpus();
  if (isUpToDate()) return;
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`npm run build failed, so the built binaries cannot be tested:\n${result.stdout}${result.stderr}`);
  }
}

/** Says once per run whether the real-pack tier runs, and on what: the reporter lists a skipped file without its reason. */
function announceCorpus(): void {
  const dir = corpusDir();
  process.stderr.write(dir ? `real-pack corpus tier (test/corpus): ${dir}\n` : `real-pack corpus tier (test/corpus): ${CORPUS_SKIP_REASON}\n`);
}
