import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  createContentFixture,
  createCourseFixture,
  repoRoot,
  startWorkerProcess,
  uploadExampleFixture,
  type CourseFixture,
  type ExampleFixture,
  type SpawnedProcess,
} from '@computor/test-support';
import { writeTar } from '@computor/archive';
import { createApiToken } from '@computor/db';
import type { Client } from '@temporalio/client';
import request from 'supertest';
import type { ApiDeps } from './deps';
import { startApiHarness, type ApiHarness } from './test/api-harness';

// Submission testing end to end: the API in-process, the real worker CLI on computor-testing (its
// own Temporal namespace and work directory), PostgreSQL, object storage and the sandbox.

jest.setTimeout(180_000);

const CORPUS = path.resolve(repoRoot(), '../shared/conformance/computor-examples');
const verdicts = JSON.parse(fs.readFileSync(path.join(CORPUS, '../original-engine-verdicts.json'), 'utf8')) as Record<string, Record<string, { failed_checks: string[] } | null>>;
const exampleDir = (name: string) => path.join(CORPUS, name.split('.').slice(0, 3).join('.'), name);
const ALL_EXAMPLES = fs
  .readdirSync(CORPUS)
  .filter((g) => fs.statSync(path.join(CORPUS, g)).isDirectory())
  .flatMap((g) => fs.readdirSync(path.join(CORPUS, g)))
  .sort();

let harness: ApiHarness;
let deps: ApiDeps;
let client: Client;
let namespace: string;
let worker: SpawnedProcess & { identity: string };
let app: ApiHarness['app'];
let course: CourseFixture;
let student2: { id: string; token: string; memberId: string };
let workDir: string;
const examples = new Map<string, ExampleFixture>();
const contents = new Map<string, string>();

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const WORKER_ENV = () => ({ GRADER_WORK_DIR: workDir, GRADER_MAX_WALL_SECONDS: '5', GRADER_UID_BASE: '62000', WORKER_METRICS_PORT: '0' });

// ---------- archives (writeTar writes entries ordinary tools refuse to: links, hostile names) ----------

type TEntry = { path: string; data?: Buffer | string; symlink?: string };

function tarGz(entries: TEntry[]): Buffer {
  return gzipSync(
    writeTar(entries.map((e) => (e.symlink !== undefined ? { name: e.path, type: '2', linkname: e.symlink } : { name: e.path, data: Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data ?? '') }))),
  );
}

function dirEntries(dir: string): TEntry[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const full = path.join(e.parentPath, e.name);
      return { path: path.relative(dir, full), data: fs.readFileSync(full) };
    });
}

// ---------- API helpers ----------

async function submit(token: string, contentId: string, archive: Buffer) {
  return request(app).post('/submissions').set(auth(token)).field('course_content_id', contentId).attach('archive', archive, 'hand-in.tar.gz');
}

async function outcome(workflowId: string): Promise<{ status: 'completed'; result: any } | { status: 'failed' | 'cancelled'; message: string }> {
  try {
    return { status: 'completed', result: await client.workflow.getHandle(workflowId).result() };
  } catch (error) {
    const messages: string[] = [];
    for (let e: any = error; e; e = e.cause) messages.push(e.message);
    const description = await client.workflow.getHandle(workflowId).describe();
    return { status: description.status.name === 'CANCELLED' ? 'cancelled' : 'failed', message: messages.join(' <- ') };
  }
}

/** Uploads a hand-in, starts a test run, waits for it and answers the stored result. */
async function gradeThroughApi(contentId: string, entries: TEntry[], token = course.users.student!.token) {
  const upload = await submit(token, contentId, tarGz(entries));
  expect(upload.status).toBe(201);
  const started = await request(app).post(`/submissions/${upload.body.id}/test`).set(auth(token));
  expect(started.status).toBe(202);
  expect(started.body.workflow_id).toBe(`test-submission-${started.body.result_id}`);
  const done = await outcome(started.body.workflow_id);
  const result = await request(app).get(`/results/${started.body.result_id}`).set(auth(token));
  expect(result.status).toBe(200);
  return { upload: upload.body, started: started.body, done, result: result.body };
}

