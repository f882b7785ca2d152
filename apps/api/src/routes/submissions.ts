import { randomUUID } from 'node:crypto';
import { BURST_TRANSACTION, COUNTED_RESULT, ensureSubmissionGroup, exampleContentHash, handInTimingOf, loadEffectiveDeadline, lockGroupTests, STUDENT_VISIBLE_RESULT } from '@computor/activities';
import {
  GRADING_PRIORITY,
  gradingStorageKeys,
  gradingWorkflowIds,
  roleSatisfies,
  storedTallies,
  studentTotals,
  TASK_QUEUE_TESTING,
  WF_TEST_SUBMISSION,
  ZCreateCommitSubmissionBody,
  ZCreateSubmissionFields,
  type TCourseRole,
} from '@computor/contracts';
import type { Db } from '@computor/db';
import { conflict, forbidden, HttpError, notFound } from '../http/errors';
import type { AuthUser } from '../http/request-context';
import { access, errors, json, membersOfCourse, multipartBody, route, uuidParam } from '../http/route';
import { ZHandInStartedBody, ZSubmissionBody, ZSubmissionCreatedBody, ZSubmissionListBody, ZTestStartedBody } from '../openapi/responses';
import { courseRoleOf } from '../services/access';
import { readHandInArchive } from '../services/hand-in-archive';
import { startHandIn } from '../services/hand-ins';
import { queueViews, type TQueueView } from '../services/queue';
import { startWorkflow } from '../services/workflows';


const MULTIPART_MAX = 'The archive may not exceed the configured upload limit (API_MAX_UPLOAD_BYTES).';

/**
 * Lifecycle gate of hand-ins and test runs: 409 (before anything is stored or started) when the
 * course is archived, the content archived, or the content not released to students (no commit of
 * it in student-template, the same rule as the students' content listing).
 */
export function requireOpenForWork(content: { title: string; archivedAt: Date | null; course: { title: string; archivedAt: Date | null }; deployment: { templateCommitSha: string | null } | null }) {
  if (content.course.archivedAt) {
    throw conflict(`The course "${content.course.title}" is archived: it accepts no hand-ins or test runs.`, { reason: 'course_archived', archivedAt: content.course.archivedAt });
  }
  if (content.archivedAt) throw conflict(`The assignment "${content.title}" is archived: it accepts no hand-ins or test runs.`, { reason: 'content_archived' });
  if (!content.deployment?.templateCommitSha) {
    throw conflict(`The assignment "${content.title}" has not been released to students: it accepts no hand-ins or test runs yet.`, { reason: 'content_not_released' });
  }
}

/** The caller's active membership in the content's course, or 404 when they cannot see it. */
async function contentForCaller(db: Db, user: AuthUser, courseContentId: string) {
  const content = await db.courseContent.findUnique({ where: { id: courseContentId }, include: { exampleVersion: true, course: true, deployment: true } });
  if (!content || content.archivedAt) throw notFound('Course content');
  const role = await courseRoleOf(db, user, content.courseId);
  if (!role) throw notFound('Course content');
  const member = await db.courseMember.findUnique({ where: { courseId_userId: { courseId: content.courseId, userId: user.id } } });
  return { content, role, member: member && !member.removedAt ? member : null };
}

/**
 * The content a student hands in for, their membership and whether the hand-in is late:
 * 403/404/409 (closed, or past the due time or cut-off by the late policy) before anything is
 * stored or started.
 */
async function handInTarget(db: Db, user: AuthUser, courseContentId: string) {
  const receivedAt = new Date();
  const { content, role, member } = await contentForCaller(db, user, courseContentId);
  // In this version only students hand in, for themselves; staff test through verification.
  if (role !== 'student' || !member) throw forbidden('Only students of the course can hand in; staff verify assignments instead.');
  if (!content.exampleVersion) throw conflict('This course content has no assignment (example version) to hand in for.');
  requireOpenForWork(content);
  const timing = await handInTimingOf(db, content.id, member.id, receivedAt);
  if (timing.refused) throw conflict(`Not handed in: ${timing.refused}.`, { reason: 'deadline_passed', dueAt: timing.deadline.dueAt, lateUntil: timing.deadline.lateUntil });
  return { content, member, late: timing.late, receivedAt };
}

/** Loads an artifact the caller may see: a member of its submission group, or tutor and above in its course. */
export async function visibleArtifact(db: Db, user: AuthUser, artifactId: string) {
  const artifact = await db.submissionArtifact.findUnique({
    where: { id: artifactId },
    include: { submissionGroup: { include: { members: { include: { courseMember: true } }, courseContent: true } } },
  });
  if (!artifact) throw notFound('Submission');
  const courseId = artifact.submissionGroup.courseContent.courseId;
  const inGroup = artifact.submissionGroup.members.some((m) => m.courseMember.userId === user.id && !m.courseMember.removedAt);
  const role: TCourseRole | null = await courseRoleOf(db, user, courseId);
  if (!inGroup && !(role && roleSatisfies(role, 'tutor'))) throw notFound('Submission');
  return { artifact, courseId, inGroup, role };
}

