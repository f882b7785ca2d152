import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeTar } from '@computor/archive';
import { createApiToken } from '@computor/db';
import { createContentFixture, createCourseFixture, startWorkerProcess, uniq, uploadExampleFixture, type CourseFixture, type SpawnedProcess } from '@computor/test-support';
import type { Client } from '@temporalio/client';
import request from 'supertest';
import type { ApiDeps } from './deps';
import { startApiHarness, type ApiHarness } from './test/api-harness';

// Regrades end to end: the API starts one, the real workers (computor-tasks runs the batch,
// computor-testing grades at the regrade's lower priority), a preview staff compare, publish or
// discard; students see nothing of it before it is published, and a first-time hand-in during a
// regrade does not wait for the regrade.

jest.setTimeout(300_000);

const TEST_YAML = (strict: boolean) => `type: python
name: regrade
properties:
  tests:
  - name: Variables
    type: variable
    entryPoint: main.py
    tests:
    - name: x
${strict ? '    - name: y\n' : ''}`;
const META = `slug: regrade\nversion: '1.0'\ntitle: Regrade\nproperties:\n  studentSubmissionFiles: [main.py]\n  executionBackend:\n    slug: itpcp.exec.py\n`;
const REFERENCE = 'x = 1\ny = 2\n';
// Right about x, wrong about y: passes the lenient tests, fails the strict ones.
const HAND_IN = 'x = 1\ny = 3\n';

let harness: ApiHarness;
let deps: ApiDeps;
let client: Client;
let app: ApiHarness['app'];
let workers: SpawnedProcess[] = [];
let workDir: string;
let course: CourseFixture;
let students: Array<{ token: string; id: string }>;

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const lecturer = () => auth(course.users.lecturer!.token);

function exampleDir(strict: boolean): string {
  const dir = fs.mkdtempSync(path.join(workDir, 'example-'));
  fs.writeFileSync(path.join(dir, 'meta.yaml'), META);
  fs.writeFileSync(path.join(dir, 'test.yaml'), TEST_YAML(strict));
  fs.writeFileSync(path.join(dir, 'main.py'), REFERENCE);
  return dir;
}

async function handIn(token: string, contentId: string, text = HAND_IN): Promise<{ submissionId: string; resultId: string; workflowId: string }> {
  const upload = await request(app).post('/submissions').set(auth(token)).field('course_content_id', contentId).attach('archive', gzipSync(writeTar([{ name: 'main.py', data: Buffer.from(text) }])), 'h.tar.gz');
  expect(upload.status).toBe(201);
  const test = await request(app).post(`/submissions/${upload.body.id}/test`).set(auth(token));
  expect(test.status).toBe(202);
  return { submissionId: upload.body.id, resultId: test.body.result_id, workflowId: test.body.workflow_id };
}

async function regrade(contentId: string, body: object) {
  const started = await request(app).post(`/courses/${course.courseId}/contents/${contentId}/regrades`).set(lecturer()).send(body);
  expect(started.status).toBe(202);
  return started.body as { regrade_id: string; workflow_id: string };
}

async function contentWith(strict: boolean, studentsCount: number) {
  const identifier = uniq('regrade.');
  const example = await uploadExampleFixture(deps.db, deps.storage, exampleDir(strict), { identifier, courseId: course.courseId });
  const contentId = (await createContentFixture(deps.db, { courseId: course.courseId, exampleVersionId: example.exampleVersionId })).id;
  const handIns = await Promise.all(students.slice(0, studentsCount).map((s) => handIn(s.token, contentId)));
  await Promise.all(handIns.map((h) => client.workflow.getHandle(h.workflowId).result()));
  return { contentId, identifier, handIns };
}

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-regrade-'));
  harness = await startApiHarness();
  ({ deps, client, app } = harness);
  workers = await Promise.all([
    startWorkerProcess({ namespace: harness.namespace }),
    startWorkerProcess({ namespace: harness.namespace, queues: ['computor-testing'], env: { GRADER_WORK_DIR: path.join(workDir, 'worker'), GRADER_MAX_WALL_SECONDS: '10', GRADER_UID_BASE: '63000', WORKER_METRICS_PORT: '0' } }),
  ]);
  course = await createCourseFixture(deps.db, { gitlabUrl: 'http://127.0.0.1:9', parentGroupId: 1 });
  students = [{ token: course.users.student!.token, id: course.users.student!.id }];
  for (let i = 0; i < 9; i++) {
    const user = await deps.db.user.create({ data: { email: `${uniq('rs-')}@example.test`, username: uniq('rs-') } });
    await deps.db.courseMember.create({ data: { courseId: course.courseId, userId: user.id, role: 'student' } });
    students.push({ token: (await createApiToken(deps.db, { userId: user.id, name: 'test' })).token, id: user.id });
  }
});

