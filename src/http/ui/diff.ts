// What changed between two versions of a pack: the line diff of a text file (values.yaml) and the file list
// compared by path, size and SHA-256. Both sides come from pushes, so both may be hostile: the line diff is
// bounded (input size, edit distance, time) so that no pair of files can hold the event loop.
import { diffLines } from 'diff';

export type LineKind = 'same' | 'added' | 'removed';

export interface DiffLine {
  kind: LineKind;
  /** Line numbers on each side (null on the side the line is not on). */
  from: number | null;
  to: number | null;
  text: string;
}

export type LineDiff = { ok: true; lines: DiffLine[]; added: number; removed: number } | { ok: false; reason: string };

/** Each side larger than this is not diffed line by line. */
export const MAX_DIFFED_BYTES = 512 * 1024;
/** Edits beyond this count (Myers' D) or time end the diff: two unrelated files are not worth a diff. */
const MAX_EDIT_LENGTH = 5_000;
const MAX_DIFF_MS = 200;

export function lineDiff(from: string, to: string): LineDiff {
  if (Buffer.byteLength(from) > MAX_DIFFED_BYTES || Buffer.byteLength(to) > MAX_DIFFED_BYTES) {
    return { ok: false, reason: `a side is larger than ${MAX_DIFFED_BYTES / 1024} KiB` };
  }
  const changes = diffLines(from, to, { maxEditLength: MAX_EDIT_LENGTH, timeout: MAX_DIFF_MS });
  if (!changes) return { ok: false, reason: 'the files differ too much to show a line diff' };
  const lines: DiffLine[] = [];
  let fromLine = 1;
  let toLine = 1;
  let added = 0;
  let removed = 0;
  for (const change of changes) {
    const texts = change.value.replace(/\n$/, '').split('\n');
    for (const text of texts) {
      if (change.added) {
        lines.push({ kind: 'added', from: null, to: toLine++, text });
        added += 1;
      } else if (change.removed) {
        lines.push({ kind: 'removed', from: fromLine++, to: null, text });
        removed += 1;
      } else {
        lines.push({ kind: 'same', from: fromLine++, to: toLine++, text });
      }
    }
  }
  return { ok: true, lines, added, removed };
}

/** Unchanged lines further than this from a change are folded away. */
const CONTEXT_LINES = 3;

export type Hunk = { kind: 'lines'; lines: DiffLine[] } | { kind: 'folded'; count: number };

/** The diff's lines with long unchanged stretches folded, as `diff -U3` shows them. */
export function foldUnchanged(lines: readonly DiffLine[]): Hunk[] {
  const keep = lines.map(() => false);
  lines.forEach((line, index) => {
    if (line.kind === 'same') return;
    for (let near = Math.max(0, index - CONTEXT_LINES); near <= Math.min(lines.length - 1, index + CONTEXT_LINES); near++) keep[near] = true;
  });
  const hunks: Hunk[] = [];
  for (let index = 0; index < lines.length; index++) {
    const last = hunks.at(-1);
    if (keep[index]) {
      if (last?.kind === 'lines') last.lines.push(lines[index] as DiffLine);
      else hunks.push({ kind: 'lines', lines: [lines[index] as DiffLine] });
    } else if (last?.kind === 'folded') {
      last.count += 1;
    } else {
      hunks.push({ kind: 'folded', count: 1 });
    }
  }
  return hunks;
}

export interface ListedFile {
  path: string;
  size: number;
  sha256: string;
}

export interface FileChange {
  path: string;
  change: 'added' | 'removed' | 'changed';
  from?: ListedFile;
  to?: ListedFile;
}

/** Files added, removed or changed (by SHA-256 or size) from one version's list to the other's, by path. */
export function fileListDiff(from: readonly ListedFile[], to: readonly ListedFile[]): FileChange[] {
  const before = new Map(from.map((file) => [file.path, file]));
  const after = new Map(to.map((file) => [file.path, file]));
  const changes: FileChange[] = [];
  for (const [path, file] of before) {
    const other = after.get(path);
    if (!other) changes.push({ path, change: 'removed', from: file });
    else if (other.sha256 !== file.sha256 || other.size !== file.size) changes.push({ path, change: 'changed', from: file, to: other });
  }
  for (const [path, file] of after) if (!before.has(path)) changes.push({ path, change: 'added', to: file });
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
