import { PUBLIC, content, json, route } from '../http/route';
import { ZHealthBody, ZReadyBody } from '../openapi/responses';

type Check = { status: 'up' | 'down'; latencyMs: number; error?: string };

const PROBE_TIMEOUT_MS = 2_000;

async function probe(fn: () => Promise<unknown>, timeoutMs: number): Promise<Check> {
  const start = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'up', latencyMs: Date.now() - start };
  } catch (error) {
    return { status: 'down', latencyMs: Date.now() - start, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** /healthz: the process answers. /readyz: each dependency answers (503 when one does not). /metrics for Prometheus. */
export const healthRoutes = [
  route({
    method: 'get',
    path: '/healthz',
    operationId: 'healthz',
    access: PUBLIC,
    tag: 'health',
    summary: 'Liveness: the process answers',
    public: true,
    responses: { 200: json('Alive.', ZHealthBody) },
    handler: ({ res }) => {
      res.json({ status: 'ok' });
    },
  }),
  route({
    method: 'get',
    path: '/readyz',
    operationId: 'readyz',
    access: PUBLIC,
    tag: 'health',
    summary: 'Readiness: PostgreSQL, Temporal and object storage answer',
    public: true,
    responses: { 200: json('Every component is up.', ZReadyBody), 503: json('At least one component is down; `components` says which.', ZReadyBody) },
    handler: async ({ res, deps }) => {
      const timeoutMs = PROBE_TIMEOUT_MS;
      const [postgres, temporal, storage] = await Promise.all([
        probe(() => deps.db.$queryRawUnsafe('SELECT 1'), timeoutMs),
        probe(
          () => deps.temporal.connection.withDeadline(Date.now() + timeoutMs, () => deps.temporal.workflowService.getSystemInfo({})),
          timeoutMs + 100,
        ),
        probe(() => deps.storage.ping(), timeoutMs),
      ]);
      const components = { postgres, temporal, storage };
      const ready = Object.values(components).every((c) => c.status === 'up');
      res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', components });
    },
  }),
  route({
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    access: PUBLIC,
    tag: 'health',
    summary: 'Prometheus metrics (text exposition format)',
    description: 'No API token; when the API runs with METRICS_TOKEN, a scrape must send `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise).',
    public: true,
    responses: { 200: content('Prometheus text format.', 'text/plain', { type: 'string' }) },
    // Without an API token: behind METRICS_TOKEN when set, else keep it off the public ingress.
    handler: ({ req, res, app }) => app.metrics.handler(req, res),
  }),
];
