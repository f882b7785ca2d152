import { databaseEnv, logEnv, parseEnv, storageEnv, temporalEnv, withEnvFile, envFields, type RawEnv } from '@computor/config';
import { z } from 'zod';

const ZApiEnv = z.object({
  ...databaseEnv,
  ...temporalEnv,
  ...storageEnv,
  ...logEnv,
  API_HOST: z.string().default('0.0.0.0'),
  API_PORT: envFields.port.default(8000),
  /** Largest accepted upload (submission or example archive), bytes. */
  API_MAX_UPLOAD_BYTES: z.coerce.number().int().positive().default(20 * 1024 * 1024),
  /** Default wait of GET /workflows/:id/result, seconds. */
  API_RESULT_WAIT_SECONDS: z.coerce.number().int().min(0).max(300).default(60),
});
export type TApiEnv = z.infer<typeof ZApiEnv>;

/** The only place the API reads process.env. Throws ConfigError naming each bad variable. */
export function loadApiEnv(env: RawEnv = process.env): TApiEnv {
  return parseEnv(ZApiEnv, withEnvFile(env));
}
