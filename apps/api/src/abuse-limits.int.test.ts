import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { writeTar } from '@computor/archive';
import { createContentFixture, createCourseFixture, stackDb, stackStorage, stackTemporal, testLogger, uniq, type CourseFixture } from '@computor/test-support';
import { Client, type Connection } from '@temporalio/client';
import type { Express } from 'express';
import request from 'supertest';
import { createServer } from './app';
import type { ApiDeps } from './deps';

// Abuse limits (issue 11, item 9) against the real API: per-user rate limits on uploads and test
// runs, a cap on open streams per user that frees a slot when the client goes away, and /metrics
// behind a token without a Temporal call per scrape. Temporal calls are counted by a client
// interceptor on the real connection; workflows start in a namespace no worker polls.

jest.setTimeout(120_000);

let deps: ApiDeps;
let connection: Connection;
let namespace: string;
let describes = 0;
let app: Express;
let server: http.Server;
let base: string;

const LIMITS = { windowSeconds: 60, uploadsPerWindow: 2, testRunsPerWindow: 1, maxStreamsPerUser: 2 };
const METRICS_TOKEN = 'metrics-token-0123456789';

beforeAll(async () => {
  ({ connection, namespace } = await stackTemporal({ isolated: true }));
  const temporal = new Client({
    connection,
    namespace,
    interceptors: {
      workflow: [
        {
          describe: (input, next) => {
            describes++;
            return next(input);
          },
        },
      ],
    },
  });
  deps = {
    db: stackDb(),
    temporal,
    storage: stackStorage(),
    logger: testLogger('api'),
    config: { maxUploadBytes: 1024 * 1024, resultWaitSeconds: 0, temporalNamespace: namespace, limits: LIMITS, metricsToken: METRICS_TOKEN, metricsRefreshSeconds: 3600 },
  };
  app = createServer(deps);
  server = await new Promise<http.Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  for await (const w of deps.temporal.workflow.list({ query: 'ExecutionStatus="Running"' })) await deps.temporal.workflow.getHandle(w.workflowId).terminate('abuse-limits test done').catch(() => undefined);
  await deps?.db.$disconnect();
  deps?.storage.destroy();
  await connection?.close();
});

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const handIn = () => gzipSync(writeTar([{ name: 'solve.py', data: Buffer.from('x = 1\n') }]));
const submit = (token: string, contentId: string) => request(app).post('/submissions').set(auth(token)).field('course_content_id', contentId).attach('archive', handIn(), 'hand-in.tar.gz');

async function course(): Promise<{ f: CourseFixture; contentId: string; student2: { id: string; token: string } }> {
  const f = await createCourseFixture(deps.db, { gitlabUrl: 'http://127.0.0.1:9', parentGroupId: 1, roles: ['lecturer', 'student'] });
  const example = await deps.db.example.create({ data: { identifier: uniq('abuse.'), title: 'Abuse', courseId: f.courseId } });
  const version = await deps.db.exampleVersion.create({ data: { exampleId: example.id, versionTag: '1', contentHash: 'h', objectPrefix: `examples/${example.identifier}/1/`, fileCount: 0, totalBytes: 0, meta: {} } });
  const content = await createContentFixture(deps.db, { courseId: f.courseId, exampleVersionId: version.id });
  const other = await createCourseFixture(deps.db, { gitlabUrl: 'http://127.0.0.1:9', parentGroupId: 1, roles: ['student'] });
  const student2 = other.users.student!;
  await deps.db.courseMember.create({ data: { courseId: f.courseId, userId: student2.id, role: 'student' } });
  return { f, contentId: content.id, student2 };
}

/** A running workflow (nobody polls its queue) the user started, recorded like the API records its own. */
async function runningWorkflow(userId: string, courseId: string): Promise<string> {
  const workflowId = uniq('abuse-probe-');
  const handle = await deps.temporal.workflow.start('abuseProbeWorkflow', { workflowId, taskQueue: uniq('nobody-'), args: [] });
  await deps.db.workflowRun.create({ data: { id: workflowId, runId: handle.firstExecutionRunId, type: 'abuseProbeWorkflow', taskQueue: 'nobody', requestedById: userId, courseId } });
  return workflowId;
}

