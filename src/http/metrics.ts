import { createServer, type Server, type ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry as MetricsRegistry, collectDefaultMetrics } from 'prom-client';
import type { Registry } from '../registry/registry.js';
import { originalUrlOf, type Middleware, type RegistryRequest } from './middleware.js';
import { elapsedMs, trafficOf } from './traffic.js';

/** Latency buckets in seconds: from a cached metadata read to a large archive upload. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The registry's Prometheus metrics, in a registry of their own (not prom-client's global one), so two
 * servers in one process never share counters.
 */
export class HttpMetrics {
  readonly registry = new MetricsRegistry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route' | 'status'>;
  private readonly bytesReceived: Counter;
  private readonly bytesSent: Counter;
  private readonly pushes: Counter;
  private readonly pulls: Counter;
  private readonly authFailures: Counter;
  private readonly deliveries: Counter<'endpoint' | 'outcome'>;
  private readonly deliveryDuration: Histogram<'endpoint'>;

  constructor(packRegistry: Registry) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'pack_registry_' });
    this.requests = new Counter({
      name: 'pack_registry_http_requests_total',
      help: 'HTTP requests answered, by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.duration = new Histogram({
      name: 'pack_registry_http_request_duration_seconds',
      help: 'Time from receiving a request to the end of its answer, by method, route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.bytesReceived = new Counter({
      name: 'pack_registry_http_received_bytes_total',
      help: 'Request body bytes received (as announced by Content-Length)',
      registers,
    });
    this.bytesSent = new Counter({
      name: 'pack_registry_http_sent_bytes_total',
      help: 'Response body bytes sent',
      registers,
    });
    this.pushes = new Counter({ name: 'pack_registry_pushes_total', help: 'Pack versions pushed (201 answers)', registers });
    this.pulls = new Counter({
      name: 'pack_registry_pulls_total',
      help: 'Pack archives downloaded (GET .../archive answered 200 or 206)',
      registers,
    });
    this.authFailures = new Counter({
      name: 'pack_registry_auth_failures_total',
      help: 'Requests refused for missing or wrong credentials (401)',
      registers,
    });
    this.deliveries = new Counter({
      name: 'pack_registry_notification_attempts_total',
      help: 'Webhook delivery attempts by endpoint and outcome: delivered, failed (retried later) or dead (given up on: a dead letter)',
      labelNames: ['endpoint', 'outcome'],
      registers,
    });
    this.deliveryDuration = new Histogram({
      name: 'pack_registry_notification_attempt_duration_seconds',
      help: 'Time of one webhook delivery attempt, by endpoint (a hung receiver shows as its timeout)',
      labelNames: ['endpoint'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'pack_registry_notification_deliveries',
      help: 'Webhook deliveries in the outbox by endpoint and state: pending (to send or retry) or dead (dead letters)',
      labelNames: ['endpoint', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const row of await packRegistry.outboxCounts()) this.set({ endpoint: row.endpoint, state: row.state }, row.count);
      },
    });
    // Read from the index at scrape time: always true, and costs nothing between scrapes.
    const statistics = () => packRegistry.statistics();
    new Gauge({
      name: 'pack_registry_packs',
      help: 'Packs in the registry',
      registers,
      async collect() {
        this.set((await statistics()).packs);
      },
    });
    new Gauge({
      name: 'pack_registry_versions',
      help: 'Pack versions in the registry',
      registers,
      async collect() {
        this.set((await statistics()).versions);
      },
    });
    new Gauge({
      name: 'pack_registry_storage_blobs',
      help: 'Archive blobs the index references',
      registers,
      async collect() {
        this.set((await statistics()).blobs);
      },
    });
    new Gauge({
      name: 'pack_registry_storage_bytes',
      help: 'Bytes of the archive blobs the index references',
      registers,
      async collect() {
        this.set((await statistics()).blobBytes);
      },
    });
  }

  /** One webhook delivery attempt's end (see registry/notifications.ts). */
  observeDelivery(endpoint: string, outcome: 'delivered' | 'failed' | 'dead', seconds: number): void {
    this.deliveries.inc({ endpoint, outcome });
    this.deliveryDuration.observe({ endpoint }, seconds);
  }

  /** Middleware that records every answer once it is complete (or abandoned). */
  middleware(): Middleware {
    return (req, res, next) => {
      let recorded = false;
      const record = () => {
        if (recorded) return;
        recorded = true;
        this.record(req, res);
      };
      res.once('finish', record);
      res.once('close', record);
      next();
    };
  }

  private record(req: RegistryRequest, res: ServerResponse): void {
    const route = routeOf(req);
    const labels = { method: req.method, route, status: String(res.statusCode) };
    const traffic = trafficOf(res);
    this.requests.inc(labels);
    this.duration.observe(labels, elapsedMs(res) / 1000);
    this.bytesReceived.inc(traffic.bytesIn);
    this.bytesSent.inc(traffic.bytesOut);
    if (res.statusCode === 401) this.authFailures.inc();
    if (req.method === 'POST' && route === '/v1/packs' && res.statusCode === 201) this.pushes.inc();
    if (req.method === 'GET' && route === '/v1/packs/:name/:ref/archive' && (res.statusCode === 200 || res.statusCode === 206)) {
      this.pulls.inc();
    }
  }

  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/**
 * The route label: the matched express route, or — for requests refused before routing (a 401 from the
 * authentication in front of every /v1 route) — the same pattern recognised from the path. Unknown
 * paths all share one label, so a scanner cannot blow up the number of series.
 */
