import bcrypt from 'bcrypt';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bcryptCost, Htpasswd, typicalCost } from '../../src/auth/htpasswd.js';
import { LoginGuard, type LoginLimits, type LoginOutcome } from '../../src/auth/login-guard.js';
import { VerificationQueue } from '../../src/auth/verification-queue.js';
import { makeTempDir, writeHtpasswd } from '../helpers/files.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const ALICE = { user: 'alice', password: 'alice-secret' };
const BOB = { user: 'bob', password: 'bob-secret' };
const HERE = '192.0.2.1';
const ELSEWHERE = '198.51.100.1';

interface GuardSetup {
  limits?: Partial<LoginLimits>;
  queue?: VerificationQueue;
  now?: () => number;
}

async function makeGuard(setup: GuardSetup = {}) {
  const path = join(await makeTempDir(), 'htpasswd');
  await writeHtpasswd(path, [ALICE, BOB]);
  const htpasswd = new Htpasswd(path, { ...(setup.queue ? { queue: setup.queue } : {}) });
  const limits = { failuresPerUser: 3, failuresPerAddress: 5, windowMs: 60_000, ...setup.limits };
  const guard = new LoginGuard(htpasswd, limits, setup.now);
  const login = (as: { user: string; password: string }, from = HERE): Promise<LoginOutcome> =>
    Promise.resolve(guard.check(as.user, as.password, () => from));
  return { guard, htpasswd, login };
}

const randomUser = () => ({ user: `user-${randomBytes(6).toString('hex')}`, password: 'whatever' });

/** The costs of the hashes bcrypt.compare was called with, in call order. */
function comparedCosts(compare: { mock: { calls: unknown[][] } }): number[] {
  return compare.mock.calls.map((call) => bcryptCost(String(call[1])));
}

describe('what a failed login costs', () => {
  it('checks an unknown user against a hash of the users own cost, as it checks a known user with a wrong password', async () => {
    const path = join(await makeTempDir(), 'htpasswd');
    // Not the project's default cost (10), so the decoy visibly follows the file.
    await writeHtpasswd(path, [ALICE, BOB], 5);
    const htpasswd = new Htpasswd(path);
    const compare = vi.spyOn(bcrypt, 'compare');
    expect(await htpasswd.verify('nobody', 'guess')).toBe(false);
    expect(await htpasswd.verify(ALICE.user, 'guess')).toBe(false);
    expect(compare).toHaveBeenCalledTimes(2);
    expect(comparedCosts(compare)).toEqual([5, 5]);
  });

  it('takes the cost most hashes of the file have for the decoy, and follows the file when it changes', async () => {
    const path = join(await makeTempDir(), 'htpasswd');
    const line = async (user: string, cost: number) => `${user}:${await bcrypt.hash('pw', cost)}`;
    await writeFile(path, [await line('a', 4), await line('b', 5), await line('c', 5)].join('\n'));
    const htpasswd = new Htpasswd(path, { reloadCheckMs: 0 });
    const compare = vi.spyOn(bcrypt, 'compare');
    await htpasswd.verify('nobody', 'guess');
    await writeFile(path, [await line('a', 6), await line('b', 4)].join('\n'));
    await htpasswd.verify('nobody', 'guess');
    expect(comparedCosts(compare)).toEqual([5, 6]);
    expect(typicalCost([])).toBe(10);
  });

  it('costs one bcrypt run for an unknown user with any password, one for a known user with a wrong one, none for a remembered credential', async () => {
    const { login } = await makeGuard({ limits: { failuresPerUser: 100, failuresPerAddress: 100 } });
    const compare = vi.spyOn(bcrypt, 'compare');
    const runsFor = async (as: { user: string; password: string }) => {
      const before = compare.mock.calls.length;
      await login(as);
      return compare.mock.calls.length - before;
    };
    expect(await runsFor({ user: 'nobody', password: ALICE.password })).toBe(1);
    expect(await runsFor({ user: 'nobody', password: 'other' })).toBe(1);
    expect(await runsFor({ user: ALICE.user, password: 'wrong' })).toBe(1);
    expect(await runsFor(ALICE)).toBe(1);
    expect(await runsFor(ALICE)).toBe(0);
    const costs = comparedCosts(compare);
    expect(new Set(costs).size).toBe(1);
  });

  it('answers a remembered credential synchronously while nobody is failing', async () => {
    const { guard, login } = await makeGuard();
    expect(await login(ALICE)).toEqual({ kind: 'accepted' });
    const address = vi.fn(() => HERE);
    expect(guard.check(ALICE.user, ALICE.password, address)).toEqual({ kind: 'accepted' });
    // Not even the client address is looked at.
    expect(address).not.toHaveBeenCalled();
  });
});

