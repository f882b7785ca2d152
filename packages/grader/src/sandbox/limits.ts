import { ZSandboxLimits, type TSandboxLimits, type TSandboxLimitsInput } from '@computor/contracts';
import type { TExecutionSettings } from '../example/schemas';

export { ZSandboxLimits, type TSandboxLimits, type TSandboxLimitsInput };

/** Limits applied to one sandboxed process tree, in the units the kernel wants. */
export interface TEffectiveLimits {
  wallTimeoutMs: number;
  cpuSeconds: number;
  memoryBytes: number;
  maxProcesses: number;
  fileSizeBytes: number;
  openFiles: number;
  outputBytes: number;
  /** Bytes of values a driver may report (see ResultChannel). */
  valueBytes: number;
  workDirBytes: number;
}

const MiB = 1024 * 1024;

export function resolveSandboxLimits(input: TSandboxLimitsInput = {}): TSandboxLimits {
  return ZSandboxLimits.parse(input);
}

function clamp(requested: number | undefined | null, max: number): number {
  if (requested === undefined || requested === null || !Number.isFinite(requested) || requested <= 0) return max;
  return Math.min(requested, max);
}

/**
 * Limits for one run: the assignment's settings (meta.yaml) and the collection's timeout
 * (test.yaml) may lower the operator maxima, never raise them.
 */
export function effectiveLimits(
  operator: TSandboxLimits,
  settings: TExecutionSettings | undefined,
  options: { kind: 'run' | 'compile'; timeoutSeconds?: number | undefined },
): TEffectiveLimits {
  const wallMax = options.kind === 'compile' ? operator.compileTimeoutMs : operator.wallTimeoutMs;
  const requestedSeconds = options.kind === 'compile' ? settings?.compileTimeout : (options.timeoutSeconds ?? settings?.timeout);
  const wallTimeoutMs = Math.round(clamp(requestedSeconds === undefined ? undefined : requestedSeconds * 1000, wallMax));
  const cpuMax = operator.cpuSeconds ?? Math.ceil(wallTimeoutMs / 1000);
  return {
    wallTimeoutMs,
    cpuSeconds: Math.max(1, Math.ceil(clamp(settings?.cpuLimit, cpuMax))),
    memoryBytes: Math.round(clamp(settings?.memoryLimitMB, operator.memoryMb)) * MiB,
    maxProcesses: Math.round(clamp(settings?.maxProcesses, operator.maxProcesses)),
    fileSizeBytes: operator.fileSizeMb * MiB,
    openFiles: operator.openFiles,
    outputBytes: operator.outputBytes,
    valueBytes: operator.valueBytes,
    workDirBytes: operator.workDirMb * MiB,
  };
}
