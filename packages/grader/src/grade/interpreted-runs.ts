import type { TProgramRun } from '../runners/run-result';
import { memoize, type TGradeContext } from './context';
import { referenceCacheKey, type TReferenceRun } from './reference-cache';

// The run bookkeeping every interpreted language (Python, Octave, R) shares: one run per key
// reporting every planned value, and the reference run kept in the example's reference cache.

/** A run that reports values by name or expression. */
export type TValueRun = TProgramRun & { values: Record<string, unknown> };

/**
 * The run `key` names, reporting what every collection planned for it (planRuns) plus `wanted`;
 * when it lacks some of `wanted` (nothing was planned: a lone gradeCollection call after another
 * one), a second run reports exactly those.
 */
export async function plannedRun<T extends TValueRun>(ctx: TGradeContext, key: string, wanted: string[], execute: (wanted: string[]) => Promise<T>): Promise<T> {
  const planned = [...new Set([...(ctx.plannedExpressions.get(key) ?? []), ...wanted])];
  const run = await memoize(ctx, key, () => execute(planned));
  if (run.status === 'completed' && wanted.some((w) => !(w in run.values))) {
    return memoize(ctx, `${key}:${JSON.stringify(wanted)}`, () => execute(wanted));
  }
  return run;
}

/** The collection's reference run from the example's reference cache, else run (`run`) and kept when its outcome is deterministic. */
export async function cachedReferenceRun(ctx: TGradeContext, collectionIndex: number, wanted: string[], run: () => Promise<TValueRun>): Promise<TReferenceRun> {
  const key = referenceCacheKey(ctx.example.contentHash, collectionIndex);
  const cached = await ctx.referenceCache?.get(key);
  if (cached && wanted.every((w) => w in cached.values)) return cached;
  const done = await run();
  const result: TReferenceRun = { status: done.status, message: done.message, stdout: done.stdout, stderr: done.stderr, exitCode: done.exitCode, values: done.values as TReferenceRun['values'] };
  // Timeouts and sandbox failures may be transient: only deterministic outcomes are kept.
  if (result.status === 'completed' || result.status === 'error') await ctx.referenceCache?.set(key, result);
  return result;
}
