import { fromYaml } from '../../compare/py-value';
import { compilePythonRegex, PatternError, searchRegex } from '../../compare/regex';
import { checkOccurrences, countPatternOccurrences, countPythonOccurrences } from '../../compare/structural';
import type { TResolvedCollection } from '../../example/resolve';
import { readFileInside } from '../../files';
import { pythonEnvironment, runPython, type TPythonEnvironment, type TPythonRun } from './runner';
import type { TProgramRun } from '../../runners/run-result';
import {
  allChecks,
  brokenExample,
  checkResult,
  existChecks,
  explicitExpected,
  invalidCheck,
  needsReferenceOutput,
  outputCheck,
  runtimeCheck,
  skipAll,
  statusOfRun,
  streamOf,
  type TCollectionOutcome,
} from '../../grade/common';
import { fileSet, memoize, planRuns, runLimits, runtimeEnvironment, type TGradeContext, type TSide } from '../../grade/context';
import type { TReferenceRun } from '../../grade/reference-cache';
import { cachedReferenceRun, plannedRun } from '../../grade/interpreted-runs';
import { referenceProblem, variableCheck } from '../../grade/variable-check';

function python(ctx: TGradeContext): TPythonEnvironment {
  return runtimeEnvironment(ctx, 'python', () => pythonEnvironment(ctx.config.pythonBin));
}


function entryPointOf(collection: TResolvedCollection, present: Set<string>): string | undefined {
  return collection.collection.entryPoint ?? [...present].filter((rel) => rel.endsWith('.py')).sort()[0];
}

function failedRun(message: string): TPythonRun {
  return {
    status: 'error',
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
    tokens: undefined,
    needles: undefined,
  };
}

/** Key of the run a collection needs: collections with equal keys share one run. */
export function pythonRunKey(ctx: TGradeContext, collection: TResolvedCollection, side: TSide, graphics: boolean): string {
  const limits = runLimits(ctx, collection);
  return `${side}:py-run:${JSON.stringify([
    collection.collection.entryPoint ?? null,
    collection.setUpCode,
    collection.tearDownCode,
    collection.inputAnswers,
    graphics,
    limits.wallTimeoutMs,
  ])}`;
}

/** Expressions a collection needs from its student and reference runs. */
export function pythonExpressions(collection: TResolvedCollection): { student: string[]; reference: string[] } {
  if (collection.type !== 'variable' && collection.type !== 'graphics') return { student: [], reference: [] };
  const student = collection.checks.map((c) => c.name);
  const reference = collection.checks
    .filter((c) => c.qualification === 'verifyEqual' && c.check.value === undefined)
    .map((c) => c.check.evalString ?? c.name);
  return { student, reference };
}

async function pythonRun(ctx: TGradeContext, collection: TResolvedCollection, side: TSide, expressions: string[], graphics: boolean): Promise<TPythonRun> {
  const key = pythonRunKey(ctx, collection, side, graphics);
  const execute = async (wanted: string[]): Promise<TPythonRun> => {
    const files = await fileSet(ctx, side);
    if (files.problems.length > 0) return failedRun(side === 'student' ? files.problems.join('; ') : brokenExample(files.problems.join('; ')));
    const entryPoint = entryPointOf(collection, files.present);
    if (entryPoint !== undefined && !files.present.has(entryPoint)) {
      const message = `entry point "${entryPoint}" not found in the ${side === 'student' ? 'submission' : 'example'}`;
      return failedRun(side === 'student' ? message : brokenExample(message));
    }
    return runPython(ctx.sandbox, python(ctx), {
      mode: 'run',
      files: files.files,
      entryPoint,
      setUpCode: collection.setUpCode,
      tearDownCode: collection.tearDownCode,
      expressions: wanted,
      graphics,
      stdin: collection.inputAnswers.length > 0 ? `${collection.inputAnswers.join('\n')}\n` : undefined,
      limits: runLimits(ctx, collection),
      signal: ctx.signal,
    });
  };
  return plannedRun(ctx, key, expressions, execute);
}

async function referenceRun(ctx: TGradeContext, collection: TResolvedCollection, expressions: string[], graphics: boolean): Promise<TReferenceRun> {
  return cachedReferenceRun(ctx, collection.index, expressions, () => pythonRun(ctx, collection, 'reference', expressions, graphics));
}

function runFailure(run: TProgramRun): string {
  return `the program ${run.message}`;
}

