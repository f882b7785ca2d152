import { PROGRESS_QUERY, roleSatisfies, ZUuid, type TWorkflowStatusBody } from '@computor/contracts';
import type { Prisma } from '@computor/db';
import { WorkflowFailedError, WorkflowNotFoundError, type WorkflowExecutionDescription } from '@temporalio/client';
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { conflict, forbidden, notFound } from '../http/errors';
import { access, ANY_USER, content, errors, json, route, staffOfCourse, textParam } from '../http/route';
import { RUN_STATUSES, ZCancelRequestedBody, ZWorkflowListBody, ZWorkflowResultBody, ZWorkflowStatusBody } from '../openapi/responses';
import { courseRoleOf } from '../services/access';
import { canSeeWorkflow } from '../services/visibility';
import { CLOSED_STATUS, failureOf, syncRunningRuns } from '../services/workflows';

const PROGRESS_QUERY_DEADLINE_MS = 1_000;
/**
 * A running workflow whose pending task is on this attempt or later is reported stalled: the
 * worker fails its task every time (code that cannot replay its history, a bug), and the workflow
 * makes no progress until an operator acts. One retry is normal after a worker dies mid-task.
 */
const STALLED_TASK_ATTEMPTS = 3;

const ZResultQuery = z.strictObject({ wait: z.coerce.number().int().min(0).max(300).optional() });

const ZListQuery = z.strictObject({
  course_id: ZUuid.optional(),
  type: z.string().max(100).optional(),
  status: z.enum(RUN_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
});

const EVENT_POLL_MS = 1_000;
const PLAIN_FAILURE = 'The job failed for reasons outside your hand-in (a failed test run does not count against your runs); course staff can see the cause.';
const EVENT_KEEPALIVE_MS = 15_000;

type Temporal = Pick<ApiDeps, 'db' | 'temporal'>;

async function describe({ temporal }: Temporal, workflowId: string): Promise<WorkflowExecutionDescription> {
  try {
    return await temporal.workflow.getHandle(workflowId).describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw notFound('Workflow');
    throw error;
  }
}

/** A failure's cause names internals (storage keys, hosts): staff read it, others a plain sentence. */
function forCaller(body: TWorkflowStatusBody, staff: boolean): TWorkflowStatusBody {
  if (staff || !body.failure) return body;
  return { ...body, failure: { message: PLAIN_FAILURE, type: null } };
}

async function statusBody(deps: Temporal, workflowId: string, staff: boolean): Promise<TWorkflowStatusBody> {
  const { db, temporal } = deps;
  const description = await describe(deps, workflowId);
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
    const attempts = description.raw.pendingWorkflowTask?.attempt ?? 0;
    if (attempts >= STALLED_TASK_ATTEMPTS) {
      body.stalled = { task_attempts: attempts, message: `The worker has failed this job's workflow task ${attempts - 1} times in a row: it makes no progress until an operator fixes the cause (the worker log names it).` };
    }
  } else if (status === 'FAILED' || status === 'TIMED_OUT' || status === 'TERMINATED' || status === 'CANCELLED') {
    body.failure = await handle.result().then(
      () => undefined,
      (error: unknown) => failureOf(error),
    );
  }
  const runStatus = CLOSED_STATUS[status as keyof typeof CLOSED_STATUS];
  if (runStatus) {
    await db.workflowRun
      .updateMany({ where: { id: workflowId, status: 'running' }, data: { status: runStatus, closedAt: description.closeTime ?? new Date(), failureMessage: body.failure?.message } })
      .catch(() => undefined);
  }
  return forCaller(body, staff);
}

