import http from 'node:http';
import net from 'node:net';
import type { TRequestObservation } from '@computor/gitlab';
import type { Logger } from '@computor/logger';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** A free loopback port for the Temporal SDK's own Prometheus exporter, which we re-serve. */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

/** The worker's own series; the SDK's (activity latencies, task slots, polls) are appended at scrape. */
export function createWorkerMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'computor_worker_' });
  const gitlabDuration = new Histogram({
    name: 'computor_gitlab_request_duration_seconds',
    help: 'GitLab API request latency by method, route template and status (status "none" for network errors)',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const gitlabRateLimited = new Counter({ name: 'computor_gitlab_rate_limited_total', help: 'GitLab answers 429', registers: [registry] });
  const checks = new Counter({
    name: 'computor_grading_checks_total',
    help: 'Graded checks by outcome status',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const activityDuration = new Histogram({
    name: 'computor_activity_duration_seconds',
    help: 'Activity execution time by activity type and outcome',
    labelNames: ['activity', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const languageOk = new Gauge({
    name: 'computor_grader_language_ok',
    help: 'Per language: 1 while this worker grades it (runtime present, canary passed at start), 0 when it refuses its hand-ins',
    labelNames: ['language'] as const,
    registers: [registry],
  });
  const confinement = new Gauge({
    name: 'computor_sandbox_confinement',
    help: 'How sandboxed runs are bounded: 1 for the mode in use (cgroup-v2, cgroup-v1, or rlimit: per process only)',
    labelNames: ['mode'] as const,
    registers: [registry],
  });
  return {
    registry,
    /** 1 while this worker grades the language (runtime present, canary passed), else 0. */
    setLanguageOk(language: string, ok: boolean) {
      languageOk.set({ language }, ok ? 1 : 0);
    },
    setSandboxConfinement(mode: 'cgroup-v1' | 'cgroup-v2' | 'rlimit') {
      for (const m of ['cgroup-v1', 'cgroup-v2', 'rlimit']) confinement.set({ mode: m }, m === mode ? 1 : 0);
    },
    onGitlabRequest(o: TRequestObservation) {
      gitlabDuration.observe({ method: o.method, route: o.route, status: o.status === null ? 'none' : String(o.status) }, o.durationMs / 1000);
      if (o.status === 429) gitlabRateLimited.inc();
    },
    /** Wraps every activity to time it and, for graded collections, count check outcomes. */
    instrument<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
      const out: Record<string, (...args: never[]) => Promise<unknown>> = {};
      for (const [name, fn] of Object.entries(activities)) {
        out[name] = async (...args: never[]) => {
          const end = activityDuration.startTimer({ activity: name });
          try {
            const result = await fn(...args);
            end({ outcome: 'completed' });
            const graded = result as { checks?: Array<{ status?: string }> } | undefined;
            if (graded && Array.isArray(graded.checks)) for (const c of graded.checks) if (c.status) checks.inc({ status: c.status });
            return result;
          } catch (error) {
            end({ outcome: 'failed' });
            throw error;
          }
        };
      }
      return out as T;
    },
  };
}

/** Serves /metrics (ours plus the SDK exporter's) and /healthz on the given port. */
export function serveMetrics(options: { port: number; metrics: WorkerMetrics; sdkPort: number; logger: Logger }): http.Server {
  const server = http.createServer(async (req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    const ours = await options.metrics.registry.metrics();
    const sdk = await fetch(`http://127.0.0.1:${options.sdkPort}/metrics`)
      .then((r) => r.text())
      .catch(() => '');
    res.writeHead(200, { 'Content-Type': options.metrics.registry.contentType }).end(`${ours}\n${sdk}`);
  });
  server.listen(options.port, () => options.logger.info('metrics listening', { port: (server.address() as net.AddressInfo).port }));
  return server;
}
