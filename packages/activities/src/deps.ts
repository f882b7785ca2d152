import type { Db } from '@computor/db';
import type { Logger } from '@computor/logger';
import type { Storage } from '@computor/storage';

/** Every client an activity may use; the worker builds them once per process. */
export interface ActivityDeps {
  db: Db;
  storage: Storage;
  logger: Logger;
  /** Identifies this worker process in results and logs. */
  workerIdentity: string;
}
