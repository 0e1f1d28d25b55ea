/**
 * Answers to the index's read queries, kept until the next write. A registry is read far more often than it is
 * written (clients download the same tags and list the same pages again and again as they sync), and the
 * index changes only through this process's own SqliteIndex (the storage lock keeps every other writer out), so
 * "forget everything on any write" is both correct and cheap. ChartMuseum serves its index the same way.
 *
 * Bounded: past `capacity` answers the oldest one is forgotten first.
 */
export class ReadCache {
  private readonly answers = new Map<string, unknown>();

  constructor(private readonly capacity: number) {}

  /** The remembered answer for `key`, or `read()`'s, remembered — `undefined` (not found) included. */
  get<T>(key: string, read: () => T): T {
    if (this.answers.has(key)) return this.answers.get(key) as T;
    const answer = read();
    if (this.capacity > 0) {
      if (this.answers.size >= this.capacity) this.answers.delete(this.answers.keys().next().value as string);
      this.answers.set(key, answer);
    }
    return answer;
  }

  clear(): void {
    this.answers.clear();
  }

  get size(): number {
    return this.answers.size;
  }
}
