import type { TCheckResult } from '@computor/contracts';
import { compilePythonRegex, PatternError, searchRegex } from '../../compare/regex';
import { checkOccurrences, countCOccurrences, countPatternOccurrences } from '../../compare/structural';
import type { TResolvedCheck, TResolvedCollection } from '../../example/resolve';
import { readFileInside } from '../../files';
import { compileProgram, runProgram, validCompiler, type TCompileResult } from '../../runners/compiled';
import { tail, type TProgramRun } from '../../runners/run-result';
import {
  allChecks,
  brokenExample,
  checkResult,
  existChecks,
  explicitExpected,
  invalidCheck,
  needsReferenceOutput,
  outputCheck,
  REFERENCE_FAILED,
  runtimeCheck,
  skipAll,
  statusOfRun,
  streamOf,
  type TCollectionOutcome,
} from '../../grade/common';
import { fileSet, memoize, runLimits, type TGradeContext, type TSide } from '../../grade/context';
import { referenceCacheKey, type TReferenceRun } from '../../grade/reference-cache';

const SOURCE = /\.(c|cc|cpp|cxx)$/;

interface TBuild {
  compile: TCompileResult | undefined;
  /** Why there is no program (missing sources, bad compiler name), when compile never ran. */
  problem: string | undefined;
}

function compilerSettings(ctx: TGradeContext, collection: TResolvedCollection, sources: string[]): { compiler: string; flags: string[]; linkerFlags: string[] } {
  const settings = ctx.example.meta.properties.executionBackend?.settings;
  const cpp = sources.some((s) => /\.(cc|cpp|cxx)$/.test(s));
  return {
    compiler: collection.collection.compiler ?? settings?.compiler ?? (cpp ? 'g++' : 'gcc'),
    flags: [...(settings?.flags ?? []), ...(collection.collection.compilerFlags ?? [])],
    linkerFlags: [...(collection.collection.linkerFlags ?? []), '-lm'],
  };
}

async function build(ctx: TGradeContext, collection: TResolvedCollection, side: TSide): Promise<TBuild> {
  const files = await fileSet(ctx, side);
  const label = side === 'student' ? (m: string) => m : brokenExample;
  if (files.problems.length > 0) return { compile: undefined, problem: label(files.problems.join('; ')) };
  const { entryPoint, sourceFiles } = collection.collection;
  const sources = sourceFiles ?? (entryPoint ? [entryPoint] : [...files.present].filter((rel) => SOURCE.test(rel)).sort());
  const missing = sources.filter((rel) => !files.present.has(rel));
  if (sources.length === 0 || missing.length > 0) {
    return { compile: undefined, problem: label(`source file ${missing.length > 0 ? `"${missing.join('", "')}" ` : ''}not found in the ${side === 'student' ? 'submission' : 'example'}`) };
  }
  const { compiler, flags, linkerFlags } = compilerSettings(ctx, collection, sources);
  if (!validCompiler(compiler)) return { compile: undefined, problem: brokenExample(`compiler "${compiler}" is not a plain command name`) };
  const limits = runLimits(ctx, collection, 'compile');
  const key = `${side}:c-compile:${JSON.stringify([sources, compiler, flags, linkerFlags, limits.wallTimeoutMs])}`;
  const compile = await memoize(ctx, key, async () => {
    const result = await compileProgram(ctx.sandbox, { files: files.files, sources, compiler, flags, linkerFlags, tmpDir: ctx.config.tmpDir, limits, signal: ctx.signal });
    if (result.programDir) ctx.scratchDirs.push(result.programDir);
    return result;
  });
  return { compile, problem: undefined };
}

interface TExecution {
  build: TBuild;
  run: TProgramRun | undefined;
}

async function execute(ctx: TGradeContext, collection: TResolvedCollection, side: TSide): Promise<TExecution> {
  const built = await build(ctx, collection, side);
  const programDir = built.compile?.programDir;
  if (!programDir) return { build: built, run: undefined };
  const limits = runLimits(ctx, collection);
  const args = (collection.collection.args ?? []).map(String);
  const stdin = collection.inputAnswers.length > 0 ? `${collection.inputAnswers.join('\n')}\n` : undefined;
  const key = `${side}:c-run:${programDir}:${JSON.stringify([args, stdin ?? null, limits.wallTimeoutMs])}`;
  const files = await fileSet(ctx, side);
  const run = await memoize(ctx, key, () => runProgram(ctx.sandbox, { programDir, files: files.files, args, stdin, limits, signal: ctx.signal }));
  return { build: built, run };
}

function firstDiagnostic(compile: TCompileResult | undefined): string {
  const lines = (compile?.diagnostics ?? '').split('\n');
  return (lines.find((line) => /\berror\b/.test(line)) ?? lines.find((line) => line.trim() !== '') ?? '').trim();
}

