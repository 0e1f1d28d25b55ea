// The four tar readers the registry's verdict is compared with: Go's archive/tar (Palette reads packs
// with it), Python's tarfile, GNU tar and bsdtar (libarchive). Each answers the same listing: one line
// per entry with its type, name, size and the SHA-256 of its body, or the error it stopped on.
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LISTERS_DIR = fileURLToPath(new URL('./listers/', import.meta.url));

/** One entry as a reader lists it. `type` is f, d, l, h, c, b, p or `?…` for anything else. */
export interface ListedEntry {
  type: string;
  /** The name exactly as the reader gives it (bytes, as latin1-safe Buffer). */
  name: Buffer;
  size: number;
  sha256: string;
}

export type Listing = { ok: true; entries: ListedEntry[] } | { ok: false; error: string; entries: ListedEntry[] };

export interface Reader {
  name: string;
  /** Lists several archives; the answer is in the same order. */
  list(archives: string[]): Promise<Listing[]>;
}

// A clean environment: no locale surprises in the listings, no network for Go, nothing from the caller.
function toolEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp', LC_ALL: 'C' };
  // The test run's private temporary folder, if it has one.
  if (process.env['TMPDIR']) env['TMPDIR'] = process.env['TMPDIR'];
  return { ...env, ...extra };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, encoding: 'buffer', maxBuffer: 256 * 1024 * 1024, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr: stderr.toString('utf8') });
    });
  });
}

/** Which of the tools are missing here (CI installs them with scripts/install-test-tools.sh). */
export function missingTools(): string[] {
  const missing: string[] = [];
  const works = (command: string, args: string[], needle?: string): boolean => {
    const result = spawnSync(command, args, { encoding: 'utf8', env: toolEnv() });
    return result.status === 0 && (needle === undefined || `${result.stdout}${result.stderr}`.includes(needle));
  };
  if (!works('go', ['version'])) missing.push('go (golang-go)');
  if (!works('python3', ['--version'])) missing.push('python3');
  if (!works('tar', ['--version'], 'GNU tar')) missing.push('GNU tar');
  if (!works('bsdtar', ['--version'], 'libarchive')) missing.push('bsdtar (libarchive-tools)');
  return missing;
}

// ---------------------------------------------------------------------------------------------------
// Go and Python: one process lists many archives

function parseBatch(stdout: Buffer, count: number, reader: string): Listing[] {
  const listings: Listing[] = [];
  let current: ListedEntry[] | undefined;
  for (const line of stdout.toString('utf8').split('\n')) {
    if (line === '') continue;
    if (line.startsWith('archive ')) {
      current = [];
      continue;
    }
    if (!current) throw new Error(`${reader}: output before the first archive: ${line}`);
    if (line.startsWith('entry ')) {
      const [, type = '', size = '', sha256 = '', name = ''] = line.split(' ');
      current.push({ type, size: Number(size), sha256, name: Buffer.from(name, 'hex') });
    } else if (line === 'end ok') {
      listings.push({ ok: true, entries: current });
      current = undefined;
    } else if (line.startsWith('end error ')) {
      listings.push({ ok: false, error: line.slice('end error '.length), entries: current });
      current = undefined;
    } else {
      throw new Error(`${reader}: unexpected output line ${JSON.stringify(line)}`);
    }
  }
  if (listings.length !== count) throw new Error(`${reader}: listed ${listings.length} archives out of ${count}`);
  return listings;
}

/** Builds the Go lister into `workDir` (its own build cache there; standard library only, no network). */
export interface GoReader extends Reader {
  /** Writes `top` (a folder in `root`) as a .tar.gz with archive/tar's writer in `format` (default, pax, gnu, ustar). */
  create(format: string, output: string, root: string, top: string): Promise<void>;
}

export async function goReader(workDir: string): Promise<GoReader> {
  const binary = join(workDir, 'tar-lister');
  const env = toolEnv({
    GOCACHE: join(workDir, 'gocache'),
    GOPATH: join(workDir, 'gopath'),
    GOTMPDIR: workDir,
    GOFLAGS: '',
    GOPROXY: 'off',
    GOTOOLCHAIN: 'local',
    CGO_ENABLED: '0',
  });
  await mkdir(join(workDir, 'gocache'), { recursive: true });
  const build = await run('go', ['build', '-o', binary, join(LISTERS_DIR, 'main.go')], env);
  if (build.code !== 0) throw new Error(`go build failed: ${build.stderr}`);
  return {
    name: 'Go archive/tar',
    list: async (archives) => parseBatch((await run(binary, archives, env)).stdout, archives.length, 'go'),
    create: async (format: string, output: string, root: string, top: string) => {
      const created = await run(binary, ['create', format, output, root, top], env);
      if (created.code !== 0) throw new Error(`go create failed: ${created.stderr}`);
    },
  };
}

export function pythonReader(): Reader {
  return {
    name: 'Python tarfile',
    list: async (archives) => parseBatch((await run('python3', [join(LISTERS_DIR, 'list_tar.py'), ...archives], toolEnv())).stdout, archives.length, 'python'),
  };
}

// ---------------------------------------------------------------------------------------------------
// GNU tar and bsdtar: a verbose listing for names, types and sizes, then the bodies of all regular files
// written one after the other to standard output (-O), cut by the listed sizes.

