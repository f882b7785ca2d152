import { databaseEnv, envFields, gitlabEnv, logEnv, parseEnv, storageEnv, temporalEnv, withEnvFile, type RawEnv } from '@computor/config';
import { TASK_QUEUES } from '@computor/contracts';
import { z } from 'zod';

const ZWorkerEnv = z.object({
  ...databaseEnv,
  ...temporalEnv,
  ...storageEnv,
  ...logEnv,
  ...gitlabEnv,
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
});
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
