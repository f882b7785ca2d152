import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { TEffectiveLimits } from '../../sandbox/limits';
import { REPORT_OVERHEAD_BYTES, type Sandbox, type TSandboxBind, type TSandboxFile } from '../../sandbox/sandbox';
import { classifySandboxResult, looksLikeMemoryExhaustion, programRunFrom, tail, type TProgramRun, type TRunStatus } from '../../runners/run-result';
import { parseRReport, type TRDriverValue, type TRError } from './report';

/** Shipped next to this module's compiled output by scripts/copy-assets.js. */
export const DRIVER_PATH = path.resolve(__dirname, 'driver.R');
const SANDBOX_DRIVER = '/opt/grader/driver.R';

const RSCRIPT_CANDIDATES = ['/usr/bin/Rscript', '/usr/local/bin/Rscript'];
const R_HOME_CANDIDATES = ['/usr/lib/R', '/usr/lib64/R', '/usr/local/lib/R', '/usr/local/lib64/R'];

/** How the sandbox runs R: the interpreter, and what it needs bound besides /usr. */
export interface TREnvironment {
  argv: string[];
  roBinds: TSandboxBind[];
  env: Record<string, string>;
}

export class RUnavailableError extends Error {
  override readonly name = 'RUnavailableError';
}

/**
 * Rscript under /usr, and R_HOME's `etc` files: on Debian they are symlinks into /etc/R (Renviron,
 * ldpaths, ...), without which R does not start, so every directory outside /usr such a link points
 * into is bound read-only at the same path.
 */
export function rEnvironment(): TREnvironment {
  const rscript = RSCRIPT_CANDIDATES.find((candidate) => fs.existsSync(candidate));
  if (!rscript) throw new RUnavailableError(`Rscript not found (looked for ${RSCRIPT_CANDIDATES.join(', ')}; install r-base-core)`);
  const rHome = R_HOME_CANDIDATES.find((candidate) => fs.existsSync(path.join(candidate, 'etc')));
  const roBinds: TSandboxBind[] = [{ hostPath: DRIVER_PATH, sandboxPath: SANDBOX_DRIVER }];
  if (rHome) {
    const dirs = new Set<string>();
    for (const entry of fs.readdirSync(path.join(rHome, 'etc'))) {
      const file = path.join(rHome, 'etc', entry);
      if (!fs.lstatSync(file).isSymbolicLink()) continue;
      let target: string;
      try {
        target = fs.realpathSync(file);
      } catch {
        continue;
      }
      if (!target.startsWith('/usr/')) dirs.add(path.dirname(target));
    }
    for (const dir of [...dirs].sort()) roBinds.push({ hostPath: dir, sandboxPath: dir });
  }
  return { argv: [rscript, '--vanilla', SANDBOX_DRIVER], roBinds, env: {} };
}

export interface TRRun extends TProgramRun {
  /** By variable name; evaluated expressions under `=<expression>`. */
  values: Record<string, TRDriverValue>;
  warnings: string[];
  error: TRError | undefined;
}

export interface TRRunRequest {
  files: TSandboxFile[];
  entryPoint: string;
  setUpCode: string[];
  tearDownCode: string[];
  /** Variables to report, looked up in the global environment only. */
  names: string[];
  /** Expressions to evaluate in the global environment after the run (reference `evalString`). */
  expressions: string[];
  stdin?: string | undefined;
  limits: TEffectiveLimits;
  signal?: AbortSignal | undefined;
}

/** The driver's own exit when it could not read its input or write the report. */
const DRIVER_FAILED = 70;

/** What a run's check messages say when the driver's report cannot be trusted or is not there. */
export const TAMPERED_REPORT = "the run's report was tampered with or missing";

/** A section on fd 3: `<name> <byte length>\n<payload>`. */
function section(name: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${name} ${payload.length}\n`, 'ascii'), payload]);
}

function itemList(items: string[]): Buffer {
  return Buffer.concat(
    items.map((item) => {
      const body = Buffer.from(item, 'utf8');
      return Buffer.concat([Buffer.from(`${body.length}\n`, 'ascii'), body]);
    }),
  );
}

function mebibytes(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
}

/** An R error as R prints it, with where it happened. */
export function describeRError(error: TRError | undefined): string {
  if (!error) return 'stopped with an error';
  const during = error.phase === 'script' ? '' : ` in ${error.phase}`;
  const where = error.file !== undefined && error.line !== undefined ? ` (${error.file}, line ${error.line})` : error.line !== undefined ? ` (line ${error.line})` : '';
  const text = error.call !== undefined ? `Error in ${error.call} : ${error.message}` : `Error: ${error.message}`;
  return `stopped with an error${during}${where}: ${text}`;
}

export async function runR(sandbox: Sandbox, env: TREnvironment, request: TRRunRequest): Promise<TRRun> {
  const token = randomBytes(16).toString('hex');
  const { valueBytes } = request.limits;
  const spec = ['entryPoint', request.entryPoint, 'maxValueBytes', String(valueBytes)];
  // The driver reads the sections when it needs them (driver.R): tearDownCode, the names and the
  // token are still in the socket while graded code runs; the token never enters R.
  const input = Buffer.concat([
    section('before', Buffer.concat([section('spec', itemList(spec)), section('setUpCode', itemList(request.setUpCode))])),
    section(
      'after',
      Buffer.concat([section('tearDownCode', itemList(request.tearDownCode)), section('names', itemList(request.names)), section('expressions', itemList(request.expressions))]),
    ),
    section('token', Buffer.from(token, 'ascii')),
  ]);
  const result = await sandbox.run({
    argv: env.argv,
    files: request.files,
    roBinds: env.roBinds,
    env: env.env,
    ...(request.stdin !== undefined ? { stdin: request.stdin } : {}),
    limits: request.limits,
    signal: request.signal,
    channel: { input, token, maxBytes: valueBytes + REPORT_OVERHEAD_BYTES },
  });
  const limitSeconds = request.limits.wallTimeoutMs / 1000;
  const empty = { values: {}, warnings: [], error: undefined };
  const failed = (status: TRunStatus, message: string): TRRun => ({
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
  const report = result.channel ? parseRReport(result.channel) : undefined;
  if (!report) {
    const stderr = result.stderr.toString('utf8');
    if (looksLikeMemoryExhaustion(stderr) || /cannot allocate|memory exhausted/i.test(stderr.slice(-4096))) return failed('memory_exceeded', 'ran out of memory');
    if (result.channel) return failed('error', `sent a report the test code does not write: ${TAMPERED_REPORT}`);
    if (!result.signal && result.exitCode === DRIVER_FAILED) return failed('error', `got in the way of the test code, which could not report: ${TAMPERED_REPORT}`);
    const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${String(result.exitCode)}`;
    return failed('error', `${how} before the test code could report: ${TAMPERED_REPORT}${stderr.trim() ? ` (${tail(stderr, 3, 500)})` : ''}`);
  }
  const status: TRunStatus = report.status;
  const message = status === 'completed' ? '' : status === 'memory_exceeded' ? `ran out of memory (${report.error?.message ?? 'cannot allocate'})` : describeRError(report.error);
  return {
    ...programRunFrom(result, { status, message, timedOut: false, memoryExceeded: status === 'memory_exceeded' }),
    exitCode: report.exitCode,
    values: report.values,
    warnings: report.warnings,
    error: report.error,
  };
}
