import { compilePythonRegex, PatternError, searchRegex } from '../../compare/regex';
import type { TResolvedCheck, TResolvedCollection } from '../../example/resolve';
import { listRegularFiles, readFileInside } from '../../files';
import {
  allChecks,
  brokenExample,
  checkResult,
  existChecks,
  explicitExpected,
  globToRegExp,
  invalidCheck,
  needsReferenceOutput,
  outputCheck,
  skipAll,
  statusOfRun,
  type TCollectionOutcome,
} from '../../grade/common';
import { fileSet, memoize, planRuns, runLimits, runtimeEnvironment, type TGradeContext, type TSide } from '../../grade/context';
import type { TReferenceRun } from '../../grade/reference-cache';
import { cachedReferenceRun, plannedRun } from '../../grade/interpreted-runs';
import { referenceProblem, variableCheck } from '../../grade/variable-check';
import type { TProgramRun } from '../../runners/run-result';
import { expectedFromYaml } from './decode';
import { octaveEnvironment, runOctave, type TOctaveEnvironment, type TOctaveRun } from './runner';
import { checkOctaveRange, countOctaveOccurrences } from './structural';

function octave(ctx: TGradeContext): TOctaveEnvironment {
  return runtimeEnvironment(ctx, 'octave', octaveEnvironment);
}

/** Collection types whose checks are expressions evaluated in the workspace after the run (O5: copied for graphics and help). */
const VALUE_TYPES = new Set(['variable', 'graphics', 'help']);
/** stdout checks follow the original's interpreted-language rules (test_base `check_stdout`): `matches` with a pattern searches it. */
const OUTPUT_RULES = 'interpreted';

/**
 * The script a run starts with: `entryPoint`; without one, when the collection (and its
 * setUpCodeDependency chain) has no setUpCode either, the first `.m` file of the submission.
 * The original ran no script without entryPoint: its Octave examples start the script in
 * setUpCode (`run('name')`), which a default entry script would run twice.
 */
export function entryScript(collection: TResolvedCollection, submissionFiles: readonly string[], present: ReadonlySet<string>): string | undefined {
  if (collection.collection.entryPoint) return collection.collection.entryPoint;
  if (collection.setUpCode.length > 0) return undefined;
  return submissionFiles.find((rel) => rel.endsWith('.m') && present.has(rel)) ?? [...present].filter((rel) => rel.endsWith('.m')).sort()[0];
}

function failedRun(message: string): TOctaveRun {
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
  };
}

const TOKEN = /#(file|command)_(\d+)#/;

/**
 * `#file_N#` / `#command_N#` (1-based) in setUpCode, tearDownCode and a structural `file` stand
 * for the N-th file (its path without extension) that the exist checks before this collection
 * found, on the side that runs (ctcore/helpers.py `token_exchange`); a check counts when it passed
 * on both sides, as in the original, where a failing check added nothing.
 */
async function tokenLists(ctx: TGradeContext, collection: TResolvedCollection, side: TSide): Promise<string[]> {
  return memoize(ctx, `oct-tokens:${side}:${collection.index}`, async () => {
    const student = await listRegularFiles(ctx.submissionDir);
    const reference = [...(await fileSet(ctx, 'reference')).present];
    const found: string[] = [];
    for (const other of ctx.example.collections) {
      if (other.index >= collection.index || other.type !== 'exist') continue;
      for (const check of other.checks) {
        const regex = globToRegExp(other.collection.file ?? check.name);
        const inStudent = student.filter((rel) => regex.test(rel)).sort();
        const inReference = reference.filter((rel) => regex.test(rel)).sort();
        if (inStudent.length > 0 && inReference.length > 0) found.push(...(side === 'student' ? inStudent : inReference));
      }
    }
    return found;
  });
}

function exchange(text: string, files: readonly string[]): string {
  return text.replace(new RegExp(TOKEN.source, 'g'), (whole, kind: string, n: string) => {
    const file = files[Number(n) - 1];
    if (file === undefined) return whole;
    return kind === 'file' ? file : file.replace(/\.[^./]*$/, '');
  });
}

function usesTokens(collection: TResolvedCollection): boolean {
  return [...collection.setUpCode, ...collection.tearDownCode].some((line) => TOKEN.test(line));
}

/** Key of the run a collection needs: collections with equal keys share one run. */
export function octaveRunKey(ctx: TGradeContext, collection: TResolvedCollection, side: TSide): string {
  const limits = runLimits(ctx, collection);
  return `${side}:oct-run:${JSON.stringify([
    collection.collection.entryPoint ?? null,
    collection.setUpCode,
    collection.tearDownCode,
    collection.inputAnswers,
    usesTokens(collection) ? collection.index : null,
    limits.wallTimeoutMs,
  ])}`;
}

