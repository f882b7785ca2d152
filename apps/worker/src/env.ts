import { databaseEnv, envFields, gitlabEnv, logEnv, parseEnv, storageEnv, temporalEnv, withEnvFile, type RawEnv } from '@computor/config';
import { TASK_QUEUES, type TSandboxLimitsInput } from '@computor/contracts';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

const optionalInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max).optional();

/** Grading: the sandbox's Python, operator maxima for every sandboxed run, the worker-local work dir. */
const graderEnv = {
  /** The venv built by tooling/python/setup-grader-venv.sh; graded Python runs `<venv>/bin/python`. */
  COMPUTOR_GRADER_VENV: z.string().min(1).optional(),
  /** Worker-local: downloaded example versions, submissions being graded, cached reference values. */
  GRADER_WORK_DIR: z.string().min(1).default(path.join(os.tmpdir(), 'computor-grader')),
  GRADER_MAX_WALL_SECONDS: optionalInt(1, 3600),
  GRADER_MAX_COMPILE_SECONDS: optionalInt(1, 3600),
  GRADER_MAX_MEMORY_MB: optionalInt(64, 65_536),
  GRADER_MAX_PROCESSES: optionalInt(1, 4096),
  GRADER_MAX_OUTPUT_BYTES: optionalInt(1024, 256 * 1024 * 1024),
  /** Bytes of values one Python run may report to the grader; more is `output_limit`. */
  GRADER_MAX_VALUE_BYTES: optionalInt(64 * 1024, 1024 * 1024 * 1024),
  /** Sandboxed runs execute as uids GRADER_UID_BASE.. (+GRADER_UID_COUNT); worker processes on one host need disjoint ranges. */
  GRADER_UID_BASE: optionalInt(1000, 4_000_000_000),
  GRADER_UID_COUNT: optionalInt(1, 4096),
  /** Root-only directory of host-wide locks on the uids in use; workers in containers on one host share it by a mount. */
  GRADER_UID_LOCK_DIR: z.string().min(1).optional(),
  /** A cgroup per sandboxed run bounding its whole process tree: auto (when available), required, off. */
  GRADER_CGROUPS: z.enum(['auto', 'required', 'off']).default('auto'),
  /** At start, grade a small known example per language and take no hand-ins of a language whose result is wrong: on, off. */
  GRADER_CANARY: z.enum(['on', 'off']).default('on'),
};

const ZWorkerEnv = z.object({
  ...databaseEnv,
  ...temporalEnv,
  ...storageEnv,
  ...logEnv,
  ...gitlabEnv,
  ...graderEnv,
  /** Comma-separated task queues this process polls (overridden by --queue). */
  WORKER_QUEUES: z
    .string()
    .default('computor-tasks')
    .transform((s) => s.split(',').map((q) => q.trim()).filter(Boolean))
    .pipe(z.array(z.enum(TASK_QUEUES)).min(1)),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).max(1000).default(50),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(1).max(1000).default(40),
  /** Grading activities run at most this many sandboxes at once (default: number of CPUs). */
  WORKER_MAX_CONCURRENT_GRADING: z.coerce.number().int().min(1).max(64).optional(),
  WORKER_SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
  /** Worker identity shown in Temporal; default host@pid. */
  WORKER_IDENTITY: z.string().optional(),
  WORKER_METRICS_PORT: envFields.port.optional(),
  /** Submission files and reports older than this are deleted by the retention Schedule. */
  RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(365),
  /** How often the retention Schedule runs; 0 disables it (no Schedule is created). */
  RETENTION_INTERVAL_HOURS: z.coerce.number().int().min(0).max(8760).default(24),
  /** Grade on push: the API's `/hooks/gitlab` URL as GitLab reaches it; student repositories get a push hook to it (needs TOKEN_SECRET). */
  COMPUTOR_HOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
}).refine((env) => !env.COMPUTOR_HOOK_URL || env.TOKEN_SECRET, { path: ['TOKEN_SECRET'], message: 'is required with COMPUTOR_HOOK_URL (it encrypts the courses\' push-hook tokens)' });
export type TWorkerEnv = z.infer<typeof ZWorkerEnv>;

/** The only place the worker and CLI read process.env. Throws ConfigError naming each bad variable. */
export function loadWorkerEnv(env: RawEnv = process.env): TWorkerEnv {
  return parseEnv(ZWorkerEnv, withEnvFile(env));
}

