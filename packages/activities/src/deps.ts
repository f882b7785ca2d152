import type { Db } from '@computor/db';
import type { GitlabClient } from '@computor/gitlab';
import type { Logger } from '@computor/logger';
import type { TSandboxLimitsInput } from '@computor/contracts';
import type { TGraderConfigInput } from '@computor/grader';
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
  /** Grading on this worker; defaults: the grader's defaults and a directory under os.tmpdir(). */
  grader?: GraderDeps;
  /** Grade on push: student repositories get a push hook to this URL (the API's `/hooks/gitlab`). */
  hooks?: { url: string; tokenSecret: string };
  /** Starts a queued result's `testSubmissionWorkflow` (the worker's Temporal client); a run already started is no error. */
  startTestRun?: (run: TTestRunStart) => Promise<void>;
}

/** A queued test run to start: its workflow id, its result, and the course its fairness key shares grading by. */
export interface TTestRunStart {
  workflowId: string;
  resultId: string;
  courseId: string;
}

/** How this worker grades: sandbox settings, operator maxima, and its local work/cache directory. */
export interface GraderDeps {
  /** pythonBin, uid pool, ... (`@computor/grader`'s ZGraderConfig). */
  config: TGraderConfigInput;
  /** Operator maxima for sandboxed runs; meta.yaml may lower them, never raise them. */
  limits: TSandboxLimitsInput;
  /** Worker-local directory: downloaded example versions, submissions being graded, reference values. */
  workDir: string;
}
