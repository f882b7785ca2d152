import fs from 'node:fs';
import path from 'node:path';
import type { TEffectiveLimits } from '../sandbox/limits';
import type { Sandbox, TSandboxFile } from '../sandbox/sandbox';
import { classifySandboxResult, programRunFrom, type TProgramRun } from './run-result';

const OUT_DIR = '/out';
const PROGRAM_DIR = '/opt/program';
const PROGRAM = 'program';

export interface TCompileRequest {
  files: TSandboxFile[];
  sources: string[];
  compiler: string;
  flags: string[];
  linkerFlags: string[];
  tmpDir: string;
  limits: TEffectiveLimits;
  signal?: AbortSignal | undefined;
}

export interface TCompileResult {
  run: TProgramRun;
  /** Compiled successfully: the program is in this host directory (the caller removes it). */
  programDir: string | undefined;
  /** Compiler diagnostics (stdout and stderr). */
  diagnostics: string;
}

/** A compiler named in meta.yaml/test.yaml: a bare command resolved on the sandbox's PATH. */
export function validCompiler(name: string): boolean {
  return /^[A-Za-z0-9_.+-]+$/.test(name);
}

/**
 * A source file as a compiler operand. Submitted file names are the student's: `-Wp,-Uprintf.c` or
 * `@opts.c` given bare would be parsed as options; as `./name` they can only be files.
 */
export function sourceOperand(rel: string): string {
  return rel.startsWith('/') ? rel : `./${rel}`;
}

export async function compileProgram(sandbox: Sandbox, request: TCompileRequest): Promise<TCompileResult> {
  const outDir = fs.mkdtempSync(path.join(request.tmpDir, 'computor-grader-build-'));
  // Written by the run's uid, whichever it is; the parent (mkdtemp, 0700) keeps other host users out.
  fs.chmodSync(outDir, 0o777);
  let keep = false;
  try {
    const result = await sandbox.run({
      argv: [request.compiler, ...request.flags, ...request.sources.map(sourceOperand), '-o', `${OUT_DIR}/${PROGRAM}`, ...request.linkerFlags],
      files: request.files,
      rwBinds: [{ hostPath: outDir, sandboxPath: OUT_DIR }],
      limits: request.limits,
      signal: request.signal,
    });
    const classified = classifySandboxResult(result, request.limits.wallTimeoutMs / 1000);
    const run = programRunFrom(result, classified);
    const diagnostics = `${run.stdout}${run.stderr}`;
    if (run.status === 'completed' && run.exitCode !== 0) {
      return { run: { ...run, status: 'error', message: 'does not compile' }, programDir: undefined, diagnostics };
    }
    if (run.status !== 'completed') return { run: { ...run, message: `compiler ${run.message}` }, programDir: undefined, diagnostics };
    if (!fs.existsSync(path.join(outDir, PROGRAM))) {
      return { run: { ...run, status: 'error', message: 'the compiler produced no program' }, programDir: undefined, diagnostics };
    }
    keep = true;
    return { run, programDir: outDir, diagnostics };
  } finally {
    if (!keep) fs.rmSync(outDir, { recursive: true, force: true });
  }
}

export interface TProgramRequest {
  programDir: string;
  files: TSandboxFile[];
  args: string[];
  stdin?: string | undefined;
  limits: TEffectiveLimits;
  signal?: AbortSignal | undefined;
}

export async function runProgram(sandbox: Sandbox, request: TProgramRequest): Promise<TProgramRun> {
  const result = await sandbox.run({
    argv: [`${PROGRAM_DIR}/${PROGRAM}`, ...request.args],
    files: request.files,
    roBinds: [{ hostPath: request.programDir, sandboxPath: PROGRAM_DIR }],
    // Closed stdin when no answers are given: a program waiting for input sees EOF, not a hang.
    stdin: request.stdin ?? '',
    limits: request.limits,
    signal: request.signal,
  });
  return programRunFrom(result, classifySandboxResult(result, request.limits.wallTimeoutMs / 1000));
}

/** A compiler's path for a file, as the student named it: `./hello.c` and `/work/hello.c` become `hello.c`. */
function studentPaths(line: string): string {
  return line.replace(/(^|[\s'"‘`(])(?:\.\/|\/work\/)(?=[^\s/])/g, '$1');
}

const GCC_ERROR = /^\S.*?:\d+(?::\d+)?: (?:fatal )?error: /i;
const GFORTRAN_ERROR = /^(?:Fatal )?Error: /;
const GFORTRAN_LOCATION = /^(\S.*?:\d+(?::\d+(?:-\d+)?)?):$/;
const LINKER = /^(?:\/usr\/bin\/)?ld: /;
const LINK_PROBLEM = /undefined reference to|multiple definition of|cannot find -l/;

/**
 * The compiler's first error in the student's terms, with file and line: gcc/g++'s
 * `hello.c:3:2: error: …` as it is; gfortran's `Error: …` prefixed with the location it prints
 * lines above (`hello.f90:4:5: Error: Unclassifiable statement at (1)`); a linker error without the
 * temporary object's name (`hello.c: undefined reference to \`sqrt'`). Else the first line that
 * mentions an error, else the first non-empty line.
 */
export function firstCompilerError(diagnostics: string): string {
  const lines = diagnostics.split('\n').map((line) => studentPaths(line.trimEnd()));
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] as string;
    if (GCC_ERROR.test(line)) return line;
    if (GFORTRAN_ERROR.test(line)) {
      for (let j = i - 1; j >= 0 && j >= i - 8; j -= 1) {
        const location = GFORTRAN_LOCATION.exec(lines[j] as string);
        if (location) return `${location[1]}: ${line}`;
      }
      return line;
    }
    if (LINK_PROBLEM.test(line)) {
      return line
        .replace(LINKER, '')
        .replace(/\/tmp\/[^:\s]+\.o:\s*/g, '')
        .replace(/:\(\.[\w.]+\+0x[0-9a-f]+\)/g, '');
    }
  }
  return (lines.find((line) => /\berror\b/i.test(line)) ?? lines.find((line) => line.trim() !== '') ?? '').trim();
}

/** Compiler warnings as the original engine counted them: stderr lines containing `warning:` (any case). */
export function compilerWarnings(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.toLowerCase().includes('warning:'));
}
