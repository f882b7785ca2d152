import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { TPyToken } from '../../compare/structural';
import type { TEffectiveLimits } from '../../sandbox/limits';
import { REPORT_OVERHEAD_BYTES, type Sandbox, type TSandboxFile } from '../../sandbox/sandbox';
import { parseDriverReport, type TDriverError, type TDriverValue } from './driver-report';
import { classifySandboxResult, looksLikeMemoryExhaustion, programRunFrom, tail, type TProgramRun, type TRunStatus } from '../../runners/run-result';

/** Shipped next to this module's compiled output by scripts/copy-assets.js. */
export const DRIVER_PATH = path.resolve(__dirname, 'driver.py');

const SANDBOX_VENV = '/opt/venv';
const SANDBOX_DRIVER_DIR = '/opt/grader';
const MPL_DIR = '/tmp/matplotlib';

/** Where the Python interpreter for graded code lives and how the sandbox exposes it. */
export interface TPythonEnvironment {
  /** Interpreter path inside the sandbox. */
  executable: string;
  roBinds: Array<{ hostPath: string; sandboxPath: string }>;
  files: TSandboxFile[];
  env: Record<string, string>;
}

export class PythonUnavailableError extends Error {
  override readonly name = 'PythonUnavailableError';
}

/**
 * `pythonBin` is either `<venv>/bin/python` (the venv is bound read-only at /opt/venv; the
 * interpreter it links to must live under /usr) or an interpreter under /usr itself.
 */
export function pythonEnvironment(pythonBin: string): TPythonEnvironment {
  if (!fs.existsSync(pythonBin)) {
    throw new PythonUnavailableError(`Python for graded code not found at ${pythonBin} (run tooling/python/setup-grader-venv.sh)`);
  }
  const roBinds = [{ hostPath: DRIVER_PATH, sandboxPath: `${SANDBOX_DRIVER_DIR}/${path.basename(DRIVER_PATH)}` }];
  const files: TSandboxFile[] = [];
  const venv = path.dirname(path.dirname(pythonBin));
  if (fs.existsSync(path.join(venv, 'pyvenv.cfg'))) {
    roBinds.push({ hostPath: venv, sandboxPath: SANDBOX_VENV });
    // A prebuilt font cache (setup-grader-venv.sh) spares every run matplotlib's cache rebuild.
    const mplConfig = path.join(venv, 'mplconfig');
    if (fs.existsSync(mplConfig)) {
      for (const name of fs.readdirSync(mplConfig).filter((n) => /^fontlist-.*\.json$/.test(n))) {
        files.push({ path: `${MPL_DIR}/${name}`, hostPath: path.join(mplConfig, name), mode: 0o666 });
      }
    }
    return { executable: `${SANDBOX_VENV}/bin/${path.basename(pythonBin)}`, roBinds, files, env: { MPLCONFIGDIR: MPL_DIR } };
  }
  if (!pythonBin.startsWith('/usr/')) throw new PythonUnavailableError(`${pythonBin} is neither a venv interpreter nor under /usr`);
  return { executable: pythonBin, roBinds, files, env: { MPLCONFIGDIR: MPL_DIR } };
}

export type { TDriverError, TDriverValue };

export interface TPythonRun extends TProgramRun {
  values: Record<string, TDriverValue>;
  warnings: string[];
  error: TDriverError | undefined;
  tokens: TPyToken[] | undefined;
  needles: Record<string, string[] | null> | undefined;
}

export interface TPythonRunRequest {
  mode: 'run' | 'tokenize' | 'compile';
  files: TSandboxFile[];
  entryPoint?: string | undefined;
  setUpCode?: string[];
  tearDownCode?: string[];
  expressions?: string[];
  graphics?: boolean;
  /** tokenize/compile: the file to read. */
  file?: string;
  /** tokenize: names whose token sequence to report. */
  names?: string[];
  stdin?: string | undefined;
  limits: TEffectiveLimits;
  signal?: AbortSignal | undefined;
}

const DRIVER_FAILED = 70;

