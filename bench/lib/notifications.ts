// Push latency with webhooks configured: three endpoints — one answering at once, one answering after
// 200 ms, one that never answers (hung) — against the same server without endpoints, in the same run. The
// push path only writes outbox rows in its transaction; this row shows that the receivers cost it nothing.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { ServerEntry } from './build.js';
import { processTreeCpuMs } from './cpu.js';
import type { Certificate, HtpasswdFile } from './credentials.js';
import { startOurs } from './ours.js';
import type { BenchPack } from './packs.js';
import { table, type Report } from './report.js';
import { measurePushes, type PushFigures } from './scenarios.js';
import { fmt, fmtMs, fmtRatio, ratio } from './stats.js';

interface Receiver {
  url: string;
  requests: number;
  close(): Promise<void>;
}

async function startReceiver(answer: 'now' | 'slow' | 'hang'): Promise<Receiver> {
  const receiver = { requests: 0 } as Receiver;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      receiver.requests++;
      if (answer === 'now') res.writeHead(204).end();
      if (answer === 'slow') setTimeout(() => res.writeHead(204).end(), 200);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return receiver;
}

/** A push series' figures and the server's CPU time per push over it (deliveries running meanwhile included). */
type Measured = PushFigures & { cpuMsPerPush: number };

export interface NotificationFigures {
  sizes: { label: string; without: Measured; with: Measured }[];
  delivered: { now: number; slow: number; hung: number };
}

export async function measureNotificationPushes(options: {
  entry: ServerEntry;
  scratch: string;
  htpasswd: HtpasswdFile;
  certificate: Certificate;
  env: Record<string, string>;
  series: { label: string; packs: BenchPack[] }[];
}): Promise<NotificationFigures> {
  const receivers = { now: await startReceiver('now'), slow: await startReceiver('slow'), hung: await startReceiver('hang') };
  try {
    const endpoints = JSON.stringify([
      { name: 'now', url: receivers.now.url },
      { name: 'slow', url: receivers.slow.url },
      { name: 'hung', url: receivers.hung.url, timeout: '60s' },
    ]);
    const run = async (name: string, env: Record<string, string>) => {
      const target = await startOurs({
        entry: options.entry,
        storageDir: join(options.scratch, 'storage', name),
        htpasswd: options.htpasswd,
        certificate: options.certificate,
        env: { ...options.env, ...env },
        label: name,
      });
      try {
        const figures = new Map<string, Measured>();
        for (const size of options.series) {
          const cpuBefore = processTreeCpuMs(target.pid);
          const pushes = await measurePushes(target, size.packs);
          figures.set(size.label, { ...pushes, cpuMsPerPush: (processTreeCpuMs(target.pid) - cpuBefore) / size.packs.length });
        }
        return figures;
      } finally {
        await target.stop();
      }
    };
    const without = await run('notifications-none', {});
    const withEndpoints = await run('notifications-three', { REGISTRY_NOTIFICATIONS_ENDPOINTS: endpoints });
    return {
      sizes: options.series.map((size) => ({ label: size.label, without: without.get(size.label) as Measured, with: withEndpoints.get(size.label) as Measured })),
      delivered: { now: receivers.now.requests, slow: receivers.slow.requests, hung: receivers.hung.requests },
    };
  } finally {
    for (const receiver of Object.values(receivers)) await receiver.close();
  }
}

export function renderNotifications(report: Report, figures: NotificationFigures): void {
  const rows = figures.sizes.map((size) => [
    size.label,
    String(size.with.runs),
    `${fmtMs(size.without.medianMs)} (${fmt(size.without.minMs)}–${fmt(size.without.maxMs)})`,
    `${fmtMs(size.with.medianMs)} (${fmt(size.with.minMs)}–${fmt(size.with.maxMs)})`,
    fmtRatio(size.with.medianMs, size.without.medianMs),
    `${fmt(size.without.cpuMsPerPush)} ms → ${fmt(size.with.cpuMsPerPush)} ms`,
  ]);
  report.section(
    'Notifications',
    'Wall time of one push, median (min–max), on a server without webhook endpoints and on one with three: one receiver ' +
      'answering at once, one after 200 ms, one that never answers (timeout 60 s, so it stays hung for the whole run). ' +
      'Same run, one server at a time. Deliveries are decoupled from the push (an outbox row per endpoint in the push\'s transaction).',
    table(['pack', 'pushes', 'no endpoints', '3 endpoints (1 hung)', 'with / without', 'server CPU per push (deliveries included)'], rows),
    `Requests the receivers got during the run: at once ${figures.delivered.now}, slow ${figures.delivered.slow}, hung ${figures.delivered.hung} ` +
      '(the hung one holds its first delivery; later ones wait behind it, by design: one in flight per endpoint, in order).',
  );
  const first = figures.sizes[0];
  if (first) {
    const value = ratio(first.with.medianMs, first.without.medianMs);
    report.target({
      metric: `push ${first.label} with 3 webhook endpoints (1 hung)`,
      ours: fmtMs(first.with.medianMs),
      other: `no endpoints ${fmtMs(first.without.medianMs)}`,
      ratio: fmtRatio(first.with.medianMs, first.without.medianMs),
      target: '≤ 1.1× (a hung receiver never slows a push)',
      met: value === undefined ? undefined : value <= 1.1,
    });
  }
}
