import path from 'node:path';
import type { TCheckResult } from '@computor/contracts';
import { compilePythonRegex, PatternError, searchRegex } from '../compare/regex';
import { compiledStructuralCheck, type TCompiledStructuralLanguage } from '../compare/structural';
import type { TResolvedCheck, TResolvedCollection } from '../example/resolve';
import { listRegularFiles, readFileInside } from '../files';
import { compilerWarnings, compileProgram, firstCompilerError, runProgram, validCompiler, type TCompileResult } from '../runners/compiled';
import { tail, type TProgramRun } from '../runners/run-result';
import {
  allChecks,
  brokenExample,
  checkResult,
  explicitExpected,
  globToRegExp,
  invalidCheck,
  needsReferenceOutput,
  outputCheck,
  REFERENCE_FAILED,
  runtimeCheck,
  skipAll,
  statusOfRun,
  streamOf,
  type TCollectionOutcome,
} from './common';
import { fileSet, memoize, runLimits, type TGradeContext, type TSide } from './context';
import { referenceCacheKey, type TReferenceRun } from './reference-cache';

/**
 * The compiled-language path (C/C++ and Fortran), one implementation parameterised per language
 * as the original's `CompiledTestClass` and its C and Fortran testers: compile each side once per
 * grading in the sandbox (memoized by sources, compiler and flags), run the program with the
 * collection's stdin/args, and grade stdout/stderr/stdio, exitcode, compile, warning, error,
 * runtime, exist and structural checks.
 */
export interface TCompiledLanguage {
  /** Plug-in id, used in memo keys. */
  id: string;
  /** As messages name it ("C/C++", "Fortran"). */
  label: string;
  structural: TCompiledStructuralLanguage;
  /**
   * Sources compiled when neither `sourceFiles` nor an existing `entryPoint` says which: files of
   * the hand-in's top level ending in these (case-sensitive, as the original's globs), in this order.
   */
  sourceSuffixes: readonly string[];
  /** The compiler when neither test.yaml `compiler` nor meta.yaml `settings.compiler` names one. */
  defaultCompiler(sources: readonly string[]): string;
  /** The original's default flags, used only when test.yaml has no `compilerFlags` (decision F4). */
  defaultFlags(sources: readonly string[]): string[];
  /** The glob an `exist` check looks for: C: `file`, else the check's name; Fortran: `file/name` (F1). */
  existPattern(file: string | undefined, name: string): string;
}

interface TBuild {
  compile: TCompileResult | undefined;
  /** Why there is no program (missing sources, bad compiler name), when compile never ran. */
  problem: string | undefined;
}

/** The original's source choice: `sourceFiles`, else `entryPoint` if present, else the globbed sources. */
export function chooseSources(language: TCompiledLanguage, collection: TResolvedCollection, present: ReadonlySet<string>): string[] {
  const { entryPoint, sourceFiles } = collection.collection;
  if (sourceFiles && sourceFiles.length > 0) return [...sourceFiles];
  if (entryPoint && present.has(entryPoint)) return [entryPoint];
  const topLevel = [...present].filter((rel) => !rel.includes('/')).sort();
  const chosen: string[] = [];
  for (const suffix of language.sourceSuffixes) {
    for (const rel of topLevel) if (rel.endsWith(suffix) && rel.length > suffix.length && !chosen.includes(rel)) chosen.push(rel);
  }
  return chosen;
}

export interface TCompilerSettings {
  compiler: string;
  flags: string[];
  linkerFlags: string[];
}

/**
 * Compiler and flags of a collection: test.yaml `compiler`, else meta.yaml `settings.compiler`,
 * else the language's choice by sources. Flags: the original's defaults unless test.yaml gives
 * `compilerFlags` (which replace them, F4); meta.yaml `settings.flags` (ours, the original has no
 * such setting) come after the defaults, before `compilerFlags`. No `-lm`: the original adds none.
 */
