// SqliteIndex's transactions across awaits. One connection serves every request, so while a transaction waits
// (on storage, on anything), other requests run on that connection: they must neither see nor cache its rows
// before it commits, nor write into it, nor open another one. And when no transaction is open, a read costs
// what it did when the index was synchronous: it has run by the time it returns.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { IndexQueries } from '../../src/db/pack-index.js';
import { SqliteIndex } from '../../src/db/sqlite.js';
import { makeTempDir } from '../helpers/files.js';
import { newVersion, packRecord } from '../helpers/pack-index-conformance.js';

async function writeVersion(tx: IndexQueries, name: string, v: string): Promise<number> {
  const id = await tx.insertVersion(newVersion(name, v));
  await tx.setTag(name, v, id, 'version');
  await tx.upsertPack(packRecord(name, { id, version: v }));
  return id;
}

/** A promise the test settles when it chooses: the await a transaction is held at. */
function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Whether `promise` has settled once everything already queued has run. */
async function hasSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

const opened: SqliteIndex[] = [];
afterEach(async () => {
  for (const index of opened.splice(0)) await index.close();
});

async function openIndex(): Promise<SqliteIndex> {
  const index = new SqliteIndex(join(await makeTempDir(), 'index.db'));
  opened.push(index);
  return index;
}

