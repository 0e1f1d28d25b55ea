import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTokenLifetime, TokenStore } from '../../src/auth/tokens.js';
import { makeTempDir } from '../helpers/files.js';

async function storeIn(dir: string, now?: () => number) {
  return TokenStore.open({ tokens: join(dir, 'tokens.json'), key: join(dir, 'tokens.key') }, { reloadCheckMs: 0, ...(now ? { now } : {}) });
}

describe('TokenStore', () => {
  it('writes nothing until the first token, then keeps only a keyed hash in 0600 files', async () => {
    const dir = await makeTempDir();
    const store = await storeIn(dir);
    await expect(stat(join(dir, 'tokens.key'))).rejects.toThrow();
    const { token } = await store.create({ name: 'ci', scope: 'push' });
    expect(Buffer.from(token.slice(4), 'base64url')).toHaveLength(32);
    const file = await readFile(join(dir, 'tokens.json'), 'utf8');
    expect(file).not.toContain(token);
    expect(file).not.toContain(token.slice(4));
    expect(JSON.parse(file).tokens[0].hash).toMatch(/^[0-9a-f]{64}$/);
    for (const name of ['tokens.json', 'tokens.key']) expect((await stat(join(dir, name))).mode & 0o777).toBe(0o600);
    expect(store.check(token)).toEqual({ kind: 'valid', name: 'ci', scope: 'push' });
    expect(store.check(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).toEqual({ kind: 'unknown' });
    await store.close();
  });

  it('sees tokens another process creates and revokes (the CLI beside a server)', async () => {
    const dir = await makeTempDir();
    const server = await storeIn(dir);
    const cli = await storeIn(dir);
    const { token } = await cli.create({ name: 'from-cli', scope: 'read' });
    expect(server.check(token).kind).toBe('valid');
    await (await storeIn(dir)).revoke('from-cli');
    expect(server.check(token)).toEqual({ kind: 'revoked', name: 'from-cli' });
  });

  it('finds a token made a moment ago by another process at once when asked for a fresh check', async () => {
    const dir = await makeTempDir();
    const paths = { tokens: join(dir, 'tokens.json'), key: join(dir, 'tokens.key') };
    const server = await TokenStore.open(paths, { reloadCheckMs: 60_000 });
    expect(server.check(`prt_${'A'.repeat(43)}`)).toEqual({ kind: 'unknown' });
    const { token } = await (await storeIn(dir)).create({ name: 'just-made', scope: 'read' });
    // The file is looked at only once a minute here: the plain check has not seen the token yet.
    expect(server.check(token)).toEqual({ kind: 'unknown' });
    expect(await server.checkFresh(token)).toEqual({ kind: 'valid', name: 'just-made', scope: 'read' });
    expect(await server.checkFresh('not-a-token')).toEqual({ kind: 'unknown' });
  });

  it('answers an expired token by a clock, and keeps "last used" across a close', async () => {
    const dir = await makeTempDir();
    let now = Date.parse('2026-01-01T00:00:00Z');
    const store = await storeIn(dir, () => now);
    const { token } = await store.create({ name: 'brief', scope: 'read', expires: '2h' });
    now += 3_600_000;
    expect(store.check(token).kind).toBe('valid');
    await store.close();
    expect((await (await storeIn(dir)).list())[0]).toMatchObject({ name: 'brief', lastUsed: '2026-01-01T01:00:00.000Z', expires: '2026-01-01T02:00:00.000Z' });
    now += 3_600_000;
    expect(store.check(token)).toEqual({ kind: 'expired', name: 'brief' });
  });

  it('reads lifetimes as a whole number and a unit', () => {
    expect(parseTokenLifetime('90d')).toBe(90 * 86_400_000);
    expect(parseTokenLifetime('2w')).toBe(14 * 86_400_000);
    expect(parseTokenLifetime('10s')).toBe(10_000);
    for (const text of ['0d', '1.5h', 'soon', '', '90']) expect(parseTokenLifetime(text)).toBeUndefined();
  });
});
