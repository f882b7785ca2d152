import type { TTaskQueue } from '@computor/contracts';
import type { Db } from '@computor/db';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';

export interface StartRequest {
  type: string;
  workflowId: string;
  taskQueue: TTaskQueue;
  args: unknown[];
  requestedById: string;
  courseId?: string;
  /** Search-free bookkeeping: memo shown in Temporal UI. */
  memo?: Record<string, unknown>;
}

/**
 * Starts a workflow whose id is a business key. A repeated request while it runs answers the
 * running execution (conflict policy USE_EXISTING) instead of starting a second one.
 */
export async function startWorkflow(db: Db, temporal: Client, request: StartRequest): Promise<{ workflowId: string; runId: string }> {
  let runId: string;
  try {
    const handle = await temporal.workflow.start(request.type, {
      workflowId: request.workflowId,
      taskQueue: request.taskQueue,
      args: request.args,
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      memo: request.memo,
    });
    runId = handle.firstExecutionRunId;
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    runId = (await temporal.workflow.getHandle(request.workflowId).describe()).runId;
  }
  await db.workflowRun.upsert({
    where: { id: request.workflowId },
    create: {
      id: request.workflowId,
      runId,
      type: request.type,
      taskQueue: request.taskQueue,
      requestedById: request.requestedById,
      courseId: request.courseId,
    },
    update: { runId, status: 'running', closedAt: null, failureMessage: null },
  });
  return { workflowId: request.workflowId, runId };
}

const CLOSED_STATUS = {
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
} as const;

/**
 * Brings workflow_runs rows still recorded as running up to date with Temporal (at most `limit`,
 * oldest first), so listings and metrics do not depend on someone having asked for the status.
 */
export async function syncRunningRuns(db: Db, temporal: Client, limit = 100): Promise<void> {
  const rows = await db.workflowRun.findMany({ where: { status: 'running' }, orderBy: { startedAt: 'asc' }, take: limit, select: { id: true } });
  await Promise.all(
    rows.map(async ({ id }) => {
      const description = await temporal.workflow.getHandle(id).describe().catch(() => null);
      const status = description && CLOSED_STATUS[description.status.name as keyof typeof CLOSED_STATUS];
      if (status) await db.workflowRun.updateMany({ where: { id, status: 'running' }, data: { status, closedAt: description.closeTime ?? new Date() } });
    }),
  );
}
