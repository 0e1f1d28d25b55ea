// Every folder, process and server a test makes is undone by the helper that made it, also when the test
// fails or times out: the helpers register the undoing here instead of trusting each test to remember.
import { onTestFinished, TestRunner } from 'vitest';

export type Cleanup = () => unknown;

/** Cleanups registered outside any test (beforeAll, module level), run when the test file ends. */
const fileCleanups: Cleanup[] = [];

/**
 * Run `cleanup` when what asked for it is over: at the end of the current test (passed, failed or timed out)
 * when called during one, else at the end of the test file (test/setup-cleanup.ts). Cleanups run newest
 * first, so a server started in a folder stops before the folder is removed.
 */
export function whenDone(cleanup: Cleanup): void {
  if (TestRunner.getCurrentTest()) onTestFinished(async () => void (await cleanup()));
  else fileCleanups.push(cleanup);
}

/** Runs the file's cleanups newest first; all of them, even when one fails, then reports the failures. */
export async function runFileCleanups(): Promise<void> {
  const failures: unknown[] = [];
  for (const cleanup of fileCleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `${failures.length} cleanup(s) failed`);
}