export function compilerSettings(language: TCompiledLanguage, ctx: Pick<TGradeContext, 'example'>, collection: TResolvedCollection, sources: readonly string[]): TCompilerSettings {
  const settings = ctx.example.meta.properties.executionBackend?.settings;
  const { compiler, compilerFlags, linkerFlags } = collection.collection;
  const exampleFlags = settings?.flags ?? [];
  return {
    compiler: compiler ?? settings?.compiler ?? language.defaultCompiler(sources),
    flags: compilerFlags === undefined || compilerFlags === null ? [...language.defaultFlags(sources), ...exampleFlags] : [...exampleFlags, ...compilerFlags],
    linkerFlags: [...(linkerFlags ?? [])],
  };
}

async function build(language: TCompiledLanguage, ctx: TGradeContext, collection: TResolvedCollection, side: TSide): Promise<TBuild> {
  const files = await fileSet(ctx, side);
  const label = side === 'student' ? (m: string) => m : brokenExample;
  if (files.problems.length > 0) return { compile: undefined, problem: label(files.problems.join('; ')) };
  const sources = chooseSources(language, collection, files.present);
  const missing = sources.filter((rel) => !files.present.has(rel));
  const where = side === 'student' ? 'submission' : 'example';
  if (sources.length === 0 || missing.length > 0) {
    const named = missing.length > 0 ? missing : collection.collection.entryPoint ? [collection.collection.entryPoint] : [];
    return { compile: undefined, problem: label(named.length > 0 ? `source file "${named.join('", "')}" not found in the ${where}` : `no ${language.label} source file found in the ${where}`) };
  }
  const { compiler, flags, linkerFlags } = compilerSettings(language, ctx, collection, sources);
  if (!validCompiler(compiler)) return { compile: undefined, problem: brokenExample(`compiler "${compiler}" is not a plain command name`) };
  const limits = runLimits(ctx, collection, 'compile');
  // One compilation per side and grading for every collection that builds the same way.
  const key = `${side}:${language.id}-compile:${JSON.stringify([sources, compiler, flags, linkerFlags, limits.wallTimeoutMs])}`;
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

async function execute(language: TCompiledLanguage, ctx: TGradeContext, collection: TResolvedCollection, side: TSide): Promise<TExecution> {
  const built = await build(language, ctx, collection, side);
  const programDir = built.compile?.programDir;
  if (!programDir) return { build: built, run: undefined };
  const limits = runLimits(ctx, collection);
  const args = (collection.collection.args ?? []).map(String);
  // As the original: the answers joined by newlines, without a trailing one; none → empty stdin (EOF).
  const stdin = collection.inputAnswers.length > 0 ? collection.inputAnswers.join('\n') : undefined;
  const key = `${side}:${language.id}-run:${programDir}:${JSON.stringify([args, stdin ?? null, limits.wallTimeoutMs])}`;
  const files = await fileSet(ctx, side);
  const run = await memoize(ctx, key, () => runProgram(ctx.sandbox, { programDir, files: files.files, args, stdin, limits, signal: ctx.signal }));
  return { build: built, run };
}

/** The run a collection's report shows: the program's, else the compiler's (its diagnostics). */
function shownRun(execution: TExecution): TProgramRun | undefined {
  return execution.run ?? execution.build.compile?.run;
}

/** Why an execution has no usable run: the status every dependent check gets, and the message. */
function executionFailure(execution: TExecution): { status: TCheckResult['status']; message: string } | undefined {
  const { build: built, run } = execution;
  if (built.problem) return { status: 'error', message: built.problem };
  const compile = built.compile as TCompileResult;
  if (!compile.programDir) {
    const status = compile.run.status === 'completed' ? 'error' : statusOfRun(compile.run.status);
    // F6 (fix): a program that does not compile fails every check that runs it, with the compiler's first error.
    const error = firstCompilerError(compile.diagnostics);
    // compile.run.message: 'does not compile', 'the compiler produced no program' or 'compiler <how it ended>'.
    const what = compile.run.message.startsWith('compiler ') ? `the ${compile.run.message}` : compile.run.message;
    return { status, message: `${what}${error ? `: ${error}` : ''}` };
  }
  if (!run) return { status: 'infra_error', message: 'the program was not run' };
  // A crash is judged by the checks (stdout seen so far, exit code), as in the original engine.
  if (run.status === 'timeout' || run.status === 'memory_exceeded' || run.status === 'output_limit' || run.status === 'infra_error') {
    return { status: statusOfRun(run.status), message: `the program ${run.message}` };
  }
  return undefined;
}

async function reference(language: TCompiledLanguage, ctx: TGradeContext, collection: TResolvedCollection): Promise<TReferenceRun> {
  const key = referenceCacheKey(ctx.example.contentHash, collection.index);
  const cached = await ctx.referenceCache?.get(key);
  if (cached) return cached;
  const execution = await execute(language, ctx, collection, 'reference');
  const failure = executionFailure(execution);
  const run = execution.run;
  const result: TReferenceRun = failure
    ? { status: failure.status === 'infra_error' || failure.status === 'timeout' ? failure.status : 'error', message: failure.message, stdout: '', stderr: '', exitCode: null, values: {} }
    : { status: 'completed', message: '', stdout: run?.stdout ?? '', stderr: run?.stderr ?? '', exitCode: run?.exitCode ?? null, values: {} };
  if (result.status === 'completed' || result.status === 'error') await ctx.referenceCache?.set(key, result);
  return result;
}

async function outputChecks(language: TCompiledLanguage, ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const stream = streamOf(collection);
  const execution = await execute(language, ctx, collection, 'student');
  const failure = executionFailure(execution);
  if (failure) return { run: shownRun(execution), checks: allChecks(collection, failure.status, failure.message) };
  const run = execution.run as TProgramRun;
  // Output semantics are the original's compare_outputs for every compiled language ('c').
  const needReference = collection.checks.some((check) => needsReferenceOutput(check, stream, 'compiled'));
  const ref = needReference ? await reference(language, ctx, collection) : undefined;
  const checks = collection.checks.map((check) => {
    const started = performance.now();
    let expected = explicitExpected(check, stream);
    if (needsReferenceOutput(check, stream, 'compiled')) {
      if (!ref || ref.status !== 'completed') {
        const status = ref?.status === 'timeout' || ref?.status === 'infra_error' ? 'infra_error' : 'error';
        const message = ref?.message.startsWith('BROKEN') ? ref.message : brokenExample(`reference solution failed: ${ref?.message ?? ''}`);
        return checkResult(check, status, message, { publicMessage: REFERENCE_FAILED, startedAt: started });
      }
      expected = stream === 'stderr' ? ref.stderr : ref.stdout;
    }
    return outputCheck(check, 'compiled', stream, run, expected, started);
  });
  return { run, checks };
}

async function exitCodeChecks(language: TCompiledLanguage, ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const execution = await execute(language, ctx, collection, 'student');
  const failure = executionFailure(execution);
  if (failure) return { run: shownRun(execution), checks: allChecks(collection, failure.status, failure.message) };
  const run = execution.run as TProgramRun;
  const checks = collection.checks.map((check) => {
    const { value } = check.check;
    const expected = value !== undefined && value !== null ? Number(value) : (check.check.expectedExitCode ?? 0);
    if (Number.isNaN(expected)) return checkResult(check, 'error', `invalid check: exit code ${JSON.stringify(value)} is not a number`, { publicMessage: brokenExample('this check is invalid') });
    const actual = run.signal ? `killed by ${run.signal}` : String(run.exitCode);
    return run.exitCode === expected
      ? checkResult(check, 'passed', `exit code ${expected}`)
      : checkResult(check, 'failed', `exit code ${actual}, expected ${expected}`, { publicMessage: `exit code ${actual}, not the expected one`, expected: String(expected), actual });
  });
  return { run, checks };
}

async function errorChecks(language: TCompiledLanguage, ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const execution = await execute(language, ctx, collection, 'student');
  const failure = executionFailure(execution);
  if (failure && failure.status !== 'error') return { run: shownRun(execution), checks: allChecks(collection, failure.status, failure.message) };
  const run = execution.run;
  const errored = failure !== undefined || (run !== undefined && (run.exitCode !== 0 || run.signal !== null));
  // As the original: the pattern is searched in the program's stderr plus the failure (for a compile failure, the compiler's output).
  const compile = execution.build.compile;
  const text = `${run?.stderr ?? ''}${failure?.message ?? ''}${compile && !compile.programDir ? `\n${compile.diagnostics}` : ''}`;
  const checks = collection.checks.map((check) => {
    if (!errored) return checkResult(check, 'failed', 'expected an error, but the program exited normally');
    try {
      if (check.check.pattern && !searchRegex(compilePythonRegex(check.check.pattern), text)) {
        return checkResult(check, 'failed', `no error matches ${JSON.stringify(check.check.pattern)}`, { publicMessage: 'no error matches the expected pattern', actual: tail(text, 3, 300) });
      }
    } catch (error) {
      if (error instanceof PatternError) return invalidCheck(check, error);
      throw error;
    }
    return checkResult(check, 'passed', 'expected error occurred');
  });
  return { run: shownRun(execution), checks };
}

function diagnosticsCheck(check: TResolvedCheck, pattern: string | undefined, texts: readonly string[]): TCheckResult | undefined {
  if (!pattern) return undefined;
  try {
    const regex = compilePythonRegex(pattern);
    if (texts.some((text) => searchRegex(regex, text))) return undefined;
    return checkResult(check, 'failed', `compiler output does not match ${JSON.stringify(pattern)}`, { publicMessage: 'compiler output does not match the expected pattern', actual: tail(texts.join('\n'), 3, 300) });
  } catch (error) {
    if (error instanceof PatternError) return invalidCheck(check, error);
    throw error;
  }
}

/** The compiler did not finish (timeout, memory, output flood, sandbox failure): every check gets that status. */
function compilerDidNotFinish(collection: TResolvedCollection, compile: TCompileResult): TCollectionOutcome | undefined {
  const { status } = compile.run;
  if (status !== 'timeout' && status !== 'infra_error' && status !== 'memory_exceeded' && status !== 'output_limit') return undefined;
  return { run: compile.run, checks: allChecks(collection, statusOfRun(status), `the compiler ${compile.run.message.replace(/^compiler /, '')}`) };
}

async function compileChecks(language: TCompiledLanguage, ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const built = await build(language, ctx, collection, 'student');
  if (built.problem) return { checks: allChecks(collection, 'error', built.problem) };
  const compile = built.compile as TCompileResult;
  const unfinished = compilerDidNotFinish(collection, compile);
  if (unfinished) return unfinished;
  const compiled = compile.programDir !== undefined;
  const error = firstCompilerError(compile.diagnostics);
  const checks = collection.checks.map((check) => {
    const { value } = check.check;
    const expectSuccess = value === undefined || value === null ? true : Boolean(value);
    if (compiled !== expectSuccess) {
      return checkResult(check, 'failed', expectSuccess ? `does not compile: ${error}` : 'compiles, but should not', { actual: compiled ? 'compiled' : error });
    }
    return diagnosticsCheck(check, check.check.pattern, [compile.diagnostics]) ?? checkResult(check, 'passed', compiled ? 'compiles' : 'does not compile, as expected');
  });
  return { run: compile.run, checks };
}

async function warningChecks(language: TCompiledLanguage, ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const built = await build(language, ctx, collection, 'student');
  if (built.problem) return { checks: allChecks(collection, 'error', built.problem) };
  const compile = built.compile as TCompileResult;
  const unfinished = compilerDidNotFinish(collection, compile);
  if (unfinished) return unfinished;
  const warnings = compilerWarnings(compile.run.stderr);
  const checks = collection.checks.map((check) => {
    if (warnings.length === 0) return checkResult(check, 'failed', 'expected a compiler warning, none occurred');
    return diagnosticsCheck(check, check.check.pattern, warnings) ?? checkResult(check, 'passed', 'expected warning occurred', { actual: warnings[0] });
  });
  return { run: compile.run, checks };
}

/** The source a structural check reads: `file`, else the first of the sources the collection would compile. */
async function structuralChecks(language: TCompiledLanguage, ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const files = await fileSet(ctx, 'student');
  const file = collection.collection.file ?? chooseSources(language, collection, files.present)[0];
  const source = file && files.present.has(file) ? await readFileInside(ctx.submissionDir, file, 16 * 1024 * 1024) : undefined;
  if (!file || !source) return { checks: allChecks(collection, 'failed', `source file ${file ? `"${file}" ` : ''}not found for structural test`) };
  const text = source.toString('utf8');
  const checks = collection.checks.map((check) => {
    const started = performance.now();
    try {
      const outcome = compiledStructuralCheck({ language: language.structural, source: text, name: check.name, pattern: check.check.pattern, range: check.allowedOccuranceRange });
      return checkResult(check, outcome.ok ? 'passed' : 'failed', outcome.message, { publicMessage: outcome.publicMessage, expected: outcome.expected, actual: outcome.actual, startedAt: started });
    } catch (error) {
      if (error instanceof PatternError) return invalidCheck(check, error);
      throw error;
    }
  });
  return { checks };
}

async function runtimeChecks(language: TCompiledLanguage, ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const execution = await execute(language, ctx, collection, 'student');
  const failure = executionFailure(execution);
  if (failure) return { run: shownRun(execution), checks: allChecks(collection, failure.status, failure.message) };
  const run = execution.run as TProgramRun;
  return { run, checks: collection.checks.map((check) => runtimeCheck(check, run)) };
}

/** `exist`: the language's glob (see existPattern) matches a file of the hand-in, not empty unless `allowEmpty`. */
async function existChecks(language: TCompiledLanguage, ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const files = await listRegularFiles(ctx.submissionDir);
  const checks = await Promise.all(
    collection.checks.map(async (check) => {
      const started = performance.now();
      const pattern = language.existPattern(collection.collection.file, check.name);
      const regex = globToRegExp(pattern);
      const matches = files.filter((rel) => regex.test(rel));
      if (matches.length === 0) return checkResult(check, 'failed', `file "${pattern}" not found in the submission`, { startedAt: started });
      if (!check.check.allowEmpty) {
        for (const rel of matches) {
          const content = await readFileInside(ctx.submissionDir, rel, 1);
          if (content !== undefined && content.length === 0) return checkResult(check, 'failed', `file "${rel}" is empty`, { startedAt: started });
        }
      }
      return checkResult(check, 'passed', `found ${matches.join(', ')}`, { startedAt: started });
    }),
  );
  return { checks };
}

/** Fortran's `exist` path (F1): `file` is a directory the check's name is looked for in. */
export function existUnderDirectory(file: string | undefined, name: string): string {
  return file ? path.posix.join(file, name) : name;
}

/** Everywhere else: `file` is the pattern, else the check's name. */
export function existFileOrName(file: string | undefined, name: string): string {
  return file ?? name;
}

export function gradeCompiledCollection(language: TCompiledLanguage, ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  switch (collection.type) {
    case 'stdout':
    case 'stderr':
    case 'stdio':
      return outputChecks(language, ctx, collection);
    case 'exitcode':
      return exitCodeChecks(language, ctx, collection);
    case 'compile':
      return compileChecks(language, ctx, collection);
    case 'warning':
      return warningChecks(language, ctx, collection);
    case 'error':
      return errorChecks(language, ctx, collection);
    case 'structural':
      return structuralChecks(language, ctx, collection);
    case 'runtime':
      return runtimeChecks(language, ctx, collection);
    case 'exist':
      return existChecks(language, ctx, collection);
    default:
      return Promise.resolve(skipAll(collection, `collection type "${collection.type}" is not supported for ${language.label}`));
  }
}
