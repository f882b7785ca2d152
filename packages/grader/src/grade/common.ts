import fs from 'node:fs';
import path from 'node:path';
import { PLAIN_INFRA_MESSAGE, type TCheckResult, type TCheckStatus, type TCollectionVisibility, type TExpectedVisibility } from '@computor/contracts';
import { KNOWN_QUALIFICATIONS } from '../example/schemas';
import type { TExample } from '../example/load-example';
import { findCollectionIndex, type TResolvedCheck, type TResolvedCollection } from '../example/resolve';
import { evaluateTextCheck, INVALID_CHECK, summarize, type TTextOutcome } from '../compare/text-checks';
import { listRegularFiles } from '../files';
import type { TProgramRun, TRunStatus } from '../runners/run-result';
import type { TGradeContext } from './context';

export interface TCollectionOutcome {
  checks: TCheckResult[];
  /** The student run the checks looked at, if the collection ran code. */
  run?: TProgramRun | undefined;
}

export interface TCheckExtra {
  /** `message` without the expected value; required whenever `message` names it (see README, "Who sees what"). */
  publicMessage?: string | undefined;
  expected?: string | undefined;
  actual?: string | undefined;
  /** Internal detail (an exception's text) for staff and logs. */
  detail?: string | undefined;
  /** `false`: left out of the score (the worker lacks the runtime). */
  scored?: false | undefined;
  startedAt?: number;
}

export function checkResult(check: TResolvedCheck, status: TCheckStatus, message: string, extra: TCheckExtra = {}): TCheckResult {
  const durationMs = extra.startedAt === undefined ? 0 : Math.max(0, performance.now() - extra.startedAt);
  // A grader failure is never explained to students in the grader's terms.
  const publicMessage = status === 'infra_error' ? PLAIN_INFRA_MESSAGE : (extra.publicMessage ?? message);
  const result: TCheckResult = { name: check.name, status, message, publicMessage, durationMs: Math.round(durationMs * 1000) / 1000 };
  if (extra.expected !== undefined) result.expected = summarize(extra.expected);
  if (extra.actual !== undefined) result.actual = summarize(extra.actual);
  if (extra.detail !== undefined) result.detail = extra.detail;
  if (extra.scored === false) result.scored = false;
  // A lecturer's custom messages replace the generic ones, as in the original.
  if (status === 'passed' && check.successMessage) result.message = result.publicMessage = check.successMessage;
  if (status === 'failed' && check.failureMessage) {
    result.message = `${check.failureMessage} (${message})`;
    result.publicMessage = `${check.failureMessage} (${publicMessage})`;
  }
  return result;
}

/** What students may see of this collection's expected values: `expectedByCollection`, else `expected`, else `never`. */
export function expectedVisibility(example: Pick<TExample, 'meta' | 'suite'>, collection: TResolvedCollection): TExpectedVisibility {
  const settings = example.meta.properties.executionBackend?.settings;
  for (const [key, visibility] of Object.entries(settings?.expectedByCollection ?? {})) {
    if (findCollectionIndex(example.suite.properties.tests, key) === collection.index) return visibility;
  }
  return settings?.expected ?? 'never';
}

/** Whether students see this collection: `visibilityByCollection`, else `visibility`, else `always`. */
export function collectionVisibility(example: Pick<TExample, 'meta' | 'suite'>, collection: TResolvedCollection): TCollectionVisibility {
  const settings = example.meta.properties.executionBackend?.settings;
  for (const [key, visibility] of Object.entries(settings?.visibilityByCollection ?? {})) {
    if (findCollectionIndex(example.suite.properties.tests, key) === collection.index) return visibility;
  }
  return settings?.visibility ?? 'always';
}

export function allChecks(collection: TResolvedCollection, status: TCheckStatus, message: string, extra: Pick<TCheckExtra, 'publicMessage' | 'detail' | 'scored'> = {}): TCheckResult[] {
  return collection.checks.map((check) => checkResult(check, status, message, extra));
}

export function skipAll(collection: TResolvedCollection, reason: string): TCollectionOutcome {
  return { checks: allChecks(collection, 'skipped', reason) };
}

/** The check status every check of a run gets when the run itself did not complete. */
export function statusOfRun(status: TRunStatus): TCheckStatus {
  return status === 'completed' ? 'passed' : status;
}

export function fromText(check: TResolvedCheck, outcome: TTextOutcome, startedAt: number): TCheckResult {
  return checkResult(check, outcome.status, outcome.message, { publicMessage: outcome.publicMessage, expected: outcome.expected, actual: outcome.actual, startedAt });
}

const QUALIFICATIONS = new Set<string>(KNOWN_QUALIFICATIONS);

export function knownQualification(check: TResolvedCheck): boolean {
  return QUALIFICATIONS.has(check.qualification);
}

export function brokenExample(detail: string): string {
  return `BROKEN EXAMPLE (not the student's fault): ${detail}`;
}

/** What students read when the reference solution failed: its messages may quote reference values. */
export const REFERENCE_FAILED = brokenExample('the reference solution could not be run');

/** A check whose pattern is invalid: the example's fault; the public text does not quote the pattern. */
export function invalidCheck(check: TResolvedCheck, error: Error): TCheckResult {
  return checkResult(check, 'error', `invalid check: ${error.message}`, { publicMessage: INVALID_CHECK });
}

