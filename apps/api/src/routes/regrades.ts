import { randomUUID } from 'node:crypto';
import { currentResult } from '@computor/activities';
import { gradingWorkflowIds, roleSatisfies, TASK_QUEUE_TASKS, WF_REGRADE, ZStartRegradeBody, type TGradingReport } from '@computor/contracts';
import type { Db } from '@computor/db';
import type { Storage } from '@computor/storage';
import { z } from 'zod';
import { conflict, forbidden, notFound, unprocessable } from '../http/errors';
import type { AuthUser } from '../http/request-context';
import { access, errors, json, jsonBody, lecturerOfCourse, route, uuidParam } from '../http/route';
import { courseRoleOf } from '../services/access';
import { startWorkflow } from '../services/workflows';

const ZRegradeItem = z.object({
  submission_id: z.string(),
  username: z.string().nullable(),
  /** What the student sees now (null: no completed result). */
  old_score: z.number().nullable(),
  /** The regrade's (null: not graded yet, or it failed). */
  new_score: z.number().nullable(),
  status: z.string(),
  /** `collection / check`: old status -> new status, for every check whose status changed. */
  changed: z.array(z.object({ check: z.string(), old: z.string().nullable(), new: z.string().nullable() })),
});
const ZRegradeView = z.object({
  id: z.string(),
  course_content_id: z.string(),
  mode: z.enum(['rescore', 'rerun']),
  of: z.string(),
  status: z.enum(['running', 'preview', 'published', 'discarded', 'cancelled', 'failed']),
  workflow_id: z.string(),
  total: z.number().int(),
  done: z.number().int(),
  failed: z.number().int(),
  message: z.string().nullable(),
  created_at: z.string(),
  finished_at: z.string().nullable(),
  published_at: z.string().nullable(),
  items: z.array(ZRegradeItem),
});

const checkStatuses = (report: TGradingReport | null) => new Map((report?.collections ?? []).flatMap((c) => c.checks.map((k) => [`${c.name} / ${k.name}`, k.status] as const)));

async function regradeFor(db: Db, user: AuthUser, id: string, least: 'tutor' | 'lecturer') {
  const regrade = await db.regrade.findUnique({ where: { id }, include: { courseContent: true } });
  if (!regrade) throw notFound('Regrade');
  const role = await courseRoleOf(db, user, regrade.courseContent.courseId);
  if (!role || !roleSatisfies(role, 'tutor')) throw notFound('Regrade');
  if (!roleSatisfies(role, least)) throw forbidden(`This action requires the role ${least} or higher in the course; you are ${role}.`);
  return regrade;
}

async function view(db: Db, storage: Storage, id: string) {
  const regrade = await db.regrade.findUniqueOrThrow({ where: { id } });
  const results = await db.result.findMany({
    where: { regradeId: id },
    include: { artifact: { include: { submissionGroup: { include: { members: { include: { courseMember: { include: { user: true } } } } } } } } },
    orderBy: { createdAt: 'asc' },
  });
  const items = await Promise.all(
    results.map(async (r) => {
      const old = await currentResult(db, r.artifactId);
      const [oldReport, newReport] = await Promise.all([
        old?.reportKey ? storage.getJson<TGradingReport>(old.reportKey).catch(() => null) : null,
        r.status === 'completed' && r.reportKey ? storage.getJson<TGradingReport>(r.reportKey).catch(() => null) : null,
      ]);
      const before = checkStatuses(oldReport);
      const after = checkStatuses(newReport);
      const changed = newReport
        ? [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k)).map((k) => ({ check: k, old: before.get(k) ?? null, new: after.get(k) ?? null }))
        : [];
      return {
        submission_id: r.artifactId,
        username: r.artifact.submissionGroup.members[0]?.courseMember.user.username ?? null,
        old_score: old && old.id !== r.id ? old.score : null,
        new_score: r.status === 'completed' ? r.score : null,
        status: r.status,
        changed,
      };
    }),
  );
  return {
    id: regrade.id,
    course_content_id: regrade.courseContentId,
    mode: regrade.mode,
    of: regrade.target,
    status: regrade.status,
    workflow_id: regrade.workflowId,
    total: regrade.total,
    done: regrade.done,
    failed: regrade.failed,
    message: regrade.message,
    created_at: regrade.createdAt.toISOString(),
    finished_at: regrade.finishedAt?.toISOString() ?? null,
    published_at: regrade.publishedAt?.toISOString() ?? null,
    items,
  };
}