/** Why an execution has no usable run: the status every dependent check gets, and the message. */
function executionFailure(execution: TExecution): { status: TCheckResult['status']; message: string } | undefined {
  const { build: built, run } = execution;
  if (built.problem) return { status: 'error', message: built.problem };
  const compile = built.compile as TCompileResult;
  if (!compile.programDir) {
    const status = compile.run.status === 'completed' ? 'error' : statusOfRun(compile.run.status);
    return { status, message: `the program ${compile.run.message}${firstDiagnostic(compile) ? `: ${firstDiagnostic(compile)}` : ''}` };
  }
  if (!run) return { status: 'infra_error', message: 'the program was not run' };
  // A crash is judged by the checks (stdout seen so far, exit code), as in the original engine.
  if (run.status === 'timeout' || run.status === 'memory_exceeded' || run.status === 'output_limit' || run.status === 'infra_error') {
    return { status: statusOfRun(run.status), message: `the program ${run.message}` };
  }
  return undefined;
}

async function reference(ctx: TGradeContext, collection: TResolvedCollection): Promise<TReferenceRun> {
  const key = referenceCacheKey(ctx.example.contentHash, collection.index);
  const cached = await ctx.referenceCache?.get(key);
  if (cached) return cached;
  const execution = await execute(ctx, collection, 'reference');
  const failure = executionFailure(execution);
  const run = execution.run;
  const result: TReferenceRun = failure
    ? { status: failure.status === 'infra_error' || failure.status === 'timeout' ? failure.status : 'error', message: failure.message, stdout: '', stderr: '', exitCode: null, values: {} }
    : { status: 'completed', message: '', stdout: run?.stdout ?? '', stderr: run?.stderr ?? '', exitCode: run?.exitCode ?? null, values: {} };
  if (result.status === 'completed' || result.status === 'error') await ctx.referenceCache?.set(key, result);
  return result;
}

async function outputChecks(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const stream = streamOf(collection);
  const execution = await execute(ctx, collection, 'student');
  const failure = executionFailure(execution);
  if (failure) return { run: execution.run, checks: allChecks(collection, failure.status, failure.message) };
  const run = execution.run as TProgramRun;
  const needReference = collection.checks.some((check) => needsReferenceOutput(check, stream, 'c'));
  const ref = needReference ? await reference(ctx, collection) : undefined;
  const checks = collection.checks.map((check) => {
    const started = performance.now();
    let expected = explicitExpected(check, stream);
    if (needsReferenceOutput(check, stream, 'c')) {
      if (!ref || ref.status !== 'completed') {
        const status = ref?.status === 'timeout' || ref?.status === 'infra_error' ? 'infra_error' : 'error';
        const message = ref?.message.startsWith('BROKEN') ? ref.message : brokenExample(`reference solution failed: ${ref?.message ?? ''}`);
        return checkResult(check, status, message, { publicMessage: REFERENCE_FAILED, startedAt: started });
      }
      expected = stream === 'stderr' ? ref.stderr : ref.stdout;
    }
    return outputCheck(check, 'c', stream, run, expected, started);
  });
  return { run, checks };
}

async function exitCodeChecks(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const execution = await execute(ctx, collection, 'student');
  const failure = executionFailure(execution);
  if (failure) return { run: execution.run, checks: allChecks(collection, failure.status, failure.message) };
  const run = execution.run as TProgramRun;
  const checks = collection.checks.map((check) => {
    const expected = check.check.expectedExitCode ?? (check.check.value !== undefined ? Number(check.check.value) : 0);
    const actual = run.signal ? `killed by ${run.signal}` : String(run.exitCode);
    return run.exitCode === expected
      ? checkResult(check, 'passed', `exit code ${expected}`)
      : checkResult(check, 'failed', `exit code ${actual}, expected ${expected}`, { publicMessage: `exit code ${actual}, not the expected one`, expected: String(expected), actual });
  });
  return { run, checks };
}

async function errorChecks(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const execution = await execute(ctx, collection, 'student');
  const failure = executionFailure(execution);
  if (failure && failure.status !== 'error') return { run: execution.run, checks: allChecks(collection, failure.status, failure.message) };
  const run = execution.run;
  const errored = failure !== undefined || (run !== undefined && (run.exitCode !== 0 || run.signal !== null));
  const text = `${run?.stderr ?? ''}${failure?.message ?? ''}`;
  const checks = collection.checks.map((check) => {
    if (!errored) return checkResult(check, 'failed', 'expected an error, but the program exited normally');
    try {
      if (check.check.pattern !== undefined && !searchRegex(compilePythonRegex(check.check.pattern), text)) {
        return checkResult(check, 'failed', `no error matches ${JSON.stringify(check.check.pattern)}`, { publicMessage: 'no error matches the expected pattern', actual: tail(text, 3, 300) });
      }
    } catch (error) {
      if (error instanceof PatternError) return invalidCheck(check, error);
      throw error;
    }
    return checkResult(check, 'passed', 'expected error occurred');
  });
  return { run, checks };
}