export function routeOf(req: RegistryRequest): string {
  // express's matched route; a plain request (the archive fast path, dispatch.ts) has none and is recognised below.
  const routed = req as RegistryRequest & { route?: { path?: unknown }; baseUrl?: string };
  const matched = routed.route?.path;
  if (typeof matched === 'string') return `${routed.baseUrl ?? ''}${matched}`;
  // originalUrl, not path: a middleware mounted at /v1 that answers (401) leaves req.path shortened.
  return routePattern(originalUrlOf(req).split('?')[0] ?? '/');
}

const KNOWN_ROUTES: [RegExp, string][] = [
  [/^\/health$/, '/health'],
  [/^\/v1\/?$/, '/v1/'],
  [/^\/v1\/_catalog$/, '/v1/_catalog'],
  [/^\/v1\/packs\/?$/, '/v1/packs'],
  [/^\/v1\/events$/, '/v1/events'],
  [/^\/v1\/notifications\/deadletters$/, '/v1/notifications/deadletters'],
  [/^\/v1\/notifications\/deadletters\/retry$/, '/v1/notifications/deadletters/retry'],
  [/^\/v1\/packs\/[^/]+$/, '/v1/packs/:name'],
  [/^\/v1\/packs\/[^/]+\/history$/, '/v1/packs/:name/history'],
  [/^\/v1\/packs\/[^/]+\/tags\/[^/]+$/, '/v1/packs/:name/tags/:tag'],
  [/^\/v1\/packs\/[^/]+\/[^/]+$/, '/v1/packs/:name/:ref'],
  [/^\/v1\/packs\/[^/]+\/[^/]+\/archive$/, '/v1/packs/:name/:ref/archive'],
  [/^\/v1\/packs\/[^/]+\/[^/]+\/files\/.+$/, '/v1/packs/:name/:ref/files/*path'],
];

export function routePattern(path: string): string {
  for (const [pattern, route] of KNOWN_ROUTES) if (pattern.test(path)) return route;
  return 'other';
}

/**
 * Distribution's debug server: a separate plain-HTTP listener (`http.debug.addr`), meant for a private
 * network or a sidecar, that serves the metrics at `http.debug.prometheus.path` when enabled.
 */
export function createDebugServer(options: { metrics?: HttpMetrics; metricsPath: string }): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (options.metrics && path === options.metricsPath && (req.method === 'GET' || req.method === 'HEAD')) {
      options.metrics.exposition().then(
        ({ contentType, body }) => {
          res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (error: unknown) => {
          res.writeHead(500, { 'Content-Type': 'text/plain' });
          res.end(`metrics failed: ${(error as Error).message}\n`);
        },
      );
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found\n');
  });
}
