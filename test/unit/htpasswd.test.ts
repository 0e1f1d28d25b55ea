import bcrypt from 'bcrypt';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Htpasswd, parseHtpasswd, setHtpasswdUser } from '../../src/auth/htpasswd.js';
import { makeTempDir, writeHtpasswd } from '../helpers/files.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('htpasswd file', () => {
  it('reads bcrypt entries written as $2y$, $2a$ and $2b$ and skips comments and other hash kinds', async () => {
    const hash = await bcrypt.hash('pw', 4);
    const users = parseHtpasswd(
      [`# users`, `a:${hash.replace('$2b$', '$2y$')}`, `b:${hash.replace('$2b$', '$2a$')}`, `c:${hash}`, 'd:$apr1$abc$def', 'broken', ''].join('\n'),
    );
    expect([...users.keys()]).toEqual(['a', 'b', 'c']);
    const dir = await makeTempDir();
    await writeHtpasswd(join(dir, 'htpasswd'), [{ user: 'a', password: 'pw' }]);
    const file = new Htpasswd(join(dir, 'htpasswd'));
    expect(await file.verify('a', 'pw')).toBe(true);
    expect(await file.verify('a', 'PW')).toBe(false);
    expect(await file.verify('zz', 'pw')).toBe(false);
  });

  it('verifies a credential with bcrypt once, then from the cache, and shares one run among parallel requests', async () => {
    const dir = await makeTempDir();
    await writeHtpasswd(join(dir, 'htpasswd'), [{ user: 'a', password: 'pw' }]);
    const file = new Htpasswd(join(dir, 'htpasswd'));
    const compare = vi.spyOn(bcrypt, 'compare');
    const results = await Promise.all(Array.from({ length: 10 }, () => file.verify('a', 'pw')));
    expect(results.every(Boolean)).toBe(true);
    expect(await file.verify('a', 'pw')).toBe(true);
    expect(compare).toHaveBeenCalledTimes(1);
  });

  it('does not cache failures, and keys its cache without the password', async () => {
    const dir = await makeTempDir();
    await writeHtpasswd(join(dir, 'htpasswd'), [{ user: 'a', password: 'secret-password' }]);
    const file = new Htpasswd(join(dir, 'htpasswd'));
    const compare = vi.spyOn(bcrypt, 'compare');
    await file.verify('a', 'nope');
    await file.verify('a', 'nope');
    expect(compare).toHaveBeenCalledTimes(2);
    await file.verify('a', 'secret-password');
    const cacheKeys = [...(file as unknown as { verified: Map<string, number> }).verified.keys()];
    expect(cacheKeys).toHaveLength(1);
    expect(cacheKeys[0]).not.toContain('secret-password');
    expect(cacheKeys[0]).not.toContain(Buffer.from('secret-password').toString('base64'));
  });

  it('forgets cached verifications when the file changes', async () => {
    const dir = await makeTempDir();
    const path = join(dir, 'htpasswd');
    await writeHtpasswd(path, [{ user: 'a', password: 'old' }]);
    const file = new Htpasswd(path, { reloadCheckMs: 0 });
    expect(await file.verify('a', 'old')).toBe(true);
    await writeHtpasswd(path, [{ user: 'a', password: 'new' }]);
    expect(await file.verify('a', 'old')).toBe(false);
    expect(await file.verify('a', 'new')).toBe(true);
  });

  it('adds and replaces users, keeping the others, in a file only its owner can read', async () => {
    const dir = await makeTempDir();
    const path = join(dir, 'auth', 'htpasswd');
    await setHtpasswdUser(path, 'alice', 'one', 4);
    await setHtpasswdUser(path, 'bob', 'two', 4);
    await setHtpasswdUser(path, 'alice', 'three', 4);
    const users = parseHtpasswd(await readFile(path, 'utf8'));
    expect([...users.keys()]).toEqual(['alice', 'bob']);
    expect(await bcrypt.compare('three', users.get('alice')!)).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await expect(setHtpasswdUser(path, 'bad:name', 'x', 4)).rejects.toThrow(/not a valid user name/);
  });
});
