import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeTar } from '@computor/archive';
import { tutorTestStorageKeys } from '@computor/contracts';
import { createContentFixture, createCourseFixture, repoRoot, startWorkerProcess, uniq, until, uploadExampleFixture, type CourseFixture, type SpawnedProcess } from '@computor/test-support';
import type { Client } from '@temporalio/client';
import request from 'supertest';
import { createServer } from './app';
import type { ApiDeps } from './deps';
import { startApiHarness, type ApiHarness } from './test/api-harness';

// Tutor test runs end to end: the API in-process, the real worker CLI on computor-testing (the
// sandbox) and computor-tasks (retention), Temporal, object storage and PostgreSQL, which must not
// receive a single row.

jest.setTimeout(240_000);

const LAMBDA = path.resolve(repoRoot(), '../shared/conformance/computor-examples/itpcp.pgph.py/itpcp.pgph.py.lambda');
const CORRECT = fs.readFileSync(path.join(LAMBDA, 'localTests/correctSolution/lambda.py'));

let harness: ApiHarness;
let deps: ApiDeps;
let client: Client;
let worker: SpawnedProcess;
let workDir: string;
let course: CourseFixture;
let contentId: string;
let bareContentId: string;
let otherTutorToken: string;
let rowsBefore: Awaited<ReturnType<typeof rowCounts>>;

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const tarGz = (files: Record<string, Buffer | string>) => gzipSync(writeTar(Object.entries(files).map(([name, data]) => ({ name, data: Buffer.from(data) }))));
const rowCounts = async () => ({
  artifacts: await deps.db.submissionArtifact.count(),
  results: await deps.db.result.count(),
  groups: await deps.db.submissionGroup.count(),
  workflowRuns: await deps.db.workflowRun.count(),
});
const startRun = (app: ReturnType<typeof createServer>, token: string, id: string, archive = tarGz({ 'lambda.py': CORRECT })) =>
  request(app).post(`/tutors/course-contents/${id}/test`).set(auth(token)).attach('archive', archive, 'solution.tar.gz');
const objectsOf = async (testRunId: string) => (await deps.storage.list(tutorTestStorageKeys.runPrefix(testRunId))).map((o) => o.key.slice(tutorTestStorageKeys.runPrefix(testRunId).length)).sort();

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-tutor-test-'));
  harness = await startApiHarness();
  ({ deps, client } = harness);
  worker = await startWorkerProcess({
    namespace: harness.namespace,
    queues: ['computor-testing', 'computor-tasks'],
    env: { GRADER_WORK_DIR: workDir, GRADER_MAX_WALL_SECONDS: '10', GRADER_UID_BASE: '62900', WORKER_METRICS_PORT: '0', RETENTION_INTERVAL_HOURS: '0' },
  });
  course = await createCourseFixture(deps.db, { gitlabUrl: 'http://127.0.0.1:9', parentGroupId: 1 });
  const example = await uploadExampleFixture(deps.db, deps.storage, LAMBDA, { courseId: course.courseId });
  contentId = (await createContentFixture(deps.db, { courseId: course.courseId, exampleVersionId: example.exampleVersionId })).id;
  bareContentId = (await deps.db.courseContent.create({ data: { courseId: course.courseId, path: uniq('bare').replace(/-/g, '_'), title: 'No example yet' } })).id;
  // The outsider tutors another course of the same family: a staff role elsewhere, none here.
  const other = await deps.db.course.create({ data: { courseFamilyId: course.familyId, path: uniq('other-'), title: 'Other course' } });
  await deps.db.courseMember.create({ data: { courseId: other.id, userId: course.users.outsider!.id, role: 'tutor' } });
  otherTutorToken = course.users.outsider!.token;
  rowsBefore = await rowCounts();
});

afterAll(async () => {
  await worker?.kill();
  await harness?.close();
  fs.rmSync(workDir, { recursive: true, force: true });
});

