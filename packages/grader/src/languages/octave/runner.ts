import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { TPyValue } from '../../compare/py-value';
import { classifySandboxResult, looksLikeMemoryExhaustion, programRunFrom, tail, type TProgramRun, type TRunStatus } from '../../runners/run-result';
import type { TEffectiveLimits } from '../../sandbox/limits';
import { REPORT_OVERHEAD_BYTES, type Sandbox, type TSandboxFile } from '../../sandbox/sandbox';
import { decodeOctave, ZOctWire } from './decode';

/** The driver's directory (driver/__computor_driver__.m), shipped next to this module by scripts/copy-assets.js. */
export const DRIVER_DIR = path.resolve(__dirname, 'driver');
const SANDBOX_DRIVER_DIR = '/opt/grader/octave';
const WORK_DIR = '/work';
/** Octave as installed by Debian's `octave` package; /usr is the sandbox's read-only /usr. */
export const OCTAVE_BIN = '/usr/bin/octave-cli';

export class OctaveUnavailableError extends Error {
  override readonly name = 'OctaveUnavailableError';
}

export interface TOctaveEnvironment {
  executable: string;
  roBinds: Array<{ hostPath: string; sandboxPath: string }>;
}

export function octaveEnvironment(): TOctaveEnvironment {
  if (!fs.existsSync(OCTAVE_BIN)) throw new OctaveUnavailableError(`Octave not found at ${OCTAVE_BIN} (install the octave package)`);
  if (!fs.existsSync(path.join(DRIVER_DIR, '__computor_driver__.m'))) throw new OctaveUnavailableError(`the Octave driver is missing from ${DRIVER_DIR}`);
  return { executable: OCTAVE_BIN, roBinds: [{ hostPath: DRIVER_DIR, sandboxPath: SANDBOX_DRIVER_DIR }] };
}

// The report the driver writes at the end of a run. It arrives from the student's process, so it
// is parsed strictly: anything of another shape is a tampered run.
const ZValueEntry = z.union([
  z.object({ ok: z.literal(true), v: ZOctWire }).strict(),
  /** `limit`: the value did not fit the run's value budget (`output_limit` for its check). */
  z.object({ ok: z.literal(false), e: z.string(), limit: z.literal(true).optional() }).strict(),
]);

const ZOctError = z
  .object({
    id: z.string(),
    message: z.string(),
    stack: z.array(z.object({ file: z.string(), name: z.string(), line: z.number().int(), column: z.number().int() }).strict()).max(20),
  })
  .strict();
export type TOctError = z.infer<typeof ZOctError>;

export const OCTAVE_PHASES = ['entryPoint', 'setUpCode', 'tearDownCode', 'values'] as const;

export const ZOctaveReport = z
  .object({
    status: z.enum(['completed', 'error', 'memory_exceeded']),
    phases: z.array(z.enum(OCTAVE_PHASES)).max(OCTAVE_PHASES.length),
    warnings: z.array(z.string()).max(100),
    phase: z.enum(OCTAVE_PHASES).optional(),
    error: ZOctError.optional(),
    values: z.record(z.string(), ZValueEntry),
  })
  .strict()
  .refine((r) => r.phases.every((phase, index) => OCTAVE_PHASES[index] === phase), 'phases out of order')
  .refine((r) => (r.status === 'completed' ? r.phases.length === OCTAVE_PHASES.length && r.error === undefined : r.error !== undefined && r.phase !== undefined), 'status and phases disagree');
export type TOctaveReport = z.infer<typeof ZOctaveReport>;

/** A value as the checks see it: decoded, or why there is none. */
export type TOctaveValue = { ok: true; value: TPyValue } | { ok: false; error: string; limit?: boolean };

/** Parses a report payload; undefined when it is not one the driver could have written. */
export function parseOctaveReport(payload: Buffer): TOctaveReport | undefined {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = ZOctaveReport.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

export interface TOctaveRun extends TProgramRun {
  values: Record<string, TOctaveValue>;
  /** Warnings Octave printed (stderr `warning: ...` lines) and the last warning of each phase. */
  warnings: string[];
  error: TOctError | undefined;
}

export interface TOctaveRunRequest {
  files: TSandboxFile[];
  /** Script run first (`run('<entry>')`), relative to the work directory. */
  entryPoint?: string | undefined;
  setUpCode: string[];
  tearDownCode: string[];
  expressions: string[];
  stdin?: string | undefined;
  limits: TEffectiveLimits;
  signal?: AbortSignal | undefined;
}

/** What a run's check messages say when the driver's report cannot be trusted or is not there. */
export const TAMPERED_REPORT = "the run's report was tampered with or missing";

const DRIVER_FAILED = 70;

/** JSON with every non-ASCII character escaped: the driver's spec is read by a shell as bytes. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function mebibytes(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
}

/** `warning: ...` lines of Octave's stderr (not the `called from` trace). */
export function warningsFromStderr(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('warning: ') && line !== 'warning: called from')
    .map((line) => line.slice('warning: '.length))
    .slice(0, 100);
}

