// Small numeric helpers. Medians everywhere: on a shared 2-core machine one disturbed run must not move
// a figure the way a mean would.

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function max(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.max(...values);
}

/** Milliseconds since an arbitrary origin, with sub-millisecond precision. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = nowMs();
  const value = await work();
  return { ms: nowMs() - start, value };
}

export const KB = 1024;
export const MB = 1024 * 1024;

/** A figure with about three significant digits: 12 345, 1 234, 123, 12.3, 1.23. */
export function fmt(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function fmtMs(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '–' : `${fmt(value)} ms`;
}

export function fmtBytes(bytes: number): string {
  if (bytes >= MB) return `${fmt(bytes / MB)} MB`;
  if (bytes >= KB) return `${fmt(bytes / KB)} KB`;
  return `${bytes} B`;
}

/** `ours / peer` as a multiplier, e.g. `12.3×`. */
export function fmtRatio(ours: number | undefined, peer: number | undefined): string {
  if (ours === undefined || peer === undefined || !Number.isFinite(ours) || !Number.isFinite(peer) || peer === 0) return '–';
  return `${fmt(ours / peer)}×`;
}

export function ratio(ours: number | undefined, peer: number | undefined): number | undefined {
  if (ours === undefined || peer === undefined || !Number.isFinite(ours) || !Number.isFinite(peer) || peer === 0) return undefined;
  return ours / peer;
}
