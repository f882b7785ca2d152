import { fromYaml } from '../../compare/py-value';
import { compilePythonRegex, PatternError, searchRegex } from '../../compare/regex';
import type { TResolvedCheck, TResolvedCollection } from '../../example/resolve';
import { readFileInside } from '../../files';
import {
  allChecks,
  brokenExample,
  checkResult,
  existChecks,
  explicitExpected,
  invalidCheck,
  needsReferenceOutput,
  outputCheck,
  skipAll,
  statusOfRun,
  type TCollectionOutcome,
} from '../../grade/common';
import { fileSet, planRuns, runLimits, runtimeEnvironment, type TGradeContext, type TSide } from '../../grade/context';
import type { TReferenceRun } from '../../grade/reference-cache';
import { cachedReferenceRun, plannedRun } from '../../grade/interpreted-runs';
import { referenceProblem, variableCheck } from '../../grade/variable-check';
import { rEnvironment, runR, RUnavailableError, type TREnvironment, type TRRun } from './runner';
import { rStructural } from './structural';

/**
 * Output checks follow the semantics the Python plug-in implements, which are the original R
 * tester's too (`check_stdout`): `matches` with a pattern is a regular-expression search, the rest
 * of the qualifications as for every interpreted language (decision R9: none passes unchecked).
 */
const OUTPUT_SEMANTICS = 'interpreted' as const;

const R_SCRIPT = /\.[rR]$/;

class REnvironmentMissing {
  constructor(readonly message: string) {}
}

function environmentOf(ctx: TGradeContext): TREnvironment | REnvironmentMissing {
  return runtimeEnvironment(ctx, 'r', () => {
    try {
      return rEnvironment();
    } catch (error) {
      if (error instanceof RUnavailableError) return new REnvironmentMissing(error.message);
      throw error;
    }
  });
}

/** The script a collection runs: `entryPoint`, else the first `*.R`, else the first `*.r` (as the original). */
export function scriptOf(collection: TResolvedCollection, present: Set<string>): string | undefined {
  if (collection.collection.entryPoint) return collection.collection.entryPoint;
  const sorted = [...present].filter((rel) => R_SCRIPT.test(rel)).sort();
  return sorted.find((rel) => rel.endsWith('.R')) ?? sorted[0];
}

function failedRun(message: string, status: TRRun['status'] = 'error'): TRRun {
  return {
    status,
    message,
    stdout: '',
    stderr: '',
    exitCode: null,
    signal: null,
    durationMs: 0,
    stdoutBytes: 0,
    stderrBytes: 0,
    timedOut: false,
    memoryExceeded: false,
    values: {},
    warnings: [],
    error: undefined,
  };
}

/** Key of the run a collection needs: collections with equal keys share one run. */
export function rRunKey(ctx: TGradeContext, collection: TResolvedCollection, side: TSide): string {
  const limits = runLimits(ctx, collection);
  return `${side}:r-run:${JSON.stringify([collection.collection.entryPoint ?? null, collection.setUpCode, collection.tearDownCode, collection.inputAnswers, limits.wallTimeoutMs])}`;
}

/** `value:` given in test.yaml (null counts as absent, as in the original). */
function explicitValue(check: TResolvedCheck): unknown {
  return check.check.value === null ? undefined : check.check.value;
}

/** What a collection needs from its runs: variable names (student; reference), reference expressions (`evalString`). */
export function rWanted(collection: TResolvedCollection): { student: string[]; reference: string[] } {
  if (collection.type !== 'variable' && collection.type !== 'graphics') return { student: [], reference: [] };
  const student = collection.checks.map((c) => c.name);
  const reference = collection.checks
    .filter((c) => c.qualification === 'verifyEqual' && explicitValue(c) === undefined)
    .map((c) => (c.check.evalString ? `=${c.check.evalString}` : c.name));
  return { student, reference };
}

function splitWanted(keys: string[]): { names: string[]; expressions: string[] } {
  return { names: keys.filter((k) => !k.startsWith('=')), expressions: keys.filter((k) => k.startsWith('=')).map((k) => k.slice(1)) };
}