const { $schema: _, ...statusSchema } = z.toJSONSchema(ZWorkflowStatusBody, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any' });

/** One Server-Sent Event of GET /workflows/:id/events, as `{event, data}` (Open API 3.1 describes each event with `schema`). */
const SSE_EVENT = {
  type: 'object',
  required: ['event', 'data'],
  properties: {
    event: { type: 'string', enum: ['status', 'progress', 'end'] },
    data: {
      type: 'string',
      contentMediaType: 'application/json',
      contentSchema: {
        anyOf: [
          statusSchema,
          { type: 'object', properties: { workflow_id: { type: 'string' }, progress: {} }, required: ['workflow_id'] },
        ],
      },
    },
  },
};

const workflowId = { id: textParam };
const NOT_VISIBLE = 'No such workflow, or not visible.';

/** Status and result of workflows the caller may see (404 otherwise, same as unknown). */
export const workflowRoutes = [
  /** Workflows the caller may see: admins all; others what they started and their courses' (tutor+). */
  route({
    method: 'get',
    path: '/workflows',
    operationId: 'listWorkflows',
    access: ANY_USER,
    tag: 'workflows',
    summary: 'Workflows the caller may see, newest first (administrators: all; others: what they started and their courses\' as tutor or higher)',
    query: ZListQuery,
    responses: { 200: json('A page of workflows.', ZWorkflowListBody), ...errors({ 400: 'Invalid query.' }) },
    handler: async ({ res, deps: { db, temporal }, user, query }) => {
      const filters: Prisma.WorkflowRunWhereInput[] = [];
      const staffOf = new Set<string>();
      if (!user.isAdmin) {
        const staffCourses = await db.courseMember.findMany({
          where: { userId: user.id, removedAt: null, role: { in: ['owner', 'maintainer', 'lecturer', 'tutor'] } },
          select: { courseId: true },
        });
        for (const m of staffCourses) staffOf.add(m.courseId);
        filters.push({ OR: [{ requestedById: user.id }, { courseId: { in: [...staffOf] } }] });
      }
      if (query.course_id) filters.push({ courseId: query.course_id });
      if (query.type) filters.push({ type: query.type });
      const where: Prisma.WorkflowRunWhereInput = { AND: filters };
      // Statuses are refreshed from Temporal for rows still recorded as running, so the filter sees truth.
      await syncRunningRuns(db, temporal, { where, limit: 200 });
      const statusWhere = query.status ? { AND: [where, { status: query.status }] } : where;
      const [total, rows] = await Promise.all([
        db.workflowRun.count({ where: statusWhere }),
        db.workflowRun.findMany({ where: statusWhere, orderBy: { startedAt: 'desc' }, skip: query.offset, take: query.limit }),
      ]);
      res.json({
        items: rows.map((r) => ({
          workflow_id: r.id,
          type: r.type,
          status: r.status,
          course_id: r.courseId,
          requested_by: r.requestedById,
          task_queue: r.taskQueue,
          started_at: r.startedAt.toISOString(),
          closed_at: r.closedAt?.toISOString() ?? null,
          failure_message: r.failureMessage && !user.isAdmin && !(r.courseId && staffOf.has(r.courseId)) ? PLAIN_FAILURE : r.failureMessage,
        })),
        total,
        limit: query.limit,
        offset: query.offset,
        next_offset: query.offset + rows.length < total ? query.offset + rows.length : null,
      });
    },
  }),
  /** Requests cancellation; it reaches running activities through their heartbeats. */
  route({
    method: 'post',
    path: '/workflows/:id/cancel',
    operationId: 'cancelWorkflow',
    access: access({ student: 404, tutor: 403, lecturer: 202, otherLecturer: 404, admin: 202 }),
    tag: 'workflows',
    summary: 'Request cancellation of a running workflow (lecturer or higher in its course)',
    params: workflowId,
    responses: { 202: json('Cancellation requested.', ZCancelRequestedBody), ...errors({ 403: undefined, 404: NOT_VISIBLE, 409: 'The workflow is not running.' }) },
    handler: async ({ res, deps, user, params: { id } }) => {
      const { db, temporal } = deps;
      const { visible, run } = await canSeeWorkflow(db, user, id);
      if (!visible) throw notFound('Workflow');
      if (!user.isAdmin) {
        const role = run?.courseId ? await courseRoleOf(db, user, run.courseId) : null;
        if (!role || !roleSatisfies(role, 'lecturer')) throw forbidden('Cancelling requires the role lecturer or higher in the workflow\'s course.');
      }
      const description = await describe(deps, id);
      if (description.status.name !== 'RUNNING') throw conflict(`The workflow is ${description.status.name}, not running.`);
      await temporal.workflow.getHandle(id).cancel();
      res.status(202).json({ workflow_id: id, status: 'cancel_requested' });
    },
  }),
  /** Server-Sent Events: `status` and `progress` on change, `end` when the workflow closes. */
  route({
    method: 'get',
    path: '/workflows/:id/events',
    operationId: 'workflowEvents',
    access: staffOfCourse(200),
    tag: 'workflows',
    summary: 'Server-Sent Events: `status` and `progress` on change, `end` when the workflow closes',
    params: workflowId,
    responses: {
      200: content(
        'An event stream (each event described by the schema): `status` and `end` carry a workflow status body, `progress` `{workflow_id, progress}`; `: keepalive` comments every 15 s.',
        'text/event-stream',
        SSE_EVENT,
      ),
      ...errors({ 404: NOT_VISIBLE, 429: 'The caller holds the most open streams allowed (`details.maxStreamsPerUser`); close one first.' }),
    },
    handler: async ({ req, res, deps, app, user, params: { id } }) => {
      const { visible, staff } = await canSeeWorkflow(deps.db, user, id);
      if (!visible) throw notFound('Workflow');
      app.streams.acquire(req, res);
      let last = await statusBody(deps, id, staff);
      res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
      res.flushHeaders();
      const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      send('status', last);
      // The response's close is the connection's: it fires when the client goes away.
      let closed = false;
      res.on('close', () => {
        closed = true;
      });
      let sinceKeepalive = 0;
      while (!closed && last.status === 'RUNNING') {
        await new Promise((resolve) => setTimeout(resolve, EVENT_POLL_MS));
        if (closed) break;
        const next = await statusBody(deps, id, staff).catch(() => null);
        if (!next) continue;
        if (next.status !== last.status) send('status', next);
        else if (JSON.stringify(next.progress) !== JSON.stringify(last.progress)) send('progress', { workflow_id: next.workflow_id, progress: next.progress });
        else if ((sinceKeepalive += EVENT_POLL_MS) >= EVENT_KEEPALIVE_MS) {
          res.write(': keepalive\n\n');
          sinceKeepalive = 0;
        }
        last = next;
      }
      if (!closed) {
        send('end', last);
        res.end();
      }
    },
  }),
  route({
    method: 'get',
    path: '/workflows/:id/status',
    operationId: 'getWorkflowStatus',
    access: staffOfCourse(200),
    tag: 'workflows',
    summary: 'Status (and progress, failure, or that it is stalled) of a workflow',
    params: workflowId,
    responses: { 200: json('The status.', ZWorkflowStatusBody), ...errors({ 404: NOT_VISIBLE }) },
    handler: async ({ res, deps, user, params: { id } }) => {
      const { visible, staff } = await canSeeWorkflow(deps.db, user, id);
      if (!visible) throw notFound('Workflow');
      res.json(await statusBody(deps, id, staff));
    },
  }),
  route({
    method: 'get',
    path: '/workflows/:id/result',
    operationId: 'getWorkflowResult',
    access: staffOfCourse(200),
    tag: 'workflows',
    summary: 'Status and, once completed, the result; waits up to `wait` seconds for it',
    params: workflowId,
    query: ZResultQuery,
    responses: {
      200: json('The status, with `result` when completed.', ZWorkflowResultBody),
      ...errors({ 400: 'Invalid query.', 404: NOT_VISIBLE, 429: 'With `wait` > 0: the caller holds the most open streams and waiting requests allowed (`details.maxStreamsPerUser`).' }),
    },
    handler: async ({ req, res, deps, app, user, params: { id }, query }) => {
      const { wait = deps.config.resultWaitSeconds } = query;
      const { visible, staff } = await canSeeWorkflow(deps.db, user, id);
      if (!visible) throw notFound('Workflow');
      await describe(deps, id);
      if (wait > 0) app.streams.acquire(req, res);
      const { temporal } = deps;
      const handle = temporal.workflow.getHandle(id);
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
        // A client that went away stops the wait (and its long poll) at once.
        new Promise<{ kind: 'gone' }>((resolve) => res.on('close', () => resolve({ kind: 'gone' }))),
      ]);
      clearTimeout(timer);
      abort.abort();
      if (outcome.kind === 'gone') return;
      const status = await statusBody(deps, id, staff);
      if (outcome.kind === 'done') res.json({ ...status, result: outcome.result });
      else if (outcome.kind === 'failed' && outcome.error instanceof WorkflowFailedError) res.json(status);
      else if (outcome.kind === 'failed') throw outcome.error;
      else res.json(status);
    },
  }),
];
