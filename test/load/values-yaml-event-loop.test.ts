// A push whose values.yaml is as costly to check as the limits allow must not stop the server: while it is
// inspected, the event loop stays free (/health, other requests and SIGTERM's handler run), and the push is
// judged within seconds. Before values.yaml was checked in linear time and off the event loop, a 0.9 MB
// archive froze the whole server for more than five minutes.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { buildRawTarGz, minimalPackEntries } from '../helpers/archives.js';
import { createTestApp, pushArchive, READER } from '../helpers/app.js';
import { HOSTILE_SHAPES, buildYaml } from '../helpers/hostile-yaml.js';
import { MAX_VALUES_YAML_BYTES } from '../../src/packs/values-yaml.js';

function packWithValues(name: string, values: string): Promise<Buffer> {
  const entries = minimalPackEntries({ name });
  return buildRawTarGz([entries[0]!, { path: 'values.yaml', body: values }]);
}

/** Push `archive` while asking /health every 50 ms; the largest event-loop delay and what each side answered. */
async function pushWhileProbing(archive: Buffer, app: Awaited<ReturnType<typeof createTestApp>>) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const started = performance.now();
  let done = false;
  const push = pushArchive(app, archive).then((response) => {
    done = true;
    return response;
  });
  const healthTimes: number[] = [];
  while (!done) {
    const asked = performance.now();
    const health = await app.get('/health');
    expect(health.status).toBe(200);
    if (!done) healthTimes.push(performance.now() - asked);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const response = await push;
  const elapsed = performance.now() - started;
  delay.disable();
  return { response, elapsed, maxDelayMs: delay.max / 1e6, healthTimes };
}

describe('a push with a values.yaml as costly as the limits allow', () => {
  // The red team's case; every other hostile shape's cost is bounded in values-yaml-cost.test.ts, and all of
  // them run on the same worker thread as this one.
  it.each([['many keys in one mapping', 201]])('(%s) is judged in seconds while /health keeps answering', async (shapeName, status) => {
    const app = await createTestApp();
    const shape = HOSTILE_SHAPES.find((candidate) => candidate.name === shapeName)!;
    const archive = await packWithValues(`hostile-${status}`, buildYaml(shape, MAX_VALUES_YAML_BYTES));
    const { response, elapsed, maxDelayMs, healthTimes } = await pushWhileProbing(archive, app);
    expect(response.status, JSON.stringify(response.body)).toBe(status);
    expect(elapsed).toBeLessThan(30_000);
    // /health was asked while the file was being checked, and answered at once each time.
    expect(healthTimes.length).toBeGreaterThan(0);
    expect(Math.max(...healthTimes)).toBeLessThan(1000);
    expect(maxDelayMs, `the event loop stalled for ${maxDelayMs.toFixed(0)} ms during a ${elapsed.toFixed(0)} ms push`).toBeLessThan(500);
  });

  it('refuses 100 000 repeated keys with one PACK_INVALID per problem (at most 20), without stalling', async () => {
    const app = await createTestApp();
    const values = `${Array.from({ length: 90_000 }, (_, i) => `key${i % 45_000}: ${i}`).join('\n')}\n`;
    const { response, maxDelayMs } = await pushWhileProbing(await packWithValues('duplicates', values), app);
    expect(response.status).toBe(400);
    const errors = response.body.errors as { code: string; message: string; detail: { rule: string } }[];
    expect(errors).toHaveLength(20);
    expect(errors.every((error) => error.code === 'PACK_INVALID' && error.detail.rule === 'values-yaml-syntax')).toBe(true);
    expect(errors[0]!.message).toContain('Map keys must be unique: "key0" is repeated at line 45001');
    expect(maxDelayMs).toBeLessThan(500);
    await app.get('/v1/packs/duplicates').auth(READER.user, READER.password).expect(404);
  });
});
