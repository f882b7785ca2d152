import { PROGRESS_QUERY, type TWorkflowStatusBody } from '@computor/contracts';
import type { WorkflowRunStatus } from '@computor/db';
import { WorkflowFailedError, WorkflowNotFoundError, type WorkflowExecutionDescription } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { notFound } from '../http/errors';
import { parse } from '../http/validate';
import { canSeeWorkflow } from '../services/visibility';

const PROGRESS_QUERY_DEADLINE_MS = 1_000;

const ZResultQuery = z.strictObject({ wait: z.coerce.number().int().min(0).max(300).optional() });

const toRunStatus: Partial<Record<string, WorkflowRunStatus>> = {
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
};

function failureOf(error: unknown): { message: string; type: string | null } {
  let cause = error as { message?: string; type?: string; cause?: unknown } | undefined;
  // The interesting message is the innermost ApplicationFailure (activity -> workflow -> client).
  while (cause && (cause as { cause?: unknown }).cause) cause = (cause as { cause: typeof cause }).cause;
  return { message: cause?.message ?? String(error), type: cause?.type ?? null };
}

/** Status and result of workflows the caller may see (404 otherwise, same as unknown). */
export function workflowRoutes(deps: ApiDeps): Router {
  const { db, temporal } = deps;
  const router = Router();

  async function describe(workflowId: string): Promise<WorkflowExecutionDescription> {
    try {
      return await temporal.workflow.getHandle(workflowId).describe();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw notFound('Workflow');
      throw error;
    }
  }

  async function statusBody(workflowId: string): Promise<TWorkflowStatusBody> {
    const description = await describe(workflowId);
    const status = description.status.name as TWorkflowStatusBody['status'];
    const body: TWorkflowStatusBody = {
      workflow_id: workflowId,
      type: description.type,
      status,
      start_time: description.startTime.toISOString(),
      close_time: description.closeTime?.toISOString() ?? null,
    };
    const handle = temporal.workflow.getHandle(workflowId);
    if (status === 'RUNNING') {
      // A query needs a live worker; without one, answer the status rather than hang.
      body.progress = await temporal.withDeadline(Date.now() + PROGRESS_QUERY_DEADLINE_MS, () => handle.query(PROGRESS_QUERY)).catch(() => undefined);
    } else if (status === 'FAILED' || status === 'TIMED_OUT' || status === 'TERMINATED' || status === 'CANCELLED') {
      body.failure = await handle.result().then(
        () => undefined,
        (error: unknown) => failureOf(error),
      );
    }
    const runStatus = toRunStatus[status];
    if (runStatus) {
      await db.workflowRun
        .updateMany({ where: { id: workflowId, status: 'running' }, data: { status: runStatus, closedAt: description.closeTime ?? new Date(), failureMessage: body.failure?.message } })
        .catch(() => undefined);
    }
    return body;
  }

  router.get('/workflows/:id/status', async (req, res) => {
    const { visible } = await canSeeWorkflow(db, req.user!, req.params.id);
    if (!visible) throw notFound('Workflow');
    res.json(await statusBody(req.params.id));
  });

  router.get('/workflows/:id/result', async (req, res) => {
    const { wait = deps.config.resultWaitSeconds } = parse(ZResultQuery, req.query, 'query');
    const { visible } = await canSeeWorkflow(db, req.user!, req.params.id);
    if (!visible) throw notFound('Workflow');
    await describe(req.params.id);
    const handle = temporal.workflow.getHandle(req.params.id);
    let timer: NodeJS.Timeout | undefined;
    // Abort the long poll when we stop waiting, so no stream outlives the request.
    const abort = new AbortController();
    const outcome = await Promise.race([
      temporal.withAbortSignal(abort.signal, () => handle.result()).then(
        (result: unknown) => ({ kind: 'done' as const, result }),
        (error: unknown) => ({ kind: 'failed' as const, error }),
      ),
      new Promise<{ kind: 'waiting' }>((resolve) => {
        timer = setTimeout(() => resolve({ kind: 'waiting' }), wait * 1000);
      }),
    ]);
    clearTimeout(timer);
    abort.abort();
    const status = await statusBody(req.params.id);
    if (outcome.kind === 'done') res.json({ ...status, result: outcome.result });
    else if (outcome.kind === 'failed' && outcome.error instanceof WorkflowFailedError) res.json(status);
    else if (outcome.kind === 'failed') throw outcome.error;
    else res.json(status);
  });

  return router;
}
