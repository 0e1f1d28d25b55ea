// Reading a V8 .cpuprofile (from `node --cpu-prof`): self time per function, heaviest first, so the bench can
// say what dominated without opening DevTools.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** A span of the profile to look at, in µs of the monotonic clock V8 stamps samples with (see nowUs). */
export interface Window {
  fromUs: number;
  toUs: number;
}

/** The same monotonic clock V8's profiler uses on Linux (CLOCK_MONOTONIC), in µs. */
export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface HotFunction {
  name: string;
  where: string;
  selfMs: number;
  share: number;
}

function shortUrl(url: string): string {
  if (!url) return '(native)';
  const withoutScheme = url.replace(/^file:\/\//, '');
  const modules = withoutScheme.lastIndexOf('/node_modules/');
  if (modules >= 0) return withoutScheme.slice(modules + '/node_modules/'.length);
  const dist = withoutScheme.lastIndexOf('/dist/');
  if (dist >= 0) return `src/${withoutScheme.slice(dist + '/dist/'.length)}`;
  return withoutScheme.replace(/^node:/, 'node:');
}

/** Samples inside the window (all without one), as [node id, µs] pairs, idle ones left out. */
function busySamples(profile: CpuProfile, window?: Window): [number, number][] {
  const idle = new Set(profile.nodes.filter((node) => node.callFrame.functionName === '(idle)').map((node) => node.id));
  const samples: [number, number][] = [];
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (idle.has(id)) return;
    if (window && (at < window.fromUs || at > window.toUs)) return;
    samples.push([id, delta]);
  });
  return samples;
}

/** Busy time of the profile (or of a window of it) in ms. */
export function busyMs(profile: CpuProfile, window?: Window): number {
  return busySamples(profile, window).reduce((sum, [, us]) => sum + us, 0) / 1000;
}

/** Self time by function (name + file + line) over the whole profile. */
export function hotFunctions(profile: CpuProfile, top: number, window?: Window): HotFunction[] {
  const byNode = new Map<number, ProfileNode>(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  // Waiting for I/O is not work: shares are of the time the thread was busy.
  for (const [id, us] of busySamples(profile, window)) selfUs.set(id, (selfUs.get(id) ?? 0) + us);
  const total = [...selfUs.values()].reduce((sum, value) => sum + value, 0) || 1;
  const grouped = new Map<string, HotFunction>();
  for (const [id, us] of selfUs) {
    const frame = byNode.get(id)?.callFrame;
    if (!frame) continue;
    const name = frame.functionName || '(anonymous)';
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '(native)';
    const key = `${name}@${where}`;
    const entry = grouped.get(key) ?? { name, where, selfMs: 0, share: 0 };
    entry.selfMs += us / 1000;
    grouped.set(key, entry);
  }
  return [...grouped.values()]
    .map((entry) => ({ ...entry, share: (entry.selfMs * 1000) / total }))
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, top);
}

/** Self time grouped by package or source folder: where the CPU went, coarsely. */
export function hotModules(profile: CpuProfile, top: number, window?: Window): { module: string; share: number }[] {
  const byNode = new Map<number, ProfileNode>(profile.nodes.map((node) => [node.id, node]));
  const shares = new Map<string, number>();
  let total = 0;
  for (const [id, us] of busySamples(profile, window)) {
    const frame = byNode.get(id)?.callFrame;
    total += us;
    const short = frame ? shortUrl(frame.url) : '(native)';
    let module = short;
    if (short.startsWith('src/')) module = short.split('/').slice(0, 2).join('/');
    else if (short.startsWith('node:')) module = short.split('/')[0] ?? short;
    else if (short !== '(native)') module = short.startsWith('@') ? short.split('/').slice(0, 2).join('/') : (short.split('/')[0] ?? short);
    else module = frame?.functionName ? `(${frame.functionName.replace(/[()]/g, '')})` : '(native)';
    shares.set(module, (shares.get(module) ?? 0) + us);
  }
  return [...shares.entries()]
    .map(([module, us]) => ({ module, share: us / (total || 1) }))
    .sort((a, b) => b.share - a.share)
    .slice(0, top);
}

/**
 * Inclusive time of the project's own functions (src/, compiled in dist/): which step of a request the
 * time goes to, everything it calls included. Shares overlap (a caller includes its callees).
 */
export function inclusiveSourceFunctions(profile: CpuProfile, top: number, window?: Window): HotFunction[] {
  const byNode = new Map<number, ProfileNode>(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map<string, HotFunction>();
  let total = 0;
  for (const [id, us] of busySamples(profile, window)) {
    total += us;
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const frame = byNode.get(current)?.callFrame;
      if (!frame || !/\/dist\/|\/src\//.test(frame.url) || frame.url.includes('/node_modules/')) continue;
      const name = frame.functionName || '(anonymous)';
      const where = `${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
      const key = `${name}@${where}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = inclusive.get(key) ?? { name, where, selfMs: 0, share: 0 };
      entry.selfMs += us / 1000;
      inclusive.set(key, entry);
    }
  }
  return [...inclusive.values()]
    .map((entry) => ({ ...entry, share: (entry.selfMs * 1000) / (total || 1) }))
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, top);
}

/** The one profile `node --cpu-prof` wrote into `dir`. */
export async function readProfile(dir: string): Promise<CpuProfile> {
  const files = (await readdir(dir)).filter((name) => name.endsWith('.cpuprofile'));
  const [file] = files;
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  return JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
}