const notPassed = (report: any): string[] =>
  report.collections.flatMap((c: any) => c.checks.filter((k: any) => k.status !== 'passed').map((k: any) => `${c.name} / ${k.name}`)).sort();

async function objectCount(prefix: string): Promise<number> {
  return (await deps.storage.list(prefix)).length;
}

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-grading-test-'));
  harness = await startApiHarness();
  ({ deps, client, namespace, app } = harness);
  const [started, fixture] = await Promise.all([
    startWorkerProcess({ namespace, queues: ['computor-testing'], env: WORKER_ENV() }),
    createCourseFixture(deps.db, { gitlabUrl: 'http://127.0.0.1:9', parentGroupId: 1 }),
  ]);
  worker = started;
  course = fixture;
  const user = await deps.db.user.create({ data: { email: `s2-${course.courseId}@example.test`, username: `s2-${course.courseId.slice(0, 8)}` } });
  const member = await deps.db.courseMember.create({ data: { courseId: course.courseId, userId: user.id, role: 'student' } });
  student2 = { id: user.id, token: (await createApiToken(deps.db, { userId: user.id, name: 'test' })).token, memberId: member.id };
  for (const name of ALL_EXAMPLES) {
    const fixtureExample = await uploadExampleFixture(deps.db, deps.storage, exampleDir(name));
    examples.set(name, fixtureExample);
    contents.set(name, (await createContentFixture(deps.db, { courseId: course.courseId, exampleVersionId: fixtureExample.exampleVersionId })).id);
  }
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await harness?.close();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

