import Long from 'long';
import { randomUUID } from 'node:crypto';
import { createApiToken, createDb, type Db } from '@computor/db';
import { createLogger, type Logger } from '@computor/logger';
import { Storage } from '@computor/storage';
import { Client, Connection } from '@temporalio/client';
import { loadStackEnv } from './stack-env';

export function testLogger(service = 'test'): Logger {
  return createLogger({ service, level: (process.env.TEST_LOG_LEVEL as 'info' | undefined) ?? 'error', format: 'pretty' });
}

export function stackDb(): Db {
  return createDb({ databaseUrl: loadStackEnv().DATABASE_URL!, maxConnections: 4 });
}

export function stackStorage(): Storage {
  const env = loadStackEnv();
  return new Storage({
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION ?? 'us-east-1',
    accessKeyId: env.S3_ACCESS_KEY_ID!,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY!,
    bucket: env.S3_BUCKET ?? 'computor',
    forcePathStyle: true,
    checksumMode: env.S3_CHECKSUM_MODE === 'when_required' ? 'when_required' : 'when_supported',
  });
}

/**
 * A Temporal client on the stack's server. `isolated: true` registers a fresh namespace for the
 * calling test file, so workflows a crashed earlier run left behind never reach its workers (pass
 * the namespace to startWorkerProcess).
 */
export async function stackTemporal(options: { isolated?: boolean } = {}): Promise<{ client: Client; connection: Connection; namespace: string }> {
  const env = loadStackEnv();
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
  let namespace = env.TEMPORAL_NAMESPACE ?? 'default';
  if (options.isolated) {
    namespace = uniq('test-');
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: { seconds: Long.fromNumber(86_400) } });
  }
  return { client: new Client({ connection, namespace }), connection, namespace };
}

/** A unique suffix so tests sharing one database never collide. */
export function uniq(prefix = 't'): string {
  return `${prefix}${randomUUID().slice(0, 8)}`;
}

/** Creates a user with an API token; returns both. */
export async function createTestUser(db: Db, options: { admin?: boolean; name?: string } = {}) {
  const name = uniq(options.name ?? 'u');
  const user = await db.user.create({ data: { email: `${name}@example.test`, username: name, isAdmin: options.admin ?? false } });
  const { token } = await createApiToken(db, { userId: user.id, name: 'test' });
  return { user, token };
}