/**
 * Whether a student's effective due time for the content has passed, so that `afterDue`
 * collections are theirs to see. No due time: true (`afterDue` reads as `always`). No membership
 * (removed): false, the narrower view.
 */
export async function studentAfterDue(db: Db, courseContentId: string, courseMemberId: string | undefined, now = new Date()): Promise<boolean> {
  if (!courseMemberId) return false;
  const { dueAt } = await loadEffectiveDeadline(db, courseContentId, courseMemberId);
  return dueAt === null || now.getTime() >= dueAt.getTime();
}

/** The caller's course membership among a submission group's members (a student reading their group's results). */
export function callerMemberOf(members: Array<{ courseMember: { id: string; userId: string; removedAt: Date | null } }>, user: AuthUser): string | undefined {
  return members.find((m) => m.courseMember.userId === user.id && !m.courseMember.removedAt)?.courseMember.id;
}

/** `student`: the student view (score and passed over the collections they see, `hidden` counting the rest); absent: staff, the stored values. */
function resultLine(
  r: { id: string; workflowId: string | null; status: string; score: number | null; passed: boolean | null; summary: unknown; createdAt: Date; finishedAt: Date | null },
  queue: TQueueView,
  student?: { afterDue: boolean },
) {
  const line = { id: r.id, workflow_id: r.workflowId, status: r.status, score: r.score, passed: r.passed, created_at: r.createdAt, finished_at: r.finishedAt, queue };
  if (!student) return line;
  const tallies = r.score === null ? undefined : storedTallies(r.summary);
  // Results stored before the tallies existed count as all `always`: their stored score stands.
  if (!tallies) return { ...line, hidden: r.score === null ? null : { afterDue: 0, never: 0 } };
  const totals = studentTotals(tallies, student.afterDue);
  return { ...line, score: totals.score, passed: totals.passed, hidden: totals.hidden };
}

function artifactView(a: { id: string; submissionGroupId: string; source: string; late: boolean; commitSha: string | null; contentHash: string; fileCount: number; totalBytes: number; createdAt: Date; purgedAt: Date | null }, courseContentId: string) {
  return {
    id: a.id,
    submission_group_id: a.submissionGroupId,
    course_content_id: courseContentId,
    source: a.source,
    late: a.late,
    commit_sha: a.commitSha,
    content_hash: a.contentHash,
    file_count: a.fileCount,
    total_bytes: a.totalBytes,
    created_at: a.createdAt,
    purged_at: a.purgedAt,
  };
}