describe('conformance through the API and the workflow', () => {
  it.each([
    ['itpcp.pgph.c.hello_world', 'correctSolution'],
    ['itpcp.pgph.c.hello_world', 'wrongSolution'],
    ['itpcp.pgph.c.calculator', 'wrongSolution'],
    ['itpcp.pgph.py.slogic', 'correctSolution'],
    ['itpcp.pgph.py.slogic', 'studentSolution'],
  ])('%s %s agrees with the original engine', async (name, handIn) => {
    const { upload, started, done, result } = await gradeThroughApi(contents.get(name)!, dirEntries(path.join(exampleDir(name), 'localTests', handIn)));
    expect(done).toMatchObject({ status: 'completed', result: { submission_id: upload.id, result_id: started.result_id } });
    expect(result).toMatchObject({ status: 'completed', submission_id: upload.id, report_key: `results/${started.result_id}/report.json` });
    const expected = verdicts[name]![handIn]!.failed_checks.slice().sort();
    expect(notPassed(result.report)).toEqual(expected);
    expect(result.score).toBe(expected.length === 0 ? 1 : result.report.score);
    if (expected.length) expect(result.score).toBeLessThan(1);
    expect(result.summary).toEqual(result.report.summary);
    expect((done as any).result.score).toBe(result.score);
    // Per-check detail and the Computor view are stored next to each other.
    expect(result.report.collections[0].checks[0]).toEqual(expect.objectContaining({ name: expect.any(String), status: expect.any(String), message: expect.any(String) }));
    const summary = await request(app).get(`/results/${started.result_id}?view=testSummary`).set(auth(course.users.student!.token));
    expect(summary.body.testSummary).toMatchObject({ status: 'COMPLETED', result: expected.length ? 'FAILED' : 'PASSED', summary: result.report.summary });
    // The report alone: the testSummary view is derived from it.
    expect(await objectCount(`results/${started.result_id}/`)).toBe(1);
    // Provenance: what produced the score, for staff; students read null.
    expect(result.provenance).toBeNull();
    const staffView = await request(app).get(`/results/${started.result_id}`).set(auth(course.users.lecturer!.token));
    const fixture = examples.get(name)!;
    const artifact = await deps.db.submissionArtifact.findUniqueOrThrow({ where: { id: upload.id } });
    expect(staffView.body.provenance).toEqual({
      submission: { id: upload.id, contentHash: artifact.contentHash, commit: null },
      example: { versionId: fixture.exampleVersionId, contentHash: expect.stringMatching(/^[0-9a-f]{64}$/) },
      grader: expect.stringMatching(/^@computor\/grader@/),
      language: name.includes('.c.') ? 'c' : 'python',
      runtimes: [expect.stringMatching(name.includes('.c.') ? /^gcc / : /Python/)],
      workers: [worker.identity],
    });
  });

  it('verifies every conformance example: the reference scores 1.0 and every hand-in gets a result', async () => {
    const lecturer = course.users.lecturer!.token;
    const runs = await Promise.all(
      ALL_EXAMPLES.map(async (name) => {
        const fixture = examples.get(name)!;
        const res = await request(app).post(`/examples/${fixture.identifier}/versions/${fixture.versionTag}/verify`).set(auth(lecturer));
        expect(res.status).toBe(202);
        return { name, fixture, workflowId: res.body.workflow_id as string };
      }),
    );
    for (const run of runs) {
      const done = await outcome(run.workflowId);
      expect(done).toMatchObject({ status: 'completed' });
      const version = await deps.db.exampleVersion.findUniqueOrThrow({ where: { id: run.fixture.exampleVersionId } });
      const report = version.verificationReport as any;
      const reference = report.handIns.find((h: any) => h.handIn === 'reference');
      // dict_und_json stores the current minute: a run straddling a minute may differ there only.
      const straddled = run.name === 'itpcp.pgph.py.dict_und_json' && reference.notPassed.every((n: string) => n.startsWith('var / data["metadata"]'));
      if (run.name === 'itpcp.pgph.jl.functions') {
        // No Julia runtime here: its runtime checks are skipped (not in the score), so it is not verified.
        expect(version.verificationStatus).toBe('failed');
        expect(reference.notPassed.length).toBeGreaterThan(0);
        for (const n of reference.notPassed) expect(n).toMatch(/: skipped: Julia runtime not installed/);
      } else if (run.name === 'itpcp.pgph.doc.essay_requirements') {
        // Its root holds no essay (conformance README, D6): the reference as uploaded cannot pass.
        expect(version.verificationStatus).toBe('failed');
      } else if (!straddled) {
        expect({ name: run.name, status: version.verificationStatus, score: reference.score }).toEqual({ name: run.name, status: 'verified', score: 1 });
      }
      const localTests = fs.readdirSync(path.join(exampleDir(run.name), 'localTests')).map((h) => `localTests/${h}`).sort();
      expect(report.handIns.map((h: any) => h.handIn)).toEqual(['reference', ...localTests]);
      for (const handIn of report.handIns) expect(handIn.status).toBe('completed');
    }
  });
});

describe('hostile submissions through the whole path', () => {
  const name = 'itpcp.pgph.py.vector_field';
  it.each([
    ['an infinite loop', 'while True:\n    pass\n', 'timeout'],
    ['a memory bomb', 'chunks = []\nwhile True:\n    chunks.append(bytearray(64 * 1024 * 1024))\n', 'memory_exceeded'],
  ])('%s ends in a classified result', async (_label, code, status) => {
    const { done, result } = await gradeThroughApi(contents.get(name)!, [{ path: 'vector_field.py', data: code }]);
    expect(done.status).toBe('completed');
    expect(result.status).toBe('completed');
    expect(result.score).toBe(0);
    const statuses = new Set(result.report.collections.flatMap((c: any) => c.checks.map((k: any) => k.status)));
    expect([...statuses]).toEqual([status]);
  });

  it('leaves the worker healthy: a correct hand-in still passes', async () => {
    const { result } = await gradeThroughApi(contents.get(name)!, dirEntries(path.join(exampleDir(name), 'localTests', 'correctSolution')));
    expect(result).toMatchObject({ status: 'completed', score: 1, passed: true });
  });
});

