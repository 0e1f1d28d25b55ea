// The PostgreSQL schema follows SQLite's step for step, and compares text as SQLite does.
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/db/migrations.js';
import { POSTGRES_MIGRATIONS } from '../../src/db/postgres-migrations.js';

describe('the PostgreSQL migrations', () => {
  it('have a twin for every SQLite migration, at the same position', () => {
    expect(POSTGRES_MIGRATIONS).toHaveLength(MIGRATIONS.length);
  });

  it('declare every text column COLLATE "C", so comparisons and order are byte-wise as on SQLite', () => {
    const textColumns = POSTGRES_MIGRATIONS.flatMap((migration) => migration.split('\n').filter((line) => /^\s*(ADD COLUMN\s+|ALTER TABLE \S+ ADD COLUMN\s+)?"?\w+"?\s+text\b/i.test(line)));
    expect(textColumns.length).toBeGreaterThan(30);
    expect(textColumns.filter((line) => !line.includes('text COLLATE "C"'))).toEqual([]);
  });
});