/** The error in the student's terms: message, and where in the hand-in it happened. */
export function describeOctaveError(error: TOctError | undefined, phase: string | undefined): string {
  if (!error) return 'raised an error';
  const frame = error.stack[0];
  const where = frame ? ` (${frame.file}, line ${frame.line})` : '';
  // The test code's phase only when the error names no place in the hand-in (setUpCode usually
  // just starts the script: `run('name')`).
  const during = phase && phase !== 'entryPoint' && !frame && !/ of file /.test(error.message) ? ` in ${phase}` : '';
  return `raised an error${during}${where}: ${error.message}`;
}

function driverArgv(executable: string): string[] {
  // Started in the driver's directory: until the driver changes into /work, no file of the
  // hand-in can shadow a function it calls.
  return [
    '/bin/sh',
    '-c',
    `cd ${SANDBOX_DRIVER_DIR} && exec "$0" --no-gui --no-window-system --silent --norc --no-history --no-line-editing --eval __computor_driver__`,
    executable,
  ];
}

export async function runOctave(sandbox: Sandbox, env: TOctaveEnvironment, request: TOctaveRunRequest): Promise<TOctaveRun> {
  const token = randomBytes(16).toString('hex');
  const { valueBytes } = request.limits;
  const spec = asciiJson({
    entry: request.entryPoint ?? '',
    setUpCode: request.setUpCode.join('\n'),
    tearDownCode: request.tearDownCode.join('\n'),
    expressions: request.expressions,
    workDir: WORK_DIR,
    maxValueBytes: valueBytes,
  });
  const input = Buffer.from(`spec ${Buffer.byteLength(spec)}\n${spec}token ${token}`, 'ascii');
  const result = await sandbox.run({
    argv: driverArgv(env.executable),
    files: request.files,
    roBinds: env.roBinds,
    ...(request.stdin !== undefined ? { stdin: request.stdin } : {}),
    limits: request.limits,
    signal: request.signal,
    channel: { input, token, maxBytes: valueBytes + REPORT_OVERHEAD_BYTES },
  });
  const limitSeconds = request.limits.wallTimeoutMs / 1000;
  const stderrText = result.stderr.toString('utf8');
  const empty = { values: {}, warnings: warningsFromStderr(stderrText), error: undefined };
  const failed = (status: TRunStatus, message: string): TOctaveRun => ({
    ...programRunFrom(result, { status, message, timedOut: false, memoryExceeded: status === 'memory_exceeded' }),
    ...empty,
  });
  if (result.outcome === 'output_limit' && result.channelProblem === 'oversized') {
    return failed('output_limit', `reported values larger than the limit of ${mebibytes(valueBytes)} and was stopped`);
  }
  if (result.outcome === 'tampered') return failed('error', `wrote into the grader's result channel: ${TAMPERED_REPORT}`);
  if (result.outcome !== 'exited' && result.outcome !== 'signaled') {
    return { ...programRunFrom(result, classifySandboxResult(result, limitSeconds)), ...empty };
  }
  const report = result.channel ? parseOctaveReport(result.channel) : undefined;
  if (!report) {
    if (looksLikeMemoryExhaustion(stderrText)) return failed('memory_exceeded', 'ran out of memory');
    if (result.channel) return failed('error', `sent a report the test code does not write: ${TAMPERED_REPORT}`);
    if (!result.signal && result.exitCode === DRIVER_FAILED) return failed('error', `got in the way of the test code, which could not report: ${TAMPERED_REPORT}`);
    const how = result.signal ? `was killed by ${result.signal}` : `ended Octave (exit or quit, exit code ${String(result.exitCode)})`;
    return failed('error', `${how} before the test code could report: ${TAMPERED_REPORT}${stderrText.trim() ? ` (${tail(stderrText, 3, 500)})` : ''}`);
  }
  const status: TRunStatus = report.status;
  const message = status === 'completed' ? '' : status === 'memory_exceeded' ? `ran out of memory: ${report.error?.message ?? ''}`.trim() : describeOctaveError(report.error, report.phase);
  const values: Record<string, TOctaveValue> = {};
  for (const [expression, entry] of Object.entries(report.values)) {
    values[expression] = entry.ok ? { ok: true, value: decodeOctave(entry.v) } : { ok: false, error: entry.e, ...(entry.limit ? { limit: true } : {}) };
  }
  const warnings = [...new Set([...warningsFromStderr(stderrText), ...report.warnings])].slice(0, 100);
  return {
    ...programRunFrom(result, { status, message, timedOut: false, memoryExceeded: status === 'memory_exceeded' }),
    exitCode: status === 'completed' ? 0 : 1,
    values,
    warnings,
    error: report.error,
  };
}
