import type { Db } from '@computor/db';
import type { GitlabClient } from '@computor/gitlab';
import type { Logger } from '@computor/logger';
import type { Storage } from '@computor/storage';

/** Resolves the GitLab client for an organization's instance; the token stays inside the worker. */
export type GitlabResolver = (organization: {
  id: string;
  gitlabUrl: string;
  gitlabTokenRef: string | null;
  gitlabTokenEncrypted: string | null;
}) => GitlabClient;

/** Every client an activity may use; the worker builds them once per process. */
export interface ActivityDeps {
  db: Db;
  storage: Storage;
  logger: Logger;
  gitlab: GitlabResolver;
  /** Identifies this worker process in results and logs. */
  workerIdentity: string;
}
