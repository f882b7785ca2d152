import { randomUUID } from 'node:crypto';
import { exampleContentHash } from '@computor/activities';
import {
  GRADING_PRIORITY,
  gradingWorkflowIds,
  roleSatisfies,
  TASK_QUEUE_TESTING,
  toTestSummary,
  tutorTestStorageKeys,
  WF_TUTOR_TEST,
  ZResultQuery,
  type TGradingReport,
  type TTutorTestParams,
  type TTutorTestResult,
} from '@computor/contracts';
import { ObjectNotFoundError } from '@computor/storage';
import { WorkflowNotFoundError, type WorkflowExecutionDescription } from '@temporalio/client';
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { conflict, forbidden, gone, notFound } from '../http/errors';
import type { AuthUser } from '../http/request-context';
import { access, errors, json, multipartBody, route, staffOfCourse, uuidParam } from '../http/route';
import { ZTutorTestRunBody, ZTutorTestStartedBody } from '../openapi/responses';
import { courseRoleOf } from '../services/access';
import { readHandInArchive } from '../services/hand-in-archive';
import { failureOf } from '../services/workflows';

const DEFAULT_TTL_SECONDS = 3600;
const MULTIPART_MAX = 'The archive may not exceed the configured upload limit (API_MAX_UPLOAD_BYTES).';
// Temporal's PENDING_ACTIVITY_STATE_STARTED: a collection is in a sandbox.
const ACTIVITY_STARTED = 2;

/** What the API keeps of a run besides Temporal's own fields: in the workflow's memo, never in a row. */
interface TTutorTestMemo {
  courseId?: string;
  courseContentId?: string;
  requestedById?: string;
}

const ttlOf = (config: { tutorTestTtlSeconds?: number }) => config.tutorTestTtlSeconds ?? DEFAULT_TTL_SECONDS;

/** A live tutor test run the caller (tutor or higher of its course) may read; 404 otherwise, 410 past its time-to-live. */
async function visibleTestRun(deps: ApiDeps, user: AuthUser, id: string) {
  const handle = deps.temporal.workflow.getHandle(gradingWorkflowIds.tutorTest(id));
  let description: WorkflowExecutionDescription;
  try {
    description = await handle.describe();
  } catch (error) {
    // Never started, or gone with the namespace's retention.
    if (error instanceof WorkflowNotFoundError) throw notFound('Test run');
    throw error;
  }
  if (description.type !== WF_TUTOR_TEST) throw notFound('Test run');
  const memo = (description.memo ?? {}) as TTutorTestMemo;
  const role = memo.courseId ? await courseRoleOf(deps.db, user, memo.courseId) : null;
  if (!role || !roleSatisfies(role, 'tutor')) throw notFound('Test run');
  const ttlSeconds = ttlOf(deps.config);
  const expiresAt = new Date(description.startTime.getTime() + ttlSeconds * 1000);
  if (Date.now() >= expiresAt.getTime()) {
    throw gone(`Test run ${id} expired at ${expiresAt.toISOString()}: tutor test runs are kept for ${ttlSeconds} s after they start. Upload the archive again to test it again.`, {
      expiredAt: expiresAt.toISOString(),
      ttlSeconds,
    });
  }
  return { handle, description, memo, expiresAt };
}

/**
 * Tutor test runs: staff upload an archive for a course content and get it graded like a hand-in
 * (same archive checks, same grading activity and sandbox on computor-testing) without creating a
 * submission. No database row: the workflow `tutor-test-<id>` is the run's state (memo: course,
 * content, requester), the archive and report live under `tutor-test-runs/<id>/` and expire
 * after a day; the API serves the state for TUTOR_TEST_TTL_SECONDS after the start, then 410.
 */
