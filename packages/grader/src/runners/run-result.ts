import type { TRunOutput } from '@computor/contracts';
import type { TSandboxRunResult } from '../sandbox/sandbox';

/**
 * How a run of graded code ended, as the checks see it. `output_limit`: it wrote more than a cap
 * allows (stdout/stderr past the drain limit, values past the value limit) and was stopped.
 */
export type TRunStatus = 'completed' | 'error' | 'timeout' | 'memory_exceeded' | 'output_limit' | 'infra_error';

export interface TProgramRun {
  status: TRunStatus;
  /** Why the run did not complete (empty when it did). */
  message: string;
  /** Captured output (up to the sandbox's output cap), what checks compare. */
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  stdoutBytes: number;
  stderrBytes: number;
  timedOut: boolean;
  memoryExceeded: boolean;
}

const MEMORY_HINT = /MemoryError|Cannot allocate memory|std::bad_alloc|out of memory|Unable to allocate|failed to allocate/i;

/** Heuristic for runs that died of the address-space limit without saying so in a structured way. */
export function looksLikeMemoryExhaustion(stderr: string): boolean {
  return MEMORY_HINT.test(stderr.slice(-4096));
}

export function tail(text: string, lines = 6, max = 1500): string {
  const out = text.trimEnd().split('\n').slice(-lines).join('\n');
  return out.length > max ? out.slice(-max) : out;
}

/** Classifies a sandbox result when the program itself (not a driver) is what ran. */
export function classifySandboxResult(result: TSandboxRunResult, limitSeconds: number): Pick<TProgramRun, 'status' | 'message' | 'timedOut' | 'memoryExceeded'> {
  const stderr = result.stderr.toString('utf8');
  switch (result.outcome) {
    case 'infra_error':
      return { status: 'infra_error', message: result.infraMessage ?? 'sandbox failure', timedOut: false, memoryExceeded: false };
    case 'timeout':
      return { status: 'timeout', message: `did not finish within ${limitSeconds} s`, timedOut: true, memoryExceeded: false };
    case 'cpu_limit':
      return { status: 'timeout', message: 'exceeded its CPU time limit', timedOut: true, memoryExceeded: false };
    case 'output_limit':
      return { status: 'output_limit', message: 'produced more output than a run may write and was stopped', timedOut: false, memoryExceeded: false };
    case 'tampered':
      return { status: 'error', message: "wrote into the grader's result channel: the run's report was tampered with or missing", timedOut: false, memoryExceeded: false };
    case 'memory_limit':
      return { status: 'memory_exceeded', message: 'exceeded the memory limit of its run', timedOut: false, memoryExceeded: true };
    case 'file_size_limit':
      return { status: 'error', message: 'tried to write a file larger than the file size limit', timedOut: false, memoryExceeded: false };
    case 'signaled':
      if (looksLikeMemoryExhaustion(stderr)) return { status: 'memory_exceeded', message: 'ran out of memory', timedOut: false, memoryExceeded: true };
      return { status: 'error', message: `was killed by ${result.signal ?? 'a signal'}`, timedOut: false, memoryExceeded: false };
    case 'exited':
      if (result.exitCode !== 0 && looksLikeMemoryExhaustion(stderr)) {
        return { status: 'memory_exceeded', message: 'ran out of memory', timedOut: false, memoryExceeded: true };
      }
      return { status: 'completed', message: '', timedOut: false, memoryExceeded: false };
  }
}

export function programRunFrom(result: TSandboxRunResult, classified: Pick<TProgramRun, 'status' | 'message' | 'timedOut' | 'memoryExceeded'>): TProgramRun {
  return {
    ...classified,
    stdout: result.stdout.toString('utf8'),
    stderr: result.stderr.toString('utf8'),
    exitCode: result.exitCode,
    signal: result.signal,
    durationMs: result.durationMs,
    stdoutBytes: result.stdoutBytes,
    stderrBytes: result.stderrBytes,
  };
}

function clip(text: string, bytes: number): { text: string; kept: number } {
  const buffer = Buffer.from(text, 'utf8');
  if (buffer.length <= bytes) return { text, kept: buffer.length };
  const cut = buffer.subarray(0, bytes).toString('utf8').replace(/\uFFFD$/, '');
  return { text: cut, kept: Buffer.byteLength(cut, 'utf8') };
}

/** The run as the report shows it, with each stream clipped to `reportBytes`. */
export function toRunOutput(run: TProgramRun, reportBytes: number): TRunOutput {
  const stdout = clip(run.stdout, reportBytes);
  const stderr = clip(run.stderr, reportBytes);
  return {
    stdout: stdout.text,
    stderr: stderr.text,
    stdoutBytes: run.stdoutBytes,
    stdoutKeptBytes: stdout.kept,
    stderrBytes: run.stderrBytes,
    stderrKeptBytes: stderr.kept,
    truncated: stdout.kept < run.stdoutBytes || stderr.kept < run.stderrBytes,
    exitCode: run.exitCode,
    signal: run.signal,
    timedOut: run.timedOut,
    memoryExceeded: run.memoryExceeded,
    durationMs: Math.round(run.durationMs),
  };
}
