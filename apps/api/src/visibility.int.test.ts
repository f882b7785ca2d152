import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeTar } from '@computor/archive';
import {
  createContentFixture,
  createCourseFixture,
  startWorkerProcess,
  uploadExampleFixture,
  type CourseFixture,
  type SpawnedProcess,
} from '@computor/test-support';
import type { Client } from '@temporalio/client';
import request from 'supertest';
import type { ApiDeps } from './deps';
import { startApiHarness, type ApiHarness } from './test/api-harness';

// Collection visibility (meta.yaml `visibility`, `visibilityByCollection`): before the student's
// effective due time they see the `always` collection only, scored over it, with the rest counted;
// after it `always` + `afterDue`; `never` is for staff only, never shown nor scored for students.
// Real API, worker, sandbox, PostgreSQL and object storage.

jest.setTimeout(180_000);

const STAFF_ONLY = 'StaffOnly-9q2';

const TEST_YAML = `type: python
name: collection visibility
properties:
  tests:
  - name: Checks
    type: variable
    entryPoint: main.py
    tests: [{name: x}, {name: y}]
  - name: Later
    type: variable
    entryPoint: main.py
    tests: [{name: z}, {name: w}, {name: q}]
  - name: ${STAFF_ONLY}
    id: staff
    type: variable
    entryPoint: main.py
    tests: [{name: v}, {name: u}, {name: t}]
`;

const META = `slug: collection-visibility
version: '1.0'
title: Collection visibility
properties:
  studentSubmissionFiles: [main.py]
  executionBackend:
    slug: itpcp.exec.py
    settings: {visibility: afterDue, visibilityByCollection: {Checks: always, staff: never}}
`;

const REFERENCE = 'x, y = 1, 2\nz, w, q = 3, 4, 5\nv, u, t = 6, 7, 8\n';
// Checks 1 of 2, Later 2 of 3, staff-only 2 of 3: 5 of 8 stored.
const HAND_IN = 'x, y = 1, 0\nz, w, q = 3, 0, 5\nv, u, t = 6, 0, 8\n';

let harness: ApiHarness;
let deps: ApiDeps;
let client: Client;
let worker: SpawnedProcess & { identity: string };
let app: ApiHarness['app'];
let course: CourseFixture;
let workDir: string;
let contentId: string;
let submissionId: string;
let resultId: string;

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const as = (role: string) => auth(course.users[role]!.token);
const getResult = (role: string, view: 'report' | 'testSummary' = 'report') => request(app).get(`/results/${resultId}?view=${view}`).set(as(role));
const lineOf = (body: any) => body.results.find((r: any) => r.id === resultId);
const listed = async (role: string) => {
  const response = await request(app).get(`/courses/${course.courseId}/contents/${contentId}/submissions`).set(as(role));
  expect(response.status).toBe(200);
  return response.body.items.flatMap((i: any) => i.results).find((r: any) => r.id === resultId);
};
const submissionLine = async (role: string) => {
  const response = await request(app).get(`/submissions/${submissionId}`).set(as(role));
  expect(response.status).toBe(200);
  return lineOf(response.body);
};
const setDue = (dueAt: Date | null) => deps.db.courseContent.update({ where: { id: contentId }, data: { dueAt } });
const hours = (n: number) => new Date(Date.now() + n * 3_600_000);

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-collection-visibility-'));
  harness = await startApiHarness();
  ({ deps, client, app } = harness);
  const [started, fixture] = await Promise.all([
    startWorkerProcess({ namespace: harness.namespace, queues: ['computor-testing'], env: { GRADER_WORK_DIR: path.join(workDir, 'worker'), GRADER_MAX_WALL_SECONDS: '10', GRADER_UID_BASE: '62440', WORKER_METRICS_PORT: '0' } }),
    createCourseFixture(deps.db, { gitlabUrl: 'http://127.0.0.1:9', parentGroupId: 1 }),
  ]);
  worker = started;
  course = fixture;
  const dir = path.join(workDir, 'example');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'meta.yaml'), META);
  fs.writeFileSync(path.join(dir, 'test.yaml'), TEST_YAML);
  fs.writeFileSync(path.join(dir, 'main.py'), REFERENCE);
  const example = await uploadExampleFixture(deps.db, deps.storage, dir, { identifier: `collection-visibility-${course.courseId.slice(0, 8)}`, courseId: course.courseId });
  contentId = (await createContentFixture(deps.db, { courseId: course.courseId, exampleVersionId: example.exampleVersionId, path: 'collection_visibility' })).id;
  await setDue(hours(48));

  const upload = await request(app)
    .post('/submissions')
    .set(as('student'))
    .field('course_content_id', contentId)
    .attach('archive', gzipSync(writeTar([{ name: 'main.py', data: Buffer.from(HAND_IN) }])), 'hand-in.tar.gz');
  expect(upload.status).toBe(201);
  submissionId = upload.body.id;
  const started2 = await request(app).post(`/submissions/${submissionId}/test`).set(as('student'));
  expect(started2.status).toBe(202);
  resultId = started2.body.result_id;
  await client.workflow.getHandle(started2.body.workflow_id).result();
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await harness?.close();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