export const tutorTestRoutes = [
  route({
    method: 'post',
    path: '/tutors/course-contents/:id/test',
    operationId: 'startTutorTest',
    access: access({ student: 403, tutor: 202, lecturer: 202, otherLecturer: 404, admin: 202 }),
    limit: 'uploads',
    tag: 'tutor-tests',
    summary: 'Grade an archive against a course content\'s assignment without handing it in (tutors and above of the course)',
    description:
      'The archive is checked as a student hand-in is and graded by the same grader and sandbox; nothing is stored in the database. Follow `GET /tutors/test-runs/{test_run_id}` until `expires_at` (TUTOR_TEST_TTL_SECONDS after the start); the archive and report expire from object storage after a day.',
    params: { id: uuidParam('Course content') },
    body: multipartBody({
      fields: z.strictObject({}),
      file: { name: 'archive', description: 'A zip or tar(.gz) archive of the hand-in to test.' },
      expected: 'one archive file',
      description: MULTIPART_MAX,
    }),
    responses: {
      202: json('The test run started.', ZTutorTestStartedBody),
      ...errors({
        400: 'Not exactly one file (`details.fields` names `archive`), a malformed or empty archive.',
        403: 'Students of the course do not start tutor test runs.',
        404: 'No such course content, or not visible.',
        409: 'The content has no assignment (example version) to test against, or the course is archived (`details.reason`). Nothing is stored or started.',
        413: MULTIPART_MAX,
      }),
    },
    handler: async ({ res, deps: { db, storage, temporal, config }, user, params, readForm }) => {
      const content = await db.courseContent.findUnique({ where: { id: params.id }, include: { exampleVersion: true, course: true } });
      if (!content || content.archivedAt) throw notFound('Course content');
      const role = await courseRoleOf(db, user, content.courseId);
      if (!role) throw notFound('Course content');
      if (!roleSatisfies(role, 'tutor')) throw forbidden(`Tutor test runs require the role tutor or higher in the course; you are ${role}.`);
      if (!content.exampleVersion) {
        throw conflict('This course content has no assignment (example version) to test against.', { reason: 'no_example', fields: [{ path: 'id', message: 'the course content has no example version assigned' }] });
      }
      if (content.course.archivedAt) throw conflict(`The course "${content.course.title}" is archived: it accepts no test runs.`, { reason: 'course_archived' });
      const { archive } = await readForm();
      const files = (await readHandInArchive(archive, { maxBytes: config.maxUploadBytes, exampleMeta: content.exampleVersion.meta, field: 'archive' })).map((f) => ({ path: f.path, data: f.data }));

      const testRunId = randomUUID();
      const workflowId = gradingWorkflowIds.tutorTest(testRunId);
      const ttlSeconds = ttlOf(config);
      const args: TTutorTestParams = {
        testRunId,
        courseId: content.courseId,
        courseContentId: content.id,
        exampleVersionId: content.exampleVersion.id,
        contentHash: exampleContentHash(files),
        requestedById: user.id,
      };
      const prefix = tutorTestStorageKeys.runPrefix(testRunId);
      try {
        await storage.putFiles(tutorTestStorageKeys.submissionPrefix(testRunId), files);
        const handle = await temporal.workflow.start(WF_TUTOR_TEST, {
          workflowId,
          taskQueue: TASK_QUEUE_TESTING,
          args: [args],
          memo: { courseId: content.courseId, courseContentId: content.id, requestedById: user.id } satisfies TTutorTestMemo,
          // Past its time-to-live nobody can read the run: it stops taking sandbox time too.
          workflowExecutionTimeout: `${ttlSeconds} seconds`,
          // Queued like a first-time hand-in, sharing the testing queue fairly by course.
          priority: { priorityKey: GRADING_PRIORITY.handIn, fairnessKey: content.courseId },
        });
        const startedAt = (await handle.describe()).startTime;
        res.status(202).json({
          test_run_id: testRunId,
          workflow_id: workflowId,
          course_content_id: content.id,
          status: 'pending',
          expires_at: new Date(startedAt.getTime() + ttlSeconds * 1000).toISOString(),
        });
      } catch (error) {
        await storage.deletePrefix(prefix).catch(() => 0);
        throw error;
      }
    },
  }),
  route({
    method: 'get',
    path: '/tutors/test-runs/:id',
    operationId: 'getTutorTestRun',
    access: staffOfCourse(200),
    tag: 'tutor-tests',
    summary: 'A tutor test run: its status and, once graded, the result as staff see a hand-in\'s (`view=report` or `view=testSummary`); 410 past its time-to-live',
    params: { id: uuidParam('Test run') },
    query: ZResultQuery,
    responses: {
      200: json('The test run.', ZTutorTestRunBody),
      ...errors({
        400: 'Invalid query.',
        404: 'No such test run (never started, or forgotten by Temporal), or not one of the caller\'s courses (tutor or higher).',
        410: 'The test run existed and expired (TUTOR_TEST_TTL_SECONDS after its start); `details.expiredAt`.',
      }),
    },
    handler: async ({ res, deps, user, params: { id }, query: { view } }) => {
      const { handle, description, memo, expiresAt } = await visibleTestRun(deps, user, id);
      const base = {
        id,
        workflow_id: description.workflowId,
        course_content_id: memo.courseContentId!,
        score: null as number | null,
        passed: null as boolean | null,
        summary: null as { total: number; passed: number | null; failed: number | null; skipped: number | null } | null,
        message: null as string | null,
        report_key: null as string | null,
        provenance: null as TTutorTestResult['provenance'] | null,
        created_at: description.startTime.toISOString(),
        started_at: null as string | null,
        finished_at: description.closeTime?.toISOString() ?? null,
        expires_at: expiresAt.toISOString(),
      };
      const status = description.status.name;
      if (status === 'RUNNING') {
        const grading = (description.raw.pendingActivities ?? []).some((a) => Number(a.state) === ACTIVITY_STARTED);
        res.json({ ...base, status: grading ? 'running' : 'pending', collectionSummary: null, report: null });
        return;
      }
      if (status !== 'COMPLETED') {
        const message = await handle.result().then(
          () => null,
          (error: unknown) => failureOf(error).message,
        );
        res.json({ ...base, status: status === 'CANCELLED' ? 'cancelled' : 'failed', message: message ?? `The test run ended ${status.toLowerCase()}.`, collectionSummary: null, report: null });
        return;
      }
      const result = (await handle.result()) as TTutorTestResult;
      const report = await deps.storage.getJson<TGradingReport>(result.reportKey).catch((error: unknown) => {
        if (error instanceof ObjectNotFoundError) return null;
        throw error;
      });
      const graded = {
        ...base,
        status: 'completed' as const,
        score: result.score,
        passed: result.passed,
        summary: result.summary,
        message: result.message,
        report_key: result.reportKey,
        provenance: result.provenance,
        started_at: result.startedAt,
        finished_at: result.finishedAt,
      };
      if (view === 'testSummary') {
        res.json({ ...graded, testSummary: report ? toTestSummary(report) : null });
        return;
      }
      res.json({ ...graded, collectionSummary: report?.collectionSummary ?? result.collectionSummary, report });
    },
  }),
];
