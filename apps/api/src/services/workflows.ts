import type { TTaskQueue } from '@computor/contracts';
import type { Db, Prisma } from '@computor/db';
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

/** Temporal's closed statuses as recorded in workflow_runs. */
export const CLOSED_STATUS = {
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
} as const;

/** The innermost failure of a closed workflow (activity -> workflow -> client), for status bodies. */
export function failureOf(error: unknown): { message: string; type: string | null } {
  let cause = error as { message?: string; type?: string; cause?: unknown } | undefined;
  while (cause && (cause as { cause?: unknown }).cause) cause = (cause as { cause: typeof cause }).cause;
  return { message: cause?.message ?? String(error), type: cause?.type ?? null };
}

/**
 * Brings workflow_runs rows still recorded as running up to date with Temporal (at most `limit`,
 * oldest first), so listings and metrics do not depend on someone having asked for the status.
 * One describe per row, plus the result of those that did not complete: no queries to workers.
 */
export async function syncRunningRuns(db: Db, temporal: Client, options: { where?: Prisma.WorkflowRunWhereInput; limit?: number } = {}): Promise<void> {
  const rows = await db.workflowRun.findMany({
    where: { AND: [options.where ?? {}, { status: 'running' }] },
    orderBy: { startedAt: 'asc' },
    take: options.limit ?? 100,
    select: { id: true },
  });
  await Promise.all(
    rows.map(async ({ id }) => {
      const handle = temporal.workflow.getHandle(id);
      const description = await handle.describe().catch(() => null);
      const status = description && CLOSED_STATUS[description.status.name as keyof typeof CLOSED_STATUS];
      if (!status) return;
      const failureMessage = status === 'completed' ? null : await handle.result().then(() => null, (error: unknown) => failureOf(error).message);
      await db.workflowRun.updateMany({ where: { id, status: 'running' }, data: { status, closedAt: description.closeTime ?? new Date(), failureMessage } });
    }),
  );
}
