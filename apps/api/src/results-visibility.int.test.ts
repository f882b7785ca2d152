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
import { STUDENT_FAILED_MESSAGE } from './routes/results';

// Who sees expected values: a student reads results without the reference's values (field,
// message, testSummary view) unless the example shows them; staff of the course read everything.
// Real API, worker, sandbox, PostgreSQL and object storage; the markers below exist only in the
// reference solution and test.yaml, so finding one anywhere in a body is a leak.

jest.setTimeout(180_000);

const REF_VALUE = 'REFVALUE-7f3a';
const REF_OUTPUT = 'REFOUT-91c2';
const YAML_VALUE = 'YAMLVAL-22';
const PATTERN = 'PATTERN-5d1e';
const SECRETS = [REF_VALUE, REF_OUTPUT, YAML_VALUE, PATTERN];

const TEST_YAML = `type: python
name: visibility
properties:
  tests:
  - name: Variables
    type: variable
    entryPoint: main.py
    tests:
    - name: x
    - name: y
      value: ${YAML_VALUE}
  - name: Output
    type: stdout
    entryPoint: main.py
    tests:
    - name: whole output
      qualification: verifyEqual
    - name: greeting
      qualification: contains
      pattern: ${PATTERN}
`;

const meta = (settings: string) => `slug: visibility
version: '1.0'
title: Visibility
properties:
  studentSubmissionFiles: [main.py]
  executionBackend:
    slug: itpcp.exec.py
    settings: ${settings}
`;

const REFERENCE = `x = '${REF_VALUE}'\ny = '${YAML_VALUE}'\nprint('${REF_OUTPUT} ${PATTERN}')\n`;
// x as long as the reference's, so the value (not the length) is what differs.
const WRONG = `x = 'MINE-00000000'\ny = 'other'\nprint('hello')\n`;

let harness: ApiHarness;
let deps: ApiDeps;
let client: Client;
let worker: SpawnedProcess & { identity: string };
let app: ApiHarness['app'];
let course: CourseFixture;
let workDir: string;
const contentIds: Record<'hidden' | 'shown', string> = { hidden: '', shown: '' };

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

function exampleDir(name: string, settings: string): string {
  const dir = path.join(workDir, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'meta.yaml'), meta(settings));
  fs.writeFileSync(path.join(dir, 'test.yaml'), TEST_YAML);
  fs.writeFileSync(path.join(dir, 'main.py'), REFERENCE);
  return dir;
}

/** Hands in `main.py` as the student, runs the tests and waits for the workflow to close. */
async function gradeWrongHandIn(contentId: string): Promise<string> {
  const token = course.users.student!.token;
  const upload = await request(app)
    .post('/submissions')
    .set(auth(token))
    .field('course_content_id', contentId)
    .attach('archive', gzipSync(writeTar([{ name: 'main.py', data: Buffer.from(WRONG) }])), 'hand-in.tar.gz');
  expect(upload.status).toBe(201);
  const started = await request(app).post(`/submissions/${upload.body.id}/test`).set(auth(token));
  expect(started.status).toBe(202);
  await client.workflow.getHandle(started.body.workflow_id).result();
  return started.body.result_id as string;
}

const get = (resultId: string, role: string, view: 'report' | 'testSummary' = 'report') =>
  request(app).get(`/results/${resultId}?view=${view}`).set(auth(course.users[role]!.token));

const checksOf = (body: any) => Object.fromEntries(body.report.collections.flatMap((c: any) => c.checks.map((k: any) => [`${c.name} / ${k.name}`, k])));

const resultIds: Record<'hidden' | 'shown', string> = { hidden: '', shown: '' };

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-visibility-test-'));
  harness = await startApiHarness();
  ({ deps, client, app } = harness);
  const { namespace } = harness;
  const [started, fixture] = await Promise.all([
    startWorkerProcess({ namespace, queues: ['computor-testing'], env: { GRADER_WORK_DIR: path.join(workDir, 'worker'), GRADER_MAX_WALL_SECONDS: '10', GRADER_UID_BASE: '62400', WORKER_METRICS_PORT: '0' } }),
    createCourseFixture(deps.db, { gitlabUrl: 'http://127.0.0.1:9', parentGroupId: 1 }),
  ]);
  worker = started;
  course = fixture;
  const examples = {
    hidden: exampleDir('hidden', '{}'),
    shown: exampleDir('shown', '{expected: always, expectedByCollection: {Output: never}}'),
  };
  for (const key of ['hidden', 'shown'] as const) {
    const example = await uploadExampleFixture(deps.db, deps.storage, examples[key], { identifier: `visibility-${key}-${course.courseId.slice(0, 8)}`, courseId: course.courseId });
    contentIds[key] = (await createContentFixture(deps.db, { courseId: course.courseId, exampleVersionId: example.exampleVersionId, path: `visibility_${key}` })).id;
  }
  [resultIds.hidden, resultIds.shown] = await Promise.all([gradeWrongHandIn(contentIds.hidden), gradeWrongHandIn(contentIds.shown)]);
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await harness?.close();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

