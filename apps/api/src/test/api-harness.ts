import { stackDb, stackStorage, stackTemporal, testLogger } from '@computor/test-support';
import type { Client, Connection } from '@temporalio/client';
import { createServer } from '../app';
import type { ApiDeps } from '../deps';

/** The API in-process on the local stack, with a Temporal namespace of its own (integration tests only). */
export interface ApiHarness {
  deps: ApiDeps;
  app: ReturnType<typeof createServer>;
  client: Client;
  connection: Connection;
  namespace: string;
  close(): Promise<void>;
}

export async function startApiHarness(config: Partial<ApiDeps['config']> = {}): Promise<ApiHarness> {
  const { client, connection, namespace } = await stackTemporal({ isolated: true });
  const deps: ApiDeps = {
    db: stackDb(),
    temporal: client,
    storage: stackStorage(),
    logger: testLogger('api'),
    config: { maxUploadBytes: 1024 * 1024, resultWaitSeconds: 2, temporalNamespace: namespace, ...config },
  };
  return {
    deps,
    app: createServer(deps),
    client,
    connection,
    namespace,
    async close() {
      await deps.db.$disconnect();
      deps.storage.destroy();
      await connection.close();
    },
  };
}
