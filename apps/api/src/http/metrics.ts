import type { Db } from '@computor/db';
import type { Client } from '@temporalio/client';
import type { Request, Response } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { syncRunningRuns } from '../services/workflows';

/** Prometheus metrics of one API instance (a registry per server, so tests can build many). */
export function createApiMetrics(db: Db, temporal: Client) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'computor_api_' });
  const httpDuration = new Histogram({
    name: 'computor_http_request_duration_seconds',
    help: 'HTTP request latency by route template, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const httpRequests = new Counter({
    name: 'computor_http_requests_total',
    help: 'HTTP requests by route template, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  // Starts and outcomes by type come from the workflow_runs record at scrape time: one source of truth.
  new Gauge({
    name: 'computor_workflow_runs',
    help: 'Workflows started through the API, by type and last known status',
    labelNames: ['type', 'status'] as const,
    registers: [registry],
    async collect() {
      await syncRunningRuns(db, temporal).catch(() => undefined);
      this.reset();
      const groups = await db.workflowRun.groupBy({ by: ['type', 'status'], _count: { _all: true } });
      for (const g of groups) this.set({ type: g.type, status: g.status }, g._count._all);
    },
  });

  return {
    registry,
    observe(req: Request, res: Response, seconds: number) {
      // The route template keeps label values bounded (never raw ids).
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const labels = { method: req.method, route, status: String(res.statusCode) };
      httpDuration.observe(labels, seconds);
      httpRequests.inc(labels);
    },
    async handler(_req: Request, res: Response) {
      res.set('Content-Type', registry.contentType).send(await registry.metrics());
    },
  };
}
