import { PROVISIONING_STEP_STATES, PROVISIONING_STEPS, TASK_QUEUE_TASKS, WF_ADD_STUDENTS, workflowIds, ZUuid, type TProvisioningStepState } from '@computor/contracts';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { z } from 'zod';
import { badRequest, conflict } from '../http/errors';
import { access, errors, json, jsonBody, lecturerOfCourse, route, uuidParam } from '../http/route';
import { ZWorkflowStartedBody } from '../openapi/responses';
import { startWorkflow } from '../services/workflows';

/** Tutors read the status; students are members, so they learn the course exists (403), outsiders do not (404). */
const tutorOfCourse = (ok: number) => access({ student: 403, tutor: ok, lecturer: ok, otherLecturer: 404, admin: ok });

const ZState = z.enum(PROVISIONING_STEP_STATES);
const ZStatusQuery = z.strictObject({
  /** Students with at least one step in this state. */
  state: ZState.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
});
const ZCounts = z.object({ pending: z.number().int(), running: z.number().int(), done: z.number().int(), failed: z.number().int() });
const ZStep = z.object({
  step: z.enum(PROVISIONING_STEPS),
  state: ZState,
  /** Provisioning runs that started the step. */
  attempts: z.number().int(),
  /** The last failure in plain words (null unless failed). */
  last_error: z.string().nullable(),
  /** The same failure as the workflow saw it. */
  last_error_detail: z.string().nullable(),
  updated_at: z.string().nullable(),
  /** Seconds since a running step started: a large value means the run stopped (a crash) or is stuck. */
  running_seconds: z.number().nullable(),
  workflow_id: z.string().nullable(),
});
const ZStudentStatus = z.object({
  course_member_id: z.string(),
  user_id: z.string(),
  username: z.string(),
  /** failed when a step failed, else running when one runs, else done when all are, else pending. */
  state: ZState,
  steps: z.array(ZStep),
});
const ZProvisioningStatus = z.object({
  course_id: z.string(),
  /** Over every active student of the course, whatever the filter: students by overall state, and steps by state. */
  summary: z.object({ students: ZCounts, steps: ZCounts }),
  items: z.array(ZStudentStatus),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  next_offset: z.number().int().nullable(),
});
const ZRetryBody = z.strictObject({
  /** Course member ids of students to provision again; default: every student with a failed step. */
  member_ids: z.array(ZUuid).min(1).max(5_000).optional(),
});
const ZRetryStarted = ZWorkflowStartedBody.extend({ member_ids: z.array(z.string()) });

type TCounts = z.infer<typeof ZCounts>;
const zero = (): TCounts => ({ pending: 0, running: 0, done: 0, failed: 0 });

function overall(states: TProvisioningStepState[]): TProvisioningStepState {
  if (states.includes('failed')) return 'failed';
  if (states.includes('running')) return 'running';
  return states.every((s) => s === 'done') ? 'done' : 'pending';
}