describe('POST /submissions refuses unsafe archives before storing anything', () => {
  // A tar whose one file inflates to 11 MiB of zeros (default maxFileBytes 10 MiB) from ~11 KiB.
  const bomb = gzipSync(writeTar([{ name: 'slogic.py', data: Buffer.alloc(11 * 1024 * 1024) }]));
  it.each([
    ['zip-slip', tarGz([{ path: '../../evil.py', data: 'x = 1' }]), 400, 'path_traversal'],
    ['an absolute path', tarGz([{ path: '/etc/evil.py', data: 'x = 1' }]), 400, 'absolute_path'],
    ['a symlink', tarGz([{ path: 'slogic.py', symlink: '/etc/shadow' }]), 400, 'link'],
    ['a decompression bomb', bomb, 413, undefined],
    ['not an archive', Buffer.from('just text'), 400, 'unsupported_format'],
  ])('%s', async (_label, archive, status, code) => {
    const contentId = contents.get('itpcp.pgph.py.slogic')!;
    const before = { objects: await objectCount('submissions/'), artifacts: await deps.db.submissionArtifact.count() };
    const res = await submit(course.users.student!.token, contentId, archive);
    expect(res.status).toBe(status);
    if (code) expect(res.body.error.details.code).toBe(code);
    expect({ objects: await objectCount('submissions/'), artifacts: await deps.db.submissionArtifact.count() }).toEqual(before);
  });

  it('answers 413 past the upload cap and 400 for a malformed form', async () => {
    const contentId = contents.get('itpcp.pgph.py.slogic')!;
    expect((await submit(course.users.student!.token, contentId, Buffer.alloc(2 * 1024 * 1024, 1))).status).toBe(413);
    const noFile = await request(app).post('/submissions').set(auth(course.users.student!.token)).field('course_content_id', contentId);
    expect(noFile.status).toBe(400);
    const badId = await submit(course.users.student!.token, 'nope', tarGz([{ path: 'slogic.py', data: 'x=1' }]));
    expect(badId.status).toBe(400);
    expect(badId.body.error.details.fields[0].path).toBe('course_content_id');
  });
});

describe('permissions', () => {
  it('lets students hand in and see only their own; staff see the course, outsiders nothing', async () => {
    const contentId = contents.get('itpcp.pgph.c.hello_world')!;
    const archive = tarGz(dirEntries(path.join(exampleDir('itpcp.pgph.c.hello_world'), 'localTests', 'correctSolution')));
    expect((await request(app).post('/submissions').field('course_content_id', contentId).attach('archive', archive, 'a.tgz')).status).toBe(401);
    expect((await submit(course.users.outsider!.token, contentId, archive)).status).toBe(404);
    expect((await submit(course.users.tutor!.token, contentId, archive)).status).toBe(403);
    expect((await submit(course.users.lecturer!.token, contentId, archive)).status).toBe(403);
    const own = await submit(course.users.student!.token, contentId, archive);
    expect(own.status).toBe(201);
    expect(own.body.files).toEqual(['hello.c']);

    const test = (token: string) => request(app).post(`/submissions/${own.body.id}/test`).set(auth(token));
    expect((await test(course.users.outsider!.token)).status).toBe(404);
    expect((await test(student2.token)).status).toBe(404);
    expect((await test(course.users.tutor!.token)).status).toBe(403);
    const started = await test(course.users.student!.token);
    expect(started.status).toBe(202);
    await outcome(started.body.workflow_id);

    const get = (url: string, token: string) => request(app).get(url).set(auth(token));
    for (const url of [`/results/${started.body.result_id}`, `/submissions/${own.body.id}`]) {
      expect((await get(url, course.users.student!.token)).status).toBe(200);
      expect((await get(url, course.users.tutor!.token)).status).toBe(200);
      expect((await get(url, course.users.lecturer!.token)).status).toBe(200);
      expect((await get(url, course.users.admin!.token)).status).toBe(200);
      expect((await get(url, student2.token)).status).toBe(404);
      expect((await get(url, course.users.outsider!.token)).status).toBe(404);
    }
    expect((await get(`/results/00000000-0000-4000-8000-000000000000`, course.users.admin!.token)).status).toBe(404);

    const fixture = examples.get('itpcp.pgph.c.hello_world')!;
    const verify = (token: string) => request(app).post(`/examples/${fixture.exampleId}/versions/${fixture.versionTag}/verify`).set(auth(token));
    // Students may not even read the course's examples (404); tutors read but do not verify (403).
    expect((await verify(course.users.student!.token)).status).toBe(404);
    expect((await verify(course.users.tutor!.token)).status).toBe(403);
    expect((await request(app).post(`/examples/${fixture.exampleId}/versions/nope/verify`).set(auth(course.users.lecturer!.token))).status).toBe(404);
  });
});

