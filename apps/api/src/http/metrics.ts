import { createHash, timingSafeEqual } from 'node:crypto';
import type { Db } from '@computor/db';
import type { Request, Response } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { unauthorized } from './errors';

const digest = (s: string) => createHash('sha256').update(s).digest();

export interface MetricsOptions {
  /** When set, a scrape must bring `Authorization: Bearer <token>`. */
  token?: string;
  /** Brings workflow_runs up to date with Temporal; run at most once per `refreshSeconds`. */
  refresh?: () => Promise<void>;
  refreshSeconds?: number;
}

/**
 * Prometheus metrics of one API instance (a registry per server, so tests can build many). A scrape
 * costs one grouped query of workflow_runs; the Temporal refresh of its running rows runs at most
 * once per `refreshSeconds` however often anyone scrapes (concurrent scrapes share it).
 */
export function createApiMetrics(db: Db, options: MetricsOptions = {}) {
  const expected = options.token ? digest(options.token) : null;
  const refreshMs = (options.refreshSeconds ?? 30) * 1000;
  let refreshedAt = -Infinity;
  let refreshing: Promise<void> | null = null;
  const refresh = () => {
    if (!options.refresh || refreshing || Date.now() - refreshedAt < refreshMs) return refreshing ?? Promise.resolve();
    refreshedAt = Date.now();
    refreshing = options.refresh().catch(() => undefined).finally(() => {
      refreshing = null;
    });
    return refreshing;
  };
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
  // Starts and outcomes by type come from the workflow_runs record: one source of truth.
  new Gauge({
    name: 'computor_workflow_runs',
    help: 'Workflows started through the API, by type and last known status',
    labelNames: ['type', 'status'] as const,
    registers: [registry],
    async collect() {
      await refresh();
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
    async handler(req: Request, res: Response) {
      if (expected) {
        const match = /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '');
        if (!match || !timingSafeEqual(digest(match[1]!), expected)) throw unauthorized('/metrics requires the metrics token (Authorization: Bearer <METRICS_TOKEN>).');
      }
      res.set('Content-Type', registry.contentType).send(await registry.metrics());
    },
  };
}
