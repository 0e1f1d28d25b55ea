// Metrics in Distribution's shape: http.debug.addr + http.debug.prometheus.enabled serve Prometheus text
// on a separate plain-HTTP listener; counters move by exactly what the requests did.
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packFixture } from '../helpers/archives.js';
import { makeTempDir, writeHtpasswd } from '../helpers/files.js';
import { startRegistryProcess, type RegistryProcess } from '../helpers/server-process.js';

const ADMIN = { user: 'admin', password: 'metrics-admin' };

type Samples = Map<string, number>;

/** `name{a="x",b="y"} value` lines into a map keyed by the name and its labels sorted. */
function parseExposition(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample: ${line}`);
    const labels = (match[2] ?? '').match(/[a-zA-Z_]+="(?:[^"\\]|\\.)*"/g) ?? [];
    samples.set(`${match[1]}{${labels.sort().join(',')}}`, Number(match[3]));
  }
  return samples;
}

function sample(samples: Samples, name: string, labels: Record<string, string> = {}): number {
  const key = `${name}{${Object.entries(labels).map(([label, value]) => `${label}="${value}"`).sort().join(',')}}`;
  return samples.get(key) ?? 0;
}

let server: RegistryProcess;
beforeAll(async () => {
  const dir = await makeTempDir();
  await writeHtpasswd(join(dir, 'htpasswd'), [ADMIN]);
  server = await startRegistryProcess({
    dir,
    env: { REGISTRY_HTTP_DEBUG_ADDR: '127.0.0.1:0', REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED: 'true' },
  });
});
afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

async function scrape(): Promise<Samples> {
  const response = await request(server.debugUrl!).get('/metrics').expect(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(response.text);
}

describe('/metrics on the debug listener', () => {
  it('counts requests, latency, bytes, pushes, pulls and auth failures by the right amounts', async () => {
    const api = request(server.url);
    const archives = [await packFixture('hello-universe-pack'), await packFixture('kubevious-1.0.10')];
    const before = await scrape();

    const pushed: { name: string; version: string }[] = [];
    for (const archive of archives) {
      const response = await api.post('/v1/packs').ca(server.ca).auth(ADMIN.user, ADMIN.password).attach('pack', archive, 'p.tar.gz').expect(201);
      pushed.push({ name: response.body.name, version: response.body.version });
    }
    const [first] = pushed;
    for (let pull = 0; pull < 3; pull++) {
      await api.get(`/v1/packs/${first!.name}/${first!.version}/archive`).ca(server.ca).auth(ADMIN.user, ADMIN.password).expect(200);
    }
    // A HEAD and a 304 are not downloads.
    await api.head(`/v1/packs/${first!.name}/${first!.version}/archive`).ca(server.ca).auth(ADMIN.user, ADMIN.password).expect(200);
    await api.get('/v1/').ca(server.ca).auth(ADMIN.user, 'wrong').expect(401);
    await api.get(`/v1/packs/${first!.name}`).ca(server.ca).expect(401);
    await api.get('/v1/packs/no-such-pack').ca(server.ca).auth(ADMIN.user, ADMIN.password).expect(404);

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);

    expect(delta('pack_registry_pushes_total')).toBe(2);
    expect(delta('pack_registry_pulls_total')).toBe(3);
    expect(delta('pack_registry_auth_failures_total')).toBe(2);
    expect(delta('pack_registry_http_requests_total', { method: 'POST', route: '/v1/packs', status: '201' })).toBe(2);
    expect(delta('pack_registry_http_requests_total', { method: 'GET', route: '/v1/packs/:name/:ref/archive', status: '200' })).toBe(3);
    expect(delta('pack_registry_http_requests_total', { method: 'HEAD', route: '/v1/packs/:name/:ref/archive', status: '200' })).toBe(1);
    expect(delta('pack_registry_http_requests_total', { method: 'GET', route: '/v1/', status: '401' })).toBe(1);
    expect(delta('pack_registry_http_requests_total', { method: 'GET', route: '/v1/packs/:name', status: '401' })).toBe(1);
    expect(delta('pack_registry_http_requests_total', { method: 'GET', route: '/v1/packs/:name', status: '404' })).toBe(1);
    const pushLabels = { method: 'POST', route: '/v1/packs', status: '201' };
    expect(delta('pack_registry_http_request_duration_seconds_count', pushLabels)).toBe(2);
    expect(delta('pack_registry_http_request_duration_seconds_sum', pushLabels)).toBeGreaterThan(0);
    expect(delta('pack_registry_http_request_duration_seconds_bucket', { ...pushLabels, le: '+Inf' })).toBe(2);

    const pushedBytes = archives[0]!.length + archives[1]!.length;
    expect(delta('pack_registry_http_received_bytes_total')).toBeGreaterThan(pushedBytes);
    expect(delta('pack_registry_http_sent_bytes_total')).toBeGreaterThanOrEqual(3 * archives[0]!.length);

    expect(sample(after, 'pack_registry_packs')).toBe(2);
    expect(sample(after, 'pack_registry_versions')).toBe(2);
    expect(sample(after, 'pack_registry_storage_blobs')).toBe(2);
    expect(sample(after, 'pack_registry_storage_bytes')).toBe(pushedBytes);
    // The process metrics come along, under the same prefix.
    expect(sample(after, 'pack_registry_process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('keeps the metrics off the registry port and answers 404 for other debug paths', async () => {
    await request(server.url).get('/metrics').ca(server.ca).expect(404);
    await request(server.debugUrl!).get('/debug/vars').expect(404);
  });
});
