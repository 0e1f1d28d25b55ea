// `index`: SQLite by default, or a PostgreSQL database several replicas share, from the file or REGISTRY_INDEX_*.
import { describe, expect, it } from 'vitest';
import { load, loadError, writeConfigFile } from './support.js';

const DSN = 'postgres://registry:s3cr3t@db.internal:5432/registry';

describe('index', () => {
  it('is SQLite unless told otherwise', () => {
    expect(load().config.index).toEqual({ driver: 'sqlite' });
    expect(load({ file: writeConfigFile('index:\n  driver: sqlite\n') }).config.index).toEqual({ driver: 'sqlite' });
  });

  it('reads the postgres driver, its dsn and pool size from the file; the pool size defaults to 10', () => {
    const file = writeConfigFile(`index:\n  driver: postgres\n  postgres:\n    dsn: ${DSN}\n    poolsize: 4\n`);
    expect(load({ file }).config.index).toEqual({ driver: 'postgres', postgres: { dsn: DSN, poolSize: 4 } });
    const defaults = writeConfigFile(`index:\n  driver: postgres\n  postgres:\n    dsn: ${DSN}\n`);
    expect(load({ file: defaults }).config.index).toEqual({ driver: 'postgres', postgres: { dsn: DSN, poolSize: 10 } });
  });

  it('reads REGISTRY_INDEX_DRIVER, REGISTRY_INDEX_POSTGRES_DSN and REGISTRY_INDEX_POSTGRES_POOLSIZE, over the file', () => {
    const file = writeConfigFile('index:\n  driver: sqlite\n');
    const env = { REGISTRY_INDEX_DRIVER: 'postgres', REGISTRY_INDEX_POSTGRES_DSN: DSN, REGISTRY_INDEX_POSTGRES_POOLSIZE: '25' };
    expect(load({ file, env }).config.index).toEqual({ driver: 'postgres', postgres: { dsn: DSN, poolSize: 25 } });
    expect(load({ env: { REGISTRY_INDEX_DRIVER: 'postgres', REGISTRY_INDEX_POSTGRES_DSN: 'postgresql://db/registry' } }).config.index).toEqual({
      driver: 'postgres',
      postgres: { dsn: 'postgresql://db/registry', poolSize: 10 },
    });
  });

  it('refuses a postgres driver without a dsn, naming the missing key', () => {
    const error = loadError({ env: { REGISTRY_INDEX_DRIVER: 'postgres' } });
    expect(error.problems).toEqual([{ key: 'index.postgres.dsn', message: 'required with index.driver: postgres' }]);
  });

  it('refuses postgres settings under the sqlite driver: replicas must not each keep an index of their own', () => {
    const error = loadError({ env: { REGISTRY_INDEX_POSTGRES_DSN: DSN } });
    expect(error.problems.map((problem) => problem.key)).toEqual(['index.postgres']);
    expect(error.message).toContain('REGISTRY_INDEX_DRIVER=postgres');
  });

  it('refuses an unknown driver, a dsn that is not a postgres URL (without repeating it) and a pool of none', () => {
    expect(loadError({ env: { REGISTRY_INDEX_DRIVER: 'mysql' } }).problems.map((problem) => problem.key)).toEqual(['index.driver']);
    const error = loadError({
      env: { REGISTRY_INDEX_DRIVER: 'postgres', REGISTRY_INDEX_POSTGRES_DSN: 'mysql://root:hunter2@db/registry', REGISTRY_INDEX_POSTGRES_POOLSIZE: '0' },
    });
    expect(error.problems.map((problem) => problem.key).sort()).toEqual(['index.postgres.dsn', 'index.postgres.poolsize']);
    expect(error.message).not.toContain('hunter2');
  });
});