describe('collection visibility', () => {
  test('the grader stamps every collection; the stored row keeps per-visibility tallies', async () => {
    const row = await deps.db.result.findUniqueOrThrow({ where: { id: resultId } });
    expect(row).toMatchObject({ status: 'completed', score: 5 / 8, checksTotal: 8, checksPassed: 5 });
    expect((row.summary as any).byVisibility).toEqual({
      always: { total: 2, passed: 1, failed: 1, skipped: 0, scored: 2 },
      afterDue: { total: 3, passed: 2, failed: 1, skipped: 0, scored: 3 },
      never: { total: 3, passed: 2, failed: 1, skipped: 0, scored: 3 },
    });
    const stored = await deps.storage.getJson<any>(row.reportKey!);
    expect(stored.collections.map((c: any) => [c.name, c.visibility])).toEqual([
      ['Checks', 'always'],
      ['Later', 'afterDue'],
      [STAFF_ONLY, 'never'],
    ]);
  });

  test('before the due time the student sees the `always` collection, a score over it and how many checks follow', async () => {
    const response = await getResult('student');
    expect(response.status).toBe(200);
    const { body } = response;
    expect(body.report.collections.map((c: any) => [c.name, c.visibility])).toEqual([['Checks', 'always']]);
    expect(body).toMatchObject({ score: 0.5, passed: false, summary: { total: 2, passed: 1, failed: 1, skipped: 0 }, message: '1 of 2 tests passed' });
    expect(body.report).toMatchObject({ score: 0.5, passed: false, summary: { total: 2, passed: 1 }, collectionSummary: { total: 1, passed: 0, failed: 1, skipped: 0 } });
    expect(body.collectionSummary).toEqual({ total: 1, passed: 0, failed: 1, skipped: 0 });
    const hidden = { afterDue: 3, never: 3, message: '3 checks will be graded and shown after the due time and count in the score then; 3 checks are for the course staff only and not part of this score.' };
    expect(body.hidden).toEqual(hidden);
    expect(body.report.hidden).toEqual(hidden);
    expect(response.text).not.toContain(STAFF_ONLY);
    expect(response.text).not.toContain('Later');

    const summary = await getResult('student', 'testSummary');
    expect(summary.body.testSummary.tests.map((c: any) => c.name)).toEqual(['Checks']);
    expect(summary.body.testSummary.summary).toEqual({ total: 2, passed: 1, failed: 1, skipped: 0 });

    for (const line of [await listed('student'), await submissionLine('student')]) {
      expect(line).toMatchObject({ score: 0.5, passed: false, hidden });
    }
  });

  test('staff see every collection and the stored score, at any time', async () => {
    for (const role of ['tutor', 'lecturer', 'admin']) {
      const { body } = await getResult(role);
      expect(body.report.collections.map((c: any) => c.name)).toEqual(['Checks', 'Later', STAFF_ONLY]);
      expect(body).toMatchObject({ score: 5 / 8, summary: { total: 8, passed: 5 }, message: '5 of 8 tests passed' });
      expect(body.hidden).toBeUndefined();
      expect(body.report.hidden).toBeUndefined();
    }
    for (const line of [await listed('tutor'), await submissionLine('lecturer')]) {
      expect(line.score).toBe(5 / 8);
      expect(line.hidden).toBeUndefined();
    }
  });

  test('after the due time the student sees `always` and `afterDue`; `never` stays hidden and unscored', async () => {
    await setDue(hours(-1));
    const { body, text } = await getResult('student');
    expect(body.report.collections.map((c: any) => [c.name, c.visibility])).toEqual([
      ['Checks', 'always'],
      ['Later', 'afterDue'],
    ]);
    expect(body).toMatchObject({ score: 3 / 5, passed: false, summary: { total: 5, passed: 3, failed: 2, skipped: 0 }, message: '3 of 5 tests passed' });
    expect(body.report.score).toBe(3 / 5);
    const hidden = { afterDue: 0, never: 3, message: '3 checks are for the course staff only and not part of this score.' };
    expect(body.hidden).toEqual(hidden);
    expect(text).not.toContain(STAFF_ONLY);
    for (const line of [await listed('student'), await submissionLine('student')]) expect(line).toMatchObject({ score: 3 / 5, hidden });
    expect((await getResult('tutor')).body.report.collections).toHaveLength(3);
  });

  test('the student\'s effective due time counts: an extension hides `afterDue` again until it passes', async () => {
    await deps.db.deadlineExtension.create({
      data: { courseContentId: contentId, courseMemberId: course.users.student!.memberId!, dueAt: hours(24), createdById: course.users.lecturer!.id },
    });
    const { body } = await getResult('student');
    expect(body.report.collections.map((c: any) => c.name)).toEqual(['Checks']);
    expect(body).toMatchObject({ score: 0.5, hidden: { afterDue: 3, never: 3 } });
    expect(await listed('student')).toMatchObject({ score: 0.5, hidden: { afterDue: 3, never: 3 } });
  });

  test('no due time: `afterDue` reads as `always`', async () => {
    await deps.db.deadlineExtension.deleteMany({ where: { courseContentId: contentId } });
    await setDue(null);
    const { body } = await getResult('student');
    expect(body.report.collections.map((c: any) => c.name)).toEqual(['Checks', 'Later']);
    expect(body).toMatchObject({ score: 3 / 5, hidden: { afterDue: 0, never: 3 } });
  });
});
