import {
  deadlineWorkflowIds,
  DEADLINE_CHANGED_SIGNAL,
  DEADLINE_PRIORITY,
  DEADLINE_REOPEN_SIGNAL,
  effectiveDeadline,
  roleSatisfies,
  TASK_QUEUE_TASKS,
  WF_CONTENT_DEADLINE,
  ZAccommodationBody,
  ZDeadlineBody,
  ZExtensionBody,
  ZUuid,
} from '@computor/contracts';
import type { Db } from '@computor/db';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { notFound, unprocessable } from '../http/errors';
import { access, errors, json, jsonBody, lecturerOfCourse, membersOfCourse, route, uuidParam } from '../http/route';

/** Tutors and above act; students are members, so they learn the content exists (403), outsiders do not (404). */
const tutorOfCourse = (ok: number) => access({ student: 403, tutor: ok, lecturer: ok, otherLecturer: 404, admin: ok });

const courseId = uuidParam('Course');
const contentId = uuidParam('Course content');
const memberId = uuidParam('Course member');

const ZStudentDeadline = z.object({
  course_member_id: z.string(),
  username: z.string(),
  due_at: z.string().nullable(),
  late_until: z.string().nullable(),
  /** Where the due time comes from: none, content, accommodation (time factor), extension. */
  source: z.enum(['none', 'content', 'accommodation', 'extension']),
  /** The due time passed: hand-ins follow the late policy; `final_submission_id` is the last on-time one. */
  closed_at: z.string().nullable(),
  reopened_at: z.string().nullable(),
  /** Push access to the repository removed: no released assignment is open for the student any more. */
  repository_locked_at: z.string().nullable(),
  final_submission_id: z.string().nullable(),
});
const ZDeadlineView = z.object({
  course_content_id: z.string(),
  release_at: z.string().nullable(),
  due_at: z.string().nullable(),
  late_until: z.string().nullable(),
  late_policy: z.enum(['accept', 'reject']),
  workflow_id: z.string(),
  /** Students: their own row only. */
  students: z.array(ZStudentDeadline),
});

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

async function contentOf(db: Db, courseId: string, id: string) {
  const content = await db.courseContent.findUnique({ where: { id } });
  if (!content || content.courseId !== courseId || content.archivedAt) throw notFound('Course content');
  return content;
}

/** Tells the content's deadline workflow that due times changed, starting it if it does not run (one per content). */
export async function notifyDeadline(db: Db, temporal: Client, content: { id: string; courseId: string }, requestedById: string, signal: { name: string; args: unknown[] } = { name: DEADLINE_CHANGED_SIGNAL, args: [] }) {
  const workflowId = deadlineWorkflowIds.content(content.id);
  const handle = await temporal.workflow.signalWithStart(WF_CONTENT_DEADLINE, {
    workflowId,
    taskQueue: TASK_QUEUE_TASKS,
    args: [{ courseContentId: content.id }],
    signal: signal.name,
    signalArgs: signal.args,
    // Its workflow tasks (a timer firing at the due time) go ahead of the burst of pushes on the queue.
    priority: { priorityKey: DEADLINE_PRIORITY },
  });
  await db.workflowRun.upsert({
    where: { id: workflowId },
    create: { id: workflowId, runId: handle.signaledRunId, type: WF_CONTENT_DEADLINE, taskQueue: TASK_QUEUE_TASKS, requestedById, courseId: content.courseId },
    update: { runId: handle.signaledRunId, status: 'running', closedAt: null, failureMessage: null },
  });
  return workflowId;
}

async function deadlineView(db: Db, contentIdValue: string, onlyUserId: string | null) {
  const content = await db.courseContent.findUniqueOrThrow({ where: { id: contentIdValue } });
  const students = await db.courseMember.findMany({
    where: { courseId: content.courseId, role: 'student', removedAt: null, ...(onlyUserId ? { userId: onlyUserId } : {}) },
    include: { user: true, extensions: { where: { courseContentId: content.id } }, deadlineStates: { where: { courseContentId: content.id } } },
    orderBy: { createdAt: 'asc' },
  });
  return {
    course_content_id: content.id,
    release_at: iso(content.releaseAt),
    due_at: iso(content.dueAt),
    late_until: iso(content.lateUntil),
    late_policy: content.latePolicy,
    workflow_id: deadlineWorkflowIds.content(content.id),
    students: students.map((m) => {
      const d = effectiveDeadline(content, m, m.extensions[0] ?? null);
      const state = m.deadlineStates[0];
      return {
        course_member_id: m.id,
        username: m.user.username,
        due_at: iso(d.dueAt),
        late_until: iso(d.lateUntil),
        source: d.source,
        closed_at: iso(state?.closedAt),
        reopened_at: iso(state?.reopenedAt),
        repository_locked_at: iso(m.repositoryLockedAt),
        final_submission_id: state?.finalArtifactId ?? null,
      };
    }),
  };
}