/** Expressions a collection needs from its student and reference runs (evalString on the reference side: O9 fixed). */
export function octaveExpressions(collection: TResolvedCollection): { student: string[]; reference: string[] } {
  if (!VALUE_TYPES.has(collection.type)) return { student: [], reference: [] };
  const student = collection.checks.map((c) => c.name);
  const reference = collection.checks.filter((c) => c.qualification === 'verifyEqual' && c.check.value === undefined).map((c) => c.check.evalString ?? c.name);
  return { student, reference };
}

async function octaveRun(ctx: TGradeContext, collection: TResolvedCollection, side: TSide, expressions: string[]): Promise<TOctaveRun> {
  const key = octaveRunKey(ctx, collection, side);
  const execute = async (wanted: string[]): Promise<TOctaveRun> => {
    const files = await fileSet(ctx, side);
    if (files.problems.length > 0) return failedRun(side === 'student' ? files.problems.join('; ') : brokenExample(files.problems.join('; ')));
    const entryPoint = entryScript(collection, ctx.example.meta.properties.studentSubmissionFiles, files.present);
    if (entryPoint !== undefined && !files.present.has(entryPoint)) {
      const message = `entry point "${entryPoint}" not found in the ${side === 'student' ? 'submission' : 'example'}`;
      return failedRun(side === 'student' ? message : brokenExample(message));
    }
    const tokens = usesTokens(collection) ? await tokenLists(ctx, collection, side) : [];
    return runOctave(ctx.sandbox, octave(ctx), {
      files: files.files,
      entryPoint,
      setUpCode: collection.setUpCode.map((line) => exchange(line, tokens)),
      tearDownCode: collection.tearDownCode.map((line) => exchange(line, tokens)),
      expressions: wanted,
      stdin: collection.inputAnswers.length > 0 ? `${collection.inputAnswers.join('\n')}\n` : undefined,
      limits: runLimits(ctx, collection),
      signal: ctx.signal,
    });
  };
  return plannedRun(ctx, key, expressions, execute);
}

async function referenceRun(ctx: TGradeContext, collection: TResolvedCollection, expressions: string[]): Promise<TReferenceRun> {
  return cachedReferenceRun(ctx, collection.index, expressions, () => octaveRun(ctx, collection, 'reference', expressions));
}

function runFailure(run: TProgramRun): string {
  return `the program ${run.message}`;
}

async function variableChecks(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const { student, reference: refExpressions } = octaveExpressions(collection);
  // Both sides at once: the reference run (cached per example) does not wait for the student's.
  const [run, reference] = await Promise.all([
    octaveRun(ctx, collection, 'student', student),
    refExpressions.length > 0 ? referenceRun(ctx, collection, refExpressions) : Promise.resolve(undefined),
  ]);
  if (run.status !== 'completed') return { run, checks: allChecks(collection, statusOfRun(run.status), runFailure(run)) };
  const problem = reference ? referenceProblem(reference) : undefined;
  return {
    run,
    checks: collection.checks.map((check) =>
      variableCheck({
        check,
        found: run.values[check.name],
        value: check.check.value,
        decodeValue: expectedFromYaml,
        reference,
        referenceProblem: problem,
        referenceKey: check.check.evalString ?? check.name,
        referenceMissing: `\`${check.check.evalString ?? check.name}\` could not be evaluated in the reference solution`,
        workspace: 'student namespace',
      }),
    ),
  };
}

async function outputChecks(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const needReference = collection.checks.some((check) => needsReferenceOutput(check, 'stdout', OUTPUT_RULES));
  const [run, reference] = await Promise.all([
    octaveRun(ctx, collection, 'student', []),
    needReference ? referenceRun(ctx, collection, []) : Promise.resolve(undefined),
  ]);
  if (run.status !== 'completed') return { run, checks: allChecks(collection, statusOfRun(run.status), runFailure(run)) };
  const problem = reference ? referenceProblem(reference) : undefined;
  const checks = collection.checks.map((check) => {
    const started = performance.now();
    let expected = explicitExpected(check, 'stdout');
    if (needsReferenceOutput(check, 'stdout', OUTPUT_RULES)) {
      if (problem) return checkResult(check, problem.status, problem.message, { publicMessage: problem.publicMessage, startedAt: started });
      expected = reference?.stdout;
    }
    return outputCheck(check, OUTPUT_RULES, 'stdout', run, expected, started);
  });
  return { run, checks };
}

