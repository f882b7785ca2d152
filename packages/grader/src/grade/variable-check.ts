import type { TCheckResult } from '@computor/contracts';
import { compareVariable } from '../compare/compare-values';
import { pyStr, render, type TPyValue } from '../compare/py-value';
import { evaluateTextCheck } from '../compare/text-checks';
import type { TResolvedCheck } from '../example/resolve';
import { brokenExample, checkResult, fromText, knownQualification, REFERENCE_FAILED } from './common';
import type { TReferenceRun } from './reference-cache';

// The variable check of every interpreted language (Python, Octave, R): a value the student's run
// reported, compared in the worker with the check's `value` or the reference run's value, with
// the original's semantics (compare/compare-values.ts). Each language decodes its values into
// TPyValue and says only where its values are and what its messages call them.

/** A value as a driver reports it: decoded, or why not (`limit`: over the value budget; `missing`: not defined). */
export type TFoundValue = { ok: true; value: TPyValue } | { ok: false; error: string; limit?: boolean | undefined; missing?: boolean | undefined };

export type TReferenceProblem = { status: 'error' | 'infra_error'; message: string; publicMessage: string };

const STRING_QUALIFICATIONS = new Set(['matches', 'contains', 'startsWith', 'endsWith', 'regexp', 'count']);

/** Why the reference run gives no values: infrastructure (retried) or the example's fault. */
export function referenceProblem(run: TReferenceRun): TReferenceProblem | undefined {
  if (run.status === 'completed') return undefined;
  if (run.status === 'timeout' || run.status === 'infra_error') return { status: 'infra_error', message: `reference solution run failed: ${run.message}`, publicMessage: REFERENCE_FAILED };
  return { status: 'error', message: run.message.startsWith('BROKEN EXAMPLE') ? run.message : brokenExample(`reference solution ${run.message}`), publicMessage: REFERENCE_FAILED };
}

export interface TVariableCheckInput {
  check: TResolvedCheck;
  /** The student's value of the check's name (undefined: not reported). */
  found: TFoundValue | undefined;
  /** The check's own `value` from test.yaml, or undefined when it has none. */
  value: unknown;
  /** `value` as the language reads it (Octave: `[1, 2]` is a row vector). */
  decodeValue(value: unknown): TPyValue;
  reference: TReferenceRun | undefined;
  referenceProblem: TReferenceProblem | undefined;
  /** Key of the expected value in the reference run's values (the name, or the evalString's key). */
  referenceKey: string;
  /** Staff text for a reference value that is not there, e.g. "`x` is missing from the reference namespace". */
  referenceMissing: string;
  /** What the language calls the student's variables: "student namespace", "the student's workspace". */
  workspace: string;
}

export function variableCheck(input: TVariableCheckInput): TCheckResult {
  const { check, found } = input;
  const started = performance.now();
  if (!knownQualification(check)) return checkResult(check, 'skipped', `qualification "${check.qualification}" is not supported`);
  if (found && !found.ok && found.limit) return checkResult(check, 'output_limit', `Variable \`${check.name}\`: ${found.error}`, { startedAt: started });
  if (!found || !found.ok) {
    const why = found && !found.ok && !found.missing ? ` (${found.error})` : '';
    return checkResult(check, 'failed', `Variable \`${check.name}\` not found in ${input.workspace}${why}`, { startedAt: started });
  }
  const actual = found.value;
  if (check.qualification === 'verifyEqual') {
    let expected: TPyValue;
    if (input.value !== undefined) expected = input.decodeValue(input.value);
    else {
      const problem = input.referenceProblem;
      if (problem) return checkResult(check, problem.status, problem.message, { publicMessage: problem.publicMessage, startedAt: started });
      const ref = input.reference?.values[input.referenceKey] as TFoundValue | undefined;
      if (!ref || !ref.ok) {
        return checkResult(check, 'error', brokenExample(`${input.referenceMissing}${ref && !ref.ok && !ref.missing ? ` (${ref.error})` : ''}`), {
          publicMessage: brokenExample('the expected value could not be computed from the reference solution'),
          startedAt: started,
        });
      }
      expected = ref.value;
    }
    const outcome = compareVariable(actual, expected, check.name, check);
    return outcome.ok
      ? checkResult(check, 'passed', `Variable \`${check.name}\` is correct`, { startedAt: started })
      : checkResult(check, 'failed', outcome.message, { publicMessage: outcome.publicMessage, expected: render(expected), actual: render(actual), startedAt: started });
  }
  if (STRING_QUALIFICATIONS.has(check.qualification)) {
    const pattern = check.check.pattern ?? (input.value !== undefined ? String(input.value) : undefined);
    const outcome = evaluateTextCheck({
      qualification: check.qualification,
      actual: pyStr(actual),
      pattern,
      countRequirement: check.check.countRequirement ?? undefined,
      ignoreCase: check.check.ignoreCase ?? undefined,
      trimOutput: check.check.trimOutput ?? false,
      normalizeNewlines: check.check.normalizeNewlines ?? false,
    });
    const label = (message: string): string => `Variable \`${check.name}\`: ${message}`;
    return fromText(check, { ...outcome, message: label(outcome.message), publicMessage: label(outcome.publicMessage ?? outcome.message) }, started);
  }
  return checkResult(check, 'skipped', `qualification "${check.qualification}" is not supported for variables`);
}
