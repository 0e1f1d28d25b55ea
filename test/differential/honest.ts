// Archives of one small pack written by honest tools in each of their formats: node-tar (what packctl
// uses), GNU tar, bsdtar, Python's tarfile and Go's archive/tar. The registry must accept them all.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { create as createTar } from 'tar';
import type { GoReader } from './readers.js';

const execFileAsync = promisify(execFile);

/** Which names a tree holds: `full` any, `ustar` ASCII ones ustar can store, `v7` short ASCII ones only. */
export type TreeKind = 'full' | 'ustar' | 'v7';

export const TOP = 'pack';

/** Deterministic bytes that do not compress. */
function noise(length: number, seed: string): Buffer {
  const parts: Buffer[] = [];
  for (let counter = 0; parts.length * 32 < length; counter++) parts.push(createHash('sha256').update(`${seed}:${counter}`).digest());
  return Buffer.concat(parts).subarray(0, length);
}

/** The pack's files by path relative to the pack folder. */
export function packFiles(kind: TreeKind): Map<string, Buffer> {
  const files = new Map<string, Buffer>([
    ['pack.json', Buffer.from(`${JSON.stringify({ name: 'differential', displayName: 'Differential', version: '1.0.0', layer: 'addon' }, null, 2)}\n`)],
    ['values.yaml', Buffer.from('pack:\n  namespace: differential\n')],
    ['README.md', Buffer.from('# A pack\n')],
    ['charts/demo-0.1.0.tgz', noise(70_000, 'chart')],
    ['empty.txt', Buffer.alloc(0)],
    ['exact-512.bin', noise(512, 'exact')],
  ]);
  if (kind === 'v7') return files;
  files.set('with space/file name.txt', Buffer.from('spaces\n'));
  // 100 bytes with the top folder: exactly fills the name field.
  files.set(`${'n'.repeat(100 - TOP.length - 1 - 4)}.txt`, Buffer.from('hundred\n'));
  // About 180 bytes: past the name field, within ustar's prefix + name.
  files.set(`manifests/${'a'.repeat(60)}/${'b'.repeat(60)}/${'c'.repeat(40)}.yaml`, Buffer.from('kind: ConfigMap\n'));
  if (kind === 'ustar') return files;
  // Not ASCII: Go writes a pax record for it, ustar-only writers cannot all store it.
  files.set('docs/café-ü.md', Buffer.from('bonjour\n'));
  // Past what ustar can store at all: a pax record or a GNU long name.
  files.set(`manifests/${'d'.repeat(90)}/${'e'.repeat(90)}/${'f'.repeat(90)}/${'g'.repeat(120)}.yaml`, Buffer.from('kind: Secret\n'));
  return files;
}

/** Writes the pack as `root/TOP/…`. */
export async function writeTree(root: string, kind: TreeKind): Promise<void> {
  for (const [path, body] of packFiles(kind)) {
    const target = join(root, TOP, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, body);
  }
}

export interface HonestArchive {
  label: string;
  path: string;
  /**
   * Why the registry must refuse this one all the same: honest tools can write archives that readers
   * disagree on.
   */
  refusedBecause?: string;
}

async function nodeTar(output: string, cwd: string, names: string[], portable: boolean): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of createTar({ gzip: true, cwd, portable }, names)) chunks.push(chunk as Buffer);
  await writeFile(output, Buffer.concat(chunks));
}

const PYTHON_CREATE = `
import sys, tarfile
formats = {"pax": tarfile.PAX_FORMAT, "gnu": tarfile.GNU_FORMAT, "ustar": tarfile.USTAR_FORMAT}
output, root, top, name = sys.argv[1:5]
with tarfile.open(output, "w:gz", format=formats[name]) as archive:
    archive.add(f"{root}/{top}", arcname=top)
`;

/** Every honest archive of the pack, written into `work`. */
export async function honestArchives(work: string, go: GoReader): Promise<HonestArchive[]> {
  const roots: Record<TreeKind, string> = { full: join(work, 'tree-full'), ustar: join(work, 'tree-ustar'), v7: join(work, 'tree-v7') };
  for (const [kind, root] of Object.entries(roots) as [TreeKind, string][]) await writeTree(root, kind);
  const archives: HonestArchive[] = [];
  const add = async (label: string, make: (output: string) => Promise<unknown>): Promise<void> => {
    const path = join(work, `honest-${archives.length}.tar.gz`);
    await make(path);
    archives.push({ label, path });
  };

  await add('node-tar, portable (packctl), in a folder', (out) => nodeTar(out, roots.full, [TOP], true));
  await add('node-tar, portable (packctl), files at the root', async (out) => nodeTar(out, join(roots.full, TOP), (await readdir(join(roots.full, TOP))).sort(), true));
  await add('node-tar, not portable', (out) => nodeTar(out, roots.full, [TOP], false));
  const gnu: [string, TreeKind][] = [
    ['default', 'full'],
    ['gnu', 'full'],
    ['oldgnu', 'full'],
    ['pax', 'full'],
    ['ustar', 'ustar'],
    ['v7', 'v7'],
  ];
  for (const [format, kind] of gnu) {
    const formatArgs = format === 'default' ? [] : [`--format=${format}`];
    await add(`GNU tar ${format}`, (out) => execFileAsync('tar', [...formatArgs, '-czf', out, '-C', roots[kind], TOP]));
  }
  const bsd: [string, TreeKind][] = [
    ['default', 'full'],
    ['pax', 'full'],
    ['gnutar', 'full'],
    ['ustar', 'ustar'],
    ['v7', 'v7'],
  ];
  for (const [format, kind] of bsd) {
    const formatArgs = format === 'default' ? [] : ['--format', format];
    await add(`bsdtar ${format}`, (out) => execFileAsync('bsdtar', ['-czf', out, ...formatArgs, '-C', roots[kind], TOP]));
  }
  const python: [string, TreeKind][] = [
    ['pax', 'full'],
    ['gnu', 'full'],
    ['ustar', 'ustar'],
  ];
  for (const [format, kind] of python) await add(`Python tarfile ${format}`, (out) => execFileAsync('python3', ['-c', PYTHON_CREATE, out, roots[kind], TOP, format]));
  const golang: [string, TreeKind][] = [
    ['default', 'full'],
    ['pax', 'full'],
    ['gnu', 'full'],
    ['ustar', 'ustar'],
  ];
  for (const [format, kind] of golang) await add(`Go archive/tar ${format}`, (out) => go.create(format, out, roots[kind], TOP));
  // Go's GNU format with the access and change times tar.FileInfoHeader fills in: they sit where a ustar
  // header has its prefix, and Python's tarfile prepends them to every name ("15302770731/pack/…").
  await add('Go archive/tar gnu with access and change times', (out) => go.create('gnu-times', out, roots.full, TOP));
  const last = archives[archives.length - 1];
  if (last) last.refusedBecause = 'Python reads the GNU access time as a name prefix';
  return archives;
}
