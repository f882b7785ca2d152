import { databaseEnv, logEnv, parseEnv, storageEnv, temporalEnv, tutorTestEnv, withEnvFile, envFields, type RawEnv } from '@computor/config';
import { z } from 'zod';

const ZApiEnv = z.object({
  ...databaseEnv,
  ...temporalEnv,
  ...storageEnv,
  ...logEnv,
  ...tutorTestEnv,
  API_HOST: z.string().default('0.0.0.0'),
  API_PORT: envFields.port.default(8000),
  /** Largest accepted upload (submission or example archive), bytes. */
  API_MAX_UPLOAD_BYTES: z.coerce.number().int().positive().default(20 * 1024 * 1024),
  /** Default wait of GET /workflows/:id/result, seconds. */
  API_RESULT_WAIT_SECONDS: z.coerce.number().int().min(0).max(300).default(60),
  /** Hand-ins a regrade grades at once (each holds one grading slot; first-time hand-ins go first in any case). */
  API_REGRADE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  /** Window of the per-user rate limits, seconds. */
  API_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  /** Uploads (hand-ins and example archives) per user and window; 0 disables. */
  API_UPLOADS_PER_WINDOW: z.coerce.number().int().min(0).default(30),
  /** Test runs and example verifications started per user and window; 0 disables. */
  API_TEST_RUNS_PER_WINDOW: z.coerce.number().int().min(0).default(30),
  /** Event streams and waiting result requests one user may hold open at once; 0 disables. */
  API_MAX_STREAMS_PER_USER: z.coerce.number().int().min(0).default(4),
  /** When set, GET /metrics requires `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Least time between two Temporal refreshes of the workflow gauge behind /metrics, seconds. */
  API_METRICS_REFRESH_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
});
export type TApiEnv = z.infer<typeof ZApiEnv>;

/** The only place the API reads process.env. Throws ConfigError naming each bad variable. */
export function loadApiEnv(env: RawEnv = process.env): TApiEnv {
  return parseEnv(ZApiEnv, withEnvFile(env));
}