/** Glob as test.yaml writes them (`*`, `?`, `**`) against `/`-separated relative paths. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i += 1) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      source += '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** `exist`: the file (collection `file`, else the check's name; globs allowed) is in the hand-in and not empty. */
export async function existChecks(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const files = await listRegularFiles(ctx.submissionDir);
  const checks = collection.checks.map((check) => {
    const started = performance.now();
    const pattern = collection.collection.file ?? check.name;
    const regex = globToRegExp(pattern);
    const matches = files.filter((rel) => regex.test(rel));
    if (matches.length === 0) return checkResult(check, 'failed', `file "${pattern}" not found in the submission`, { startedAt: started });
    if (!check.check.allowEmpty) {
      const empty = matches.find((rel) => fs.statSync(path.join(ctx.submissionDir, rel)).size === 0);
      if (empty) return checkResult(check, 'failed', `file "${empty}" is empty`, { startedAt: started });
    }
    return checkResult(check, 'passed', `found ${matches.join(', ')}`, { startedAt: started });
  });
  return { checks };
}

/** Expected text given in the check itself (expectedStdout/expectedStderr, else value). */
export function explicitExpected(check: TResolvedCheck, stream: 'stdout' | 'stderr'): string | undefined {
  const listed = stream === 'stderr' ? check.check.expectedStderr : check.check.expectedStdout;
  if (listed) return listed.join('\n');
  const { value } = check.check;
  if (value === undefined || value === null) return undefined;
  return Array.isArray(value) ? value.map(String).join('\n') : String(value);
}

export function expectedNumbers(check: TResolvedCheck): number[] | undefined {
  const { value } = check.check;
  if (typeof value === 'number') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value as number[];
  return undefined;
}

/** Qualifications that compare with a text and fall back to the reference run's output without one. */
const NEEDS_TARGET = new Set(['verifyEqual', 'matches', 'contains', 'startsWith', 'endsWith', 'regexp', 'regexpMultiline', 'matchesLine', 'containsLine', 'lineCount', 'numericOutput']);

/**
 * The original engines' two sets of output-check rules: `interpreted` (its Python, R and Octave
 * testers: `matches` with a pattern is a regular-expression search) and `compiled` (its C/Fortran
 * testers: `matches`/`verifyEqual` compare the whole output with `value`, else the reference
 * output, and ignore `pattern`).
 */
export type TOutputRules = 'interpreted' | 'compiled';

export function outputQualification(check: TResolvedCheck, rules: TOutputRules): { qualification: string; pattern: string | undefined } {
  const { qualification } = check;
  const { pattern } = check.check;
  if (rules === 'interpreted' && qualification === 'matches' && pattern !== undefined) return { qualification: 'regexp', pattern };
  if (rules === 'compiled' && (qualification === 'matches' || qualification === 'verifyEqual')) return { qualification, pattern: undefined };
  return { qualification, pattern };
}

export function needsReferenceOutput(check: TResolvedCheck, stream: 'stdout' | 'stderr', rules: TOutputRules): boolean {
  const { qualification, pattern } = outputQualification(check, rules);
  return NEEDS_TARGET.has(qualification) && explicitExpected(check, stream) === undefined && pattern === undefined;
}

/** An output check of a finished run: its stream against `expected` (explicit, or the reference run's). */
export function outputCheck(check: TResolvedCheck, rules: TOutputRules, stream: 'stdout' | 'stderr', run: TProgramRun, expected: string | undefined, startedAt: number): TCheckResult {
  const how = outputQualification(check, rules);
  return fromText(
    check,
    evaluateTextCheck({
      qualification: how.qualification,
      actual: stream === 'stderr' ? run.stderr : run.stdout,
      expected,
      pattern: how.pattern,
      expectedNumbers: expectedNumbers(check),
      countRequirement: check.check.countRequirement ?? undefined,
      lineNumber: check.check.lineNumber ?? undefined,
      ignoreCase: check.check.ignoreCase ?? undefined,
      ignoreWhitespace: check.check.ignoreWhitespace ?? undefined,
      trimOutput: check.check.trimOutput ?? undefined,
      normalizeNewlines: check.check.normalizeNewlines ?? undefined,
      numericTolerance: check.check.numericTolerance ?? undefined,
      relativeTolerance: check.relativeTolerance,
      exitCode: run.exitCode,
    }),
    startedAt,
  );
}

export function streamOf(collection: TResolvedCollection): 'stdout' | 'stderr' {
  return collection.type === 'stderr' ? 'stderr' : 'stdout';
}

/** `runtime`: the run took at most `value` seconds. */
export function runtimeCheck(check: TResolvedCheck, run: TProgramRun): TCheckResult {
  const limit = Number(check.check.value);
  if (check.check.value === undefined || Number.isNaN(limit)) return checkResult(check, 'skipped', 'runtime check without a time limit (value, seconds)');
  const seconds = run.durationMs / 1000;
  return seconds <= limit
    ? checkResult(check, 'passed', `ran in ${seconds.toFixed(3)} s`)
    : checkResult(check, 'failed', `ran in ${seconds.toFixed(3)} s, limit ${limit} s`, { publicMessage: `ran in ${seconds.toFixed(3)} s, longer than allowed`, expected: `<= ${limit} s`, actual: `${seconds.toFixed(3)} s` });
}
