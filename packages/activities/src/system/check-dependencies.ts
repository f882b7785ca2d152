import type { TSystemCheckResult } from '@computor/contracts';
import type { ActivityDeps } from '../deps';

async function timed(name: string, fn: () => Promise<unknown>) {
  const start = Date.now();
  try {
    await fn();
    return { name, ok: true, latencyMs: Date.now() - start };
  } catch (error) {
    return { name, ok: false, latencyMs: Date.now() - start, error: (error as Error).message };
  }
}

export function systemActivities(deps: ActivityDeps) {
  return {
    /** Round trip to every dependency of this worker, as the worker sees them. */
    async checkDependencies(): Promise<TSystemCheckResult> {
      const checks = await Promise.all([
        timed('postgres', () => deps.db.$queryRawUnsafe('SELECT 1')),
        timed('storage', () => deps.storage.ping()),
      ]);
      return { worker: deps.workerIdentity, checks };
    },
  };
}