describe('SqliteIndex transactions', () => {
  it('answers a read outside a transaction at once: the promise it returns is already resolved', async () => {
    const index = await openIndex();
    await index.transaction('nginx', (tx) => writeVersion(tx, 'nginx', '1.0.0'));
    let answer: string | undefined;
    void index.versionByTag('nginx', '1.0.0').then((record) => (answer = record?.version));
    await Promise.resolve();
    expect(answer).toBe('1.0.0');
  });

  it('lets a read started while a transaction is open wait for its commit, then see (and keep) the committed state', async () => {
    const index = await openIndex();
    const one = await index.transaction('nginx', (tx) => writeVersion(tx, 'nginx', '1.0.0'));
    expect(await index.versionByTag('nginx', 'stable')).toBeUndefined();
    const held = gate();
    const committed = index.transaction('nginx', async (tx) => {
      await tx.setTag('nginx', 'stable', one, 'user');
      // Read (and cached) inside the transaction: the uncommitted row.
      expect((await tx.versionByTag('nginx', 'stable'))?.id).toBe(one);
      await held.promise;
    });
    await new Promise((resolve) => setImmediate(resolve));
    const during = index.versionByTag('nginx', 'stable');
    const catalog = index.catalogPage('', 10);
    expect(await hasSettled(during)).toBe(false);
    expect(await hasSettled(catalog)).toBe(false);
    held.open();
    await committed;
    expect((await during)?.id).toBe(one);
    expect(await catalog).toEqual(['nginx']);
    expect((await index.versionByTag('nginx', 'stable'))?.id).toBe(one);
  });

  it('leaves nothing of a rolled-back transaction to a read that waited for it, nor in the cache', async () => {
    const index = await openIndex();
    await index.transaction('nginx', (tx) => writeVersion(tx, 'nginx', '1.0.0'));
    expect(await index.catalogPage('', 10)).toEqual(['nginx']);
    const held = gate();
    const refused = index.transaction('apache', async (tx) => {
      await writeVersion(tx, 'apache', '2.4.0');
      expect(await tx.catalogPage('', 10)).toEqual(['apache', 'nginx']);
      expect((await tx.versionByTag('apache', '2.4.0'))?.version).toBe('2.4.0');
      await held.promise;
      throw new Error('refused after the reads');
    });
    await new Promise((resolve) => setImmediate(resolve));
    const during = index.versionByTag('apache', '2.4.0');
    const catalog = index.catalogPage('', 10);
    held.open();
    await expect(refused).rejects.toThrow('refused after the reads');
    expect(await during).toBeUndefined();
    expect(await catalog).toEqual(['nginx']);
    expect(await index.versionByTag('apache', '2.4.0')).toBeUndefined();
    expect(await index.pack('apache')).toBeUndefined();
  });

  it('keeps a write made beside an open transaction out of it: it waits, and stays when the transaction rolls back', async () => {
    const index = await openIndex();
    const one = await index.transaction('nginx', (tx) => writeVersion(tx, 'nginx', '1.0.0'));
    const held = gate();
    const refused = index.transaction('nginx', async (tx) => {
      await tx.setTag('nginx', 'stable', one, 'user');
      await held.promise;
      throw new Error('rolled back');
    });
    await new Promise((resolve) => setImmediate(resolve));
    const beside = index.setTag('nginx', 'prod', one, 'user');
    expect(await hasSettled(beside)).toBe(false);
    held.open();
    await expect(refused).rejects.toThrow('rolled back');
    await beside;
    expect((await index.tagsOfPack('nginx')).map((tag) => tag.tag)).toEqual(['1.0.0', 'prod']);
  });

  it('runs transactions asked for together one after the other, in order, each seeing the one before', async () => {
    const index = await openIndex();
    const order: string[] = [];
    const held = gate();
    const first = index.transaction('alpha', async (tx) => {
      order.push('first begins');
      await writeVersion(tx, 'alpha', '1.0.0');
      await held.promise;
      order.push('first ends');
    });
    const second = index.transaction('beta', async (tx) => {
      order.push('second begins');
      expect(await tx.catalogPage('', 10)).toEqual(['alpha']);
      await writeVersion(tx, 'beta', '1.0.0');
    });
    await new Promise((resolve) => setImmediate(resolve));
    held.open();
    await Promise.all([first, second]);
    expect(order).toEqual(['first begins', 'first ends', 'second begins']);
    expect(await index.catalogPage('', 10)).toEqual(['alpha', 'beta']);
  });

  it('runs the reads that waited for a transaction before the next transaction begins', async () => {
    const index = await openIndex();
    const held = gate();
    const first = index.transaction('alpha', async (tx) => {
      await writeVersion(tx, 'alpha', '1.0.0');
      await held.promise;
    });
    const second = index.transaction('beta', (tx) => writeVersion(tx, 'beta', '1.0.0'));
    await new Promise((resolve) => setImmediate(resolve));
    const between = index.catalogPage('', 10);
    held.open();
    await Promise.all([first, second]);
    expect(await between).toEqual(['alpha']);
  });

  it('lets a transaction asked for during snapshots begin once they end, however many snapshots come after it', async () => {
    const index = await openIndex();
    const held = gate();
    const order: string[] = [];
    const first = index.snapshot(async (reads) => {
      await held.promise;
      order.push(`first snapshot read ${(await reads.catalogPage('', 10)).length}`);
    });
    await new Promise((resolve) => setImmediate(resolve));
    const push = index.transaction('alpha', async (tx) => {
      order.push('transaction begins');
      await writeVersion(tx, 'alpha', '1.0.0');
    });
    // Asked for after the transaction: waits for it, rather than keep it waiting.
    const later = index.snapshot(async (reads) => order.push(`later snapshot read ${(await reads.catalogPage('', 10)).length}`));
    // Reads outside a snapshot are not held back by one.
    expect(await hasSettled(index.catalogPage('', 10))).toBe(true);
    expect(await hasSettled(push)).toBe(false);
    held.open();
    await Promise.all([first, push, later]);
    expect(order).toEqual(['first snapshot read 0', 'transaction begins', 'later snapshot read 1']);
  });

  it('refuses the queries of a transaction that has ended', async () => {
    const index = await openIndex();
    let kept: IndexQueries | undefined;
    await index.transaction('nginx', async (tx) => {
      kept = tx;
      await writeVersion(tx, 'nginx', '1.0.0');
    });
    await expect(kept!.setTag('nginx', 'late', 1, 'user')).rejects.toThrow('has ended');
    expect((await index.tagsOfPack('nginx')).map((tag) => tag.tag)).toEqual(['1.0.0']);
  });
});
