// Transfer progress: a cli-progress bar when stderr is a terminal, and a couple of plain lines when it is
// not (a CI log full of carriage returns helps nobody). Progress never goes to stdout, which is kept for
// results a script may read.
import { SingleBar } from 'cli-progress';
import { printable } from './printable.js';

export interface Progress {
  advance(bytes: number): void;
  finish(): void;
  /** Stops drawing without claiming success. */
  abort(): void;
}

export interface ProgressOptions {
  /** `Uploading`, `Downloading`. */
  verb: string;
  /** What moves, e.g. `nginx-1.16.1.tar.gz`. */
  what: string;
  /** Total bytes, when known. */
  total: number | undefined;
  stream: NodeJS.WriteStream;
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Decimal units, as Docker shows transfer sizes. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

export function startProgress(options: ProgressOptions): Progress {
  // The label may hold the registry's words (a pulled pack's name); the bar's own escapes are drawn around it.
  const safe = { ...options, what: printable(options.what) };
  return safe.stream.isTTY && safe.total !== undefined ? barProgress(safe, safe.total) : lineProgress(safe);
}

function barProgress(options: ProgressOptions, total: number): Progress {
  const bar = new SingleBar({
    stream: options.stream,
    format: `${options.verb} ${options.what} [{bar}] {percentage}% {moved}/{size} {eta_formatted}`,
    hideCursor: true,
    clearOnComplete: false,
    barsize: 30,
    barCompleteChar: '\u2588',
    barIncompleteChar: '\u2591',
  });
  let moved = 0;
  const size = formatBytes(total);
  bar.start(total, 0, { moved: formatBytes(0), size });
  return {
    advance(bytes) {
      moved += bytes;
      bar.update(Math.min(moved, total), { moved: formatBytes(moved), size });
    },
    finish() {
      bar.update(total, { moved: formatBytes(moved), size });
      bar.stop();
    },
    abort() {
      bar.stop();
    },
  };
}

function lineProgress(options: ProgressOptions): Progress {
  const started = Date.now();
  const size = options.total === undefined ? '' : ` (${formatBytes(options.total)})`;
  options.stream.write(`${options.verb} ${options.what}${size} ...\n`);
  let moved = 0;
  let ended = false;
  return {
    advance(bytes) {
      moved += bytes;
    },
    finish() {
      if (ended) return;
      ended = true;
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      options.stream.write(`${options.verb} ${options.what}: ${formatBytes(moved)} done in ${seconds} s\n`);
    },
    abort() {
      ended = true;
    },
  };
}
