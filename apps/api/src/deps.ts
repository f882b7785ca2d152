import type { Db } from '@computor/db';
import type { Logger } from '@computor/logger';
import type { Storage } from '@computor/storage';
import type { Client } from '@temporalio/client';

export interface ApiConfig {
  maxUploadBytes: number;
  resultWaitSeconds: number;
  temporalNamespace: string;
}

/** Everything the API talks to, injected so tests run it against the real stack. */
export interface ApiDeps {
  db: Db;
  temporal: Client;
  storage: Storage;
  logger: Logger;
  config: ApiConfig;
}
