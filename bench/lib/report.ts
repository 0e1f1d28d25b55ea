// Markdown output: one table per section and a summary with targets, written to bench/results/<date>.md.
import { existsSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fmt } from './stats.js';

export function table(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export interface Section {
  title: string;
  body: string[];
}

export class Report {
  readonly sections: Section[] = [];
  readonly summary: string[][] = [];
  readonly notes: string[] = [];

  section(title: string, ...body: string[]): void {
    this.sections.push({ title, body });
    process.stdout.write(`\n## ${title}\n\n${body.join('\n\n')}\n`);
  }

  /** One summary row: what, ours, compared with what, ratio, target, met. */
  target(row: { metric: string; ours: string; other: string; ratio: string; target: string; met: boolean | undefined }): void {
    this.summary.push([row.metric, row.ours, row.other, row.ratio, row.target, row.met === undefined ? 'n/a' : row.met ? '**met**' : '**not met**']);
  }

  note(text: string): void {
    this.notes.push(text);
    process.stderr.write(`note: ${text}\n`);
  }

  render(header: string[]): string {
    const parts = [...header, ''];
    parts.push('## Summary', '', table(['metric', 'pack-registry', 'compared with', 'ratio', 'target', 'met'], this.summary), '');
    if (this.notes.length > 0) parts.push('Notes:', '', ...this.notes.map((note) => `- ${note}`), '');
    for (const section of this.sections) parts.push(`## ${section.title}`, '', ...section.body.flatMap((block) => [block, '']));
    return `${parts.join('\n').trimEnd()}\n`;
  }
}

export function machineLine(): string {
  const cpu = cpus();
  const [one, five] = loadavg();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${fmt(totalmem() / 1024 ** 3)} GiB, Node ${process.version}, load average ${fmt(one)} / ${fmt(five)} (1 / 5 min)`;
}

/** bench/results/<YYYY-MM-DD>.md, or -2, -3, … when that day already has a run. */
export function resultsPath(dir: string, date: Date): string {
  const day = date.toISOString().slice(0, 10);
  let path = join(dir, `${day}.md`);
  for (let index = 2; existsSync(path); index++) path = join(dir, `${day}-${index}.md`);
  return path;
}