async function rRun(ctx: TGradeContext, collection: TResolvedCollection, side: TSide, wanted: string[]): Promise<TRRun> {
  const key = rRunKey(ctx, collection, side);
  const execute = async (keys: string[]): Promise<TRRun> => {
    const env = environmentOf(ctx);
    if (env instanceof REnvironmentMissing) return failedRun(`could not be run: ${env.message}`, 'infra_error');
    const files = await fileSet(ctx, side);
    if (files.problems.length > 0) return failedRun(side === 'student' ? files.problems.join('; ') : brokenExample(files.problems.join('; ')));
    const script = scriptOf(collection, files.present);
    if (script === undefined || !files.present.has(script)) {
      const message = script === undefined ? 'has no R script (*.R)' : `has no script "${script}"`;
      return failedRun(side === 'student' ? `could not be run: the submission ${message}` : brokenExample(`the example ${message}`));
    }
    const { names, expressions } = splitWanted(keys);
    return runR(ctx.sandbox, env, {
      files: files.files,
      entryPoint: script,
      setUpCode: collection.setUpCode,
      tearDownCode: collection.tearDownCode,
      names,
      expressions,
      stdin: collection.inputAnswers.length > 0 ? `${collection.inputAnswers.join('\n')}\n` : undefined,
      limits: runLimits(ctx, collection),
      signal: ctx.signal,
    });
  };
  return plannedRun(ctx, key, wanted, execute);
}

async function referenceRun(ctx: TGradeContext, collection: TResolvedCollection, wanted: string[]): Promise<TReferenceRun> {
  return cachedReferenceRun(ctx, collection.index, wanted, () => rRun(ctx, collection, 'reference', wanted));
}

function runFailure(run: TRRun): string {
  return `the program ${run.message}`;
}

/** The student run, and the reference run when needed: started together, the reference is cached for every later hand-in. */
async function runs(ctx: TGradeContext, collection: TResolvedCollection, student: string[], reference: string[] | undefined): Promise<[TRRun, TReferenceRun | undefined]> {
  const referencePromise = reference ? referenceRun(ctx, collection, reference) : Promise.resolve(undefined);
  // A rejection of the reference run surfaces when it is awaited below, never unhandled.
  referencePromise.catch(() => undefined);
  const run = await rRun(ctx, collection, 'student', student);
  return [run, await referencePromise];
}

async function variableChecks(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const wanted = rWanted(collection);
  const [run, reference] = await runs(ctx, collection, wanted.student, wanted.reference.length > 0 ? wanted.reference : undefined);
  if (run.status !== 'completed') return { run, checks: allChecks(collection, statusOfRun(run.status), runFailure(run)) };
  const problem = reference ? referenceProblem(reference) : undefined;
  return {
    run,
    checks: collection.checks.map((check) =>
      variableCheck({
        check,
        found: run.values[check.name],
        value: explicitValue(check),
        decodeValue: fromYaml,
        reference,
        referenceProblem: problem,
        referenceKey: check.check.evalString ? `=${check.check.evalString}` : check.name,
        referenceMissing: check.check.evalString ? `\`${check.check.evalString}\` could not be evaluated in the reference workspace` : `\`${check.name}\` is missing from the reference workspace`,
        workspace: "the student's workspace",
      }),
    ),
  };
}

async function outputChecks(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const needReference = collection.checks.some((check) => needsReferenceOutput(check, 'stdout', OUTPUT_SEMANTICS));
  const [run, reference] = await runs(ctx, collection, [], needReference ? [] : undefined);
  if (run.status !== 'completed') return { run, checks: allChecks(collection, statusOfRun(run.status), runFailure(run)) };
  const problem = reference ? referenceProblem(reference) : undefined;
  const checks = collection.checks.map((check) => {
    const started = performance.now();
    let expected = explicitExpected(check, 'stdout');
    if (needsReferenceOutput(check, 'stdout', OUTPUT_SEMANTICS)) {
      if (problem) return checkResult(check, problem.status, problem.message, { publicMessage: problem.publicMessage, startedAt: started });
      expected = reference?.stdout;
    }
    try {
      return outputCheck(check, OUTPUT_SEMANTICS, 'stdout', run, expected, started);
    } catch (error) {
      if (error instanceof PatternError) return invalidCheck(check, error);
      throw error;
    }
  });
  return { run, checks };
}