describe('an example with the default (expected: never)', () => {
  test('the student of the course finds no expected value anywhere in the report or the testSummary view', async () => {
    for (const view of ['report', 'testSummary'] as const) {
      const response = await get(resultIds.hidden, 'student', view);
      expect(response.status).toBe(200);
      for (const secret of SECRETS) expect(response.text).not.toContain(secret);
    }
    const checks = checksOf((await get(resultIds.hidden, 'student')).body);
    // Every check still failed and says so, with the student's own value.
    expect(Object.fromEntries(Object.entries(checks).map(([k, c]: [string, any]) => [k, c.status]))).toEqual({
      'Variables / x': 'failed',
      'Variables / y': 'failed',
      'Output / whole output': 'failed',
      'Output / greeting': 'failed',
    });
    expect(checks['Variables / x']).toEqual({ name: 'x', status: 'failed', message: "Variable `x` has incorrect value: `x` is 'MINE-00000000', not the expected value", actual: "'MINE-00000000'", durationMs: expect.any(Number) });
    expect(checks['Output / greeting'].message).toBe('output does not contain the expected text');
    expect((await get(resultIds.hidden, 'student')).body.report.collections.map((c: any) => c.expectedVisibility)).toEqual(['never', 'never']);
  });

  test.each(['tutor', 'lecturer', 'admin'])('%s of the course reads every expected value, in its field and the message', async (role) => {
    const response = await get(resultIds.hidden, role);
    expect(response.status).toBe(200);
    const checks = checksOf(response.body);
    expect(checks['Variables / x']).toMatchObject({ expected: `'${REF_VALUE}'`, message: `Variable \`x\` has incorrect value: \`x\` is 'MINE-00000000', expected '${REF_VALUE}'` });
    expect(checks['Variables / y'].expected).toContain(YAML_VALUE);
    expect(checks['Output / whole output'].expected).toContain(REF_OUTPUT);
    expect(checks['Output / greeting'].message).toContain(PATTERN);
    const summary = await get(resultIds.hidden, role, 'testSummary');
    expect(summary.text).toContain(REF_VALUE);
  });

  test('the stored report keeps everything; the reference run\'s output is not in it', async () => {
    const { body } = await get(resultIds.hidden, 'tutor');
    const stored = await deps.storage.getJson<any>(body.report_key);
    expect(stored.collections[0].checks[0]).toMatchObject({ expected: `'${REF_VALUE}'`, publicMessage: "Variable `x` has incorrect value: `x` is 'MINE-00000000', not the expected value" });
    expect(stored.collections.map((c: any) => c.output?.stdout)).toEqual(['hello\n', 'hello\n']);
    const outputs = JSON.stringify(stored.collections.map((c: any) => c.output));
    for (const secret of SECRETS) expect(outputs).not.toContain(secret);
  });
});

describe('an example with expected: always (and one collection overridden to never)', () => {
  test('the student sees the expected values of the shown collection only', async () => {
    const response = await get(resultIds.shown, 'student');
    expect(response.status).toBe(200);
    const checks = checksOf(response.body);
    expect(checks['Variables / x']).toMatchObject({ expected: `'${REF_VALUE}'`, message: `Variable \`x\` has incorrect value: \`x\` is 'MINE-00000000', expected '${REF_VALUE}'` });
    expect(checks['Variables / y'].expected).toContain(YAML_VALUE);
    expect(response.body.report.collections.map((c: any) => c.expectedVisibility)).toEqual(['always', 'never']);
    const output = JSON.stringify(response.body.report.collections[1]);
    expect(output).not.toContain(REF_OUTPUT);
    expect(output).not.toContain(PATTERN);
    expect((await get(resultIds.shown, 'student', 'testSummary')).text).toContain(REF_VALUE);
  });
});

describe('a result that could not be graded', () => {
  test('its cause (host paths, exception text) is for staff; the student reads a plain message', async () => {
    const hidden = await deps.db.result.findUniqueOrThrow({ where: { id: resultIds.hidden } });
    const cause = "Grading failed: collection 0 (Variables): TypeError: Cannot read properties of null (reading 'slice') at /srv/computor/grader/x.js:1";
    const failed = await deps.db.result.create({
      data: { artifactId: hidden.artifactId, submissionGroupId: hidden.submissionGroupId, courseContentId: hidden.courseContentId, workflowId: `test-submission-failed-${hidden.id}`, status: 'failed', message: cause, finishedAt: new Date() },
    });
    const student = await get(failed.id, 'student');
    expect(student.status).toBe(200);
    expect(student.body.message).toBe(STUDENT_FAILED_MESSAGE);
    expect(student.text).not.toContain('/srv/computor');
    expect(student.text).not.toContain('Cannot read properties');
    expect((await get(failed.id, 'tutor')).body.message).toBe(cause);
  });
});