/** Undoes the C-style escaping both tools apply to names (GNU tar in the C locale: every non-ASCII byte as \ooo). */
function unescapeName(text: string): Buffer {
  const bytes: number[] = [];
  const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, ' ': 32, '"': 34, "'": 39, '?': 63 };
  for (let index = 0; index < text.length; index++) {
    const char = text[index] ?? '';
    if (char !== '\\') {
      bytes.push(char.charCodeAt(0));
      continue;
    }
    const octal = /^[0-7]{3}/.exec(text.slice(index + 1));
    if (octal) {
      bytes.push(parseInt(octal[0], 8));
      index += 3;
      continue;
    }
    const next = text[index + 1] ?? '';
    const code = simple[next];
    if (code === undefined) throw new Error(`unknown escape \\${next} in ${JSON.stringify(text)}`);
    bytes.push(code);
    index += 1;
  }
  return Buffer.from(bytes);
}

// GNU tar shows a contiguous file (type 7) as C: a regular file for every other reader.
const MODE_TYPES: Record<string, string> = { '-': 'f', C: 'f', d: 'd', l: 'l', h: 'h', c: 'c', b: 'b', p: 'p' };

// GNU tar:  -rw-r--r-- 1000/1000          5 2024-01-01 00:00 name
const GNU_LINE = /^(\S)\S{9}\s+\S+\s+(\S+)\s+\S+\s+\S+\s(.*)$/;
// bsdtar:   -rw-r--r--  0 1000   1000        5 Jan  1  2024 name
const BSD_LINE = /^(\S)\S{9}\s+\d+\s+\S+\s+\S+\s+(\S+)\s+\S+\s+\S+\s+\S+\s(.*)$/;

function parseVerbose(stdout: string, pattern: RegExp): ListedEntry[] {
  const entries: ListedEntry[] = [];
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const match = pattern.exec(line);
    if (!match) throw new Error(`unexpected listing line ${JSON.stringify(line)}`);
    const [, mode = '', size = '', rest = ''] = match;
    const type = MODE_TYPES[mode] ?? `?${mode}`;
    // Links show their target after the name; such archives never get this far, but keep the name clean.
    const name = type === 'l' ? rest.split(' -> ')[0] ?? rest : type === 'h' ? rest.split(' link to ')[0] ?? rest : rest;
    entries.push({ type, name: unescapeName(name), size: /^\d+$/.test(size) ? Number(size) : -1, sha256: '' });
  }
  return entries;
}

/** Fills in the SHA-256 of each regular file from the concatenated bodies; false when they do not add up. */
function attachBodies(entries: ListedEntry[], bodies: Buffer): boolean {
  let offset = 0;
  for (const entry of entries) {
    const size = entry.type === 'f' ? entry.size : 0;
    entry.sha256 = createHash('sha256').update(bodies.subarray(offset, offset + size)).digest('hex');
    offset += size;
  }
  return offset === bodies.length;
}

/** Warnings that do not change what is read: metadata GNU tar does not know (e.g. bsdtar's xattr records). */
const BENIGN_STDERR = /^tar: Ignoring unknown extended header keyword/;

function cliReader(
  name: string,
  command: string,
  listArgs: (archive: string) => string[],
  bodyArgs: (archive: string) => string[],
  pattern: RegExp,
  env: NodeJS.ProcessEnv,
): Reader {
  const listOne = async (archive: string): Promise<Listing> => {
    const listed = await run(command, listArgs(archive), env);
    let entries: ListedEntry[] = [];
    try {
      entries = parseVerbose(listed.stdout.toString('latin1'), pattern);
    } catch (error) {
      return { ok: false, error: String(error), entries };
    }
    const complaints = listed.stderr.split('\n').filter((line) => line !== '' && !BENIGN_STDERR.test(line));
    if (listed.code !== 0 || complaints.length > 0) return { ok: false, error: `exit ${listed.code}: ${complaints.join(' | ')}`, entries };
    const bodies = await run(command, bodyArgs(archive), env);
    const bodyComplaints = bodies.stderr.split('\n').filter((line) => line !== '' && !BENIGN_STDERR.test(line));
    if (bodies.code !== 0 || bodyComplaints.length > 0) return { ok: false, error: `extracting: exit ${bodies.code}: ${bodyComplaints.join(' | ')}`, entries };
    if (!attachBodies(entries, bodies.stdout)) return { ok: false, error: 'the extracted bodies do not match the listed sizes', entries };
    return { ok: true, entries };
  };
  return { name, list: (archives) => mapLimit(archives, 3, listOne) };
}

/** `work` over `items`, at most `limit` at a time (the machine's cores are shared), answers in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function gnuTarReader(): Reader {
  return cliReader(
    'GNU tar',
    'tar',
    (archive) => ['--list', '--verbose', '--numeric-owner', '--quoting-style=escape', '--gzip', '--file', archive],
    (archive) => ['--extract', '--to-stdout', '--gzip', '--file', archive],
    GNU_LINE,
    toolEnv(),
  );
}

export function bsdtarReader(): Reader {
  // libarchive refuses to list a UTF-8 pax name in the C locale: a UTF-8 locale, names printed as they are.
  return cliReader('bsdtar', 'bsdtar', (archive) => ['-tvf', archive, '--numeric-owner'], (archive) => ['-xOf', archive], BSD_LINE, toolEnv({ LC_ALL: 'C.UTF-8' }));
}
