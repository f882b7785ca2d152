import fs from 'node:fs';
import path from 'node:path';
import { formatPercent, type TSandboxLimitsInput } from '@computor/contracts';
import type { TGraderConfig } from '../config';
import type { TLanguagePlugin } from './plugin';
import { resetRuntimeProbes, runtimeStatus } from './probe';
import { LANGUAGES } from './registry';

/** What a worker can grade: per language, its runtime and the outcome of its canary. */
export interface TLanguageHealth {
  language: string;
  /** The runtime is installed and its canary (if it has one and canaries ran) graded as expected. */
  ok: boolean;
  version?: string | undefined;
  /** Why not `ok`, in an operator's terms. */
  reason?: string | undefined;
  /** `passed`/`failed`; `not-run` when the runtime is missing or canaries are off; `none` without a canary. */
  canary: 'passed' | 'failed' | 'not-run' | 'none';
  canaryMs?: number | undefined;
}

const health = new Map<string, Promise<TLanguageHealth>>();

/** Grades the canary's reference (must score 1.0) and its wrong solution (must score below 1.0, without infrastructure errors). */
async function gradeCanary(plugin: TLanguagePlugin, config: TGraderConfig, limits: TSandboxLimitsInput | undefined): Promise<string | undefined> {
  // Imported here: grade.ts consults this module before each collection.
  const { gradeSubmission } = await import('../grade/grade');
  const dir = plugin.canaryDir as string;
  const wrongDir = path.join(dir, 'localTests', 'wrongSolution');
  const options = { exampleDir: dir, config, canary: true, ...(limits ? { limits } : {}) };
  const reference = await gradeSubmission({ ...options, submissionDir: dir });
  const unexpected = (report: typeof reference) =>
    report.collections.flatMap((c) => c.checks.filter((k) => k.status !== 'passed').map((k) => `${c.name} / ${k.name}: ${k.status}: ${k.message}`));
  if (reference.score !== 1) return `canary reference scored ${formatPercent(reference.score)}, expected 100 % (${unexpected(reference).slice(0, 3).join('; ')})`;
  if (fs.existsSync(wrongDir)) {
    const wrong = await gradeSubmission({ ...options, submissionDir: wrongDir });
    const infra = wrong.collections.flatMap((c) => c.checks.filter((k) => k.status === 'infra_error').map((k) => `${c.name} / ${k.name}: ${k.message}`));
    if (infra.length > 0) return `canary wrong solution hit infrastructure errors (${infra.slice(0, 3).join('; ')})`;
    if (wrong.score >= 1) return 'canary wrong solution scored 100 %, expected less';
  }
  return undefined;
}

async function assess(plugin: TLanguagePlugin, config: TGraderConfig, options: { canary: boolean; limits?: TSandboxLimitsInput | undefined }): Promise<TLanguageHealth> {
  const runtime = await runtimeStatus(plugin, config);
  if (!runtime.available) return { language: plugin.id, ok: false, reason: runtime.reason, canary: plugin.canaryDir ? 'not-run' : 'none' };
  if (!plugin.canaryDir) return { language: plugin.id, ok: true, version: runtime.version, canary: 'none' };
  if (!options.canary) return { language: plugin.id, ok: true, version: runtime.version, canary: 'not-run' };
  const started = performance.now();
  let problem: string | undefined;
  try {
    problem = await gradeCanary(plugin, config, options.limits);
  } catch (error) {
    problem = `canary could not be graded: ${error instanceof Error ? error.message : String(error)}`;
  }
  const canaryMs = Math.round(performance.now() - started);
  return problem
    ? { language: plugin.id, ok: false, version: runtime.version, reason: problem, canary: 'failed', canaryMs }
    : { language: plugin.id, ok: true, version: runtime.version, canary: 'passed', canaryMs };
}

/**
 * Probes every language's runtime and grades its canary, one language after another (the worker
 * calls this at start and polls meanwhile). Until a language's assessment is done, its hand-ins
 * wait for it; afterwards a language that is not `ok` takes none (languageProblem).
 */
export function assessLanguages(config: TGraderConfig, options: { canary: boolean; limits?: TSandboxLimitsInput | undefined }): Promise<TLanguageHealth[]> {
  let previous: Promise<unknown> = Promise.resolve();
  const all = LANGUAGES.map((plugin) => {
    const next = previous.then(() => assess(plugin, config, options));
    previous = next;
    health.set(plugin.id, next);
    return next;
  });
  return Promise.all(all);
}

/** Why this process cannot grade a language now (missing runtime, failed canary), or undefined. */
export async function languageProblem(plugin: TLanguagePlugin, config: TGraderConfig): Promise<string | undefined> {
  const assessed = health.get(plugin.id);
  if (assessed) {
    const result = await assessed;
    return result.ok ? undefined : result.reason;
  }
  const runtime = await runtimeStatus(plugin, config);
  return runtime.available ? undefined : runtime.reason;
}

/** Forgets assessments and probed runtimes (tests). */
export function resetLanguageHealth(): void {
  health.clear();
  resetRuntimeProbes();
}
