import { gradingWorkflowIds, TASK_QUEUE_TASKS, WF_HAND_IN_COMMIT, type THandInCommitParams } from '@computor/contracts';
import type { Db } from '@computor/db';
import type { Client } from '@temporalio/client';
import { startWorkflow } from './workflows';

/** A full commit id (SHA-1 or SHA-256): the hand-in's workflow id derives from it. */
export const isFullSha = (ref: string) => /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(ref);

/**
 * Starts the hand-in of a student's repository at a commit. A full commit id gives the business id
 * (project, commit, content), so a redelivered push or a repeated request meets the same execution
 * (a failed one may run again); a branch is resolved by the worker, where the stored hand-in is
 * unique per commit.
 */
export async function startHandIn(
  db: Db,
  temporal: Client,
  input: { projectId: number; courseId: string; requestId: string } & Omit<THandInCommitParams, 'test'> & { test?: boolean },
): Promise<{ workflowId: string; existing: boolean }> {
  const { projectId, courseId, requestId, ...params } = input;
  const workflowId = isFullSha(params.commit)
    ? gradingWorkflowIds.handIn(projectId, params.commit, params.courseContentId)
    : gradingWorkflowIds.handInRef(params.courseMemberId, params.courseContentId, requestId);
  const started = await startWorkflow(db, temporal, {
    type: WF_HAND_IN_COMMIT,
    workflowId,
    taskQueue: TASK_QUEUE_TASKS,
    args: [params],
    requestedById: params.requestedById,
    courseId,
    reusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
  });
  return { workflowId, existing: started.existing };
}