describe('metrics', () => {
  it('exposes grading outcomes, activity durations, Temporal SDK series and HTTP latencies after grading runs', async () => {
    const port = JSON.parse(worker.output().split('\n').find((l) => l.includes('metrics listening'))!).port as number;
    expect(port).toBeGreaterThan(0);
    const workerMetrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(workerMetrics).toMatch(/computor_grading_checks_total\{status="passed"\} [1-9]/);
    expect(workerMetrics).toMatch(/computor_grading_checks_total\{status="failed"\} [1-9]/);
    expect(workerMetrics).toMatch(/computor_activity_duration_seconds_count\{activity="gradeSubmissionCollection",outcome="completed"\} [1-9]/);
    expect(workerMetrics).toMatch(/^temporal_[a-z_]+/m);
    const apiMetrics = await request(app).get('/metrics');
    expect(apiMetrics.status).toBe(200);
    expect(apiMetrics.text).toMatch(/computor_http_request_duration_seconds_bucket\{[^}]*route="\/submissions\/:id\/test"[^}]*status="202"/);
    expect(apiMetrics.text).toMatch(/computor_workflow_runs\{type="testSubmissionWorkflow",status="completed"\} [1-9]/);
  });
});

describe('test runs', () => {
  it('enforces maxTestRuns with 429', async () => {
    const version = examples.get('itpcp.pgph.c.hello_world')!.exampleVersionId;
    const content = await createContentFixture(deps.db, { courseId: course.courseId, exampleVersionId: version, maxTestRuns: 1 });
    const upload = await submit(student2.token, content.id, tarGz(dirEntries(path.join(exampleDir('itpcp.pgph.c.hello_world'), 'localTests', 'correctSolution'))));
    const [a, b] = await Promise.all([
      request(app).post(`/submissions/${upload.body.id}/test`).set(auth(student2.token)),
      request(app).post(`/submissions/${upload.body.id}/test`).set(auth(student2.token)),
    ]);
    expect([a.status, b.status].sort()).toEqual([202, 429]);
    const refused = a.status === 429 ? a : b;
    expect(refused.body.error).toMatchObject({ code: 'too_many_requests', details: { maxTestRuns: 1, used: 1 } });
    expect(refused.body.error.message).toMatch(/maximum number of test runs/);
    expect(await deps.db.result.count({ where: { courseContentId: content.id } })).toBe(1);
  });

  it('marks the result failed (no report) when grading cannot happen, and cancelled when cancelled', async () => {
    const contentId = contents.get('itpcp.pgph.py.vector_field')!;
    const upload = await submit(course.users.student!.token, contentId, tarGz([{ path: 'vector_field.py', data: 'x = 1\n' }]));
    // The stored files vanish: an infrastructure problem, not the student's failure.
    await deps.storage.deletePrefix(`submissions/${upload.body.id}/`);
    const started = await request(app).post(`/submissions/${upload.body.id}/test`).set(auth(course.users.student!.token));
    expect(await outcome(started.body.workflow_id)).toMatchObject({ status: 'failed', message: expect.stringMatching(/no files under/) });
    const failed = await deps.db.result.findUniqueOrThrow({ where: { id: started.body.result_id } });
    expect(failed).toMatchObject({ status: 'failed', reportKey: null, score: null });
    // The cause names storage keys: the student who started it reads a plain sentence, staff the cause.
    const asStudent = await request(app).get(`/workflows/${started.body.workflow_id}/status`).set(auth(course.users.student!.token));
    expect(asStudent.body.failure.message).toMatch(/outside your hand-in/);
    expect(JSON.stringify(asStudent.body)).not.toMatch(/no files under|submissions\//);
    const listed = await request(app).get('/workflows').query({ type: 'testSubmissionWorkflow', limit: 100 }).set(auth(course.users.student!.token));
    expect(JSON.stringify(listed.body.items.find((i: any) => i.workflow_id === started.body.workflow_id))).not.toMatch(/no files under|submissions\//);
    const asTutor = await request(app).get(`/workflows/${started.body.workflow_id}/status`).set(auth(course.users.tutor!.token));
    expect(asTutor.body.failure.message).toMatch(/no files under/);

    const looping = await submit(course.users.student!.token, contentId, tarGz([{ path: 'vector_field.py', data: 'while True:\n    pass\n' }]));
    const run = await request(app).post(`/submissions/${looping.body.id}/test`).set(auth(course.users.student!.token));
    for (let i = 0; i < 100 && (await deps.db.result.findUniqueOrThrow({ where: { id: run.body.result_id } })).status !== 'running'; i++) await new Promise((r) => setTimeout(r, 100));
    await client.workflow.getHandle(run.body.workflow_id).cancel();
    expect(await outcome(run.body.workflow_id)).toMatchObject({ status: 'cancelled' });
    expect(await deps.db.result.findUniqueOrThrow({ where: { id: run.body.result_id } })).toMatchObject({ status: 'cancelled', reportKey: null });
    expect(await objectCount(`results/${run.body.result_id}/`)).toBe(0);
  });

  it('survives the worker killed with SIGKILL mid-grading three times: lost workers do not use up the attempts, exactly one stored result', async () => {
    const contentId = contents.get('itpcp.pgph.py.vector_field')!;
    const correct = fs.readFileSync(path.join(exampleDir('itpcp.pgph.py.vector_field'), 'localTests', 'correctSolution', 'vector_field.py'), 'utf8');
    // Slow enough to be caught mid-run, fast enough to finish within the wall limit.
    const upload = await submit(course.users.student!.token, contentId, tarGz([{ path: 'vector_field.py', data: `import time\ntime.sleep(2)\n${correct}` }]));
    const run = await request(app).post(`/submissions/${upload.body.id}/test`).set(auth(course.users.student!.token));
    const handle = client.workflow.getHandle(run.body.workflow_id);
    const killed = new Set<string>();
    // Three kills: with a shared budget of three attempts the third would have failed the run.
    for (let kill = 0; kill < 3; kill++) {
      let runningAttempt: string | undefined;
      for (let i = 0; i < 800 && !runningAttempt; i++) {
        // Started events reach the history only when an attempt ends: ask for the pending activities.
        const pending = (await handle.describe()).raw.pendingActivities ?? [];
        runningAttempt = pending.find((a) => a.activityType?.name === 'gradeSubmissionCollection' && a.state === 2 && !killed.has(a.activityId ?? ''))?.activityId ?? undefined;
        if (!runningAttempt) await new Promise((r) => setTimeout(r, 50));
      }
      expect(runningAttempt).toBeDefined();
      killed.add(runningAttempt!);
      await worker.kill('SIGKILL');
      worker = await startWorkerProcess({ namespace, queues: ['computor-testing'], env: WORKER_ENV() });
    }
    const done = await outcome(run.body.workflow_id);
    expect(done).toMatchObject({ status: 'completed', result: { score: 1, passed: true } });
    const rows = await deps.db.result.findMany({ where: { artifactId: upload.body.id } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'completed', score: 1, reportKey: `results/${run.body.result_id}/report.json` });
    expect(await objectCount(`results/${run.body.result_id}/`)).toBe(1);
  });
});