/** Regrades of a content: a preview staff compare, then publish or discard; students see nothing of it before it is published. */
export const regradeRoutes = [
  route({
    method: 'post',
    path: '/courses/:id/contents/:contentId/regrades',
    operationId: 'startRegrade',
    access: lecturerOfCourse(202),
    authorize: { courseRole: 'lecturer' },
    tag: 'regrades',
    summary: 'Regrade a content\'s final or latest hand-ins (`rescore` or `rerun`) as a preview, at a lower priority than first-time hand-ins (lecturer or higher)',
    description: 'Follow it with GET /regrades/:id (and the workflow\'s status, progress and events); cancel it with POST /workflows/:id/cancel. Nothing students see changes until it is published.',
    params: { id: uuidParam('Course'), contentId: uuidParam('Course content') },
    body: jsonBody(ZStartRegradeBody),
    responses: {
      202: json('Started.', z.object({ regrade_id: z.string(), workflow_id: z.string(), status: z.literal('running') })),
      ...errors({ 403: undefined, 404: undefined, 409: 'A regrade of this content is running.', 422: 'The content has no assignment (`details.fields`: contentId).' }),
    },
    handler: async ({ res, deps: { db, temporal, config }, user, course, params, body }) => {
      const content = await db.courseContent.findUnique({ where: { id: params.contentId } });
      if (!content || content.courseId !== course.id || content.archivedAt) throw notFound('Course content');
      if (!content.exampleVersionId) throw unprocessable('A regrade needs an assignment: this content has no example assigned.', { fields: [{ path: 'contentId', message: 'has no example assigned' }] });
      const id = randomUUID();
      const workflowId = gradingWorkflowIds.regrade(id);
      await db.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`regrade:${content.id}`}))`;
        if (await tx.regrade.count({ where: { courseContentId: content.id, status: 'running' } })) throw conflict('A regrade of this content is running: wait for it, or cancel it.');
        await tx.regrade.create({ data: { id, courseContentId: content.id, mode: body.mode, target: body.of, workflowId, createdById: user.id } });
      });
      try {
        await startWorkflow(db, temporal, { type: WF_REGRADE, workflowId, taskQueue: TASK_QUEUE_TASKS, args: [{ regradeId: id, concurrency: config.regradeConcurrency ?? 1 }], requestedById: user.id, courseId: course.id });
      } catch (error) {
        await db.regrade.delete({ where: { id } }).catch(() => undefined);
        throw error;
      }
      res.status(202).json({ regrade_id: id, workflow_id: workflowId, status: 'running' });
    },
  }),
  route({
    method: 'get',
    path: '/regrades/:id',
    operationId: 'getRegrade',
    access: access({ student: 404, tutor: 200, lecturer: 200, otherLecturer: 404, admin: 200 }),
    tag: 'regrades',
    summary: 'A regrade with its progress and, per hand-in, the old and the new score and the checks that changed (tutor or higher)',
    params: { id: uuidParam('Regrade') },
    responses: { 200: json('The regrade.', ZRegradeView), ...errors({ 404: undefined }) },
    handler: async ({ res, deps: { db, storage }, user, params }) => {
      const regrade = await regradeFor(db, user, params.id, 'tutor');
      res.json(await view(db, storage, regrade.id));
    },
  }),
  ...(['publish', 'discard'] as const).map((action) =>
    route({
      method: 'post',
      path: `/regrades/:id/${action}`,
      operationId: `${action}Regrade`,
      access: access({ student: 404, tutor: 403, lecturer: 200, otherLecturer: 404, admin: 200 }),
      tag: 'regrades',
      summary: action === 'publish' ? 'Publish a previewed regrade: its results become what students see (lecturer or higher)' : 'Discard a previewed regrade: students never see its results (lecturer or higher)',
      params: { id: uuidParam('Regrade') },
      responses: { 200: json('Done.', ZRegradeView), ...errors({ 403: undefined, 404: undefined, 409: 'The regrade is not in preview (still running, or already published, discarded, cancelled or failed).' }) },
      handler: async ({ res, deps: { db, storage }, user, params }) => {
        const regrade = await regradeFor(db, user, params.id, 'lecturer');
        const changed = await db.regrade.updateMany({
          where: { id: regrade.id, status: 'preview' },
          data: action === 'publish' ? { status: 'published', publishedAt: new Date() } : { status: 'discarded' },
        });
        if (changed.count === 0) throw conflict(`The regrade is ${regrade.status}, not in preview: it cannot be ${action === 'publish' ? 'published' : 'discarded'}.`, { status: regrade.status });
        res.json(await view(db, storage, regrade.id));
      },
    }),
  ),
];
