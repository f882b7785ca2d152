import { startGitlabEmulator, type TGitlabEmulator } from '@computor/gitlab-emulator';
import { createCourseFixture, startWorkerProcess, uniq, type CourseFixture, type SpawnedProcess } from '@computor/test-support';
import type { Client } from '@temporalio/client';
import request from 'supertest';
import type { ApiDeps } from './deps';
import { startApiHarness, type ApiHarness } from './test/api-harness';

// Per-student provisioning status and retrying only the failures, through the API, a worker
// process and the GitLab emulator: students fail for real reasons (a user GitLab does not know, a
// fork and its fallback copy refused, write access refused), the view says so in plain words, and
// after the causes are fixed one retry re-runs exactly those students.

jest.setTimeout(300_000);

let harness: ApiHarness;
let deps: ApiDeps;
let client: Client;
let gitlab: TGitlabEmulator;
let worker: SpawnedProcess & { identity: string };
let parentGroupId: number;
let app: ApiHarness['app'];

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

async function settle(workflowId: string): Promise<'completed' | 'failed'> {
  return client.workflow.getHandle(workflowId).result().then(
    () => 'completed' as const,
    () => 'failed' as const,
  );
}

async function runsOf(workflowId: string): Promise<number> {
  let n = 0;
  for await (const _ of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) n++;
  return n;
}

beforeAll(async () => {
  gitlab = await startGitlabEmulator({ port: 0, host: '127.0.0.1', token: uniq('glpat-') });
  parentGroupId = gitlab.seed({ parentGroup: { name: 'Computor', path: uniq('computor-') } }).parentGroup!.id;
  harness = await startApiHarness();
  ({ deps, client, app } = harness);
  worker = await startWorkerProcess({ namespace: harness.namespace, env: { GITLAB_TOKEN: gitlab.token, GITLAB_REQUESTS_PER_SECOND: '200', GITLAB_MAX_CONCURRENT: '20', WORKER_METRICS_PORT: '0' } });
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await gitlab?.close();
  await harness?.close();
});