/** Student hand-ins: upload (validated before anything is stored), test runs, and reading them back. */
export const submissionRoutes = [
  route({
    method: 'post',
    path: '/submissions',
    operationId: 'createSubmission',
    access: access({ student: 201, tutor: 403, lecturer: 403, otherLecturer: 404, admin: 403 }),
    limit: 'uploads',
    tag: 'submissions',
    summary: 'Hand in an archive, or the own repository at a commit, for a course content (students of the course)',
    description:
      'As multipart/form-data: an archive, stored at once (201). As application/json `{course_content_id, commit}`: the student\'s own repository at that commit or branch is fetched through GitLab by a workflow, stored like an upload (once per commit) and its test run queued (202; follow `workflow_id`, then the submission).',
    body: multipartBody({
      json: ZCreateCommitSubmissionBody,
      // The contract's pattern is case-insensitive (`/i`), a flag JSON Schema patterns cannot carry.
      fields: ZCreateSubmissionFields.extend({ commit_sha: ZCreateSubmissionFields.shape.commit_sha.meta({ pattern: '^[0-9a-fA-F]{7,64}$' }) }),
      file: { name: 'archive', description: 'A zip or tar(.gz) archive of the hand-in.' },
      expected: 'the fields course_content_id (and optionally commit_sha) and one archive file',
      description: MULTIPART_MAX,
    }),
    responses: {
      201: json('Stored.', ZSubmissionCreatedBody),
      202: json('A commit: its hand-in workflow started (or, for a commit handed in before, found).', ZHandInStartedBody),
      ...errors({
        400: 'Invalid form or body, not exactly one file, a malformed or empty archive.',
        403: 'Only students of the course hand in.',
        404: 'No such course content, or not visible.',
        409: 'The content has no assignment to hand in for, or accepts no hand-ins: the course is archived, or the content archived or not released, the due time (late policy reject) or the cut-off passed (`deadline_passed`), or (a commit) the student has no repository yet (`details.reason`). Nothing is stored.',
        413: MULTIPART_MAX,
      }),
    },
    handler: async ({ res, deps: { db, storage, config, temporal }, user, readForm, json: commitBody }) => {
      if (commitBody) {
        const { content, member, receivedAt } = await handInTarget(db, user, commitBody.course_content_id);
        if (!member.gitlabProjectId) throw conflict('You have no repository in this course yet: nothing to hand in from.', { reason: 'no_repository' });
        const { workflowId, existing } = await startHandIn(db, temporal, {
          projectId: member.gitlabProjectId,
          courseId: content.courseId,
          requestId: randomUUID(),
          courseMemberId: member.id,
          courseContentId: content.id,
          commit: commitBody.commit,
          source: 'commit',
          requestedById: user.id,
          test: commitBody.test,
          maxBytes: config.maxUploadBytes,
          receivedAt: receivedAt.toISOString(),
        });
        res.status(202).json({ workflow_id: workflowId, status: existing ? 'handed_in' : 'fetching', course_content_id: content.id, commit: commitBody.commit });
        return;
      }
      const { fields: body, archive } = await readForm();
      const { content, member, late } = await handInTarget(db, user, body.course_content_id);
      const files = await readHandInArchive(archive, { maxBytes: config.maxUploadBytes, exampleMeta: content.exampleVersion!.meta, field: 'archive' });

      const group = await ensureSubmissionGroup(db, content.id, member.id);

      const artifactId = randomUUID();
      const prefix = gradingStorageKeys.submissionPrefix(artifactId);
      const stored = files.map((f) => ({ path: f.path, data: f.data }));
      try {
        await storage.putFiles(prefix, stored);
        const artifact = await db.submissionArtifact.create({
          data: {
            id: artifactId,
            submissionGroupId: group.id,
            uploadedById: user.id,
            late,
            commitSha: body.commit_sha ?? null,
            objectPrefix: prefix,
            contentHash: exampleContentHash(stored),
            fileCount: stored.length,
            filePaths: stored.map((f) => f.path),
            totalBytes: stored.reduce((sum, f) => sum + f.data.length, 0),
          },
        });
        res.status(201).json({ ...artifactView(artifact, content.id), files: stored.map((f) => f.path) });
      } catch (error) {
        await storage.deletePrefix(prefix).catch(() => 0);
        throw error;
      }
    },
  }),
  route({
    method: 'get',
    path: '/submissions/:id',
    operationId: 'getSubmission',
    access: membersOfCourse(200),
    tag: 'submissions',
    summary: 'A submission with its files and test runs (its group, or tutor or higher in the course)',
    params: { id: uuidParam('Submission') },
    responses: { 200: json('The submission.', ZSubmissionBody), ...errors({ 404: undefined }) },
    handler: async ({ res, deps: { db, storage }, user, params }) => {
      const { artifact, role } = await visibleArtifact(db, user, params.id);
      const staff = role !== null && roleSatisfies(role, 'tutor');
      // A regrade's results stay staff-only until it is published.
      const results = await db.result.findMany({ where: { artifactId: artifact.id, ...(staff ? {} : STUDENT_VISIBLE_RESULT) }, orderBy: { createdAt: 'asc' } });
      const files = artifact.purgedAt ? [] : (await storage.list(artifact.objectPrefix)).map((o) => o.key.slice(artifact.objectPrefix.length)).sort();
      const queue = await queueViews(db, results);
      const student = staff ? undefined : { afterDue: await studentAfterDue(db, artifact.submissionGroup.courseContentId, callerMemberOf(artifact.submissionGroup.members, user)) };
      res.json({
        ...artifactView(artifact, artifact.submissionGroup.courseContentId),
        files,
        results: results.map((r) => resultLine(r, queue.get(r.id)!, student)),
      });
    },
  }),
  route({
    method: 'post',
    path: '/submissions/:id/test',
    operationId: 'testSubmission',
    access: access({ student: 202, tutor: 403, lecturer: 202, otherLecturer: 404, admin: 202 }),
    limit: 'testRuns',
    tag: 'submissions',
    summary: 'Start a test run of a submission (its group, or lecturer or higher in the course)',
    params: { id: uuidParam('Submission') },
    responses: {
      202: json('Test run started.', ZTestStartedBody),
      ...errors({
        403: 'Tutors see submissions but do not start test runs.',
        404: undefined,
        409: 'The submission was purged, the content has no assignment, or it accepts no test runs: the course is archived, or the content archived or not released (`details.reason`). Nothing is started.',
        429: 'The maximum number of test runs is used up (`details.maxTestRuns`, `details.used`), or the per-user rate limit (`details.limit` per `details.windowSeconds`, with `Retry-After`).',
      }),
    },
    handler: async ({ res, deps: { db, temporal }, user, params }) => {
      const { artifact, courseId, inGroup, role } = await visibleArtifact(db, user, params.id);
      // Group members test their own hand-ins; lecturers and above may re-run any in their course.
      if (!inGroup && !(role && roleSatisfies(role, 'lecturer'))) throw forbidden('Only the submission group or lecturers and above can start a test run.');
      if (artifact.purgedAt) throw conflict('This submission was removed by retention and cannot be tested.');
      const content = artifact.submissionGroup.courseContent;
      if (!content.exampleVersionId) throw conflict('This course content has no assignment (example version) to test against.');
      requireOpenForWork(await db.courseContent.findUniqueOrThrow({ where: { id: content.id }, include: { course: true, deployment: true } }));
      const resultId = randomUUID();
      const workflowId = gradingWorkflowIds.testSubmission(resultId);
      await db.$transaction(async (tx) => {
        if (content.maxTestRuns !== null) {
          // Serialises test requests of one group so two at once cannot both take the last run.
          await lockGroupTests(tx, artifact.submissionGroupId);
          // Runs that failed for infrastructure reasons, were cancelled or superseded do not count against the student.
          const used = await tx.result.count({ where: { submissionGroupId: artifact.submissionGroupId, courseContentId: content.id, status: { in: [...COUNTED_RESULT] } } });
          if (used >= content.maxTestRuns) {
            throw new HttpError(429, 'too_many_requests', `The maximum number of test runs for this assignment (${content.maxTestRuns}) is used up (${used} runs).`, {
              maxTestRuns: content.maxTestRuns,
              used,
            });
          }
        }
        await tx.result.create({
          data: { id: resultId, artifactId: artifact.id, submissionGroupId: artifact.submissionGroupId, courseContentId: content.id, workflowId, status: 'pending' },
        });
        // A deadline burst queues behind the group's lock and the pool: wait for a connection, not 500.
      }, BURST_TRANSACTION);
      try {
        await startWorkflow(db, temporal, {
          type: WF_TEST_SUBMISSION,
          workflowId,
          taskQueue: TASK_QUEUE_TESTING,
          args: [{ resultId }],
          requestedById: user.id,
          courseId,
          // One course's burst does not starve another's hand-ins: the testing queue is shared by course.
          priority: { priorityKey: GRADING_PRIORITY.handIn, fairnessKey: courseId },
        });
      } catch (error) {
        // Nothing will ever grade it: the pending row must not hold a test run.
        await db.result.delete({ where: { id: resultId } }).catch(() => undefined);
        throw error;
      }
      res.status(202).json({ workflow_id: workflowId, result_id: resultId, status: 'pending' });
    },
  }),
  route({
    method: 'get',
    path: '/courses/:id/contents/:contentId/submissions',
    operationId: 'listContentSubmissions',
    access: membersOfCourse(200),
    tag: 'submissions',
    summary: 'Hand-ins of a course content with where each test run stands (students: their own group\'s; tutors and above: everyone\'s)',
    description:
      'Newest first. Each result says `queue.state` (queued, running, done, failed, cancelled, superseded); a queued one its `queue.position` over all courses (1 = next) and `queue.estimate_seconds` from recent run times; a superseded one the result graded in its place.',
    params: { id: uuidParam('Course'), contentId: uuidParam('Course content') },
    responses: { 200: json('The hand-ins.', ZSubmissionListBody), ...errors({ 404: undefined }) },
    handler: async ({ res, deps: { db }, user, params }) => {
      const content = await db.courseContent.findUnique({ where: { id: params.contentId } });
      if (!content || content.courseId !== params.id) throw notFound('Course content');
      const role = await courseRoleOf(db, user, content.courseId);
      if (!role) throw notFound('Course content');
      const staff = roleSatisfies(role, 'tutor');
      const artifacts = await db.submissionArtifact.findMany({
        where: { submissionGroup: { courseContentId: content.id, ...(staff ? {} : { members: { some: { courseMember: { userId: user.id, removedAt: null } } } }) } },
        include: { results: { where: staff ? {} : STUDENT_VISIBLE_RESULT, orderBy: { createdAt: 'asc' } } },
        orderBy: { createdAt: 'desc' },
        take: 200,
      });
      const queue = await queueViews(db, artifacts.flatMap((a) => a.results));
      const member = staff ? null : await db.courseMember.findUnique({ where: { courseId_userId: { courseId: content.courseId, userId: user.id } } });
      const student = staff ? undefined : { afterDue: await studentAfterDue(db, content.id, member && !member.removedAt ? member.id : undefined) };
      res.json({ items: artifacts.map((a) => ({ ...artifactView(a, content.id), results: a.results.map((r) => resultLine(r, queue.get(r.id)!, student)) })) });
    },
  }),
];
