import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { TPyValue } from '../compare/py-value';
import type { TPyToken } from '../compare/structural';
import type { TEffectiveLimits } from '../sandbox/limits';
import type { Sandbox, TSandboxFile } from '../sandbox/sandbox';
import { classifySandboxResult, looksLikeMemoryExhaustion, programRunFrom, tail, type TProgramRun } from './run-result';

/** Shipped next to this module's compiled output by scripts/copy-assets.js. */
export const DRIVER_PATH = path.resolve(__dirname, '..', 'python', 'driver.py');

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

export type TDriverValue = { ok: true; value: TPyValue } | { ok: false; error: string };

export interface TDriverError {
  type: string;
  message: string;
  traceback: string;
  location: { file: string; line: number } | null;
  memory: boolean;
}

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

interface TDriverResult {
  nonce?: string;
  status?: string;
  exitCode?: number;
  values?: Record<string, TDriverValue>;
  warnings?: string[];
  error?: TDriverError;
  phase?: string;
  tokens?: TPyToken[];
  needles?: Record<string, string[] | null>;
}

function parseDriverResult(channel: Buffer | null, nonce: string): TDriverResult | undefined {
  if (!channel || channel.length === 0) return undefined;
  const line = channel.toString('utf8').split('\n')[0] ?? '';
  try {
    const parsed = JSON.parse(line) as TDriverResult;
    return parsed.nonce === nonce ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function describeError(error: TDriverError | undefined, phase: string | undefined): string {
  if (!error) return 'raised an error';
  const where = error.location ? ` (${error.location.file}, line ${error.location.line})` : '';
  const during = phase && phase !== 'entryPoint' ? ` in ${phase}` : '';
  return `raised ${error.type}${during}${where}: ${error.message}`;
}

export async function runPython(sandbox: Sandbox, env: TPythonEnvironment, request: TPythonRunRequest): Promise<TPythonRun> {
  const nonce = randomBytes(16).toString('hex');
  const spec = {
    nonce,
    mode: request.mode,
    entryPoint: request.entryPoint,
    setUpCode: request.setUpCode ?? [],
    tearDownCode: request.tearDownCode ?? [],
    expressions: request.expressions ?? [],
    graphics: request.graphics ?? false,
    file: request.file,
    names: request.names ?? [],
  };
  const result = await sandbox.run({
    // Not -I: that would also ignore PYTHONHASHSEED; the environment is ours alone (--clearenv).
    argv: [env.executable, '-s', '-B', `${SANDBOX_DRIVER_DIR}/${path.basename(DRIVER_PATH)}`],
    files: [...env.files, ...request.files],
    roBinds: env.roBinds,
    env: env.env,
    ...(request.stdin !== undefined ? { stdin: request.stdin } : {}),
    limits: request.limits,
    signal: request.signal,
    channel: { input: Buffer.from(JSON.stringify(spec), 'utf8') },
  });
  const limitSeconds = request.limits.wallTimeoutMs / 1000;
  const driver = parseDriverResult(result.channel, nonce);
  const empty = { values: {}, warnings: [], error: undefined, tokens: undefined, needles: undefined };
  if (result.outcome !== 'exited' && result.outcome !== 'signaled') {
    return { ...programRunFrom(result, classifySandboxResult(result, limitSeconds)), ...empty };
  }
  if (!driver) {
    const stderr = result.stderr.toString('utf8');
    const memory = looksLikeMemoryExhaustion(stderr);
    const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${String(result.exitCode)}`;
    const message = result.channelOverflow
      ? 'produced a result too large to transfer'
      : `Python ${how} before reporting a result${stderr.trim() ? `: ${tail(stderr, 3, 500)}` : ''}`;
    return {
      ...programRunFrom(result, {
        status: memory ? 'memory_exceeded' : 'error',
        message: memory ? 'ran out of memory' : message,
        timedOut: false,
        memoryExceeded: memory,
      }),
      ...empty,
    };
  }
  const status = driver.status === 'completed' ? 'completed' : driver.status === 'memory_exceeded' ? 'memory_exceeded' : 'error';
  const message = status === 'completed' ? '' : status === 'memory_exceeded' ? 'ran out of memory (MemoryError)' : describeError(driver.error, driver.phase);
  const run = programRunFrom(result, { status, message, timedOut: false, memoryExceeded: status === 'memory_exceeded' });
  return {
    ...run,
    exitCode: driver.exitCode ?? (status === 'completed' ? 0 : 1),
    values: driver.values ?? {},
    warnings: driver.warnings ?? [],
    error: driver.error,
    tokens: driver.tokens,
    needles: driver.needles,
  };
}
