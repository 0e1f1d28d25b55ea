// Anonymous CPU exhaustion: a flood of logins with new user names must not slow /health or the downloads of
// clients whose credentials are remembered. Before the login limits, 32 such connections took /health from
// 3 ms to 4 s: every unknown name cost a bcrypt run, and bcrypt filled libuv's threadpool, which file I/O
// needs too. Timing is compared with a baseline taken in the same test, never with a fixed number of ms.
import bcrypt from 'bcrypt';
import { randomBytes } from 'node:crypto';
import { get } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BCRYPT_COST } from '../../src/auth/htpasswd.js';
import { packFixture } from '../helpers/archives.js';
import { ADMIN, READER, createTestApp, makeTempDir, pushArchive, writeHtpasswd, type TestApp } from '../helpers/app.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const FLOOD_SIZE = 64;
const SAMPLES = 10;

/** The median time of `samples` sequential runs of `request`, in ms. */
async function medianMs(samples: number, request: () => PromiseLike<unknown>): Promise<number> {
  const times: number[] = [];
  for (let sample = 0; sample < samples; sample++) {
    const start = performance.now();
    await request();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

/**
 * Prompt enough: within twenty times the baseline. The baseline is floored at 5 ms, the scale of a timer tick
 * and a scheduler's slice on a busy machine, so that a 1 ms baseline does not make 21 ms a failure. Without
 * the limits the flood below costs seconds.
 */
function expectPrompt(during: number, baseline: number): void {
  expect(during, `${during.toFixed(1)} ms under the flood against ${baseline.toFixed(1)} ms before`).toBeLessThan(20 * Math.max(baseline, 5));
}

async function registryWithCostlyUsers(): Promise<{ registry: TestApp; health: () => PromiseLike<unknown>; download: () => PromiseLike<unknown> }> {
  // The project's own bcrypt cost, so that each verification costs what it costs in production.
  const dir = await makeTempDir();
  await writeHtpasswd(join(dir, 'htpasswd'), [ADMIN, READER], BCRYPT_COST);
  const registry = await createTestApp({ dir, writeUsers: false });
  await pushArchive(registry, await packFixture('hello-universe-pack')).expect(201);
  const health = () => registry.get('/health').expect(200);
  const download = () => registry.get('/v1/packs/hellouniverse/1.0.0/archive').auth(READER.user, READER.password).expect(200);
  // The reader's credentials are verified once here and remembered from then on.
  await download();
  return { registry, health, download };
}

/** GET /v1/ with a new user name from a chosen loopback source address; the answer's status. */
function floodRequest(registry: TestApp, from: string): Promise<number> {
  const auth = `user-${randomBytes(6).toString('hex')}:guess`;
  return new Promise((resolve) => {
    const req = get(`${registry.url}/v1/`, { localAddress: from, auth, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    // A connection cut when a failed test closes the app ends that flood connection, not the test run.
    req.on('error', () => resolve(0));
  });
}

describe('a flood of logins with unknown user names', () => {
  it('refuses most of 64 parallel attempts from one address before bcrypt runs, and keeps /health and remembered downloads prompt meanwhile', async () => {
    const { registry, health, download } = await registryWithCostlyUsers();
    const baseline = { health: await medianMs(SAMPLES, health), download: await medianMs(SAMPLES, download) };

    const compare = vi.spyOn(bcrypt, 'compare');
    const statuses: number[] = [];
    const flood = Array.from({ length: FLOOD_SIZE }, () => floodRequest(registry, '127.0.0.1').then((status) => statuses.push(status)));
    // Measure while verifications are running and waiting, not after.
    await expect.poll(() => compare.mock.calls.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    const during = { health: await medianMs(SAMPLES, health), download: await medianMs(SAMPLES, download) };
    const measuredDuringFlood = statuses.length < FLOOD_SIZE;
    await Promise.all(flood);

    expect(measuredDuringFlood).toBe(true);
    expectPrompt(during.health, baseline.health);
    expectPrompt(during.download, baseline.download);
    // limits.authfailuresperaddress (30) verifications, counted while they run; the rest refused at once.
    const refusedEarly = statuses.filter((status) => status === 429 || status === 503).length;
    expect(statuses.filter((status) => status === 401)).toHaveLength(compare.mock.calls.length);
    expect(compare.mock.calls.length).toBeLessThanOrEqual(30);
    expect(refusedEarly).toBeGreaterThan(FLOOD_SIZE / 2);
    expect(refusedEarly + compare.mock.calls.length).toBe(FLOOD_SIZE);
  });

  it('keeps /health and remembered downloads prompt while 64 connections from as many addresses keep sending new names', async () => {
    const { registry, health, download } = await registryWithCostlyUsers();
    const baseline = { health: await medianMs(SAMPLES, health), download: await medianMs(SAMPLES, download) };

    // Each flood connection sends its next attempt as soon as the last is answered: the flood never ebbs.
    // 64 addresses stay below their own limits here, so only the verification queue stands in the way.
    const compare = vi.spyOn(bcrypt, 'compare');
    const statuses: number[] = [];
    let flooding = true;
    const flood = Array.from({ length: FLOOD_SIZE }, async (_, index) => {
      while (flooding) {
        const status = await floodRequest(registry, `127.0.0.${10 + index}`);
        if (status === 0) return;
        statuses.push(status);
      }
    });
    await expect.poll(() => compare.mock.calls.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(4);
    const during = { health: await medianMs(SAMPLES, health), download: await medianMs(SAMPLES, download) };
    flooding = false;
    await Promise.all(flood);

    expectPrompt(during.health, baseline.health);
    expectPrompt(during.download, baseline.download);
    expect(statuses.length).toBeGreaterThanOrEqual(FLOOD_SIZE);
  });
});