async function variableChecks(ctx: TGradeContext, collection: TResolvedCollection, graphics: boolean): Promise<TCollectionOutcome> {
  const { student, reference: refExpressions } = pythonExpressions(collection);
  const run = await pythonRun(ctx, collection, 'student', student, graphics);
  if (run.status !== 'completed') return { run, checks: allChecks(collection, statusOfRun(run.status), runFailure(run)) };
  let reference: TReferenceRun | undefined;
  if (refExpressions.length > 0) reference = await referenceRun(ctx, collection, refExpressions, graphics);
  const problem = reference ? referenceProblem(reference) : undefined;
  return {
    run,
    checks: collection.checks.map((check) =>
      variableCheck({
        check,
        found: run.values[check.name],
        value: check.check.value,
        decodeValue: fromYaml,
        reference,
        referenceProblem: problem,
        referenceKey: check.check.evalString ?? check.name,
        referenceMissing: `\`${check.check.evalString ?? check.name}\` is missing from the reference namespace`,
        workspace: 'student namespace',
      }),
    ),
  };
}

async function outputChecks(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const stream = streamOf(collection);
  const run = await pythonRun(ctx, collection, 'student', [], false);
  if (run.status !== 'completed') return { run, checks: allChecks(collection, statusOfRun(run.status), runFailure(run)) };
  const needReference = collection.checks.some((check) => needsReferenceOutput(check, stream, 'interpreted'));
  const reference = needReference ? await referenceRun(ctx, collection, [], false) : undefined;
  const problem = reference ? referenceProblem(reference) : undefined;
  const checks = collection.checks.map((check) => {
    const started = performance.now();
    let expected = explicitExpected(check, stream);
    if (needsReferenceOutput(check, stream, 'interpreted')) {
      if (problem) return checkResult(check, problem.status, problem.message, { publicMessage: problem.publicMessage, startedAt: started });
      expected = stream === 'stderr' ? reference?.stderr : reference?.stdout;
    }
    return outputCheck(check, 'interpreted', stream, run, expected, started);
  });
  return { run, checks };
}

async function exitCodeChecks(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const run = await pythonRun(ctx, collection, 'student', [], false);
  if (run.status !== 'completed' && run.status !== 'error') return { run, checks: allChecks(collection, statusOfRun(run.status), runFailure(run)) };
  const checks = collection.checks.map((check) => {
    const expected = check.check.expectedExitCode ?? (check.check.value !== undefined ? Number(check.check.value) : 0);
    return run.exitCode === expected
      ? checkResult(check, 'passed', `exit code ${expected}`)
      : checkResult(check, 'failed', `exit code ${String(run.exitCode)}, expected ${expected}${run.message ? ` (${run.message})` : ''}`, {
          publicMessage: `exit code ${String(run.exitCode)}, not the expected one${run.message ? ` (${run.message})` : ''}`,
          expected: String(expected),
          actual: String(run.exitCode),
        });
  });
  return { run, checks };
}

function patternFound(pattern: string | undefined, texts: string[]): boolean {
  if (pattern === undefined) return texts.length > 0;
  const regex = compilePythonRegex(pattern);
  return texts.some((text) => searchRegex(regex, text) !== null);
}

async function errorOrWarningChecks(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const run = await pythonRun(ctx, collection, 'student', [], false);
  if (run.status === 'timeout' || run.status === 'memory_exceeded' || run.status === 'output_limit' || run.status === 'infra_error') {
    return { run, checks: allChecks(collection, statusOfRun(run.status), runFailure(run)) };
  }
  const isError = collection.type === 'error';
  const texts = isError ? (run.error ? [`${run.error.type}: ${run.error.message}`, run.error.traceback] : run.status === 'error' ? [run.message] : []) : run.warnings;
  const checks = collection.checks.map((check) => {
    const what = isError ? 'error' : 'warning';
    try {
      return patternFound(check.check.pattern, texts)
        ? checkResult(check, 'passed', `expected ${what} occurred`)
        : texts.length === 0
          ? checkResult(check, 'failed', `expected ${isError ? "an error" : "a warning"}, none occurred`)
          : checkResult(check, 'failed', `no ${what} matches ${JSON.stringify(check.check.pattern)}`, { publicMessage: `no ${what} matches the expected pattern`, actual: texts[0] });
    } catch (error) {
      if (error instanceof PatternError) return invalidCheck(check, error);
      throw error;
    }
  });
  return { run, checks };
}

async function runtimeChecks(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const run = await pythonRun(ctx, collection, 'student', [], false);
  if (run.status !== 'completed') return { run, checks: allChecks(collection, statusOfRun(run.status), runFailure(run)) };
  return { run, checks: collection.checks.map((check) => runtimeCheck(check, run)) };
}

async function sourceFile(ctx: TGradeContext, collection: TResolvedCollection): Promise<string | undefined> {
  const files = await fileSet(ctx, 'student');
  return collection.collection.file ?? entryPointOf(collection, files.present);
}

