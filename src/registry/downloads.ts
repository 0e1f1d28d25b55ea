// Download statistics without a write per download: each pull adds one to a counter in memory (a Map
// lookup by version id), and flush() writes every counter in one transaction — the server does it every
// few seconds and at shutdown. A crash loses at most the pulls since the last flush: statistics, not records.
import type { PackIndex, VersionRecord } from '../db/pack-index.js';

interface Pending {
  pack: string;
  normalizedVersion: string;
  count: number;
  lastMs: number;
}

export class DownloadCounter {
  private pending = new Map<number, Pending>();

  constructor(
    private readonly db: PackIndex,
    private readonly now: () => number = Date.now,
  ) {}

  /** One pull of `version`'s archive. Called on the download path: no I/O, no allocation after the first. */
  count(version: VersionRecord): void {
    const entry = this.pending.get(version.id);
    if (entry) {
      entry.count++;
      entry.lastMs = this.now();
      return;
    }
    this.pending.set(version.id, { pack: version.pack, normalizedVersion: version.normalizedVersion, count: 1, lastMs: this.now() });
  }

  /** Pulls counted and not yet written. */
  get unflushed(): number {
    let total = 0;
    for (const entry of this.pending.values()) total += entry.count;
    return total;
  }

  /**
   * Write the counted pulls, in one transaction, and start counting afresh. A version deleted meanwhile
   * gets no row back: its counts went with it.
   */
  async flush(): Promise<number> {
    if (this.pending.size === 0) return 0;
    const batch = this.pending;
    this.pending = new Map();
    return this.db.addDownloads(
      [...batch].map(([versionId, entry]) => ({
        versionId,
        pack: entry.pack,
        normalizedVersion: entry.normalizedVersion,
        count: entry.count,
        lastPulledAt: new Date(entry.lastMs).toISOString(),
      })),
    );
  }
}