describe('tutor test runs', () => {
  let testRunId: string;

  it('grades a tutor\'s upload of the correct solution like a hand-in, and serves the staff view of the result', async () => {
    const started = await startRun(harness.app, course.users.tutor!.token, contentId);
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ status: 'pending', course_content_id: contentId, workflow_id: `tutor-test-${started.body.test_run_id}` });
    testRunId = started.body.test_run_id;
    expect(new Date(started.body.expires_at).getTime() - Date.now()).toBeGreaterThan(3500_000);
    expect(await objectsOf(testRunId)).toEqual(['submission/lambda.py']);

    const done = await until('the test run graded', async () => {
      const r = await request(harness.app).get(`/tutors/test-runs/${testRunId}`).set(auth(course.users.tutor!.token));
      expect(r.status).toBe(200);
      expect(['pending', 'running', 'completed']).toContain(r.body.status);
      return r.body.status === 'completed' ? r.body : undefined;
    }, 180_000, 1000);
    expect(done).toMatchObject({ id: testRunId, status: 'completed', passed: true, score: 1, report_key: tutorTestStorageKeys.report(testRunId) });
    expect(done.summary.total).toBeGreaterThan(0);
    expect(done.summary.failed).toBe(0);
    expect(done.report.collections.length).toBeGreaterThan(0);
    // Staff view: provenance names the run's files and the worker that graded them in its sandbox.
    expect(done.provenance.submission).toMatchObject({ id: testRunId, commit: null });
    expect(done.provenance.workers).toContain((worker as SpawnedProcess & { identity: string }).identity);
    expect(await objectsOf(testRunId)).toEqual(['report.json', 'submission/lambda.py']);

    const lecturer = await request(harness.app).get(`/tutors/test-runs/${testRunId}?view=testSummary`).set(auth(course.users.lecturer!.token));
    expect(lecturer.status).toBe(200);
    expect(lecturer.body.testSummary).toMatchObject({ result: 'PASSED' });
  });

  it('refuses students of the course and staff of other courses, starting nothing', async () => {
    const student = await startRun(harness.app, course.users.student!.token, contentId);
    expect(student.status).toBe(403);
    const outsider = await startRun(harness.app, otherTutorToken, contentId);
    expect(outsider.status).toBe(404);
    expect((await request(harness.app).get(`/tutors/test-runs/${testRunId}`).set(auth(course.users.student!.token))).status).toBe(404);
    expect((await request(harness.app).get(`/tutors/test-runs/${testRunId}`).set(auth(otherTutorToken))).status).toBe(404);
  });

  it('answers bad input with 4xx naming what is wrong, starting nothing', async () => {
    const before = (await deps.storage.list('tutor-test-runs/')).length;
    const noFile = await request(harness.app).post(`/tutors/course-contents/${contentId}/test`).set(auth(course.users.tutor!.token)).field('x', 'y');
    expect(noFile.status).toBe(400);
    const noFileAtAll = await request(harness.app).post(`/tutors/course-contents/${contentId}/test`).set(auth(course.users.tutor!.token)).type('form').send('');
    expect(noFileAtAll.status).toBe(400);
    const empty = await request(harness.app).post(`/tutors/course-contents/${contentId}/test`).set(auth(course.users.tutor!.token)).attach('archive', Buffer.alloc(0), 'x.zip');
    expect(empty.status).toBe(400);
    const missing = await request(harness.app)
      .post(`/tutors/course-contents/${contentId}/test`)
      .set(auth(course.users.tutor!.token))
      .set('Content-Type', 'multipart/form-data; boundary=b')
      .send('--b--\r\n');
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.fields).toEqual([{ path: 'archive', message: 'exactly one file is required' }]);
    const unknown = await startRun(harness.app, course.users.tutor!.token, '00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe('Course content not found.');
    expect((await startRun(harness.app, course.users.tutor!.token, 'not-a-uuid')).status).toBe(404);
    const bare = await startRun(harness.app, course.users.tutor!.token, bareContentId);
    expect(bare.status).toBe(409);
    expect(bare.body.error.details).toMatchObject({ reason: 'no_example', fields: [{ path: 'id' }] });
    const hostile = await startRun(harness.app, course.users.tutor!.token, contentId, tarGz({ '../escape.py': 'x = 1' }));
    expect(hostile.status).toBe(400);
    expect((await deps.storage.list('tutor-test-runs/')).length).toBe(before);
    const never = await request(harness.app).get('/tutors/test-runs/00000000-0000-4000-8000-000000000000').set(auth(course.users.tutor!.token));
    expect(never.status).toBe(404);
  });

  it('is rate limited like hand-ins: the per-user upload budget', async () => {
    const limited = createServer({ ...deps, config: { ...deps.config, limits: { windowSeconds: 60, uploadsPerWindow: 1 } } });
    expect((await startRun(limited, course.users.student!.token, contentId)).status).toBe(403);
    const second = await startRun(limited, course.users.student!.token, contentId);
    expect(second.status).toBe(429);
    expect(second.body.error.details).toMatchObject({ limit: 1, limitOf: 'uploads' });
    // Per user: the tutor's own budget is untouched (a content without example: 409, nothing started).
    expect((await startRun(limited, course.users.tutor!.token, bareContentId)).status).toBe(409);
  });

  it('expires: 410 with a clear message once the time-to-live has passed since the start', async () => {
    const shortLived = createServer({ ...deps, config: { ...deps.config, tutorTestTtlSeconds: 4 } });
    // The run graded above, read through an API whose time-to-live it outlived.
    const old = await request(shortLived).get(`/tutors/test-runs/${testRunId}`).set(auth(course.users.tutor!.token));
    expect(old.status).toBe(410);
    expect(old.body.error).toMatchObject({ code: 'gone', details: { ttlSeconds: 4 } });
    expect(old.body.error.message).toMatch(/expired at .*kept for 4 s after they start/);
    // A run started under the short time-to-live: served at first, gone after it.
    const started = await startRun(shortLived, course.users.tutor!.token, contentId);
    expect(started.status).toBe(202);
    const fresh = await request(shortLived).get(`/tutors/test-runs/${started.body.test_run_id}`).set(auth(course.users.tutor!.token));
    expect(fresh.status).toBe(200);
    await until('410 past the time-to-live', async () => (await request(shortLived).get(`/tutors/test-runs/${started.body.test_run_id}`).set(auth(course.users.tutor!.token))).status === 410, 30_000, 500);
    // The workflow itself ends at its time-to-live (execution timeout) rather than grading for nobody.
    const handle = client.workflow.getHandle(started.body.workflow_id);
    const closed = await until('the workflow closed', async () => {
      const status = (await handle.describe()).status.name;
      return status === 'RUNNING' ? undefined : status;
    }, 30_000, 500);
    expect(['TIMED_OUT', 'COMPLETED']).toContain(closed);
  });

  it('writes no database rows', async () => {
    expect(await rowCounts()).toEqual(rowsBefore);
  });

  it('expires the stored files: the S3 server has no lifecycle rules, so the retention cleanup deletes them', async () => {
    expect(await deps.storage.ensurePrefixExpiry('tutor-test-runs/', 1)).toBe('unsupported');
    // The worker found the same at its start and leaves expiry to the retention cleanup.
    await worker.waitFor(/"by":"retention cleanup \(no lifecycle rules on this server\)".*"message":"tutor test run expiry"/, 5_000);
    const fresh = await startRun(harness.app, course.users.tutor!.token, contentId);
    expect(fresh.status).toBe(202);
    // One day by default: a sweep now leaves both runs.
    await client.workflow.execute('retentionCleanupWorkflow', { workflowId: uniq('retention-'), taskQueue: 'computor-tasks', args: [{ retentionDays: 36_500 }] });
    expect(await objectsOf(testRunId)).not.toEqual([]);
    expect(await objectsOf(fresh.body.test_run_id)).not.toEqual([]);
    // Older than the age given: deleted with their whole folder.
    await new Promise((r) => setTimeout(r, 2100));
    await client.workflow.execute('retentionCleanupWorkflow', { workflowId: uniq('retention-'), taskQueue: 'computor-tasks', args: [{ retentionDays: 36_500, tutorTestMaxAgeSeconds: 2 }] });
    expect(await objectsOf(testRunId)).toEqual([]);
    // The API still knows the run (Temporal keeps it until the time-to-live): its report is gone with the folder.
    const afterSweep = await request(harness.app).get(`/tutors/test-runs/${testRunId}`).set(auth(course.users.tutor!.token));
    expect(afterSweep.status).toBe(200);
    expect(afterSweep.body.report).toBeNull();
  });
});
