import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCourseFixture, stackDb, stackStorage, stackTemporal, startWorkerProcess, testLogger, TEST_WORKFLOWS_PATH, uniq, until, type CourseFixture, type SpawnedProcess } from '@computor/test-support';
import type { Connection } from '@temporalio/client';
import request from 'supertest';
import { createServer } from './app';
import type { ApiDeps } from './deps';

jest.setTimeout(120_000);

let deps: ApiDeps;
let connection: Connection;
let app: ReturnType<typeof createServer>;
let f: CourseFixture;
let worker: SpawnedProcess;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Starts the test-only echo workflow as if the API had started it for the course. */
async function startEcho(sleepMs: number, requestedBy = f.users.lecturer!.id) {
  const workflowId = uniq('echo-');
  await deps.db.workflowRun.create({ data: { id: workflowId, type: 'echoWorkflow', taskQueue: 'computor-tasks', requestedById: requestedBy, courseId: f.courseId } });
  await deps.temporal.workflow.start('echoWorkflow', { taskQueue: 'computor-tasks', workflowId, args: [{ message: 'hi', sleepMs }] });
  return workflowId;
}

beforeAll(async () => {
  const temporal = await stackTemporal({ isolated: true });
  connection = temporal.connection;
  deps = {
    db: stackDb(),
    temporal: temporal.client,
    storage: stackStorage(),
    logger: testLogger('api'),
    config: { maxUploadBytes: 1024 * 1024, resultWaitSeconds: 1, temporalNamespace: temporal.namespace },
  };
  app = createServer(deps);
  f = await createCourseFixture(deps.db, { gitlabUrl: 'http://127.0.0.1:1', parentGroupId: 1, roles: ['lecturer', 'tutor', 'student'] });
  worker = await startWorkerProcess({ namespace: temporal.namespace, workflowsPath: TEST_WORKFLOWS_PATH });
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await deps.db.$disconnect();
  deps.storage.destroy();
  await connection.close();
});

it('lists what each caller may see, filtered and paginated', async () => {
  const done = await startEcho(0);
  await deps.temporal.workflow.getHandle(done).result();
  const running = await startEcho(60_000);
  const mine = await startEcho(60_000, f.users.student!.id);

  const lecturer = await request(app).get(`/workflows?course_id=${f.courseId}&limit=10`).set(auth(f.users.lecturer!.token));
  expect(lecturer.status).toBe(200);
  expect(lecturer.body.items.map((w: { workflow_id: string }) => w.workflow_id)).toEqual(expect.arrayContaining([done, running, mine]));
  expect(lecturer.body.items.find((w: { workflow_id: string }) => w.workflow_id === done).status).toBe('completed');

  const onlyRunning = await request(app).get(`/workflows?course_id=${f.courseId}&status=running`).set(auth(f.users.tutor!.token));
  expect(onlyRunning.body.items.map((w: { workflow_id: string }) => w.workflow_id).sort()).toEqual([running, mine].sort());

  const page = await request(app).get(`/workflows?course_id=${f.courseId}&limit=2&offset=0`).set(auth(f.users.lecturer!.token));
  expect(page.body).toMatchObject({ total: 3, limit: 2, next_offset: 2 });
  expect(page.body.items).toHaveLength(2);

  const student = await request(app).get('/workflows').set(auth(f.users.student!.token));
  expect(student.body.items.map((w: { workflow_id: string }) => w.workflow_id)).toEqual([mine]);
  const outsider = await request(app).get('/workflows').set(auth(f.users.outsider!.token));
  expect(outsider.body.items).toEqual([]);
  expect((await request(app).get('/workflows?status=bogus').set(auth(f.users.lecturer!.token))).status).toBe(400);
  expect((await request(app).get('/workflows')).status).toBe(401);

  for (const id of [running, mine]) await deps.temporal.workflow.getHandle(id).terminate('test done');
});

it('cancels for lecturers of the course only; the workflow ends CANCELLED', async () => {
  const id = await startEcho(60_000);
  expect((await request(app).post(`/workflows/${id}/cancel`)).status).toBe(401);
  expect((await request(app).post(`/workflows/${id}/cancel`).set(auth(f.users.outsider!.token))).status).toBe(404);
  expect((await request(app).post(`/workflows/${id}/cancel`).set(auth(f.users.student!.token))).status).toBe(404);
  expect((await request(app).post(`/workflows/${id}/cancel`).set(auth(f.users.tutor!.token))).status).toBe(403);
  const res = await request(app).post(`/workflows/${id}/cancel`).set(auth(f.users.lecturer!.token));
  expect(res.status).toBe(202);
  await expect(deps.temporal.workflow.getHandle(id).result()).rejects.toThrow();
  const status = await request(app).get(`/workflows/${id}/status`).set(auth(f.users.lecturer!.token));
  expect(status.body.status).toBe('CANCELLED');
  expect((await request(app).post(`/workflows/${id}/cancel`).set(auth(f.users.admin!.token))).status).toBe(409);
});

it('reports a running workflow whose task fails on every attempt as stalled, a healthy one not', async () => {
  const healthy = await startEcho(60_000);
  const workflowId = uniq('stuck-');
  await deps.db.workflowRun.create({ data: { id: workflowId, type: 'stuckWorkflow', taskQueue: 'computor-tasks', requestedById: f.users.lecturer!.id, courseId: f.courseId } });
  await deps.temporal.workflow.start('stuckWorkflow', { taskQueue: 'computor-tasks', workflowId, args: [] });
  const get = (id: string) => request(app).get(`/workflows/${id}/status`).set(auth(f.users.lecturer!.token));
  // Temporal retries a failed task at once, then about every 10 s: the third attempt within ~25 s.
  const stalled = await until('the stuck workflow reported stalled', async () => {
    const { body } = await get(workflowId);
    return body.stalled ? body : null;
  }, 60_000, 500);
  expect(stalled).toMatchObject({ status: 'RUNNING', stalled: { task_attempts: expect.any(Number), message: expect.stringMatching(/no progress/) } });
  expect(stalled.stalled.task_attempts).toBeGreaterThanOrEqual(3);
  const ok = await get(healthy);
  expect(ok.body.status).toBe('RUNNING');
  expect(ok.body).not.toHaveProperty('stalled');
  for (const id of [healthy, workflowId]) await deps.temporal.workflow.getHandle(id).terminate('test done');
});

it('streams status changes as Server-Sent Events until the workflow closes', async () => {
  const id = await startEcho(1_500);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    expect((await fetch(`http://127.0.0.1:${port}/workflows/${id}/events`, { headers: auth(f.users.student!.token) })).status).toBe(404);
    const res = await fetch(`http://127.0.0.1:${port}/workflows/${id}/events`, { headers: auth(f.users.tutor!.token) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await res.text();
    const events = text
      .split('\n\n')
      .filter((block) => block.startsWith('event:'))
      .map((block) => ({ event: /^event: (.*)$/m.exec(block)![1], data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!) }));
    expect(events[0]).toMatchObject({ event: 'status', data: { status: 'RUNNING' } });
    expect(events.at(-2)).toMatchObject({ event: 'status', data: { status: 'COMPLETED' } });
    expect(events.at(-1)).toMatchObject({ event: 'end', data: { status: 'COMPLETED' } });
  } finally {
    server.close();
  }
});
