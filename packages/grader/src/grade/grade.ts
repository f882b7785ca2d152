import fs from 'node:fs';
import { PLAIN_INFRA_MESSAGE, type TCollectionResult, type TGradingReport, type TSandboxLimitsInput } from '@computor/contracts';
import { resolveGraderConfig, type TGraderConfig, type TGraderConfigInput } from '../config';
import { loadExample, type TExample } from '../example/load-example';
import type { TResolvedCollection } from '../example/resolve';
import { cgroupsFor } from '../sandbox/cgroup';
import { resolveSandboxLimits } from '../sandbox/limits';
import { Sandbox } from '../sandbox/sandbox';
import { toRunOutput } from '../runners/run-result';
import { aggregateReport, collectionMessage, collectionStatus, summarizeChecks } from './aggregate';
import { languageProblem } from '../languages/health';
import { languageById, runtimeStatus } from '../languages/registry';
import { allChecks, collectionVisibility, expectedVisibility, skipAll, type TCollectionOutcome } from './common';
import type { TGradeContext } from './context';
import type { TReferenceCache } from './reference-cache';
import type { GradingSession } from './session';

export interface TGradeOptions {
  exampleDir: string;
  submissionDir: string;
  /** Operator maxima; meta.yaml may lower them. */
  limits?: TSandboxLimitsInput;
  signal?: AbortSignal;
  referenceCache?: TReferenceCache;
  config?: TGraderConfigInput;
  /** Collections graded at once (default: config.concurrency). */
  concurrency?: number;
  /** An already loaded example (skips reading and hashing the directory again). */
  example?: TExample;
  /** Grading a language's canary (languages/health.ts): not gated on that language's health. */
  canary?: boolean;
}

export interface TGradeCollectionOptions extends TGradeOptions {
  collectionIndex: number;
  /**
   * Runs shared with the other collections of the same hand-in graded through the same session
   * (GradingSessions, keyed by hand-in): each program compiles, and each interpreter run happens,
   * once for all of them. Its scratch directories go when the session ends, not with this call.
   */
  session?: GradingSession | undefined;
}

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return Boolean(signal?.aborted) || (error instanceof Error && error.name === 'AbortError');
}

function createContext(example: TExample, options: TGradeOptions & { session?: GradingSession | undefined }, config: TGraderConfig): TGradeContext {
  return {
    example,
    submissionDir: options.submissionDir,
    config,
    limits: resolveSandboxLimits(options.limits),
    sandbox: new Sandbox({
      bwrapBin: config.bwrapBin,
      prlimitBin: config.prlimitBin,
      setprivBin: config.setprivBin,
      uidLockDir: config.uidLockDir,
      runCpuCores: config.runCpuCores,
      tmpfsInodes: config.tmpfsInodes,
      uidBase: config.uidBase,
      uidCount: config.uidCount,
      tmpDir: config.tmpDir,
      outputDrainBytes: config.outputDrainBytes,
      extraEnv: config.sandboxEnv,
      cgroups: cgroupsFor(config.cgroups, config.cgroupRoot),
    }),
    signal: options.signal,
    referenceCache: options.referenceCache,
    memo: options.session?.memo ?? new Map(),
    plannedExpressions: options.session?.plannedExpressions ?? new Map(),
    scratchDirs: options.session?.scratchDirs ?? [],
    runtimes: options.session?.runtimes ?? new Map(),
    session: options.session,
    canary: options.canary ?? false,
  };
}

function cleanup(ctx: TGradeContext): void {
  for (const dir of ctx.scratchDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

async function runCollection(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionResult> {
  const started = performance.now();
  let outcome: TCollectionOutcome;
  try {
    const plugin = languageById(ctx.example.language);
    const problem = plugin && !plugin.gradesWithoutRuntime && !ctx.canary ? await languageProblem(plugin, ctx.config) : undefined;
    if (!plugin) outcome = skipAll(collection, `language "${ctx.example.languageName}" is not supported by this grader`);
    else if (!plugin.collectionTypes.includes(collection.type)) {
      outcome = skipAll(collection, `collection type "${collection.type}" is not one ${plugin.id} examples can use (${plugin.collectionTypes.join(', ')})`);
    } else if (problem) {
      // Not the student's failure: the attempt fails as an infrastructure error and is retried (on another worker).
      outcome = { checks: allChecks(collection, 'infra_error', `this worker cannot grade ${plugin.id}: ${problem}`) };
    } else outcome = await plugin.gradeCollection(ctx, collection);
  } catch (error) {
    if (isAbort(error, ctx.signal)) throw error;
    // An exception here is the grader's bug: its text ("Cannot read properties of null ...") is for
    // staff and logs (`detail`), never the message of a check.
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    outcome = { checks: allChecks(collection, 'infra_error', PLAIN_INFRA_MESSAGE, { detail }) };
  }
  const status = collectionStatus(outcome.checks);
  const result: TCollectionResult = {
    name: collection.name,
    type: collection.type,
    status,
    message: collectionMessage(outcome.checks, status),
    publicMessage: collectionMessage(
      outcome.checks.map((check) => ({ ...check, message: check.publicMessage ?? check.message })),
      status,
    ),
    expectedVisibility: expectedVisibility(ctx.example, collection),
    visibility: collectionVisibility(ctx.example, collection),
    checks: outcome.checks,
    summary: summarizeChecks(outcome.checks),
    durationMs: Math.round(performance.now() - started),
  };
  if (outcome.run) result.output = toRunOutput(outcome.run, ctx.config.reportOutputBytes);
  const plugin = languageById(ctx.example.language);
  const runtime = plugin ? await runtimeStatus(plugin, ctx.config) : undefined;
  if (runtime?.available && runtime.version) result.provenance = { runtime: runtime.version };
  return result;
}

/** Grades one collection of a submission (one Temporal activity); results combine with aggregateReport. */
export async function gradeCollection(options: TGradeCollectionOptions): Promise<TCollectionResult> {
  const config = resolveGraderConfig(options.config);
  const example = options.example ?? (await loadExample(options.exampleDir));
  const collection = example.collections[options.collectionIndex];
  if (!collection) throw new RangeError(`example has no collection ${options.collectionIndex} (it has ${example.collections.length})`);
  const ctx = createContext(example, options, config);
  if (options.session && !options.session.planned) {
    options.session.planned = true;
    languageById(example.language)?.planRuns?.(ctx, example.collections);
  }
  try {
    return await runCollection(ctx, collection);
  } finally {
    if (!options.session) cleanup(ctx);
  }
}

class Limiter {
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active += 1;
    try {
      return await task();
    } finally {
      this.active -= 1;
      this.queue.shift()?.();
    }
  }
}

/** Grades a submission against an example: every collection, through the sandbox. */
export async function gradeSubmission(options: TGradeOptions): Promise<TGradingReport> {
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const config = resolveGraderConfig(options.config);
  const example = options.example ?? (await loadExample(options.exampleDir));
  const ctx = createContext(example, options, config);
  languageById(example.language)?.planRuns?.(ctx, example.collections);
  const limiter = new Limiter(Math.max(1, options.concurrency ?? config.concurrency));
  try {
    // allSettled: on cancellation every run must have stopped before scratch space is removed.
    const settled = await Promise.allSettled(example.collections.map((collection) => limiter.run(() => runCollection(ctx, collection))));
    const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (rejected) throw rejected.reason;
    const results = settled.map((s) => (s as PromiseFulfilledResult<TCollectionResult>).value);
    return aggregateReport(example, results, { startedAt, durationMs: performance.now() - started, limits: ctx.limits });
  } finally {
    cleanup(ctx);
  }
}