function patternFound(pattern: string | undefined, texts: string[]): boolean {
  if (pattern === undefined) return texts.length > 0;
  const regex = compilePythonRegex(pattern);
  return texts.some((text) => searchRegex(regex, text) !== null);
}

/** `error` / `warning` (decisions R1-R3): what the run raised, matched against `pattern` (any, without one). */
async function errorOrWarningChecks(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const run = await rRun(ctx, collection, 'student', []);
  if (run.status === 'timeout' || run.status === 'memory_exceeded' || run.status === 'output_limit' || run.status === 'infra_error') {
    return { run, checks: allChecks(collection, statusOfRun(run.status), runFailure(run)) };
  }
  const isError = collection.type === 'error';
  let texts: string[];
  if (!isError) texts = run.warnings;
  else if (run.error) texts = [run.error.message, run.error.call !== undefined ? `Error in ${run.error.call} : ${run.error.message}` : `Error: ${run.error.message}`];
  else texts = run.status === 'error' ? [run.message] : [];
  const what = isError ? 'error' : 'warning';
  const checks = collection.checks.map((check) => {
    try {
      if (patternFound(check.check.pattern, texts)) return checkResult(check, 'passed', `expected ${what} occurred`);
      return texts.length === 0
        ? checkResult(check, 'failed', `expected ${what === 'error' ? 'an error' : 'a warning'}, none occurred`)
        : checkResult(check, 'failed', `no ${what} matches ${JSON.stringify(check.check.pattern)}`, { publicMessage: `no ${what} matches the expected pattern`, actual: texts[0] });
    } catch (error) {
      if (error instanceof PatternError) return invalidCheck(check, error);
      throw error;
    }
  });
  return { run, checks };
}

/** Structural checks (see structural.ts) on `file`, else the collection's script, of the hand-in. */
async function structuralChecks(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const files = await fileSet(ctx, 'student');
  const file = collection.collection.file ?? scriptOf(collection, files.present);
  const source = file && files.present.has(file) ? await readFileInside(ctx.submissionDir, file, 16 * 1024 * 1024) : undefined;
  if (!file || !source) return { checks: allChecks(collection, 'failed', `R file ${file ? `"${file}" ` : ''}not found for structural test`) };
  const text = source.toString('utf8');
  const checks = collection.checks.map((check) => {
    const started = performance.now();
    try {
      const outcome = rStructural(text, check);
      return checkResult(check, outcome.ok ? 'passed' : 'failed', outcome.message, { publicMessage: outcome.publicMessage, expected: outcome.expected, actual: String(outcome.count), startedAt: started });
    } catch (error) {
      if (error instanceof PatternError) return invalidCheck(check, error);
      throw error;
    }
  });
  return { checks };
}

/** Lets collections that run the same script with the same test code and inputs share one run. */
export function planRRuns(ctx: TGradeContext, collections: readonly TResolvedCollection[]): void {
  planRuns(ctx, collections, rWanted, (collection, side) => rRunKey(ctx, collection, side));
}

export async function gradeRCollection(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  switch (collection.type) {
    case 'variable':
    case 'graphics':
      // graphics: as in the original R tester, variable checks on the workspace after the run.
      return variableChecks(ctx, collection);
    case 'stdout':
      return outputChecks(ctx, collection);
    case 'error':
    case 'warning':
      return errorOrWarningChecks(ctx, collection);
    case 'structural':
      return structuralChecks(ctx, collection);
    case 'exist':
      return existChecks(ctx, collection);
    default:
      return skipAll(collection, `collection type "${collection.type}" is not supported for R`);
  }
}