function patternFound(pattern: string | undefined, texts: string[]): boolean {
  if (pattern === undefined) return texts.length > 0;
  const regex = compilePythonRegex(pattern);
  return texts.some((text) => searchRegex(regex, text) !== null);
}

/** error/warning (O5 fixed): the error that stopped the run, the warnings Octave issued; `pattern` is searched in them. */
async function errorOrWarningChecks(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const run = await octaveRun(ctx, collection, 'student', []);
  if (run.status === 'timeout' || run.status === 'memory_exceeded' || run.status === 'output_limit' || run.status === 'infra_error') {
    return { run, checks: allChecks(collection, statusOfRun(run.status), runFailure(run)) };
  }
  const isError = collection.type === 'error';
  const texts = isError ? (run.error ? [run.error.message, run.error.id].filter((t) => t !== '') : run.status === 'error' ? [run.message] : []) : run.warnings;
  const checks = collection.checks.map((check) => {
    const what = isError ? 'error' : 'warning';
    try {
      return patternFound(check.check.pattern, texts)
        ? checkResult(check, 'passed', `expected ${what} occurred`)
        : texts.length === 0
          ? checkResult(check, 'failed', `expected ${isError ? 'an error' : 'a warning'}, none occurred`)
          : checkResult(check, 'failed', `no ${what} matches ${JSON.stringify(check.check.pattern)}`, { publicMessage: `no ${what} matches the expected pattern`, actual: texts[0] });
    } catch (error) {
      if (error instanceof PatternError) return invalidCheck(check, error);
      throw error;
    }
  });
  return { run, checks };
}

async function structuralChecks(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const files = await fileSet(ctx, 'student');
  const declared = collection.collection.file;
  const file = declared !== undefined ? exchange(declared, TOKEN.test(declared) ? await tokenLists(ctx, collection, 'student') : []) : entryScript({ ...collection, setUpCode: [] }, ctx.example.meta.properties.studentSubmissionFiles, files.present);
  if (!file || !files.present.has(file)) return { checks: allChecks(collection, 'failed', `File \`${file ?? declared ?? '*.m'}\` not found in student directory`) };
  const source = (await readFileInside(ctx.submissionDir, file, 16 * 1024 * 1024))?.toString('utf8');
  if (source === undefined) return { checks: allChecks(collection, 'failed', `File \`${file}\` not found in student directory`) };
  const checks = collection.checks.map((check) => {
    const started = performance.now();
    const count = countOctaveOccurrences(source, check.name);
    const outcome = checkOctaveRange(check.name, count, check.allowedOccuranceRange);
    return checkResult(check, outcome.ok ? 'passed' : 'failed', outcome.message, { publicMessage: outcome.publicMessage, expected: outcome.expected, actual: String(count), startedAt: started });
  });
  return { checks };
}

/** exist: as for every language, plus the original Octave tester's requirement that the reference has the file too. */
async function octaveExistChecks(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const outcome = await existChecks(ctx, collection);
  const reference = [...(await fileSet(ctx, 'reference')).present];
  const checks = outcome.checks.map((result, index) => {
    const check = collection.checks[index] as TResolvedCheck;
    const pattern = collection.collection.file ?? check.name;
    if (result.status !== 'passed' || reference.some((rel) => globToRegExp(pattern).test(rel))) return result;
    return checkResult(check, 'error', brokenExample(`file "${pattern}" not found in the reference solution`));
  });
  return { checks };
}

/** Lets collections that run the same program with the same inputs share one run. */
export function planOctaveRuns(ctx: TGradeContext, collections: readonly TResolvedCollection[]): void {
  planRuns(ctx, collections, octaveExpressions, (collection, side) => octaveRunKey(ctx, collection, side));
}

export async function gradeOctaveCollection(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  switch (collection.type) {
    case 'variable':
    case 'graphics':
    case 'help':
      return variableChecks(ctx, collection);
    case 'stdout':
      return outputChecks(ctx, collection);
    case 'error':
    case 'warning':
      return errorOrWarningChecks(ctx, collection);
    case 'structural':
      return structuralChecks(ctx, collection);
    case 'exist':
      return octaveExistChecks(ctx, collection);
    case 'linting':
      // O6 fixed: the original passed these without looking.
      return skipAll(collection, 'linting is not supported for Octave');
    default:
      return skipAll(collection, `collection type "${collection.type}" is not supported for Octave`);
  }
}
