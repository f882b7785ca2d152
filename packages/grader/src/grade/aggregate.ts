import fs from 'node:fs';
import path from 'node:path';
import {
  GRADING_REPORT_SCHEMA_VERSION,
  type TCheckResult,
  type TCheckStatus,
  type TCollectionResult,
  type TGradingEnvironment,
  type TGradingReport,
  type TSandboxLimits,
  type TSummary,
} from '@computor/contracts';
import type { TExample } from '../example/load-example';
import { findCollectionIndex, type TResolvedCollection } from '../example/resolve';
import { languageById } from '../languages/registry';

function readVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as { name?: string; version?: string };
    return `${pkg.name ?? '@computor/grader'}@${pkg.version ?? '0.0.0'}`;
  } catch {
    return '@computor/grader';
  }
}

export const GRADER_VERSION = readVersion();

export function summarizeChecks(checks: readonly TCheckResult[]): TSummary {
  const passed = checks.filter((c) => c.status === 'passed').length;
  const skipped = checks.filter((c) => c.status === 'skipped').length;
  return { total: checks.length, passed, failed: checks.length - passed - skipped, skipped };
}

function scoredTotal(checks: readonly TCheckResult[]): number {
  return checks.filter((c) => c.scored !== false).length;
}

const SEVERITY: TCheckStatus[] = ['infra_error', 'timeout', 'memory_exceeded', 'output_limit', 'error', 'failed'];

/** A collection passes only when all its checks pass; otherwise it takes its worst check's status. */
export function collectionStatus(checks: readonly TCheckResult[]): TCheckStatus {
  if (checks.length > 0 && checks.every((c) => c.status === 'passed')) return 'passed';
  for (const status of SEVERITY) if (checks.some((c) => c.status === status)) return status;
  return 'skipped';
}

export function collectionMessage(checks: readonly TCheckResult[], status: TCheckStatus): string {
  const summary = summarizeChecks(checks);
  if (checks.length === 0) return 'no checks';
  if (status === 'passed') return `all ${summary.total} checks passed`;
  const worst = checks.find((c) => c.status === status);
  const counts = `${summary.passed} of ${summary.total} checks passed${summary.skipped > 0 ? `, ${summary.skipped} skipped` : ''}`;
  return status === 'failed' || status === 'skipped' || !worst ? counts : `${counts}: ${worst.message}`;
}

function skippedForDependency(result: TCollectionResult, reason: string): TCollectionResult {
  const checks = result.checks.map((check) => ({ ...check, status: 'skipped' as const, message: reason, publicMessage: reason, durationMs: 0 }));
  return { ...result, checks, status: 'skipped', message: reason, publicMessage: reason, summary: summarizeChecks(checks) };
}

/**
 * Applies `successDependency`: a collection whose dependencies did not pass completely is
 * skipped. Cycles and unknown dependencies count as unsatisfied.
 */
export function applyDependencies(collections: readonly TResolvedCollection[], results: readonly TCollectionResult[], indexBase: 0 | 1 = 0): TCollectionResult[] {
  const raw = collections.map((c) => c.collection);
  const effective = new Map<number, TCollectionResult>();
  const resolve = (index: number, visiting: Set<number>): TCollectionResult | undefined => {
    const done = effective.get(index);
    if (done) return done;
    const result = results[index];
    const collection = collections[index];
    if (!result || !collection) return undefined;
    if (visiting.has(index)) return undefined;
    visiting.add(index);
    let final = result;
    for (const dependency of collection.collection.successDependency ?? []) {
      const depIndex = findCollectionIndex(raw, dependency, indexBase);
      const depResult = depIndex === undefined ? undefined : resolve(depIndex, visiting);
      if (!depResult || depResult.status !== 'passed') {
        final = skippedForDependency(result, `dependency \`${dependency}\` not satisfied`);
        break;
      }
    }
    visiting.delete(index);
    effective.set(index, final);
    return final;
  };
  return results.map((result, index) => resolve(index, new Set()) ?? result);
}

export interface TAggregateOptions {
  startedAt?: string;
  durationMs?: number;
  limits?: TSandboxLimits;
  environment?: Partial<TGradingEnvironment>;
}

/** Combines per-collection results (e.g. one Temporal activity each) into the report. Pure apart from reading the Node version. */
export function aggregateReport(
  example: Pick<TExample, 'collections' | 'languageName' | 'meta'> & Partial<Pick<TExample, 'language'>>,
  collectionResults: readonly TCollectionResult[],
  options: TAggregateOptions = {},
): TGradingReport {
  if (collectionResults.length !== example.collections.length) {
    throw new Error(`expected ${example.collections.length} collection results, got ${collectionResults.length}`);
  }
  const collections = applyDependencies(example.collections, collectionResults, languageById(example.language)?.dependencyIndexBase ?? 0);
  const checks = collections.flatMap((c) => c.checks);
  const summary = summarizeChecks(checks);
  const collectionSummary: TSummary = {
    total: collections.length,
    passed: collections.filter((c) => c.status === 'passed').length,
    skipped: collections.filter((c) => c.status === 'skipped').length,
    failed: collections.filter((c) => c.status !== 'passed' && c.status !== 'skipped').length,
  };
  const limits: Record<string, number> = {};
  for (const [key, value] of Object.entries(options.limits ?? {})) if (typeof value === 'number') limits[key] = value;
  return {
    schemaVersion: GRADING_REPORT_SCHEMA_VERSION,
    status: collections.some((c) => c.status === 'infra_error') ? 'infra_error' : 'completed',
    ...(options.startedAt !== undefined ? { startedAt: options.startedAt } : {}),
    collections,
    summary,
    collectionSummary,
    // Checks that could not run for want of a runtime (scored: false) are in the summary as skipped, not in the score.
    score: scoredTotal(checks) > 0 ? summary.passed / scoredTotal(checks) : 0,
    passed: summary.total > 0 && summary.passed === summary.total,
    durationMs: Math.round(options.durationMs ?? collections.reduce((sum, c) => sum + c.durationMs, 0)),
    environment: {
      grader: GRADER_VERSION,
      language: example.languageName,
      executionBackend: example.meta.properties.executionBackend?.slug ?? null,
      sandbox: 'bubblewrap',
      limits,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      ...options.environment,
    },
  };
}