/** Per student, the state of each provisioning step, and retrying only the failed students. */
export const provisioningRoutes = [
  route({
    method: 'get',
    path: '/courses/:id/provisioning',
    operationId: 'getProvisioningStatus',
    access: tutorOfCourse(200),
    authorize: { courseRole: 'tutor' },
    tag: 'provisioning',
    summary: 'Per active student, the state of each provisioning step (user, membership, repository, access) with the last error in plain words (tutor or higher)',
    description: 'Steps never started are `pending`. `?state=failed` lists the students with a failed step; the summary counts the whole course. Students by username.',
    params: { id: uuidParam('Course') },
    query: ZStatusQuery,
    responses: { 200: json('The status.', ZProvisioningStatus), ...errors({ 400: undefined, 403: undefined, 404: undefined }) },
    handler: async ({ res, deps: { db }, course, query }) => {
      const members = await db.courseMember.findMany({
        where: { courseId: course.id, role: 'student', removedAt: null },
        select: { id: true, userId: true, user: { select: { username: true } }, provisioningSteps: true },
        orderBy: { user: { username: 'asc' } },
      });
      const now = Date.now();
      const summary = { students: zero(), steps: zero() };
      const students = members.map((m) => {
        const steps = PROVISIONING_STEPS.map((step) => {
          const row = m.provisioningSteps.find((r) => r.step === step);
          const state: TProvisioningStepState = row?.state ?? 'pending';
          summary.steps[state]++;
          return {
            step,
            state,
            attempts: row?.attempts ?? 0,
            last_error: state === 'failed' ? (row?.lastError ?? null) : null,
            last_error_detail: state === 'failed' ? (row?.lastErrorDetail ?? null) : null,
            updated_at: row?.updatedAt.toISOString() ?? null,
            running_seconds: state === 'running' && row?.startedAt ? Math.max(0, Math.round((now - row.startedAt.getTime()) / 1000)) : null,
            workflow_id: row?.workflowId ?? null,
          };
        });
        const state = overall(steps.map((s) => s.state));
        summary.students[state]++;
        return { course_member_id: m.id, user_id: m.userId, username: m.user.username, state, steps };
      });
      const listed = query.state ? students.filter((s) => s.steps.some((step) => step.state === query.state)) : students;
      const page = listed.slice(query.offset, query.offset + query.limit);
      res.json({
        course_id: course.id,
        summary,
        items: page,
        total: listed.length,
        limit: query.limit,
        offset: query.offset,
        next_offset: query.offset + page.length < listed.length ? query.offset + page.length : null,
      });
    },
  }),
  route({
    method: 'post',
    path: '/courses/:id/provisioning/retry',
    operationId: 'retryProvisioning',
    access: lecturerOfCourse(202),
    authorize: { courseRole: 'lecturer' },
    tag: 'provisioning',
    summary: 'Provision again only the students with a failed step, or those listed (lecturer or higher)',
    description: `One batch workflow (\`${WF_ADD_STUDENTS}\`, id \`provisioning-retry-<course>\`) over the students; every step is create-or-adopt, so what was done stays as it is.`,
    params: { id: uuidParam('Course') },
    body: jsonBody(ZRetryBody, { required: false }),
    responses: {
      202: json('Retry started.', ZRetryStarted),
      ...errors({
        400: 'Invalid body, or `member_ids` naming someone who is not an active student of the course (nothing started).',
        403: undefined,
        404: undefined,
        409: 'A retry of this course is still running (`details.workflow_id`), or no student has a failed step (`details.reason` `nothing_failed`).',
        413: undefined,
      }),
    },
    handler: async ({ res, deps: { db, temporal }, user, course, body }) => {
      let memberIds: string[];
      if (body.member_ids) {
        const given = body.member_ids;
        const found = await db.courseMember.findMany({ where: { id: { in: given }, courseId: course.id, role: 'student', removedAt: null }, select: { id: true } });
        const known = new Set(found.map((f) => f.id));
        const issues = given.flatMap((id, i) =>
          !known.has(id) ? [{ path: `member_ids[${i}]`, message: `${id} is not an active student of this course` }] : given.indexOf(id) !== i ? [{ path: `member_ids[${i}]`, message: `${id} is listed twice` }] : [],
        );
        if (issues.length) throw badRequest('Invalid member_ids.', issues);
        memberIds = given;
      } else {
        const failed = await db.courseMember.findMany({
          where: { courseId: course.id, role: 'student', removedAt: null, provisioningSteps: { some: { state: 'failed' } } },
          select: { id: true },
          orderBy: { createdAt: 'asc' },
        });
        memberIds = failed.map((f) => f.id);
        if (memberIds.length === 0) throw conflict('No student of this course has a failed provisioning step.', { reason: 'nothing_failed' });
      }
      const workflowId = workflowIds.provisioningRetry(course.id);
      try {
        await startWorkflow(db, temporal, {
          type: WF_ADD_STUDENTS,
          workflowId,
          taskQueue: TASK_QUEUE_TASKS,
          args: [{ courseId: course.id, courseMemberIds: memberIds }],
          requestedById: user.id,
          courseId: course.id,
          conflictPolicy: 'FAIL',
        });
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) throw conflict('A provisioning retry of this course is still running.', { reason: 'retry_running', workflow_id: workflowId });
        throw error;
      }
      res.status(202).json({ workflow_id: workflowId, status: 'started', member_ids: memberIds });
    },
  }),
];