afterAll(async () => {
  for (const w of workers) await w.kill('SIGTERM');
  await harness?.close();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

describe('regrades', () => {
  it('reruns under changed tests as a preview students do not see, shows old and new scores and the changed checks, and publishes', async () => {
    const { contentId, handIns } = await contentWith(false, 2);
    // The lecturer makes the tests stricter: a new example version for the content.
    const strict = await uploadExampleFixture(deps.db, deps.storage, exampleDir(true), { identifier: uniq('regrade.strict.'), courseId: course.courseId });
    await deps.db.courseContent.update({ where: { id: contentId }, data: { exampleVersionId: strict.exampleVersionId } });

    const { regrade_id, workflow_id } = await regrade(contentId, { mode: 'rerun', of: 'final' });
    expect(await client.workflow.getHandle(workflow_id).result()).toMatchObject({ total: 2, done: 2, failed: 0 });
    const preview = await request(app).get(`/regrades/${regrade_id}`).set(auth(course.users.tutor!.token));
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ status: 'preview', total: 2, done: 2, failed: 0 });
    for (const item of preview.body.items) {
      expect(item).toMatchObject({ old_score: 1, new_score: 0.5, status: 'completed' });
      expect(item.changed).toEqual([{ check: 'Variables / y', old: null, new: 'failed' }]);
    }

    // Before publishing, the student sees the old result only.
    const mine = async () => (await request(app).get(`/submissions/${handIns[0]!.submissionId}`).set(auth(students[0]!.token))).body.results;
    expect((await mine()).map((r: any) => r.score)).toEqual([1]);
    expect((await request(app).get(`/regrades/${regrade_id}`).set(auth(students[0]!.token))).status).toBe(404);
    const regradeResult = await deps.db.result.findFirstOrThrow({ where: { regradeId: regrade_id, artifactId: handIns[0]!.submissionId } });
    expect((await request(app).get(`/results/${regradeResult.id}`).set(auth(students[0]!.token))).status).toBe(404);
    expect((await request(app).post(`/regrades/${regrade_id}/publish`).set(auth(course.users.tutor!.token))).status).toBe(403);

    const published = await request(app).post(`/regrades/${regrade_id}/publish`).set(lecturer());
    expect(published.status).toBe(200);
    expect(published.body.status).toBe('published');
    expect((await mine()).map((r: any) => r.score)).toEqual([1, 0.5]);
    expect((await request(app).get(`/results/${regradeResult.id}`).set(auth(students[0]!.token))).status).toBe(200);
    expect((await request(app).post(`/regrades/${regrade_id}/discard`).set(lecturer())).status).toBe(409);
  });

  it('rescores without running anything when the example version is unchanged, and a discarded regrade stays invisible', async () => {
    const { contentId, handIns } = await contentWith(false, 2);
    const runsBefore = await deps.db.workflowRun.count({ where: { type: 'testSubmissionWorkflow', courseId: course.courseId } });
    const { regrade_id, workflow_id } = await regrade(contentId, { mode: 'rescore' });
    await client.workflow.getHandle(workflow_id).result();
    expect(await deps.db.workflowRun.count({ where: { type: 'testSubmissionWorkflow', courseId: course.courseId } })).toBe(runsBefore);
    const preview = (await request(app).get(`/regrades/${regrade_id}`).set(lecturer())).body;
    expect(preview.items.map((i: any) => [i.old_score, i.new_score, i.changed])).toEqual([[1, 1, []], [1, 1, []]]);
    expect((await request(app).post(`/regrades/${regrade_id}/discard`).set(lecturer())).body.status).toBe('discarded');
    const mine = (await request(app).get(`/submissions/${handIns[0]!.submissionId}`).set(auth(students[0]!.token))).body.results;
    expect(mine).toHaveLength(1);
  });

  it('refuses a second regrade while one runs, and bad input naming the field', async () => {
    const { contentId } = await contentWith(false, 1);
    expect((await request(app).post(`/courses/${course.courseId}/contents/${contentId}/regrades`).set(lecturer()).send({ mode: 'again' })).body.error.details.fields[0].path).toBe('mode');
    await deps.db.regrade.create({ data: { courseContentId: contentId, mode: 'rerun', target: 'final', workflowId: uniq('fake-regrade-'), createdById: course.users.lecturer!.id } });
    expect((await request(app).post(`/courses/${course.courseId}/contents/${contentId}/regrades`).set(lecturer()).send({ mode: 'rerun' })).status).toBe(409);
    expect((await request(app).post(`/courses/${course.courseId}/contents/${contentId}/regrades`).set(auth(course.users.tutor!.token)).send({ mode: 'rerun' })).status).toBe(403);
  });

  it('grades a first-time hand-in during a regrade before the regrade\'s queued runs', async () => {
    const { contentId } = await contentWith(false, 10);
    const other = await contentWith(false, 0);
    const { regrade_id, workflow_id } = await regrade(contentId, { mode: 'rerun' });
    // The regrade is under way; a student hands in for another content.
    const under = async () => (await deps.db.regrade.findUniqueOrThrow({ where: { id: regrade_id } })).done;
    while ((await under()) < 1) await new Promise((r) => setTimeout(r, 100));
    const first = await handIn(students[0]!.token, other.contentId);
    await client.workflow.getHandle(first.workflowId).result();
    const doneWhenFirstFinished = await under();
    await client.workflow.getHandle(workflow_id).result();
    // At most the regrade runs already dispatched (2 in flight) finished in between.
    expect(doneWhenFirstFinished).toBeLessThanOrEqual(5);
    expect(await under()).toBe(10);
  });

  it('waits before each run while a first-time hand-in of the course is queued, and goes on once none is', async () => {
    const { contentId, handIns } = await contentWith(false, 2);
    // A first-time hand-in queued for grading (pending, with its workflow): what a deadline burst leaves in the queue.
    const artifact = await deps.db.submissionArtifact.findUniqueOrThrow({ where: { id: handIns[0]!.submissionId } });
    const queued = await deps.db.result.create({ data: { artifactId: artifact.id, submissionGroupId: artifact.submissionGroupId, courseContentId: contentId, workflowId: uniq('test-submission-queued-'), status: 'pending' } });
    const { regrade_id, workflow_id } = await regrade(contentId, { mode: 'rerun' });
    await new Promise((r) => setTimeout(r, 3_000));
    // Nothing of the regrade ran meanwhile: its first run waits.
    expect(await deps.db.result.count({ where: { regradeId: regrade_id, status: { in: ['running', 'completed'] } } })).toBe(0);
    expect((await deps.db.regrade.findUniqueOrThrow({ where: { id: regrade_id } })).done).toBe(0);
    // The queued hand-in is graded (here: ends); the regrade goes on within about a second.
    await deps.db.result.update({ where: { id: queued.id }, data: { status: 'cancelled', finishedAt: new Date() } });
    const startedAt = Date.now();
    await client.workflow.getHandle(workflow_id).result();
    expect(Date.now() - startedAt).toBeLessThan(20_000);
    expect((await deps.db.regrade.findUniqueOrThrow({ where: { id: regrade_id } })).done).toBe(2);
  });

  it('is cancelled through the workflow: the regrade says so and its unfinished runs end cancelled', async () => {
    const { contentId } = await contentWith(false, 10);
    const { regrade_id, workflow_id } = await regrade(contentId, { mode: 'rerun' });
    const cancel = await request(app).post(`/workflows/${workflow_id}/cancel`).set(lecturer());
    expect(cancel.status).toBe(202);
    await expect(client.workflow.getHandle(workflow_id).result()).rejects.toThrow();
    const row = await deps.db.regrade.findUniqueOrThrow({ where: { id: regrade_id } });
    expect(row.status).toBe('cancelled');
    expect(row.done).toBeLessThan(10);
    expect(await deps.db.result.count({ where: { regradeId: regrade_id, status: { in: ['pending', 'running'] } } })).toBe(0);
    expect((await request(app).post(`/regrades/${regrade_id}/publish`).set(lecturer())).status).toBe(409);
  });
});
