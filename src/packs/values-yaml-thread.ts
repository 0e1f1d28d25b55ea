// Checking the largest values.yaml the limits allow costs about two seconds of CPU (values-yaml.ts). On the
// event loop that would stop every other request meanwhile — /health, downloads, even the SIGTERM handler —
// so files beyond a few KiB are checked on a worker thread, with a time and a memory limit, while the event
// loop only waits for the answer. Worker threads are kept and reused (starting one costs tens of
// milliseconds, hundreds under tsx); an idle one does not keep the process alive.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PackProblem } from './types.js';
import { checkYamlFile } from './pack-yaml.js';
import { YAML_FILES, type YamlFileName } from './values-yaml.js';
import type { ValuesYamlJob } from './values-yaml-worker.js';

/**
 * Files up to this size are checked on the calling thread: at the worst cost per node measured (about 11 µs
 * on a busy machine, two bytes a node) that is under 100 ms, and most real values.yaml files are this small.
 */
export const VALUES_YAML_INLINE_BYTES = 16 * 1024;

/**
 * A safety net, not a rule: the node and size limits keep every check under a few seconds, so a check that
 * takes this long means something unforeseen, and the file is refused rather than the push left hanging.
 */
export const VALUES_YAML_CHECK_TIMEOUT_MS = 30_000;

/** The worker's heap: the largest allowed file needs about 250 MB while it is composed. */
const WORKER_HEAP_MB = 512;

/** Checks running at once; more wait their turn (each one is CPU-bound: more threads than cores gain nothing). */
const MAX_WORKERS = 2;

export interface ValuesYamlCheckOptions {
  timeoutMs?: number;
  /** Size from which the check runs on a worker thread (tests lower it). */
  inlineBytes?: number;
}

/** checkValuesYaml, off the event loop for anything but small files. */
export async function checkValuesYamlOffThread(text: string, options: ValuesYamlCheckOptions = {}): Promise<PackProblem[]> {
  return checkYamlFileOffThread(text, 'values.yaml', options);
}

/** checkYamlFile (values.yaml, presets.yaml, schema.yaml), off the event loop for anything but small files. */
export async function checkYamlFileOffThread(text: string, file: YamlFileName, options: ValuesYamlCheckOptions = {}): Promise<PackProblem[]> {
  if (Buffer.byteLength(text, 'utf8') <= (options.inlineBytes ?? VALUES_YAML_INLINE_BYTES)) return checkYamlFile(text, file);
  return pool.check(text, file, options.timeoutMs ?? VALUES_YAML_CHECK_TIMEOUT_MS);
}

function tooComplex(file: YamlFileName, message: string): PackProblem[] {
  return [{ rule: `${YAML_FILES[file].rulePrefix}-too-complex`, message: `${file}: ${message}`, path: file }];
}

class CheckerPool {
  private readonly idle: Worker[] = [];
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private nextId = 1;

  async check(text: string, file: YamlFileName, timeoutMs: number): Promise<PackProblem[]> {
    if (this.running >= MAX_WORKERS) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await this.run(text, file, timeoutMs);
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private run(text: string, file: YamlFileName, timeoutMs: number): Promise<PackProblem[]> {
    const worker = this.idle.pop() ?? spawnWorker();
    worker.ref();
    const id = this.nextId++;
    return new Promise<PackProblem[]>((resolve, reject) => {
      const finish = (keep: boolean) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (keep) {
          worker.unref();
          this.idle.push(worker);
        } else {
          void worker.terminate();
        }
      };
      const onMessage = (answer: { id: number; problems: PackProblem[] }) => {
        if (answer.id !== id) return;
        finish(true);
        resolve(answer.problems);
      };
      const onError = (error: Error & { code?: string }) => {
        finish(false);
        if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') {
          resolve(tooComplex(file, `checking it needs more than ${WORKER_HEAP_MB} MB of memory; simplify the file`));
        } else {
          reject(error);
        }
      };
      const onExit = (code: number) => {
        finish(false);
        reject(new Error(`the YAML checker thread stopped (exit code ${code}) before answering`));
      };
      const timer = setTimeout(() => {
        finish(false);
        resolve(tooComplex(file, `it could not be checked within ${timeoutMs / 1000} s; simplify the file`));
      }, timeoutMs);
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      const job: ValuesYamlJob = { id, text, file };
      worker.postMessage(job);
    });
  }
}

const pool = new CheckerPool();

function spawnWorker(): Worker {
  const options = { resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./values-yaml-worker.js', import.meta.url), options);
  return new Worker(workerBundle(), { ...options, eval: true });
}

/** The part of esbuild's API used below (a dependency of its own in package.json; tsx, which runs the sources, uses the same one). */
interface Esbuild {
  buildSync(options: Record<string, unknown>): { outputFiles?: { text: string }[] };
  stop(): Promise<void>;
}

let bundled: string | undefined;

/**
 * Run from the TypeScript sources (the tests, `npm start`, the bench) there is no .js file to start, and a
 * worker does not inherit tsx's loader (tsx in the worker would also leave an esbuild process and a cache
 * folder behind). So the worker's code is bundled once per process into one CommonJS script, with esbuild.
 */
function workerBundle(): string {
  if (bundled === undefined) {
    const esbuild = createRequire(import.meta.url)('esbuild') as Esbuild;
    let result: ReturnType<Esbuild['buildSync']>;
    try {
      result = esbuild.buildSync({
        entryPoints: [fileURLToPath(new URL('./values-yaml-worker.ts', import.meta.url))],
        bundle: true,
        platform: 'node',
        format: 'cjs',
        write: false,
        logLevel: 'silent',
      });
    } finally {
      // buildSync starts an esbuild process behind a thread of its own, which would outlive the build.
      void esbuild.stop();
    }
    const text = result.outputFiles?.[0]?.text;
    if (text === undefined) throw new Error('bundling the values.yaml checker for its worker thread produced nothing');
    bundled = text;
  }
  return bundled;
}
