#!/usr/bin/env node
import { ConfigError, storageConfigFrom } from '@computor/config';
import { createDb } from '@computor/db';
import { createLogger } from '@computor/logger';
import { Storage } from '@computor/storage';
import { Client, Connection } from '@temporalio/client';
import { createServer } from './app';
import { loadApiEnv, type TApiEnv } from './env';

async function main(): Promise<void> {
  let env: TApiEnv;
  try {
    env = loadApiEnv();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`computor api: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger({ service: 'api', level: env.LOG_LEVEL, format: env.LOG_FORMAT });
  const db = createDb({ databaseUrl: env.DATABASE_URL, maxConnections: env.DATABASE_POOL_SIZE });
  const storage = new Storage(storageConfigFrom(env));
  // Lazy: the API starts (and /readyz says why it is not ready) while Temporal is still coming up.
  const connection = Connection.lazy({ address: env.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
  const app = createServer({
    db,
    temporal,
    storage,
    logger,
    config: {
      maxUploadBytes: env.API_MAX_UPLOAD_BYTES,
      resultWaitSeconds: env.API_RESULT_WAIT_SECONDS,
      temporalNamespace: env.TEMPORAL_NAMESPACE,
      limits: {
        windowSeconds: env.API_RATE_LIMIT_WINDOW_SECONDS,
        uploadsPerWindow: env.API_UPLOADS_PER_WINDOW,
        testRunsPerWindow: env.API_TEST_RUNS_PER_WINDOW,
        maxStreamsPerUser: env.API_MAX_STREAMS_PER_USER,
      },
      metricsToken: env.METRICS_TOKEN,
      metricsRefreshSeconds: env.API_METRICS_REFRESH_SECONDS,
      tutorTestTtlSeconds: env.TUTOR_TEST_TTL_SECONDS,
      regradeConcurrency: env.API_REGRADE_CONCURRENCY,
    },
  });
  const server = app.listen(env.API_PORT, env.API_HOST, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : env.API_PORT;
    logger.info('api listening', { host: env.API_HOST, port });
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('api stopping', { signal });
    server.close(() => {
      void Promise.allSettled([db.$disconnect(), connection.close()]).then(() => {
        storage.destroy();
        process.exit(0);
      });
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
