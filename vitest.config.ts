import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

/** The in-process tiers: `npm run test:fast`. */
const FAST = ['test/unit/**/*.test.ts', 'test/storage/**/*.test.ts', 'test/api/**/*.test.ts'];

// What both projects share. Real servers, real bcrypt and real archives: give slow shared machines room.
const common = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: 'forks' as const,
  // One module graph per worker instead of one per file: express, SQLite, the registry and the sample packs
  // are loaded and built a few times rather than once per file, which halves the CPU of the fast tier. The
  // tests keep no global state between files: spies are restored, and every app, server, process and folder
  // is undone when its test or file ends (test/setup-cleanup.ts).
  isolate: false,
  // Undoes, when a test file ends, what helpers made outside a test (test/helpers/cleanup.ts).
  setupFiles: ['test/setup-cleanup.ts'],
};

export default defineConfig({
  test: {
    // One private temporary folder per run; leftovers in it, or processes naming it, fail the run.
    globalSetup: ['test/global-temp-folder.ts'],
    // vitest's default is one worker fewer than the cores, a single worker on a 2-core machine; the tests
    // that start programs spend much of their time waiting for them, so one per core, and at least two.
    maxWorkers: Math.max(2, availableParallelism()),
    projects: [
      {
        // In process, no build, no TLS: `npm run test:fast`.
        test: {
          ...common,
          name: 'fast',
          include: FAST,
        },
      },
      {
        // Real listeners and child processes: the built binaries, TLS, signals, crashes, the image's entrypoint,
        // other tar readers, the real-pack corpus, and the tests that load the machine on purpose (cost bounds, floods,
        // event-loop delay: test/load), which would blow the fast tier's budget (test/e2e, test/reliability,
        // test/differential, test/corpus, test/load).
        // Everything that is not fast, so `npm test` runs a new folder of tests without anyone listing it here.
        test: {
          ...common,
          name: 'process',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...FAST],
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
});
