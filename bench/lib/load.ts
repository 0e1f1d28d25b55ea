// Load generation. wrk (C, OpenSSL; Debian's package, installed on demand) is the client: autocannon, a
// JavaScript client, tops out near 600 req/s on 50 KB bodies over TLS on this 2-core machine — it would
// measure itself, not the servers (nginx answers 10k+ req/s to wrk here). autocannon remains as a fallback
// when wrk cannot be installed, and the report then says its figures are the client's ceiling.
//
// Every configuration runs a short warm-up (connections opened, credentials verified once, caches filled),
// then `rounds` measured runs; each figure is the median over the rounds.
import autocannon from 'autocannon';
import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDebianPackage } from './apt.js';
import { processTreeCpuMs } from './cpu.js';
import { runCommand } from './proc.js';
import { median } from './stats.js';

export interface LoadSettings {
  durationSec: number;
  warmupSec: number;
  rounds: number;
}

export interface LoadFigures {
  reqPerSec: number;
  /** Latency percentiles in milliseconds. */
  p50: number;
  p99: number;
  mbPerSec: number;
  requests: number;
  /** Connection errors and timeouts, and answers that were not 2xx, over all rounds: must be 0. */
  errors: number;
  non2xx: number;
  /** Server CPU time (user + system, all its processes) per answered request, over the measured rounds. */
  cpuMsPerRequest?: number;
  /** The same for the database server behind it (LoadSpec.databasePid), when there is one. */
  databaseCpuMsPerRequest?: number;
  /** When no request completed during the runs: the time of one request sent alone. */
  singleRequestMs?: number;
}

export interface LoadSpec {
  url: string;
  headers?: Record<string, string>;
  connections: number;
  /** The server's process, to charge its CPU time to the requests. */
  pid?: number;
  /** A database server the requests also cost (PostgreSQL's postmaster, whose backends are its children). */
  databasePid?: number;
}

interface Round {
  requests: number;
  seconds: number;
  bytes: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

const WRK = '/usr/bin/wrk';
export type LoadClient = 'wrk' | 'autocannon';
let client: LoadClient | undefined;
let clientNote = '';

/** Which client runs the load: wrk when it is (or can be made) available. */
export async function chooseLoadClient(): Promise<{ client: LoadClient; note: string }> {
  if (!client) {
    try {
      await ensureDebianPackage('wrk', WRK);
      client = 'wrk';
    } catch (error) {
      client = 'autocannon';
      clientNote =
        `wrk is not available (${(error as Error).message}); the load ran with autocannon, whose own ceiling here is ` +
        'about 600 req/s for 50 KB answers: download figures above that are the client, not the server';
    }
  }
  return { client, note: clientNote };
}

// wrk reports through a Lua `done` hook: exact counts and latency percentiles (µs) as one JSON line.
const WRK_SCRIPT = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors":%d,"non2xx":%d,"p50_us":%d,"p99_us":%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
`;
let scriptPath: string | undefined;

async function wrkRound(spec: LoadSpec, seconds: number): Promise<Round> {
  if (!scriptPath) {
    const path = join(tmpdir(), `pack-registry-bench-wrk-${process.pid}.lua`);
    process.once('exit', () => rmSync(path, { force: true }));
    scriptPath = path;
  }
  await writeFile(scriptPath, WRK_SCRIPT);
  // Two client threads at most: the machine has two cores, and one thread per connection is the most wrk uses.
  const threads = Math.min(2, spec.connections);
  const args = ['-t', String(threads), '-c', String(spec.connections), '-d', `${seconds}s`, '--timeout', '60s', '-s', scriptPath];
  for (const [name, value] of Object.entries(spec.headers ?? {})) args.push('-H', `${name}: ${value}`);
  args.push(spec.url);
  const result = await runCommand(WRK, args, { timeoutMs: (seconds + 120) * 1000 });
  const line = /BENCH_JSON (\{.*\})/.exec(result.stdout)?.[1];
  if (result.code !== 0 || !line) throw new Error(`wrk failed (${result.code}): ${result.stderr}${result.stdout}`);
  const parsed = JSON.parse(line) as { requests: number; duration_us: number; bytes: number; errors: number; non2xx: number; p50_us: number; p99_us: number };
  return {
    requests: parsed.requests,
    seconds: parsed.duration_us / 1e6,
    bytes: parsed.bytes,
    p50: parsed.p50_us / 1000,
    p99: parsed.p99_us / 1000,
    errors: parsed.errors,
    non2xx: parsed.non2xx,
  };
}

async function autocannonRound(spec: LoadSpec, seconds: number): Promise<Round> {
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    pipelining: 1,
    duration: seconds,
    headers: spec.headers ?? {},
    // A 50 MB answer at c=4 on a busy machine can take seconds; only a hung request should count as an error.
    timeout: 60,
  });
  return {
    requests: result.requests.total,
    seconds: result.duration,
    bytes: result.throughput.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

export async function measureLoad(spec: LoadSpec, settings: LoadSettings): Promise<LoadFigures> {
  const { client: chosen } = await chooseLoadClient();
  const round = chosen === 'wrk' ? wrkRound : autocannonRound;
  // wrk takes whole seconds.
  const seconds = (value: number) => (chosen === 'wrk' ? Math.max(1, Math.round(value)) : value);
  if (settings.warmupSec > 0) await round(spec, seconds(settings.warmupSec));
  const rounds: Round[] = [];
  const cpuSince = (pid: number | undefined) => {
    const before = pid === undefined ? undefined : processTreeCpuMs(pid);
    return () => (pid === undefined || before === undefined ? undefined : processTreeCpuMs(pid) - before);
  };
  const serverCpu = cpuSince(spec.pid);
  const databaseCpu = cpuSince(spec.databasePid);
  for (let index = 0; index < settings.rounds; index++) rounds.push(await round(spec, seconds(settings.durationSec)));
  const requests = rounds.reduce((sum, r) => sum + r.requests, 0);
  const perRequest = (cpuMs: number | undefined) => (cpuMs === undefined || requests === 0 ? undefined : cpuMs / requests);
  return {
    cpuMsPerRequest: perRequest(serverCpu()),
    databaseCpuMsPerRequest: perRequest(databaseCpu()),
    reqPerSec: median(rounds.map((r) => r.requests / r.seconds)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    mbPerSec: median(rounds.map((r) => r.bytes / r.seconds / (1024 * 1024))),
    requests,
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    non2xx: rounds.reduce((sum, r) => sum + r.non2xx, 0),
  };
}

/** A one-line note when a load run saw failures, so a fast figure built on errors is never quoted. */
export function loadProblems(figures: LoadFigures): string | undefined {
  if (figures.errors === 0 && figures.non2xx === 0) return undefined;
  return `${figures.errors} connection errors, ${figures.non2xx} non-2xx answers`;
}
