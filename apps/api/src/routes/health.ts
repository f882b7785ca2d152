import { Router } from 'express';
import type { ApiDeps } from '../deps';

type Check = { status: 'up' | 'down'; latencyMs: number; error?: string };

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

/** /healthz: the process answers. /readyz: each dependency answers (503 when one does not). */
export function healthRoutes(deps: ApiDeps, timeoutMs = 2_000): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
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
  });
  return router;
}