function diagnosticsCheck(check: TResolvedCheck, pattern: string | undefined, text: string): TCheckResult | undefined {
  if (pattern === undefined) return undefined;
  try {
    if (searchRegex(compilePythonRegex(pattern), text)) return undefined;
    return checkResult(check, 'failed', `compiler output does not match ${JSON.stringify(pattern)}`, { publicMessage: 'compiler output does not match the expected pattern', actual: tail(text, 3, 300) });
  } catch (error) {
    if (error instanceof PatternError) return invalidCheck(check, error);
    throw error;
  }
}

async function compileProgramhecks(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const built = await build(ctx, collection, 'student');
  if (built.problem) return { checks: allChecks(collection, 'error', built.problem) };
  const compile = built.compile as TCompileResult;
  if (compile.run.status === 'timeout' || compile.run.status === 'infra_error' || compile.run.status === 'memory_exceeded' || compile.run.status === 'output_limit') {
    return { run: compile.run, checks: allChecks(collection, statusOfRun(compile.run.status), `the compiler ${compile.run.message}`) };
  }
  const compiled = compile.programDir !== undefined;
  const checks = collection.checks.map((check) => {
    const expectSuccess = check.check.value === undefined || check.check.value === null ? true : Boolean(check.check.value);
    if (compiled !== expectSuccess) {
      return checkResult(check, 'failed', expectSuccess ? `does not compile: ${firstDiagnostic(compile)}` : 'compiles, but should not', { actual: firstDiagnostic(compile) || 'compiled' });
    }
    return diagnosticsCheck(check, check.check.pattern, compile.diagnostics) ?? checkResult(check, 'passed', compiled ? 'compiles' : 'does not compile, as expected');
  });
  return { run: compile.run, checks };
}

async function warningChecks(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const built = await build(ctx, collection, 'student');
  if (built.problem) return { checks: allChecks(collection, 'error', built.problem) };
  const compile = built.compile as TCompileResult;
  const warnings = compile.diagnostics.split('\n').filter((line) => /warning:/.test(line));
  const checks = collection.checks.map((check) => {
    if (warnings.length === 0) return checkResult(check, 'failed', 'expected a compiler warning, none occurred');
    return diagnosticsCheck(check, check.check.pattern, warnings.join('\n')) ?? checkResult(check, 'passed', 'expected warning occurred', { actual: warnings[0] });
  });
  return { run: compile.run, checks };
}

async function structuralChecks(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const files = await fileSet(ctx, 'student');
  const file = collection.collection.file ?? collection.collection.entryPoint ?? [...files.present].filter((rel) => SOURCE.test(rel)).sort()[0];
  const source = file && files.present.has(file) ? await readFileInside(ctx.submissionDir, file, 16 * 1024 * 1024) : undefined;
  if (!file || !source) return { checks: allChecks(collection, 'failed', `source file ${file ? `"${file}" ` : ''}not found for structural test`) };
  const text = source.toString('utf8');
  const checks = collection.checks.map((check) => {
    const started = performance.now();
    try {
      const count = check.check.pattern !== undefined ? countPatternOccurrences(text, check.check.pattern) : countCOccurrences(text, check.name);
      const outcome = checkOccurrences(check.name, count, check.allowedOccuranceRange, check.check.countRequirement);
      return checkResult(check, outcome.ok ? 'passed' : 'failed', outcome.message, { publicMessage: outcome.publicMessage, expected: outcome.expected, actual: String(count), startedAt: started });
    } catch (error) {
      if (error instanceof PatternError) return invalidCheck(check, error);
      throw error;
    }
  });
  return { checks };
}

async function runtimeChecks(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const execution = await execute(ctx, collection, 'student');
  const failure = executionFailure(execution);
  if (failure) return { run: execution.run, checks: allChecks(collection, failure.status, failure.message) };
  const run = execution.run as TProgramRun;
  return { run, checks: collection.checks.map((check) => runtimeCheck(check, run)) };
}

export async function gradeCCollection(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  switch (collection.type) {
    case 'stdout':
    case 'stderr':
    case 'stdio':
      return outputChecks(ctx, collection);
    case 'exitcode':
      return exitCodeChecks(ctx, collection);
    case 'compile':
      return compileProgramhecks(ctx, collection);
    case 'warning':
      return warningChecks(ctx, collection);
    case 'error':
      return errorChecks(ctx, collection);
    case 'structural':
      return structuralChecks(ctx, collection);
    case 'runtime':
      return runtimeChecks(ctx, collection);
    case 'exist':
      return existChecks(ctx, collection);
    default:
      return skipAll(collection, `collection type "${collection.type}" is not supported for C`);
  }
}
