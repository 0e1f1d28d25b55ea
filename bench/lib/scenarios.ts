// The work a registry spends its life on, expressed once and run against every target alike.
import { send, expectStatus } from './http.js';
import { measureLoad, type LoadFigures, type LoadSettings } from './load.js';
import type { BenchPack } from './packs.js';
import { currentRss, watchRss } from './rss.js';
import { max, median, timed } from './stats.js';
import type { Target } from './target.js';

export interface PushFigures {
  archiveBytes: number;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Largest RSS of the server process seen during any of the pushes, in bytes. */
  peakRss: number;
  /** RSS just before the first push, to tell growth from baseline. */
  idleRss: number;
}

/**
 * Push each pack once, in order, timing each push alone (client start to the registry's answer) while the
 * server's RSS is watched. One authenticated request first, so a credential cache is warm as it would be in
 * a client's session.
 */
export async function measurePushes(target: Target, packs: BenchPack[]): Promise<PushFigures> {
  if (!target.push) throw new Error(`${target.label} cannot push`);
  await send(target.endpoint, { path: target.probePath, headers: target.authorization ? { authorization: target.authorization } : {} });
  const idleRss = currentRss(target.pid) ?? 0;
  const times: number[] = [];
  const peaks: number[] = [];
  for (const pack of packs) {
    await target.prepare?.(pack);
    const watch = watchRss(target.pid);
    const push = target.push.bind(target);
    const { ms } = await timed(() => push(pack));
    peaks.push(watch.stop());
    times.push(ms);
  }
  return {
    archiveBytes: median(packs.map((pack) => pack.size)),
    runs: packs.length,
    medianMs: median(times),
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
    peakRss: max(peaks),
    idleRss,
  };
}

/** Push without timing (setting up what downloads need). */
export async function pushUntimed(target: Target, pack: BenchPack): Promise<void> {
  if (!target.push) throw new Error(`${target.label} cannot push`);
  await target.prepare?.(pack);
  await target.push(pack);
}

/** Check once that the path answers 200 with exactly the pack's bytes before putting load on it. */
export async function checkDownload(target: Target, pack: BenchPack): Promise<void> {
  const response = expectStatus(
    await send(target.endpoint, {
      path: target.downloadPath(pack),
      headers: target.authorization ? { authorization: target.authorization } : {},
    }),
    200,
    `${target.label}: GET ${target.downloadPath(pack)}`,
  );
  if (response.body.length !== pack.size) {
    throw new Error(`${target.label}: GET ${target.downloadPath(pack)} returned ${response.body.length} bytes, expected ${pack.size}`);
  }
}

export async function loadPath(
  target: Target,
  path: string,
  connections: number,
  settings: LoadSettings,
  extraHeaders: Record<string, string> = {},
): Promise<LoadFigures> {
  const figures = await measureLoad(
    {
      url: `${target.endpoint.origin}${path}`,
      headers: { ...(target.authorization ? { authorization: target.authorization } : {}), ...extraHeaders },
      connections,
      pid: target.pid,
    },
    settings,
  );
  if (figures.requests === 0) {
    // Slower than the run itself (Distribution's catalog deep in 10k repositories): time one request alone.
    const { ms } = await timed(() =>
      send(target.endpoint, { path, headers: target.authorization ? { authorization: target.authorization } : {}, timeoutMs: 300_000 }),
    );
    figures.singleRequestMs = ms;
  }
  return figures;
}

/** Downloads of one pack at each concurrency; keyed by concurrency. */
export async function measureDownloads(
  target: Target,
  pack: BenchPack,
  concurrencies: number[],
  settings: LoadSettings,
): Promise<Map<number, LoadFigures>> {
  await checkDownload(target, pack);
  const results = new Map<number, LoadFigures>();
  for (const connections of concurrencies) results.set(connections, await loadPath(target, target.downloadPath(pack), connections, settings));
  return results;
}
