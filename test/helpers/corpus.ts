// Where the real-pack corpus is, if anywhere. Real community packs cannot be copied into this repository
// (most come without a licence), so they live outside it: in the folder PACK_CORPUS_DIR names, or else in
// ../shared/fixtures/packs beside the checkout, where CI places them. Without either, the corpus tier
// (test/corpus/) reports itself skipped and every other tier runs on the synthetic samples alone.
// This is the only file under test/ that knows about ../shared.
import { statSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPackFolder } from './pack-folder.js';

/** The environment variable naming the corpus folder; set but not a folder means "no corpus". */
export const PACK_CORPUS_ENV = 'PACK_CORPUS_DIR';

/** Where CI keeps the corpus: shared/ is checked out beside this repository. */
const BESIDE_CHECKOUT = fileURLToPath(new URL('../../../shared/fixtures/packs/', import.meta.url));

/** Why the corpus tier did not run, for the skipped describe's title. */
export const CORPUS_SKIP_REASON = `skipped: set ${PACK_CORPUS_ENV} or place shared/fixtures/packs beside the checkout`;

export interface PackCorpus {
  dir: string;
  /** Every sub-folder, sorted: each is one pack as its authors publish it. */
  packs: string[];
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The corpus folder: PACK_CORPUS_DIR when set (even to a missing folder), else the one beside the checkout. */
export function corpusDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const configured = env[PACK_CORPUS_ENV];
  const candidate = configured !== undefined && configured !== '' ? resolve(configured) : BESIDE_CHECKOUT;
  return isDirectory(candidate) ? candidate : undefined;
}

export function findPackCorpus(env: NodeJS.ProcessEnv = process.env): PackCorpus | undefined {
  const dir = corpusDir(env);
  if (!dir) return undefined;
  const packs = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return { dir, packs };
}

/** A corpus pack's files, by path relative to its folder, sorted by UTF-8 bytes. */
export function corpusPackFiles(corpus: PackCorpus, folder: string): Promise<Map<string, Buffer>> {
  return readPackFolder(join(corpus.dir, folder));
}