/** What a run's check messages say when the driver's report cannot be trusted or is not there. */
export const TAMPERED_REPORT = "the run's report was tampered with or missing";

function section(name: string, payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  return Buffer.concat([Buffer.from(`${name} ${body.length}\n`, 'ascii'), body]);
}

function mebibytes(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
}

function describeError(error: TDriverError | undefined, phase: string | undefined): string {
  if (!error) return 'raised an error';
  const where = error.location ? ` (${error.location.file}, line ${error.location.line})` : '';
  const during = phase && phase !== 'entryPoint' ? ` in ${phase}` : '';
  return `raised ${error.type}${during}${where}: ${error.message}`;
}

export async function runPython(sandbox: Sandbox, env: TPythonEnvironment, request: TPythonRunRequest): Promise<TPythonRun> {
  const token = randomBytes(16).toString('hex');
  const { valueBytes } = request.limits;
  const spec = { mode: request.mode, entryPoint: request.entryPoint, graphics: request.graphics ?? false, file: request.file, names: request.names ?? [], maxValueBytes: valueBytes };
  // The driver reads each section when it gets to it: test code still to come and the token are
  // not in its memory while graded code runs (driver.py).
  const input = Buffer.concat([
    section('spec', JSON.stringify(spec)),
    section('setUpCode', JSON.stringify(request.setUpCode ?? [])),
    section('tearDownCode', JSON.stringify(request.tearDownCode ?? [])),
    section('expressions', JSON.stringify(request.expressions ?? [])),
    section('token', token),
  ]);
  const result = await sandbox.run({
    // Not -I: that would also ignore PYTHONHASHSEED; the environment is ours alone (--clearenv).
    argv: [env.executable, '-s', '-B', `${SANDBOX_DRIVER_DIR}/${path.basename(DRIVER_PATH)}`],
    files: [...env.files, ...request.files],
    roBinds: env.roBinds,
    env: env.env,
    ...(request.stdin !== undefined ? { stdin: request.stdin } : {}),
    limits: request.limits,
    signal: request.signal,
    channel: { input, token, maxBytes: valueBytes + REPORT_OVERHEAD_BYTES },
  });
  const limitSeconds = request.limits.wallTimeoutMs / 1000;
  const empty = { values: {}, warnings: [], error: undefined, tokens: undefined, needles: undefined };
  const failed = (status: TRunStatus, message: string): TPythonRun => ({
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
  const report = result.channel ? parseDriverReport(result.channel, request.mode) : undefined;
  if (!report) {
    const stderr = result.stderr.toString('utf8');
    if (looksLikeMemoryExhaustion(stderr)) return failed('memory_exceeded', 'ran out of memory');
    if (result.channel) return failed('error', `sent a report the test code does not write: ${TAMPERED_REPORT}`);
    // 70: the driver's own exit when it could not read its input or write the report.
    if (!result.signal && result.exitCode === DRIVER_FAILED) return failed('error', `got in the way of the test code, which could not report: ${TAMPERED_REPORT}`);
    const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${String(result.exitCode)}`;
    return failed('error', `${how} before the test code could report: ${TAMPERED_REPORT}${stderr.trim() ? ` (${tail(stderr, 3, 500)})` : ''}`);
  }
  if (report.status === 'tampered') return failed('error', `${report.tamper ?? 'changed the interpreter under the test code'}: ${TAMPERED_REPORT}`);
  const status: TRunStatus = report.status;
  const message =
    status === 'completed'
      ? ''
      : status === 'memory_exceeded'
        ? 'ran out of memory (MemoryError)'
        : status === 'output_limit'
          ? `reported more than the limit of ${mebibytes(valueBytes)}`
          : describeError(report.error, report.phase);
  const run = programRunFrom(result, { status, message, timedOut: false, memoryExceeded: status === 'memory_exceeded' });
  return {
    ...run,
    exitCode: report.exitCode,
    values: report.values ?? {},
    warnings: report.warnings,
    error: report.error,
    tokens: report.tokens,
    needles: report.needles,
  };
}