describe('provisioning status and retry', () => {
  let f: CourseFixture;
  const students: Array<{ id: string; username: string; memberId: string }> = [];
  const byName = (body: any, username: string) => body.items.find((s: any) => s.username === username);
  const stepOf = (body: any, username: string, step: string) => byName(body, username).steps.find((s: any) => s.step === step);

  beforeAll(async () => {
    f = await createCourseFixture(deps.db, { gitlabUrl: gitlab.url, parentGroupId, roles: ['lecturer', 'tutor', 'student'] });
    gitlab.seed({ users: Object.values(f.users).map((u) => ({ username: u.username })) });
    const setup = await request(app).post(`/courses/${f.courseId}/setup-gitlab`).set(auth(f.users.lecturer!.token));
    expect(await settle(setup.body.workflow_id)).toBe('completed');
  });

  it('shows each failing step in plain words, the others done, and retries only the failed students', async () => {
    const lecturer = auth(f.users.lecturer!.token);
    // ok0..ok2 provision cleanly; ghost has no GitLab account; refused's fork import fails and its fallback copy is refused.
    for (const name of ['ok0', 'ok1', 'ok2', 'ghost', 'refused', 'locked']) {
      const user = await deps.db.user.create({ data: { email: `${uniq(name)}@example.test`, username: uniq(`${name}-`) } });
      students.push({ id: user.id, username: user.username, memberId: '' });
    }
    const [ok0, ok1, ok2, ghost, refused, locked] = students as [typeof students[0], typeof students[0], typeof students[0], typeof students[0], typeof students[0], typeof students[0]];
    gitlab.seed({ users: [ok0, ok1, ok2, refused, locked].map((s) => ({ username: s.username })) });

    gitlab.configure({
      fork: { failPathPattern: `/${refused.username}` },
      // Only a fallback copy creates a project or commits: this refuses exactly refused's fallback.
      faults: { rate: 1, kinds: ['403'], mutatingOnly: true, pathPattern: '^/projects$|/repository/commits$' },
    });
    let first: string;
    try {
      const res = await request(app)
        .post(`/courses/${f.courseId}/members`)
        .set(lecturer)
        .send({ members: [ok0, ok1, ok2, ghost, refused].map((s) => ({ userId: s.id, role: 'student' })) });
      expect(res.status).toBe(202);
      for (const m of res.body.members) students.find((s) => s.id === m.userId)!.memberId = m.id;
      first = res.body.workflow_id;
      expect(await settle(first)).toBe('failed');
    } finally {
      gitlab.configure({ fork: { failPathPattern: null }, faults: { rate: 0, pathPattern: null } });
    }

    // Write access refused: a 403 on unprotecting main, while only locked is being provisioned.
    gitlab.configure({ faults: { rate: 1, kinds: ['403'], mutatingOnly: true, pathPattern: '/protected_branches/' } });
    try {
      const res = await request(app).post(`/courses/${f.courseId}/members`).set(lecturer).send({ userId: locked.id, role: 'student' });
      expect(res.status).toBe(202);
      locked.memberId = res.body.members[0].id;
      expect(await settle(res.body.workflow_id)).toBe('failed');
    } finally {
      gitlab.configure({ faults: { rate: 0, pathPattern: null } });
    }

    const view = await request(app).get(`/courses/${f.courseId}/provisioning`).set(auth(f.users.tutor!.token));
    expect(view.status).toBe(200);
    // The fixture's own student never had a provisioning run: all pending.
    expect(view.body.total).toBe(7);
    expect(view.body.summary.students).toEqual({ pending: 1, running: 0, done: 3, failed: 3 });
    for (const ok of [ok0, ok1, ok2]) {
      expect(byName(view.body, ok.username)).toMatchObject({ state: 'done', steps: ['user', 'membership', 'repository', 'access'].map((step) => ({ step, state: 'done', attempts: 1, last_error: null })) });
    }
    expect(stepOf(view.body, ghost.username, 'user')).toMatchObject({ state: 'failed', attempts: 1, last_error: `GitLab has no user '${ghost.username}' — create the account or fix the username.` });
    expect(stepOf(view.body, ghost.username, 'membership')).toMatchObject({ state: 'pending', attempts: 0 });
    expect(stepOf(view.body, ghost.username, 'repository')).toMatchObject({ state: 'pending', attempts: 0 });
    expect(byName(view.body, refused.username).steps.map((s: any) => s.state)).toEqual(['done', 'done', 'failed', 'pending']);
    expect(stepOf(view.body, refused.username, 'repository').last_error).toMatch(/^GitLab refused: the token lacks permission to create the student's repository/);
    expect(stepOf(view.body, refused.username, 'repository').last_error_detail).toMatch(/^GitlabAuthError: /);
    expect(byName(view.body, locked.username).steps.map((s: any) => s.state)).toEqual(['done', 'done', 'done', 'failed']);
    expect(stepOf(view.body, locked.username, 'access').last_error).toMatch(/^GitLab refused: the token lacks permission to give the student write access to their repository/);
    // No fork was made for the user GitLab does not know.
    expect(gitlab.state().projects.some((p) => p.path_with_namespace.includes(ghost.username))).toBe(false);

    const failedOnly = await request(app).get(`/courses/${f.courseId}/provisioning?state=failed&limit=2`).set(lecturer);
    expect(failedOnly.body).toMatchObject({ total: 3, limit: 2, offset: 0, next_offset: 2 });
    expect(failedOnly.body.items).toHaveLength(2);
    const rest = await request(app).get(`/courses/${f.courseId}/provisioning?state=failed&limit=2&offset=2`).set(lecturer);
    expect(rest.body).toMatchObject({ total: 3, next_offset: null });
    expect([...failedOnly.body.items, ...rest.body.items].map((s: any) => s.username).sort()).toEqual([ghost, refused, locked].map((s) => s.username).sort());

    // Fix the causes: the account exists now, the faults are gone. Then one retry.
    gitlab.seed({ users: [{ username: ghost.username }] });
    // Latency keeps the retry running while the second request arrives.
    gitlab.configure({ latencyMs: 50 });
    const projectsBefore = gitlab.state().projects.length;
    try {
      const retry = await request(app).post(`/courses/${f.courseId}/provisioning/retry`).set(lecturer);
      expect(retry.status).toBe(202);
      expect(retry.body).toMatchObject({ workflow_id: `provisioning-retry-${f.courseId}`, status: 'started' });
      expect([...retry.body.member_ids].sort()).toEqual([ghost, refused, locked].map((s) => s.memberId).sort());
      const again = await request(app).post(`/courses/${f.courseId}/provisioning/retry`).set(lecturer);
      expect(again.status).toBe(409);
      expect(again.body.error).toMatchObject({ code: 'conflict', details: { reason: 'retry_running' } });
      expect(await settle(retry.body.workflow_id)).toBe('completed');
    } finally {
      gitlab.configure({ latencyMs: 0 });
    }
    // One new project: ghost's fork (refused's and locked's were adopted: their fork request is
    // answered "has already been taken" and the project at the path is taken over).
    expect(gitlab.state().projects.length - projectsBefore).toBe(1);

    const after = await request(app).get(`/courses/${f.courseId}/provisioning`).set(lecturer);
    expect(after.body.summary.students).toEqual({ pending: 1, running: 0, done: 6, failed: 0 });
    for (const s of [ok0, ok1, ok2, ghost, refused, locked]) expect(byName(after.body, s.username).steps.every((x: any) => x.state === 'done' && x.last_error === null)).toBe(true);
    // Only the failed students ran again: their steps written by the retry (one activity each inside
    // it, no workflow of their own), their failed steps a second attempt; the others untouched.
    const retryId = `provisioning-retry-${f.courseId}`;
    for (const s of [ok0, ok1, ok2]) {
      expect(byName(after.body, s.username).steps.map((x: any) => x.workflow_id === retryId)).toEqual([false, false, false, false]);
      expect(byName(after.body, s.username).steps.map((x: any) => x.attempts)).toEqual([1, 1, 1, 1]);
    }
    for (const s of [ghost, refused, locked]) expect(byName(after.body, s.username).steps.map((x: any) => x.workflow_id)).toEqual([retryId, retryId, retryId, retryId]);
    expect(await runsOf(retryId)).toBe(1);
    expect(byName(after.body, ghost.username).steps.map((x: any) => x.attempts)).toEqual([2, 1, 1, 1]);
    expect(byName(after.body, refused.username).steps.map((x: any) => x.attempts)).toEqual([2, 2, 2, 1]);
    expect(byName(after.body, locked.username).steps.map((x: any) => x.attempts)).toEqual([2, 2, 2, 2]);
    // Every student ends with exactly one repository in GitLab, with the student as Maintainer.
    for (const s of [ok0, ok1, ok2, ghost, refused, locked]) {
      const projects = gitlab.state().projects.filter((p) => p.path_with_namespace.includes(`/students/${s.username}`));
      expect([s.username, projects.length]).toEqual([s.username, 1]);
    }

    // Nothing failed any more: nothing to retry.
    const nothing = await request(app).post(`/courses/${f.courseId}/provisioning/retry`).set(lecturer);
    expect(nothing.status).toBe(409);
    expect(nothing.body.error.details.reason).toBe('nothing_failed');
  });

  it('answers bad retry input with 400 naming the field, and starts nothing', async () => {
    const lecturer = auth(f.users.lecturer!.token);
    const before = await deps.db.workflowRun.count({ where: { courseId: f.courseId } });
    const tutorMember = f.users.tutor!.memberId!;
    const notMember = await request(app).post(`/courses/${f.courseId}/provisioning/retry`).set(lecturer).send({ member_ids: [f.users.student!.memberId, tutorMember, '00000000-0000-4000-8000-000000000000'] });
    expect(notMember.status).toBe(400);
    expect(notMember.body.error.details.fields.map((x: { path: string }) => x.path)).toEqual(['member_ids[1]', 'member_ids[2]']);
    const malformed = await request(app).post(`/courses/${f.courseId}/provisioning/retry`).set(lecturer).send({ member_ids: ['x'], extra: 1 });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.details.fields.map((x: { path: string }) => x.path)).toEqual(expect.arrayContaining(['member_ids[0]']));
    expect((await request(app).post(`/courses/${f.courseId}/provisioning/retry`).set(lecturer).send({ member_ids: [] })).status).toBe(400);
    expect((await request(app).get(`/courses/${f.courseId}/provisioning?state=broken`).set(lecturer)).status).toBe(400);
    expect((await request(app).post(`/courses/${f.courseId}/provisioning/retry`).set(auth(f.users.tutor!.token))).status).toBe(403);
    expect((await request(app).get(`/courses/${f.courseId}/provisioning`).set(auth(f.users.student!.token))).status).toBe(403);
    expect(await deps.db.workflowRun.count({ where: { courseId: f.courseId } })).toBe(before);
    expect(await runsOf(`provisioning-retry-${f.courseId}`)).toBe(1);
  });

  it('shows a run that stopped mid-way as running, with how long', async () => {
    const memberId = f.users.student!.memberId!;
    // A fork that takes a minute: the workflow waits on it with durable timers, then is terminated (a run that never comes back).
    gitlab.configure({ fork: { importDelayMs: 60_000 } });
    try {
      const handle = await client.workflow.start('provisionStudentRepositoryWorkflow', { taskQueue: 'computor-tasks', workflowId: uniq('stuck-'), args: [{ courseId: f.courseId, courseMemberId: memberId }] });
      const lecturer = auth(f.users.lecturer!.token);
      const status = async () => (await request(app).get(`/courses/${f.courseId}/provisioning?state=running`).set(lecturer)).body;
      const forking = async () => (await status()).items[0]?.steps[2].state === 'running';
      for (let i = 0; i < 100 && !(await forking()); i++) await new Promise((r) => setTimeout(r, 100));
      await handle.terminate('stopped mid-way');
      await new Promise((r) => setTimeout(r, 2_100));
      const body = await status();
      expect(body.total).toBe(1);
      expect(body.summary.students.running).toBe(1);
      const student = body.items[0];
      expect(student).toMatchObject({ course_member_id: memberId, state: 'running' });
      expect(student.steps.map((x: any) => x.state)).toEqual(['done', 'done', 'running', 'running']);
      expect(student.steps[2].running_seconds).toBeGreaterThanOrEqual(2);
      expect(student.steps[2].workflow_id).toBe(handle.workflowId);
    } finally {
      gitlab.configure({ fork: { importDelayMs: 100 } });
    }
  });
});