async function structuralChecks(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const file = await sourceFile(ctx, collection);
  const files = await fileSet(ctx, 'student');
  if (!file || !files.present.has(file)) return { checks: allChecks(collection, 'failed', `Python file ${file ? `"${file}" ` : ''}not found for structural test`) };
  const needsTokens = collection.checks.some((check) => check.check.pattern === undefined);
  let tokenRun: TPythonRun | undefined;
  if (needsTokens) {
    tokenRun = await memoize(ctx, `student:py-tokenize:${file}:${JSON.stringify(collection.checks.map((c) => c.name))}`, () =>
      runPython(ctx.sandbox, python(ctx), {
        mode: 'tokenize',
        files: files.files.filter((f) => f.path === file),
        file,
        names: collection.checks.map((c) => c.name),
        limits: runLimits(ctx, collection),
        signal: ctx.signal,
      }),
    );
    if (tokenRun.status === 'infra_error' || tokenRun.status === 'timeout' || tokenRun.status === 'output_limit') {
      return { checks: allChecks(collection, statusOfRun(tokenRun.status), `tokenizing ${file}: ${tokenRun.message}`) };
    }
  }
  const source = collection.checks.some((check) => check.check.pattern !== undefined) ? ((await readFileInside(ctx.submissionDir, file, 16 * 1024 * 1024))?.toString('utf8') ?? '') : '';
  const checks = collection.checks.map((check) => {
    const started = performance.now();
    try {
      let count: number;
      if (check.check.pattern !== undefined) count = countPatternOccurrences(source, check.check.pattern);
      else {
        if (!tokenRun?.tokens) return checkResult(check, 'failed', `could not tokenize ${file}: ${tokenRun?.message ?? 'no tokens'}`, { startedAt: started });
        count = countPythonOccurrences({ tokens: tokenRun.tokens, name: check.name, needle: tokenRun.needles?.[check.name], occuranceType: check.occuranceType });
      }
      const outcome = checkOccurrences(check.name, count, check.allowedOccuranceRange, check.check.countRequirement);
      return checkResult(check, outcome.ok ? 'passed' : 'failed', outcome.message, { publicMessage: outcome.publicMessage, expected: outcome.expected, actual: String(count), startedAt: started });
    } catch (error) {
      if (error instanceof PatternError) return invalidCheck(check, error);
      throw error;
    }
  });
  return { checks };
}

async function compileChecks(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const file = await sourceFile(ctx, collection);
  const files = await fileSet(ctx, 'student');
  if (!file || !files.present.has(file)) return { checks: allChecks(collection, 'failed', `Python file ${file ? `"${file}" ` : ''}not found`) };
  const run = await memoize(ctx, `student:py-compile:${file}`, () =>
    runPython(ctx.sandbox, python(ctx), { mode: 'compile', files: files.files, file, limits: runLimits(ctx, collection), signal: ctx.signal }),
  );
  if (run.status === 'timeout' || run.status === 'infra_error' || run.status === 'memory_exceeded' || run.status === 'output_limit') {
    return { checks: allChecks(collection, statusOfRun(run.status), runFailure(run)) };
  }
  const compiled = run.status === 'completed';
  const diagnostics = run.error ? `${run.error.type}: ${run.error.message}` : '';
  const checks = collection.checks.map((check) => {
    const expectSuccess = check.check.value === undefined || check.check.value === null ? true : Boolean(check.check.value);
    if (compiled !== expectSuccess) {
      return checkResult(check, 'failed', expectSuccess ? `does not compile: ${diagnostics}` : 'compiles, but should not', { actual: diagnostics || 'compiled' });
    }
    try {
      if (check.check.pattern !== undefined && !patternFound(check.check.pattern, [diagnostics])) {
        return checkResult(check, 'failed', `compiler output does not match ${JSON.stringify(check.check.pattern)}`, { publicMessage: 'compiler output does not match the expected pattern', actual: diagnostics });
      }
    } catch (error) {
      if (error instanceof PatternError) return invalidCheck(check, error);
      throw error;
    }
    return checkResult(check, 'passed', compiled ? 'compiles' : 'does not compile, as expected');
  });
  return { checks };
}

/** Lets collections that run the same program with the same inputs share one run. */
export function planPythonRuns(ctx: TGradeContext, collections: readonly TResolvedCollection[]): void {
  planRuns(ctx, collections, pythonExpressions, (collection, side) => pythonRunKey(ctx, collection, side, collection.type === 'graphics'));
}

export async function gradePythonCollection(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  switch (collection.type) {
    case 'variable':
      return variableChecks(ctx, collection, false);
    case 'graphics':
      return variableChecks(ctx, collection, true);
    case 'stdout':
    case 'stderr':
    case 'stdio':
      return outputChecks(ctx, collection);
    case 'exitcode':
      return exitCodeChecks(ctx, collection);
    case 'error':
    case 'warning':
      return errorOrWarningChecks(ctx, collection);
    case 'runtime':
      return runtimeChecks(ctx, collection);
    case 'structural':
      return structuralChecks(ctx, collection);
    case 'compile':
      return compileChecks(ctx, collection);
    case 'exist':
      return existChecks(ctx, collection);
    case 'linting':
      return skipAll(collection, 'linting (flake8) is not available in this grader');
    default:
      return skipAll(collection, `collection type "${collection.type}" is not supported for Python`);
  }
}
