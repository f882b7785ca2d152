import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeTar } from '@computor/archive';
import { createContentFixture, createCourseFixture, startWorkerProcess, uniq, uploadExampleFixture, type CourseFixture, type SpawnedProcess } from '@computor/test-support';
import type { Client } from '@temporalio/client';
import request from 'supertest';
import type { ApiDeps } from './deps';
import { startApiHarness, type ApiHarness } from './test/api-harness';

// What grading costs each course, counted per content, and fair share between courses: every test
// run carries its course as the Temporal fairness key, so with one grading slot and course A's
// burst already waiting, course B's hand-ins are taken turn about with A's instead of after them.
// Measured here (runs of about 0.5 s): 8 of A's 11 finished after B's last with the stack's
// settings (4 of 4 runs); 2 and 5 with the server's fairness off; 1 with fairness on but the
// server's default of 4 task queue partitions, each of which is fair only within itself.

jest.setTimeout(240_000);

const META = `slug: fair\nversion: '1.0'\ntitle: Fair\nproperties:\n  studentSubmissionFiles: [main.py]\n  executionBackend:\n    slug: itpcp.exec.py\n`;
const TEST_YAML = 'type: python\nname: fair\nproperties:\n  tests:\n  - name: Variables\n    type: variable\n    entryPoint: main.py\n    tests:\n    - name: x\n';
const BURST = 12;

let harness: ApiHarness;
let deps: ApiDeps;
let client: Client;
let app: ApiHarness['app'];
let worker: SpawnedProcess;
let workDir: string;

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

async function courseWithContent(): Promise<{ course: CourseFixture; contentId: string }> {
  const course = await createCourseFixture(deps.db, { gitlabUrl: 'http://127.0.0.1:9', parentGroupId: 1 });
  const dir = fs.mkdtempSync(path.join(workDir, 'example-'));
  fs.writeFileSync(path.join(dir, 'meta.yaml'), META);
  fs.writeFileSync(path.join(dir, 'test.yaml'), TEST_YAML);
  fs.writeFileSync(path.join(dir, 'main.py'), 'x = 1\n');
  const example = await uploadExampleFixture(deps.db, deps.storage, dir, { identifier: uniq('fair.'), courseId: course.courseId });
  return { course, contentId: (await createContentFixture(deps.db, { courseId: course.courseId, exampleVersionId: example.exampleVersionId })).id };
}

async function uploads(c: { course: CourseFixture; contentId: string }, n: number): Promise<string[]> {
  const token = c.course.users.student!.token;
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const res = await request(app).post('/submissions').set(auth(token)).field('course_content_id', c.contentId).attach('archive', gzipSync(writeTar([{ name: 'main.py', data: Buffer.from(`import time\ntime.sleep(0.4)\nx = 1  # ${i}\n`) }])), 'h.tar.gz');
      expect(res.status).toBe(201);
      return res.body.id as string;
    }),
  );
}

const test = async (token: string, submissionId: string) => {
  const res = await request(app).post(`/submissions/${submissionId}/test`).set(auth(token));
  expect(res.status).toBe(202);
  return res.body as { result_id: string; workflow_id: string };
};

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-fair-'));
  harness = await startApiHarness();
  ({ deps, client, app } = harness);
  worker = await startWorkerProcess({
    namespace: harness.namespace,
    queues: ['computor-testing'],
    env: { GRADER_WORK_DIR: path.join(workDir, 'worker'), WORKER_MAX_CONCURRENT_GRADING: '1', GRADER_UID_BASE: '63200', WORKER_METRICS_PORT: '0' },
  });
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await harness?.close();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

it('counts grading seconds per course and content, and shares one grading slot fairly between two courses\' bursts', async () => {
  const a = await courseWithContent();
  const b = await courseWithContent();
  const [aIds, bIds] = await Promise.all([uploads(a, BURST), uploads(b, 2)]);
  // Warm: the example is downloaded and the reference graded once, as in steady state.
  await client.workflow.getHandle((await test(a.course.users.student!.token, aIds[0]!)).workflow_id).result();

  const burst = await Promise.all(aIds.slice(1).map((id) => test(a.course.users.student!.token, id)));
  const bArrived = Date.now();
  const others = await Promise.all(bIds.map((id) => test(b.course.users.student!.token, id)));
  await Promise.all([...burst, ...others].map((r) => client.workflow.getHandle(r.workflow_id).result()));

  const closed = async (r: { workflow_id: string }) => (await client.workflow.getHandle(r.workflow_id).describe()).closeTime!.getTime();
  const aClosed = await Promise.all(burst.map(closed));
  const bLast = Math.max(...(await Promise.all(others.map(closed))));
  // Of A's runs still waiting when B arrived, first-in-first-out would finish none after B's last;
  // turn about finishes all but the one or two that went before each of B's.
  const waiting = aClosed.filter((t) => t > bArrived).length;
  const afterB = aClosed.filter((t) => t > bLast).length;
  expect(waiting).toBeGreaterThanOrEqual(5);
  expect(afterB).toBeGreaterThanOrEqual(waiting - 3);
  const description = await client.workflow.getHandle(burst[0]!.workflow_id).describe();
  expect(description.priority).toMatchObject({ priorityKey: 3, fairnessKey: a.course.courseId });

  const usage = await request(app).get(`/courses/${a.course.courseId}/grading-usage`).set(auth(a.course.users.tutor!.token));
  expect(usage.status).toBe(200);
  expect(usage.body.contents).toEqual([expect.objectContaining({ course_content_id: a.contentId, runs: BURST, regrade_runs: 0 })]);
  expect(usage.body.contents[0].grading_seconds).toBeGreaterThan(0);
  expect(usage.body.grading_seconds).toBe(usage.body.contents[0].grading_seconds);
  expect((await request(app).get(`/courses/${a.course.courseId}/grading-usage`).set(auth(a.course.users.student!.token))).status).toBe(403);
});