async function studentOf(db: Db, courseIdValue: string, id: string) {
  const member = await db.courseMember.findUnique({ where: { id } });
  if (!member || member.courseId !== courseIdValue || member.removedAt || member.role !== 'student') {
    throw unprocessable('Extensions and accommodations are for active students of this course.', { fields: [{ path: 'memberId', message: 'is not an active student of this course' }] });
  }
  return member;
}

/** Due dates, late policy, per-student extensions and accommodations, and the lock at the deadline. */
export const deadlineRoutes = [
  route({
    method: 'put',
    path: '/courses/:id/contents/:contentId/deadline',
    operationId: 'setDeadline',
    access: lecturerOfCourse(200),
    authorize: { courseRole: 'lecturer' },
    tag: 'deadlines',
    summary: 'Set a content\'s release, due time, cut-off and late policy; its deadline workflow locks each repository at the student\'s effective due time (lecturer or higher)',
    description: 'Times are ISO 8601 with an offset, stored in UTC. A change is a signal to the content\'s one deadline workflow: a repository whose due time moved into the future is unlocked at once.',
    params: { id: courseId, contentId },
    body: jsonBody(ZDeadlineBody),
    responses: { 200: json('The deadline, with every student\'s effective due time.', ZDeadlineView), ...errors({ 403: undefined, 404: undefined, 422: 'The content has no assignment (`details.fields`: contentId).' }) },
    handler: async ({ res, deps: { db, temporal }, user, course, params, body }) => {
      const content = await contentOf(db, course.id, params.contentId);
      if (!content.exampleVersionId) throw unprocessable('A deadline needs an assignment: this content has no example assigned.', { fields: [{ path: 'contentId', message: 'has no example assigned' }] });
      await db.courseContent.update({ where: { id: content.id }, data: { releaseAt: body.releaseAt, dueAt: body.dueAt, lateUntil: body.lateUntil, latePolicy: body.latePolicy } });
      await notifyDeadline(db, temporal, content, user.id);
      res.json(await deadlineView(db, content.id, null));
    },
  }),
  route({
    method: 'delete',
    path: '/courses/:id/contents/:contentId/deadline',
    operationId: 'removeDeadline',
    access: lecturerOfCourse(200),
    authorize: { courseRole: 'lecturer' },
    tag: 'deadlines',
    summary: 'Remove a content\'s deadline: locked repositories are unlocked (lecturer or higher)',
    params: { id: courseId, contentId },
    responses: { 200: json('The content without a deadline.', ZDeadlineView), ...errors({ 403: undefined, 404: undefined }) },
    handler: async ({ res, deps: { db, temporal }, user, course, params }) => {
      const content = await contentOf(db, course.id, params.contentId);
      await db.courseContent.update({ where: { id: content.id }, data: { releaseAt: null, dueAt: null, lateUntil: null } });
      await notifyDeadline(db, temporal, content, user.id);
      res.json(await deadlineView(db, content.id, null));
    },
  }),
  route({
    method: 'get',
    path: '/courses/:id/contents/:contentId/deadline',
    operationId: 'getDeadline',
    access: membersOfCourse(200),
    authorize: { courseRole: 'student' },
    tag: 'deadlines',
    summary: 'A content\'s deadline and the effective due time, lock and final hand-in of each student (students: their own)',
    params: { id: courseId, contentId },
    responses: { 200: json('The deadline.', ZDeadlineView), ...errors({ 404: undefined }) },
    handler: async ({ res, deps: { db }, user, course, role, params }) => {
      const content = await contentOf(db, course.id, params.contentId);
      res.json(await deadlineView(db, content.id, roleSatisfies(role, 'tutor') ? null : user.id));
    },
  }),
  route({
    method: 'put',
    path: '/courses/:id/contents/:contentId/extensions/:memberId',
    operationId: 'setExtension',
    access: tutorOfCourse(200),
    authorize: { courseRole: 'tutor' },
    tag: 'deadlines',
    summary: 'Give one student their own due time (and cut-off) for a content; a locked repository is unlocked at once if it moves into the future (tutor or higher)',
    params: { id: courseId, contentId, memberId },
    body: jsonBody(ZExtensionBody),
    responses: { 200: json('The deadline with the student\'s new effective due time.', ZDeadlineView), ...errors({ 403: undefined, 404: undefined, 422: 'Not an active student of the course (`details.fields`: memberId).' }) },
    handler: async ({ res, deps: { db, temporal }, user, course, params, body }) => {
      const content = await contentOf(db, course.id, params.contentId);
      if (!content.exampleVersionId) throw unprocessable('An extension needs an assignment: this content has no example assigned.', { fields: [{ path: 'contentId', message: 'has no example assigned' }] });
      const member = await studentOf(db, course.id, params.memberId);
      await db.deadlineExtension.upsert({
        where: { courseContentId_courseMemberId: { courseContentId: content.id, courseMemberId: member.id } },
        create: { courseContentId: content.id, courseMemberId: member.id, dueAt: body.dueAt, lateUntil: body.lateUntil, createdById: user.id },
        update: { dueAt: body.dueAt, lateUntil: body.lateUntil, createdById: user.id },
      });
      await notifyDeadline(db, temporal, content, user.id);
      res.json(await deadlineView(db, content.id, null));
    },
  }),
  route({
    method: 'delete',
    path: '/courses/:id/contents/:contentId/extensions/:memberId',
    operationId: 'removeExtension',
    access: tutorOfCourse(200),
    authorize: { courseRole: 'tutor' },
    tag: 'deadlines',
    summary: 'Remove a student\'s extension: the content\'s (or accommodated) due time applies again (tutor or higher)',
    params: { id: courseId, contentId, memberId },
    responses: { 200: json('The deadline.', ZDeadlineView), ...errors({ 403: undefined, 404: 'No such content, or no extension for the student.' }) },
    handler: async ({ res, deps: { db, temporal }, user, course, params }) => {
      const content = await contentOf(db, course.id, params.contentId);
      const removed = await db.deadlineExtension.deleteMany({ where: { courseContentId: content.id, courseMemberId: params.memberId } });
      if (removed.count === 0) throw notFound('Extension');
      await notifyDeadline(db, temporal, content, user.id);
      res.json(await deadlineView(db, content.id, null));
    },
  }),
  route({
    method: 'put',
    path: '/courses/:id/members/:memberId/accommodation',
    operationId: 'setAccommodation',
    access: lecturerOfCourse(200),
    authorize: { courseRole: 'lecturer' },
    tag: 'deadlines',
    summary: 'A student\'s accommodation profile: a time factor (e.g. 1.5) stretching release -> due of every content of the course (lecturer or higher)',
    params: { id: courseId, memberId },
    body: jsonBody(ZAccommodationBody),
    responses: { 200: json('Stored.', z.object({ course_member_id: z.string(), time_factor: z.number().nullable() })), ...errors({ 403: undefined, 404: undefined, 422: 'Not an active student of the course (`details.fields`: memberId).' }) },
    handler: async ({ res, deps: { db, temporal }, user, course, params, body }) => {
      const member = await studentOf(db, course.id, params.memberId);
      await db.courseMember.update({ where: { id: member.id }, data: { timeFactor: body.timeFactor } });
      const contents = await db.courseContent.findMany({ where: { courseId: course.id, archivedAt: null, dueAt: { not: null } } });
      for (const content of contents) await notifyDeadline(db, temporal, content, user.id);
      res.json({ course_member_id: member.id, time_factor: body.timeFactor });
    },
  }),
  route({
    method: 'post',
    path: '/courses/:id/contents/:contentId/reopen',
    operationId: 'reopenRepositories',
    access: tutorOfCourse(202),
    authorize: { courseRole: 'tutor' },
    tag: 'deadlines',
    summary: 'Reopen a content after its due time (for every student, or `courseMemberIds`): it takes hand-ins again (flagged late) and locked repositories are unlocked, until its due time changes (tutor or higher)',
    params: { id: courseId, contentId },
    body: jsonBody(z.strictObject({ courseMemberIds: z.array(ZUuid).min(1).max(10_000).nullable().default(null) }), { required: false }),
    responses: { 202: json('The deadline workflow reopens them.', z.object({ workflow_id: z.string(), status: z.literal('reopening') })), ...errors({ 403: undefined, 404: undefined, 422: 'The content has no deadline (`details.fields`: contentId).' }) },
    handler: async ({ res, deps: { db, temporal }, user, course, params, body }) => {
      const content = await contentOf(db, course.id, params.contentId);
      if (!content.dueAt) throw unprocessable('This content has no deadline: nothing is locked.', { fields: [{ path: 'contentId', message: 'has no deadline' }] });
      const workflowId = await notifyDeadline(db, temporal, content, user.id, { name: DEADLINE_REOPEN_SIGNAL, args: [{ courseMemberIds: body.courseMemberIds }] });
      res.status(202).json({ workflow_id: workflowId, status: 'reopening' });
    },
  }),
];