describe('failure limits per client address', () => {
  it('throttles an address after its limit of failures with any user names, before bcrypt runs, and no other address', async () => {
    const { login } = await makeGuard({ limits: { failuresPerAddress: 5 } });
    const compare = vi.spyOn(bcrypt, 'compare');
    for (let attempt = 0; attempt < 5; attempt++) expect(await login(randomUser())).toEqual({ kind: 'rejected' });
    const throttled = await login(randomUser());
    expect(throttled).toMatchObject({ kind: 'throttled', scope: 'address' });
    expect((throttled as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0);
    expect((throttled as { retryAfterSeconds: number }).retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(compare).toHaveBeenCalledTimes(5);
    expect(await login(randomUser(), ELSEWHERE)).toEqual({ kind: 'rejected' });
  });

  it('counts verifications still running, so a burst of parallel attempts cannot outrun the limit', async () => {
    const { login } = await makeGuard({ limits: { failuresPerAddress: 5 } });
    const compare = vi.spyOn(bcrypt, 'compare');
    const outcomes = await Promise.all(Array.from({ length: 40 }, () => login(randomUser())));
    expect(outcomes.filter((outcome) => outcome.kind === 'rejected')).toHaveLength(5);
    expect(outcomes.filter((outcome) => outcome.kind === 'throttled')).toHaveLength(35);
    expect(compare).toHaveBeenCalledTimes(5);
  });

  it('counts parallel requests with the same new credentials as one attempt: a client burst is not throttled', async () => {
    const { login } = await makeGuard({ limits: { failuresPerUser: 2, failuresPerAddress: 2 } });
    const compare = vi.spyOn(bcrypt, 'compare');
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => login(ALICE)));
    expect(outcomes.every((outcome) => outcome.kind === 'accepted')).toBe(true);
    expect(compare).toHaveBeenCalledTimes(1);
  });

  it('lets the address try again once the window has ended', async () => {
    let now = 1_000_000;
    const { login } = await makeGuard({ limits: { failuresPerAddress: 2, windowMs: 10_000 }, now: () => now });
    await login(randomUser());
    await login(randomUser());
    expect(await login(randomUser())).toMatchObject({ kind: 'throttled', scope: 'address', retryAfterSeconds: 10 });
    now += 10_000;
    expect(await login(randomUser())).toEqual({ kind: 'rejected' });
  });

  it('keeps no count for refused attempts with unknown names, so a flood of new names cannot fill memory', async () => {
    const { guard, login } = await makeGuard({ limits: { failuresPerAddress: 2 } });
    for (let attempt = 0; attempt < 200; attempt++) await login(randomUser());
    const counted = (guard as unknown as { perUser: { windows: Map<string, unknown> } }).perUser.windows;
    // The two that were verified, not the 198 refused.
    expect(counted.size).toBe(2);
  });
});

describe('remembered credentials while throttled', () => {
  it('accepts a remembered credential while its user and address are throttled, without bcrypt, from the address that proved it only', async () => {
    const { login } = await makeGuard({ limits: { failuresPerUser: 3, failuresPerAddress: 100 } });
    expect(await login(ALICE, HERE)).toEqual({ kind: 'accepted' });
    for (let attempt = 0; attempt < 3; attempt++) await login({ user: ALICE.user, password: `guess-${attempt}` }, HERE);
    for (let attempt = 0; attempt < 3; attempt++) await login({ user: ALICE.user, password: `guess-${attempt}` }, ELSEWHERE);
    expect(await login({ user: ALICE.user, password: 'guess-4' }, HERE)).toMatchObject({ kind: 'throttled', scope: 'user' });
    const compare = vi.spyOn(bcrypt, 'compare');
    expect(await login(ALICE, HERE)).toEqual({ kind: 'accepted' });
    // Remembered too, but never proven from there: a guesser elsewhere learns nothing from the cache.
    expect(await login(ALICE, ELSEWHERE)).toMatchObject({ kind: 'throttled', scope: 'user' });
    expect(compare).not.toHaveBeenCalled();
  });

  it('accepts a remembered credential while its address is throttled by other names, and refuses one that is not remembered', async () => {
    const { login } = await makeGuard({ limits: { failuresPerAddress: 3 } });
    expect(await login(ALICE)).toEqual({ kind: 'accepted' });
    for (let attempt = 0; attempt < 3; attempt++) await login(randomUser());
    const compare = vi.spyOn(bcrypt, 'compare');
    expect(await login(ALICE)).toEqual({ kind: 'accepted' });
    expect(await login(BOB)).toMatchObject({ kind: 'throttled', scope: 'address' });
    expect(compare).not.toHaveBeenCalled();
  });

  it('stops accepting it once the user and address reach twice their limit, so a guesser there gets a bounded number of answers', async () => {
    const { login } = await makeGuard({ limits: { failuresPerUser: 3, failuresPerAddress: 100 } });
    expect(await login(ALICE)).toEqual({ kind: 'accepted' });
    // Three wrong passwords, then three refused guesses: six strikes, twice the limit.
    for (let attempt = 0; attempt < 6; attempt++) await login({ user: ALICE.user, password: `guess-${attempt}` });
    expect(await login(ALICE)).toMatchObject({ kind: 'throttled', scope: 'user' });
  });
});

describe('the verification queue', () => {
  it('answers busy with Retry-After when the queue is full, without counting a failure', async () => {
    const queue = new VerificationQueue({ maxRunning: 1, maxWaiting: 1, retryAfterSeconds: 2 });
    const { login } = await makeGuard({ queue, limits: { failuresPerAddress: 3 } });
    const outcomes = await Promise.all([login(randomUser()), login(randomUser()), login(randomUser())]);
    expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(['busy', 'rejected', 'rejected']);
    expect(outcomes.find((outcome) => outcome.kind === 'busy')).toEqual({ kind: 'busy', retryAfterSeconds: 2 });
    // Two failures counted, not three: the third attempt is still allowed.
    expect(await login(randomUser())).toEqual({ kind: 'rejected' });
    expect(await login(randomUser())).toMatchObject({ kind: 'throttled' });
  });
});
