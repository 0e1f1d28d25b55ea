import type { IRouter } from 'express';
import type { HealthAnswer } from '../../api/index.js';
import type { Registry } from '../../registry/registry.js';

/** `/health` needs no credentials: load balancers and Palette's "Validate" call it first. */
export function addHealthRoutes(router: IRouter, registry: Registry): void {
  router.get('/health', async (_req, res) => {
    const report = await registry.health();
    if (report.ok) res.json({ status: 'UP' } satisfies HealthAnswer);
    else res.status(503).json({ status: 'DOWN', checks: report.checks } satisfies HealthAnswer);
  });
}
