// A test run cleans up after itself, and this proves it. Global setup makes one private temporary folder for
// the run and points TMPDIR at it before any worker starts, so every worker, every child process and every
// os.tmpdir() of the run lands there. Teardown fails the run when something was left: an entry in that
// folder, or a process whose environment names it (a server or packctl a test did not stop). It removes and
// kills them anyway, so one bad run does not poison the next.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const runFolder = mkdtempSync(join(tmpdir(), 'pack-registry-run-'));
  // Like /tmp itself (world-writable, sticky): a server a test starts as an unprivileged user (the image's
  // entrypoint, run as root, becomes nobody) must reach its folders in here and may make its own.
  chmodSync(runFolder, 0o1777);
  // Read by vitest when it spawns its workers, and passed on by them to every child they spawn.
  process.env.TMPDIR = runFolder;

  return function teardown(): void {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    const processes = processesNaming(runFolder);
    const entries = readdirSync(runFolder);
    for (const { pid } of processes) killQuietly(pid);
    rmSync(runFolder, { recursive: true, force: true });
    if (processes.length === 0 && entries.length === 0) return;
    const report = [
      'the tests left things behind (removed now; find the test that made them and undo it when it ends):',
      ...entries.map((entry) => `  file or folder: ${join(runFolder, entry)}`),
      ...processes.map(({ pid, command }) => `  process ${pid}: ${command}`),
    ].join('\n');
    // vitest only logs an error thrown here; the exit code is what CI reads.
    process.exitCode = 1;
    throw new Error(report);
  };
}

interface RunProcess {
  pid: number;
  command: string;
}

/**
 * Processes whose environment mentions the run folder, except this one and vitest's own workers (which the
 * pool closes after the teardown). /proc/PID/environ is the environment a process started with.
 */
function processesNaming(runFolder: string): RunProcess[] {
  const found: RunProcess[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const environment = readProcFile(pid, 'environ');
    if (!environment?.split('\0').some((variable) => variable.includes(runFolder))) continue;
    const command = (readProcFile(pid, 'cmdline') ?? '').split('\0').join(' ').trim();
    if (isVitestWorker(pid, command)) continue;
    found.push({ pid, command });
  }
  return found;
}

function isVitestWorker(pid: number, command: string): boolean {
  const parent = /^PPid:\s+(\d+)/m.exec(readProcFile(pid, 'status') ?? '')?.[1];
  return Number(parent) === process.pid && /[\\/]vitest[\\/]dist[\\/]workers[\\/]/.test(command);
}

/** A process may end while we read it: then it is not a leftover. */
function readProcFile(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}
