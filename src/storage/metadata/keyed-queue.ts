/**
 * Serialises work per key: a promise chain for each key that has work pending. A failed piece of work rejects
 * its own caller only; the next piece for the key runs anyway.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run(key: string, work: () => Promise<void>): Promise<void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => {});
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

/** The queue key of one metadata document. */
export function documentId(pack: string, key: string): string {
  return `${pack}\0${key}`;
}