const ZTemporalOnlyEnv = z.object({ ...temporalEnv, ...logEnv });
export type TTemporalOnlyEnv = z.infer<typeof ZTemporalOnlyEnv>;

/** For commands that only talk to Temporal (worker status). */
export function loadTemporalEnv(env: RawEnv = process.env): TTemporalOnlyEnv {
  return parseEnv(ZTemporalOnlyEnv, withEnvFile(env));
}

const ZDbOnlyEnv = z.object({ ...databaseEnv, ...logEnv });
export type TDbOnlyEnv = z.infer<typeof ZDbOnlyEnv>;

/** For commands that only talk to the database (user and token management). */
export function loadDbEnv(env: RawEnv = process.env): TDbOnlyEnv {
  return parseEnv(ZDbOnlyEnv, withEnvFile(env));
}

const ZGraderOnlyEnv = z.object({ ...graderEnv, ...logEnv });
export type TGraderEnv = z.infer<typeof ZGraderOnlyEnv>;

/** For `computor grade`: grading needs no database, Temporal or storage. */
export function loadGraderEnv(env: RawEnv = process.env): TGraderEnv {
  return parseEnv(ZGraderOnlyEnv, withEnvFile(env));
}

/** The grader settings of a worker or the grade command, from its environment. */
export function graderSettingsFrom(env: TGraderEnv): {
  config: { pythonBin?: string; uidBase?: number; uidCount?: number; uidLockDir?: string; cgroups: 'auto' | 'required' | 'off'; tmpDir?: string };
  limits: TSandboxLimitsInput;
  workDir: string;
} {
  const limits: TSandboxLimitsInput = {};
  if (env.GRADER_MAX_WALL_SECONDS !== undefined) limits.wallTimeoutMs = env.GRADER_MAX_WALL_SECONDS * 1000;
  if (env.GRADER_MAX_COMPILE_SECONDS !== undefined) limits.compileTimeoutMs = env.GRADER_MAX_COMPILE_SECONDS * 1000;
  if (env.GRADER_MAX_MEMORY_MB !== undefined) limits.memoryMb = env.GRADER_MAX_MEMORY_MB;
  if (env.GRADER_MAX_PROCESSES !== undefined) limits.maxProcesses = env.GRADER_MAX_PROCESSES;
  if (env.GRADER_MAX_OUTPUT_BYTES !== undefined) limits.outputBytes = env.GRADER_MAX_OUTPUT_BYTES;
  if (env.GRADER_MAX_VALUE_BYTES !== undefined) limits.valueBytes = env.GRADER_MAX_VALUE_BYTES;
  return {
    config: {
      ...(env.COMPUTOR_GRADER_VENV ? { pythonBin: path.join(env.COMPUTOR_GRADER_VENV, 'bin', 'python') } : {}),
      ...(env.GRADER_UID_BASE !== undefined ? { uidBase: env.GRADER_UID_BASE } : {}),
      ...(env.GRADER_UID_COUNT !== undefined ? { uidCount: env.GRADER_UID_COUNT } : {}),
      ...(env.GRADER_UID_LOCK_DIR !== undefined ? { uidLockDir: path.resolve(env.GRADER_UID_LOCK_DIR) } : {}),
      cgroups: env.GRADER_CGROUPS,
    },
    limits,
    workDir: path.resolve(env.GRADER_WORK_DIR),
  };
}

const ZSecretsEnv = z.object({ ...databaseEnv, TOKEN_SECRET: gitlabEnv.TOKEN_SECRET.unwrap() });
export type TSecretsEnv = z.infer<typeof ZSecretsEnv>;

/** For commands that store encrypted secrets (needs TOKEN_SECRET). */
export function loadSecretsEnv(env: RawEnv = process.env): TSecretsEnv {
  return parseEnv(ZSecretsEnv, withEnvFile(env));
}

const ZSeedEnv = z.object({ ...databaseEnv, GITLAB_URL: z.url().optional(), GITLAB_TOKEN: z.string().min(1).optional() });
export type TSeedEnv = z.infer<typeof ZSeedEnv>;

/** For `computor dev seed` (local development: the database and the stack's GitLab emulator). */
export function loadSeedEnv(env: RawEnv = process.env): TSeedEnv {
  return parseEnv(ZSeedEnv, withEnvFile(env));
}
