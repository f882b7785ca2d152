import type { TTaskQueue } from '@computor/contracts';
import { sqlOf, type Db, type Prisma } from '@computor/db';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';

export interface StartRequest {
  type: string;
  workflowId: string;
  taskQueue: TTaskQueue;
  args: unknown[];
  /** Absent for what GitLab started (a push to a documents project). */
  requestedById?: string;
  courseId?: string;
  /** Search-free bookkeeping: memo shown in Temporal UI. */
  memo?: Record<string, unknown>;
  /** Temporal task priority: `fairnessKey` (grading: the course) shares the task queue fairly between keys. */
  priority?: { priorityKey?: number; fairnessKey?: string };
  /** Default ALLOW_DUPLICATE: a closed execution of the id is started again. */
  reusePolicy?: 'ALLOW_DUPLICATE' | 'ALLOW_DUPLICATE_FAILED_ONLY' | 'REJECT_DUPLICATE';
  /** Default USE_EXISTING; FAIL throws WorkflowExecutionAlreadyStartedError while one runs (the caller answers 409). */
  conflictPolicy?: 'USE_EXISTING' | 'FAIL';
}

/**
 * Starts a workflow whose id is a business key. A repeated request while it runs answers the
 * running execution (conflict policy USE_EXISTING) instead of starting a second one.
 */
export async function startWorkflow(db: Db, temporal: Client, request: StartRequest): Promise<{ workflowId: string; runId: string; existing: boolean }> {
  let runId: string;
  let existing = false;
  try {
    const handle = await temporal.workflow.start(request.type, {
      workflowId: request.workflowId,
      taskQueue: request.taskQueue,
      args: request.args,
      workflowIdConflictPolicy: request.conflictPolicy ?? 'USE_EXISTING',
      workflowIdReusePolicy: request.reusePolicy ?? 'ALLOW_DUPLICATE',
      memo: request.memo,
      ...(request.priority ? { priority: request.priority } : {}),
    });
    runId = handle.firstExecutionRunId;
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError) || request.conflictPolicy === 'FAIL') throw error;
    // A closed execution the reuse policy keeps (USE_EXISTING answers a running one without an error).
    runId = (await temporal.workflow.getHandle(request.workflowId).describe()).runId;
    existing = true;
  }
  // One plain statement (every hand-in starts a workflow here: see sqlOf). A closed execution the
  // reuse policy kept leaves its row as it is.
  await sqlOf(db)`
    INSERT INTO workflow_runs (id, run_id, type, task_queue, requested_by_id, course_id, status, started_at)
    VALUES (${request.workflowId}, ${runId}, ${request.type}, ${request.taskQueue}, ${request.requestedById ?? null}::uuid, ${request.courseId ?? null}::uuid, 'running', ${new Date()})
    ON CONFLICT (id) DO UPDATE SET run_id = EXCLUDED.run_id, status = 'running', closed_at = NULL, failure_message = NULL
    WHERE ${!existing}`;
  return { workflowId: request.workflowId, runId, existing };
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

/** Where the next sync resumes its walk through the older running rows (per process). */
let rotation = 0;

/**
 * Brings workflow_runs rows still recorded as running up to date with Temporal, so listings and
 * metrics do not depend on someone having asked for the status: each call looks at the newest
 * half of `limit` rows and at the next half of the older ones, walking through them call by call,
 * so rows Temporal cannot answer for (still running, or gone with its retention) never keep newer
 * ones from being updated. One describe per row, plus the result of those that did not complete:
 * no queries to workers.
 */
export async function syncRunningRuns(db: Db, temporal: Client, options: { where?: Prisma.WorkflowRunWhereInput; limit?: number } = {}): Promise<void> {
  const where = { AND: [options.where ?? {}, { status: 'running' as const }] };
  const half = Math.max(1, Math.floor((options.limit ?? 100) / 2));
  const newest = await db.workflowRun.findMany({ where, orderBy: [{ startedAt: 'desc' }, { id: 'desc' }], take: half, select: { id: true } });
  const older = await db.workflowRun.findMany({ where, orderBy: [{ startedAt: 'asc' }, { id: 'asc' }], skip: rotation, take: half, select: { id: true } });
  rotation = older.length < half ? 0 : rotation + half;
  const ids = [...new Set([...newest, ...older].map((row) => row.id))];
  await Promise.all(
    ids.map(async (id) => {
      const handle = temporal.workflow.getHandle(id);
      const description = await handle.describe().catch(() => null);
      const status = description && CLOSED_STATUS[description.status.name as keyof typeof CLOSED_STATUS];
      if (!status) return;
      const failureMessage = status === 'completed' ? null : await handle.result().then(() => null, (error: unknown) => failureOf(error).message);
      await db.workflowRun.updateMany({ where: { id, status: 'running' }, data: { status, closedAt: description.closeTime ?? new Date(), failureMessage } });
    }),
  );
}
