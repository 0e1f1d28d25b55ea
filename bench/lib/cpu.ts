// CPU time a server spent, read from /proc: utime + stime of the process and of every descendant (nginx's
// workers). On a shared 2-core machine, wall-clock throughput moves with whatever else runs; CPU time per
// request moves much less, so it is reported beside req/s.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface ProcStat {
  pid: number;
  ppid: number;
  ticks: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: split after its closing one.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // After the name: state(3) ppid(4) … utime(14) stime(15), i.e. indexes 1, 11 and 12 here.
    return { pid, ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

/** CPU milliseconds used so far by `pid` and its descendants (those alive now). */
export function processTreeCpuMs(pid: number): number {
  const stats: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) stats.push(stat);
  }
  const children = new Map<number, ProcStat[]>();
  for (const stat of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
  let ticks = 0;
  const root = stats.find((stat) => stat.pid === pid);
  const queue = root ? [root] : [];
  while (queue.length > 0) {
    const stat = queue.pop() as ProcStat;
    ticks += stat.ticks;
    queue.push(...(children.get(stat.pid) ?? []));
  }
  return (ticks * 1000) / clockTicks();
}
