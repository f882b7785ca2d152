import type { Db } from '@computor/db';
import type { Logger } from '@computor/logger';
import type { Storage } from '@computor/storage';
import type { Client } from '@temporalio/client';
import type { ApiLimits } from './http/limits';

export interface ApiConfig {
  maxUploadBytes: number;
  resultWaitSeconds: number;
  temporalNamespace: string;
  /** Per-user rate limits and the stream cap; absent: none (main.ts always sets them from the environment). */
  limits?: ApiLimits;
  /** When set, `GET /metrics` requires `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
  /** Least time between two Temporal refreshes of the workflow gauge (default 30 s). */
  metricsRefreshSeconds?: number;
  /** Hand-ins a regrade grades at once (API_REGRADE_CONCURRENCY; default 1). */
  regradeConcurrency?: number;
  /** How long a tutor test run's state is served after it started (TUTOR_TEST_TTL_SECONDS; default 3600), then 410. */
  tutorTestTtlSeconds?: number;
}

/** Everything the API talks to, injected so tests run it against the real stack. */
export interface ApiDeps {
  db: Db;
  temporal: Client;
  storage: Storage;
  logger: Logger;
  config: ApiConfig;
}