/** Opens a raw HTTP request and resolves on its response head (SSE) or never (a waiting long poll). */
function open(path: string, token: string) {
  const req = http.get(`${base}${path}`, { headers: auth(token) });
  const head = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', reject);
  });
  // Destroying the request rejects a head never awaited: not a failure.
  head.catch(() => undefined);
  return { req, head };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('per-user rate limits', () => {
  it('answers uploads beyond the budget 429 with Retry-After, stores nothing, and leaves other users theirs', async () => {
    const { f, contentId, student2 } = await course();
    const token = f.users.student!.token;
    expect((await submit(token, contentId)).status).toBe(201);
    expect((await submit(token, contentId)).status).toBe(201);
    const artifacts = () => deps.db.submissionArtifact.count({ where: { submissionGroup: { courseContentId: contentId } } });
    const before = await artifacts();
    const refused = await submit(token, contentId);
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'too_many_requests', details: { limit: 2, windowSeconds: 60, limitOf: 'uploads' } });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers['ratelimit']).toMatch(/r=0/);
    expect(await artifacts()).toBe(before);
    // Example archives draw on the same upload budget.
    expect((await request(app).post('/examples').set(auth(token)).field('course_id', f.courseId).attach('archive', handIn(), 'x.tar.gz')).status).toBe(429);
    // Keyed by user, not by address: the other student (same client address) still uploads.
    expect((await submit(student2.token, contentId)).status).toBe(201);
  });

  it('answers test runs beyond the budget 429 with Retry-After and starts nothing', async () => {
    const { f, contentId } = await course();
    const lecturer = f.users.lecturer!.token;
    const submission = await submit(f.users.student!.token, contentId);
    expect((await request(app).post(`/submissions/${submission.body.id}/test`).set(auth(lecturer))).status).toBe(202);
    const results = () => deps.db.result.count({ where: { courseContentId: contentId } });
    const runs = () => deps.db.workflowRun.count({ where: { courseId: f.courseId } });
    const [r0, w0] = [await results(), await runs()];
    const refused = await request(app).post(`/submissions/${submission.body.id}/test`).set(auth(lecturer));
    expect(refused.status).toBe(429);
    expect(refused.body.error.details).toMatchObject({ limit: 1, limitOf: 'test runs' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect([await results(), await runs()]).toEqual([r0, w0]);
  });
});

describe('open streams per user', () => {
  it('caps event streams and waiting results at the limit, and frees a slot when the client disconnects', async () => {
    const { f } = await course();
    const student = f.users.student!;
    const workflowId = await runningWorkflow(student.id, f.courseId);
    const first = open(`/workflows/${workflowId}/events`, student.token);
    expect((await first.head).statusCode).toBe(200);
    const waiting = open(`/workflows/${workflowId}/result?wait=60`, student.token);
    await sleep(500);

    const third = await request(app).get(`/workflows/${workflowId}/events`).set(auth(student.token));
    expect(third.status).toBe(429);
    expect(third.body.error).toMatchObject({ code: 'too_many_requests', details: { maxStreamsPerUser: 2, open: 2 } });
    expect(third.headers['retry-after']).toBe('5');
    expect((await request(app).get(`/workflows/${workflowId}/result?wait=5`).set(auth(student.token))).status).toBe(429);
    // Short answers hold no slot: status and an immediate result still work.
    expect((await request(app).get(`/workflows/${workflowId}/status`).set(auth(student.token))).status).toBe(200);
    expect((await request(app).get(`/workflows/${workflowId}/result?wait=0`).set(auth(student.token))).status).toBe(200);
    // Per user: the lecturer of the course opens their own.
    const lecturers = open(`/workflows/${workflowId}/events`, f.users.lecturer!.token);
    expect((await lecturers.head).statusCode).toBe(200);

    // The client of the waiting result goes away: its slot is free again.
    waiting.req.destroy();
    let again: request.Response | undefined;
    for (let i = 0; i < 20; i++) {
      await sleep(100);
      again = await request(app).get(`/workflows/${workflowId}/result?wait=1`).set(auth(student.token));
      if (again.status !== 429) break;
    }
    expect(again!.status).toBe(200);
    first.req.destroy();
    lecturers.req.destroy();
    await sleep(300);
    const two = [open(`/workflows/${workflowId}/events`, student.token), open(`/workflows/${workflowId}/events`, student.token)];
    expect(await Promise.all(two.map(async (o) => (await o.head).statusCode))).toEqual([200, 200]);
    for (const o of two) o.req.destroy();

    // No stream outlives its client: with every client gone, the streams stop asking Temporal.
    await sleep(1_500);
    const settled = describes;
    await sleep(2_500);
    expect(describes).toBe(settled);
  });
});

describe('/metrics', () => {
  it('requires the metrics token when one is configured', async () => {
    expect((await request(app).get('/metrics')).status).toBe(401);
    expect((await request(app).get('/metrics').set(auth('wrong-token-0123456789'))).status).toBe(401);
    const ok = await request(app).get('/metrics').set(auth(METRICS_TOKEN));
    expect(ok.status).toBe(200);
    expect(ok.text).toMatch(/computor_workflow_runs\{/);
  });

  it('costs no Temporal call per scrape: the workflow gauge is refreshed at most once per interval', async () => {
    const { f } = await course();
    const workflowId = await runningWorkflow(f.users.student!.id, f.courseId);
    // A fresh app: its first scrape refreshes running rows from Temporal, later ones read the database only.
    const fresh = createServer({ ...deps, config: { ...deps.config, limits: undefined } });
    const before = describes;
    const first = await request(fresh).get('/metrics').set(auth(METRICS_TOKEN));
    expect(first.status).toBe(200);
    expect(first.text).toMatch(/computor_workflow_runs\{type="abuseProbeWorkflow",status="running"\} [1-9]/);
    const afterFirst = describes;
    expect(afterFirst).toBeGreaterThan(before);
    await deps.temporal.workflow.getHandle(workflowId).terminate('closed between scrapes');
    const scrapes = await Promise.all(Array.from({ length: 30 }, () => request(fresh).get('/metrics').set(auth(METRICS_TOKEN))));
    expect(scrapes.every((s) => s.status === 200)).toBe(true);
    expect(describes).toBe(afterFirst);
  });
});
