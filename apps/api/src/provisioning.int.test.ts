import { TASK_QUEUE_TASKS } from '@computor/contracts';
import { startGitlabEmulator, type TGitlabEmulator } from '@computor/gitlab-emulator';
import {
  createCourseFixture,
  historyOutline,
  stackDb,
  stackStorage,
  stackTemporal,
  startWorkerProcess,
  testLogger,
  uniq,
  type CourseFixture,
  type SpawnedProcess,
} from '@computor/test-support';
import type { Client, Connection } from '@temporalio/client';
import request from 'supertest';
import { createServer } from './app';
import type { ApiDeps } from './deps';

jest.setTimeout(240_000);

let deps: ApiDeps;
let connection: Connection;
let client: Client;
let gitlab: TGitlabEmulator;
let worker: SpawnedProcess & { identity: string };
let parentGroupId: number;
let app: ReturnType<typeof createServer>;
let namespace: string;

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

async function outcome(workflowId: string): Promise<{ status: 'completed'; result: any } | { status: 'failed'; message: string }> {
  try {
    return { status: 'completed', result: await client.workflow.getHandle(workflowId).result() };
  } catch (error) {
    let e: any = error;
    const messages: string[] = [];
    while (e) {
      messages.push(e.message);
      e = e.cause;
    }
    return { status: 'failed', message: messages.join(' <- ') };
  }
}

async function fixture(roles?: Parameters<typeof createCourseFixture>[1]['roles']): Promise<CourseFixture> {
  const f = await createCourseFixture(deps.db, { gitlabUrl: gitlab.url, parentGroupId, roles });
  gitlab.seed({ users: Object.values(f.users).map((u) => ({ username: u.username })) });
  return f;
}

async function setupCourse(f: CourseFixture) {
  const res = await request(app).post(`/courses/${f.courseId}/setup-gitlab`).set(auth(f.users.lecturer!.token));
  expect(res.status).toBe(202);
  const done = await outcome(res.body.workflow_id);
  expect(done).toMatchObject({ status: 'completed' });
  return (done as { result: any }).result;
}

function gitlabSnapshot(prefix: string) {
  const state = gitlab.state();
  return {
    groups: state.groups.filter((g) => g.full_path.startsWith(prefix)).map((g) => ({ id: g.id, path: g.full_path, members: g.members })).sort((a, b) => a.id - b.id),
    projects: state.projects
      .filter((p) => p.path_with_namespace.startsWith(prefix))
      .map((p) => ({ id: p.id, path: p.path_with_namespace, forkedFrom: p.forked_from_id, members: p.members, protected: p.protected_branches.map((b) => b.name), files: p.branches.main?.files ?? [] }))
      .sort((a, b) => a.id - b.id),
  };
}

beforeAll(async () => {
  gitlab = await startGitlabEmulator({ port: 0, host: '127.0.0.1', token: uniq('glpat-') });
  parentGroupId = gitlab.seed({ parentGroup: { name: 'Computor', path: uniq('computor-') } }).parentGroup!.id;
  ({ client, connection, namespace } = await stackTemporal({ isolated: true }));
  deps = {
    db: stackDb(),
    temporal: client,
    storage: stackStorage(),
    logger: testLogger('api'),
    config: { maxUploadBytes: 1024 * 1024, resultWaitSeconds: 2, temporalNamespace: namespace },
  };
  app = createServer(deps);
  worker = await startWorkerProcess({ namespace, env: { GITLAB_TOKEN: gitlab.token, GITLAB_REQUESTS_PER_SECOND: '200', GITLAB_MAX_CONCURRENT: '20', WORKER_METRICS_PORT: '0' } });
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await gitlab?.close();
  await deps?.db.$disconnect();
  deps?.storage.destroy();
  await connection?.close();
});

describe('POST /courses/:id/setup-gitlab', () => {
  it('enforces the permission matrix and starts one workflow per course', async () => {
    const f = await fixture();
    expect((await request(app).post(`/courses/${f.courseId}/setup-gitlab`)).status).toBe(401);
    expect((await request(app).post(`/courses/${f.courseId}/setup-gitlab`).set(auth(f.users.outsider!.token))).status).toBe(404);
    expect((await request(app).post(`/courses/${f.courseId}/setup-gitlab`).set(auth(f.users.student!.token))).status).toBe(403);
    expect((await request(app).post(`/courses/${f.courseId}/setup-gitlab`).set(auth(f.users.tutor!.token))).status).toBe(403);
    const unknown = await request(app).post(`/courses/00000000-0000-4000-8000-000000000000/setup-gitlab`).set(auth(f.users.admin!.token));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    expect((await request(app).post(`/courses/not-a-uuid/setup-gitlab`).set(auth(f.users.admin!.token))).status).toBe(404);

    gitlab.configure({ latencyMs: 30 });
    try {
      const first = await request(app).post(`/courses/${f.courseId}/setup-gitlab`).set(auth(f.users.lecturer!.token));
      const second = await request(app).post(`/courses/${f.courseId}/setup-gitlab`).set(auth(f.users.admin!.token));
      expect(first.status).toBe(202);
      expect(first.body).toEqual({ workflow_id: `setup-course-${f.courseId}`, status: 'started' });
      expect(second.body.workflow_id).toBe(first.body.workflow_id);
      const runs: string[] = [];
      for await (const w of client.workflow.list({ query: `WorkflowId = '${first.body.workflow_id}'` })) runs.push(w.runId);
      expect(runs).toHaveLength(1);
      expect(await outcome(first.body.workflow_id)).toMatchObject({ status: 'completed' });
    } finally {
      gitlab.configure({ latencyMs: 0 });
    }
  });
});

describe('course hierarchy', () => {
  it('creates the full hierarchy, and a second run leaves GitLab and the database identical', async () => {
    const f = await fixture();
    const result = await setupCourse(f);
    const orgPath = `${gitlab.state().groups.find((g) => g.id === parentGroupId)!.full_path}/${f.paths.organization}`;
    const coursePath = `${orgPath}/${f.paths.family}/${f.paths.course}`;
    const afterFirst = gitlabSnapshot(orgPath);
    expect(afterFirst.groups.map((g) => g.path).sort()).toEqual([orgPath, `${orgPath}/${f.paths.family}`, coursePath, `${coursePath}/students`, `${coursePath}/tutors`].sort());
    // The family's documents project sits in the family group, beside the courses.
    expect(afterFirst.projects.map((p) => p.path).sort()).toEqual([`${coursePath}/assignments`, `${coursePath}/student-template`, `${orgPath}/${f.paths.family}/documents`]);
    const courseRow = await deps.db.course.findUniqueOrThrow({ where: { id: f.courseId } });
    expect(courseRow).toMatchObject({
      gitlabGroupId: result.courseGroupId,
      gitlabGroupFullPath: coursePath,
      gitlabStudentsGroupId: result.studentsGroupId,
      studentTemplateProjectId: result.studentTemplate.projectId,
      studentTemplateProjectPath: `${coursePath}/student-template`,
      assignmentsProjectId: result.assignments.projectId,
    });
    expect(result.studentTemplate.webUrl).toMatch(/student-template$/);
    const familyRow = await deps.db.courseFamily.findUniqueOrThrow({ where: { id: f.familyId } });
    expect(familyRow).toMatchObject({ documentsProjectId: result.documents!.projectId, documentsProjectPath: `${orgPath}/${f.paths.family}/documents` });

    // Second run, through the batch path's workflow id this time.
    const rerun = await client.workflow.execute('createCourseHierarchyWorkflow', { taskQueue: 'computor-tasks', workflowId: uniq('rerun-'), args: [{ courseId: f.courseId }] });
    expect(rerun).toEqual(result);
    expect(gitlabSnapshot(orgPath)).toEqual(afterFirst);
    const { updatedAt: _a, ...before } = courseRow;
    const { updatedAt: _b, ...after } = await deps.db.course.findUniqueOrThrow({ where: { id: f.courseId } });
    expect(after).toEqual(before);
    const { updatedAt: _c, ...familyAfter } = await deps.db.courseFamily.findUniqueOrThrow({ where: { id: f.familyId } });
    const { updatedAt: _d, ...familyBefore } = familyRow;
    expect(familyAfter).toEqual(familyBefore);
  });

  it('fails with a typed failure naming the step when the parent group is missing, and records nothing', async () => {
    const f = await fixture();
    await deps.db.organization.update({ where: { id: f.organizationId }, data: { gitlabParentGroupId: 987654 } });
    const res = await request(app).post(`/courses/${f.courseId}/setup-gitlab`).set(auth(f.users.lecturer!.token));
    const done = await outcome(res.body.workflow_id);
    expect(done.status).toBe('failed');
    expect((done as { message: string }).message).toMatch(/ensure organization failed: .*987654.*does not exist/);
    const status = await request(app).get(`/workflows/${res.body.workflow_id}/status`).set(auth(f.users.lecturer!.token));
    expect(status.body).toMatchObject({ status: 'FAILED', failure: { type: 'NotFound' } });
    const org = await deps.db.organization.findUniqueOrThrow({ where: { id: f.organizationId } });
    expect(org.gitlabGroupId).toBeNull();
  });

  it('refuses to adopt a group GitLab is about to delete, failing typed and recording nothing new', async () => {
    const f = await fixture();
    const first = await setupCourse(f);
    // GitLab before the delayed-deletion rework (and the emulator's `hold` mode): the path stays taken.
    gitlab.configure({ deletionDelayMs: 60_000, deletionMode: 'hold' });
    try {
      const del = await fetch(`${gitlab.url}/api/v4/groups/${first.tutorsGroupId}`, { method: 'DELETE', headers: { 'PRIVATE-TOKEN': gitlab.token } });
      expect(del.status).toBe(202);
      const res = await request(app).post(`/courses/${f.courseId}/setup-gitlab`).set(auth(f.users.lecturer!.token));
      const done = await outcome(res.body.workflow_id);
      expect(done.status).toBe('failed');
      expect((done as { message: string }).message).toMatch(/ensure tutors failed: .*tutors is scheduled for deletion/);
      const status = await request(app).get(`/workflows/${res.body.workflow_id}/status`).set(auth(f.users.lecturer!.token));
      expect(status.body).toMatchObject({ status: 'FAILED', failure: { type: 'GitlabPendingDeletionError' } });
      const course = await deps.db.course.findUniqueOrThrow({ where: { id: f.courseId } });
      expect(course.gitlabTutorsGroupId).toBe(first.tutorsGroupId);
      const tutorsPath = gitlab.state().groups.find((g) => g.id === first.tutorsGroupId)!.full_path;
      expect(gitlab.state().groups.filter((g) => g.full_path === tutorsPath)).toHaveLength(1);
    } finally {
      gitlab.configure({ deletionDelayMs: 0, deletionMode: 'rename' });
    }
  });

  it('re-creates a group GitLab has scheduled for deletion, at its path GitLab freed by renaming it', async () => {
    const f = await fixture();
    const first = await setupCourse(f);
    // GitLab 18: the group is renamed to <path>-deletion_scheduled-<id>, and its path is free at once.
    gitlab.configure({ deletionDelayMs: 60_000, deletionMode: 'rename' });
    try {
      const tutorsPath = gitlab.state().groups.find((g) => g.id === first.tutorsGroupId)!.full_path;
      expect((await fetch(`${gitlab.url}/api/v4/groups/${first.tutorsGroupId}`, { method: 'DELETE', headers: { 'PRIVATE-TOKEN': gitlab.token } })).status).toBe(202);
      const res = await request(app).post(`/courses/${f.courseId}/setup-gitlab`).set(auth(f.users.lecturer!.token));
      expect(await outcome(res.body.workflow_id)).toMatchObject({ status: 'completed' });
      const course = await deps.db.course.findUniqueOrThrow({ where: { id: f.courseId } });
      expect(course.gitlabTutorsGroupId).not.toBe(first.tutorsGroupId);
      expect(course.gitlabTutorsGroupFullPath).toBe(tutorsPath);
      const atPath = gitlab.state().groups.filter((g) => g.full_path === tutorsPath);
      expect(atPath.map((g) => g.id)).toEqual([course.gitlabTutorsGroupId]);
      expect(gitlab.state().groups.find((g) => g.id === first.tutorsGroupId)!.full_path).toMatch(/-deletion_scheduled-\d+$/);
    } finally {
      gitlab.configure({ deletionDelayMs: 0 });
    }
  });

  it('keeps tokens out of workflow history', async () => {
    const f = await fixture();
    await setupCourse(f);
    const history = await client.workflow.getHandle(`setup-course-${f.courseId}`).fetchHistory();
    const text = JSON.stringify(history);
    expect(text).not.toContain(gitlab.token);
    for (const u of Object.values(f.users)) expect(text).not.toContain(u.token);
  });
});

describe('members', () => {
  it('forks a student repository, grants staff their roles and revokes on removal', async () => {
    const f = await fixture(['lecturer']);
    const ids = await setupCourse(f);
    const student = await deps.db.user.create({ data: { email: `${uniq('s')}@example.test`, username: uniq('stud-') } });
    const tutor = await deps.db.user.create({ data: { email: `${uniq('t')}@example.test`, username: uniq('tut-') } });
    gitlab.seed({ users: [{ username: student.username }, { username: tutor.username }] });

    gitlab.resetStats();
    const addStudent = await request(app).post(`/courses/${f.courseId}/members`).set(auth(f.users.lecturer!.token)).send({ userId: student.id, role: 'student' });
    expect(addStudent.status).toBe(202);
    const provisioned = await outcome(addStudent.body.workflow_id);
    expect(provisioned).toMatchObject({ status: 'completed', result: { provisioning: 'fork' } });
    // The rate limit is the cost on a real GitLab: a student is five requests (no reads before the
    // fork, one import poll whose answer is the project, the member added by username).
    expect(gitlab.stats().byRoute).toEqual({
      'POST /projects/:id/fork': 1,
      'GET /projects/:id': 1,
      'DELETE /projects/:id/protected_branches/:name': 1,
      'POST /projects/:id/members': 2,
    });
    expect(gitlab.stats().total).toBeLessThanOrEqual(5);
    const project = gitlab.state().projects.find((p) => p.id === (provisioned as any).result.projectId)!;
    expect(project.path_with_namespace).toBe(`${ids.studentTemplate.path.replace(/student-template$/, 'students')}/${student.username}`);
    expect(project.forked_from_id).toBe(ids.studentTemplate.projectId);
    expect(project.protected_branches).toEqual([]);
    const gitlabStudent = gitlab.state().users.find((u) => u.username === student.username)!;
    expect(project.members).toEqual(expect.arrayContaining([expect.objectContaining({ user_id: gitlabStudent.id, access_level: 40 })]));
    const template = gitlab.state().projects.find((p) => p.id === ids.studentTemplate.projectId)!;
    expect(template.members).toEqual(expect.arrayContaining([expect.objectContaining({ user_id: gitlabStudent.id, access_level: 20 })]));
    const member = await deps.db.courseMember.findFirstOrThrow({ where: { courseId: f.courseId, userId: student.id } });
    expect(member).toMatchObject({ gitlabProjectId: project.id, repositoryProvisioning: 'fork' });

    const addTutor = await request(app).post(`/courses/${f.courseId}/members`).set(auth(f.users.lecturer!.token)).send({ userId: tutor.id, role: 'tutor' });
    expect(await outcome(addTutor.body.workflow_id)).toMatchObject({ status: 'completed' });
    const gitlabTutor = gitlab.state().users.find((u) => u.username === tutor.username)!;
    const courseGroup = () => gitlab.state().groups.find((g) => g.id === ids.courseGroupId)!;
    expect(courseGroup().members).toEqual(expect.arrayContaining([expect.objectContaining({ user_id: gitlabTutor.id, access_level: 30 })]));

    // A lecturer cannot grant owner; a duplicate member is a conflict; nothing starts.
    const owner = await request(app).post(`/courses/${f.courseId}/members`).set(auth(f.users.lecturer!.token)).send({ userId: tutor.id, role: 'owner' });
    expect(owner.status).toBe(403);
    const dup = await request(app).post(`/courses/${f.courseId}/members`).set(auth(f.users.lecturer!.token)).send({ userId: tutor.id, role: 'tutor' });
    expect(dup.status).toBe(409);

    const removeTutor = await request(app).delete(`/courses/${f.courseId}/members/${addTutor.body.members[0].id}`).set(auth(f.users.lecturer!.token));
    expect(await outcome(removeTutor.body.workflow_id)).toMatchObject({ status: 'completed' });
    expect(courseGroup().members.some((m) => m.user_id === gitlabTutor.id)).toBe(false);
    const removeStudent = await request(app).delete(`/courses/${f.courseId}/members/${member.id}`).set(auth(f.users.lecturer!.token));
    expect(await outcome(removeStudent.body.workflow_id)).toMatchObject({ status: 'completed' });
    const after = gitlab.state().projects.find((p) => p.id === project.id)!;
    expect(after.members.some((m) => m.user_id === gitlabStudent.id)).toBe(false);
  });

  it('moves a GitLab account cached for another user to the member GitLab now says owns it', async () => {
    const f = await fixture(['lecturer']);
    await setupCourse(f);
    const student = await deps.db.user.create({ data: { email: `${uniq('s')}@example.test`, username: uniq('stud-') } });
    gitlab.seed({ users: [{ username: student.username }] });
    const account = gitlab.state().users.find((u) => u.username === student.username)!;
    // Someone else was this GitLab account before (its username has changed hands since).
    const former = await deps.db.user.create({ data: { email: `${uniq('f')}@example.test`, username: uniq('former-') } });
    await deps.db.gitlabIdentity.create({ data: { userId: former.id, gitlabUrl: gitlab.url, gitlabUserId: account.id } });

    const add = await request(app).post(`/courses/${f.courseId}/members`).set(auth(f.users.lecturer!.token)).send({ userId: student.id, role: 'student' });
    expect(add.status).toBe(202);
    expect(await outcome(add.body.workflow_id)).toMatchObject({ status: 'completed', result: { provisioning: 'fork' } });
    const identities = await deps.db.gitlabIdentity.findMany({ where: { gitlabUrl: gitlab.url, gitlabUserId: account.id } });
    expect(identities.map((i) => i.userId)).toEqual([student.id]);
  });

  it('falls back to a copy of the template when forking is disabled, and records it', async () => {
    const f = await fixture(['lecturer', 'student']);
    await setupCourse(f);
    gitlab.configure({ fork: { disabled: true } });
    try {
      const handle = await client.workflow.start('provisionStudentRepositoryWorkflow', {
        taskQueue: 'computor-tasks',
        workflowId: uniq('fallback-'),
        args: [{ courseId: f.courseId, courseMemberId: f.users.student!.memberId }],
      });
      const result = await handle.result();
      expect(result.provisioning).toBe('fallback_copy');
      const project = gitlab.state().projects.find((p) => p.id === result.projectId)!;
      expect(project.forked_from_id).toBeNull();
      expect(project.branches.main!.files).toEqual(['README.md']);
      const member = await deps.db.courseMember.findUniqueOrThrow({ where: { id: f.users.student!.memberId } });
      expect(member.repositoryProvisioning).toBe('fallback_copy');
    } finally {
      gitlab.configure({ fork: { disabled: false } });
    }
  });

  it('polls a slow fork import with durable timers, and falls back to a copy when the import fails', async () => {
    const f = await fixture(['lecturer', 'student', 'tutor']);
    await setupCourse(f);
    const provision = async (memberId: string) => {
      const handle = await client.workflow.start('provisionStudentRepositoryWorkflow', {
        taskQueue: 'computor-tasks',
        workflowId: uniq('slow-fork-'),
        args: [{ courseId: f.courseId, courseMemberId: memberId, pollIntervalSeconds: 0.5 }],
      });
      const result = await handle.result();
      const events = (await handle.fetchHistory()).events ?? [];
      return { result, timers: events.filter((e) => e.timerStartedEventAttributes).length };
    };
    // Longer than the fork activity's own wait (1.5 s): the rest is polled by the workflow.
    gitlab.configure({ fork: { importDelayMs: 4_500 } });
    try {
      const slow = await provision(f.users.student!.memberId!);
      expect(slow.result.provisioning).toBe('fork');
      expect(slow.timers).toBeGreaterThan(0);
      const project = gitlab.state().projects.find((p) => p.id === slow.result.projectId)!;
      expect(project.import_status).toBe('finished');
      expect(project.members).toEqual(expect.arrayContaining([expect.objectContaining({ access_level: 40 })]));
    } finally {
      gitlab.configure({ fork: { importDelayMs: 100 } });
    }
    // A tutor's member row stands in for a second student here: the workflow only needs the user.
    gitlab.configure({ fork: { importDelayMs: 200, failRate: 1 } });
    try {
      const failed = await provision(f.users.tutor!.memberId!);
      expect(failed.result.provisioning).toBe('fallback_copy');
      const member = await deps.db.courseMember.findUniqueOrThrow({ where: { id: f.users.tutor!.memberId } });
      expect(member).toMatchObject({ repositoryProvisioning: 'fallback_copy', gitlabProjectId: failed.result.projectId });
    } finally {
      gitlab.configure({ fork: { importDelayMs: 100, failRate: 0 } });
    }
  });

  it('answers bad bodies with 400 and field paths, and starts nothing', async () => {
    const f = await fixture(['lecturer']);
    const before = await deps.db.workflowRun.count({ where: { courseId: f.courseId } });
    const bad = await request(app).post(`/courses/${f.courseId}/members`).set(auth(f.users.lecturer!.token)).send({ members: [{ userId: 'x', role: 'king' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.fields.map((x: { path: string }) => x.path)).toEqual(expect.arrayContaining(['members[0].userId', 'members[0].role']));
    const extra = await request(app).post(`/courses/${f.courseId}/members`).set(auth(f.users.lecturer!.token)).send({ userId: f.users.outsider!.id, role: 'student', sneaky: true });
    expect(extra.status).toBe(400);
    expect(await deps.db.workflowRun.count({ where: { courseId: f.courseId } })).toBe(before);
    expect(await deps.db.courseMember.count({ where: { courseId: f.courseId } })).toBe(1);
  });
});

describe('many students under faults', () => {
  it('converges to exactly one repository and membership per student with 20% injected faults', async () => {
    const f = await fixture(['lecturer']);
    gitlab.configure({ seed: 7, faults: { rate: 0.2, kinds: ['500', '502', '503', '429', 'reset', 'fail-after-commit'], retryAfterSeconds: 1, mutatingOnly: false } });
    try {
      await setupCourse(f);
      const students = [];
      for (let i = 0; i < 50; i++) {
        students.push(await deps.db.user.create({ data: { email: `${uniq('m')}@example.test`, username: uniq(`many${i}-`) } }));
      }
      gitlab.seed({ users: students.map((s) => ({ username: s.username })) });
      const res = await request(app)
        .post(`/courses/${f.courseId}/members`)
        .set(auth(f.users.lecturer!.token))
        .send({ members: students.map((s) => ({ userId: s.id, role: 'student' })) });
      expect(res.status).toBe(202);
      const progress = await request(app).get(`/workflows/${res.body.workflow_id}/status`).set(auth(f.users.lecturer!.token));
      expect(progress.body.progress).toMatchObject({ total: 50 });
      const done = await outcome(res.body.workflow_id);
      expect(done).toMatchObject({ status: 'completed', result: { total: 50, succeeded: 50, failed: 0 } });
      expect(gitlab.stats().faults.total).toBeGreaterThan(20);
    } finally {
      gitlab.configure({ faults: { rate: 0 } });
    }
    const course = await deps.db.course.findUniqueOrThrow({ where: { id: f.courseId } });
    const inStudents = gitlab.state().projects.filter((p) => p.namespace_id === course.gitlabStudentsGroupId);
    expect(inStudents).toHaveLength(50);
    expect(new Set(inStudents.map((p) => p.path)).size).toBe(50);
    const users = new Map(gitlab.state().users.map((u) => [u.username, u.id]));
    for (const p of inStudents) {
      expect(p.forked_from_id).toBe(course.studentTemplateProjectId);
      expect(p.members.filter((m) => m.access_level === 40 && m.user_id === users.get(p.path))).toHaveLength(1);
    }
    const rows = await deps.db.courseMember.findMany({ where: { courseId: f.courseId, role: 'student' } });
    expect(rows.every((r) => r.gitlabProjectId && inStudents.some((p) => p.id === r.gitlabProjectId))).toBe(true);
  });
});

describe('a batch larger than one run', () => {
  it('continues as new every studentsPerRun students, one activity per student, and reports one result over all runs', async () => {
    const f = await fixture(['lecturer']);
    await setupCourse(f);
    const students = [];
    for (let i = 0; i < 7; i++) students.push(await deps.db.user.create({ data: { email: `${uniq('r')}@example.test`, username: uniq(`runs${i}-`) } }));
    // One student GitLab does not know: a failure recorded in the first run still counts at the end.
    gitlab.seed({ users: students.slice(1).map((s) => ({ username: s.username })) });
    const members = await deps.db.$transaction(students.map((s) => deps.db.courseMember.create({ data: { courseId: f.courseId, userId: s.id, role: 'student' } })));
    const workflowId = uniq('add-students-runs-');
    const handle = await client.workflow.start('addStudentsWorkflow', {
      taskQueue: TASK_QUEUE_TASKS,
      workflowId,
      args: [{ courseId: f.courseId, courseMemberIds: members.map((m) => m.id), studentsPerRun: 3 }],
    });
    const failure = await handle.result().then(() => null, (e: Error & { cause?: Error }) => e);
    expect(failure?.cause?.message).toMatch(/^1 of 7 student repositories failed/);
    // 7 students at 3 a run: three runs, the first two continued as new.
    const runs = [];
    for await (const r of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(r.status.name);
    expect(runs.sort()).toEqual(['CONTINUED_AS_NEW', 'CONTINUED_AS_NEW', 'FAILED']);
    expect(await handle.query('progress')).toMatchObject({ total: 7, done: 7, succeeded: 6, failed: [{ id: members[0]!.id }] });
    // No child workflow per student: the batch ran their activities itself.
    for await (const r of client.workflow.list({ query: `WorkflowType = 'provisionStudentRepositoryWorkflow' AND WorkflowId STARTS_WITH 'student-repository-${f.courseId}'` })) throw new Error(`unexpected child ${r.workflowId}`);
    const course = await deps.db.course.findUniqueOrThrow({ where: { id: f.courseId } });
    const inStudents = gitlab.state().projects.filter((p) => p.namespace_id === course.gitlabStudentsGroupId);
    expect(inStudents.map((p) => p.path).sort()).toEqual(students.slice(1).map((s) => s.username).sort());
    const steps = await deps.db.provisioningStep.findMany({ where: { courseMemberId: { in: members.map((m) => m.id) } } });
    expect(steps.filter((s) => s.state === 'done')).toHaveLength(6 * 4);
    expect(steps.every((s) => s.workflowId === workflowId)).toBe(true);
  });
});

describe('metrics', () => {
  it('exposes GitLab request latencies and 429s, activity durations and Temporal SDK series after provisioning', async () => {
    const line = worker.output().split('\n').find((l) => l.includes('metrics listening'))!;
    const port = JSON.parse(line).port as number;
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toMatch(/computor_gitlab_request_duration_seconds_count\{method="POST",route="groups",status="201"\} [1-9]/);
    expect(text).toMatch(/computor_gitlab_rate_limited_total [1-9]/);
    expect(text).toMatch(/computor_activity_duration_seconds_count\{activity="forkStudentRepository",outcome="completed"\} [1-9]/);
    expect(text).toMatch(/^temporal_[a-z_]+/m);
    const api = await request(app).get('/metrics');
    expect(api.text).toMatch(/computor_workflow_runs\{type="createCourseHierarchyWorkflow",status="completed"\} [1-9]/);
  });
});

describe('worker killed mid-provisioning', () => {
  it('completes on a new worker with no duplicates', async () => {
    const f = await fixture(['lecturer']);
    await setupCourse(f);
    const students = [];
    for (let i = 0; i < 12; i++) students.push(await deps.db.user.create({ data: { email: `${uniq('k')}@example.test`, username: uniq(`kill${i}-`) } }));
    gitlab.seed({ users: students.map((s) => ({ username: s.username })) });
    gitlab.configure({ latencyMs: 80 });
    try {
      const res = await request(app)
        .post(`/courses/${f.courseId}/members`)
        .set(auth(f.users.lecturer!.token))
        .send({ members: students.map((s) => ({ userId: s.id, role: 'student' })) });
      const handle = client.workflow.getHandle(res.body.workflow_id);
      for (let i = 0; i < 200; i++) {
        const p = await handle.query<{ done: number }>('progress').catch(() => ({ done: 0 }));
        if (p.done >= 2) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await worker.kill('SIGKILL');
      worker = await startWorkerProcess({ namespace, env: { GITLAB_TOKEN: gitlab.token, GITLAB_REQUESTS_PER_SECOND: '200', GITLAB_MAX_CONCURRENT: '20' } });
      // Bounded, and saying where it stands when it does not finish: pending activities and their
      // last failures, and the new worker's last log lines (it once hung past the test's timeout).
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([outcome(res.body.workflow_id), new Promise<null>((r) => (timer = setTimeout(() => r(null), 120_000)))]);
      // A pending timer would keep jest's process alive for the rest of the 120 s.
      clearTimeout(timer);
      if (!finished) {
        const described = await client.workflow.getHandle(res.body.workflow_id).describe();
        const pending = (described.raw.pendingActivities ?? []).map((a) => ({ type: a.activityType?.name, state: a.state, attempt: a.attempt, lastFailure: a.lastFailure?.message, lastWorker: a.lastWorkerIdentity }));
        const stuck = client.workflow.getHandle(res.body.workflow_id);
        const progress = await stuck.query('progress').catch((e: Error) => e.message);
        throw new Error(`not finished after 120 s: ${described.status.name}, pending ${JSON.stringify(pending)}, progress ${JSON.stringify(progress)}\nhistory:\n${await historyOutline(stuck)}\nnew worker:\n${worker.output().split('\n').slice(-40).join('\n')}`);
      }
      expect(finished).toMatchObject({ status: 'completed', result: { succeeded: 12 } });
    } finally {
      gitlab.configure({ latencyMs: 0 });
    }
    const course = await deps.db.course.findUniqueOrThrow({ where: { id: f.courseId } });
    const inStudents = gitlab.state().projects.filter((p) => p.namespace_id === course.gitlabStudentsGroupId);
    expect(inStudents.map((p) => p.path).sort()).toEqual(students.map((s) => s.username).sort());
  });
});

describe('POST /deployments', () => {
  it('deploys a YAML hierarchy, reports an outcome per course, and a re-run redoes only what failed', async () => {
    const f = await fixture([]);
    const good = uniq('orga-');
    const bad = uniq('orgb-');
    const yaml = (badParent: number) => `
organizations:
  - path: ${good}
    title: Good
    gitlab: { url: "${gitlab.url}", parentGroupId: ${parentGroupId} }
    families:
      - path: prog
        title: Programming
        courses:
          - { path: c1, title: Course 1 }
          - { path: c2, title: Course 2 }
  - path: ${bad}
    title: Bad
    gitlab: { url: "${gitlab.url}", parentGroupId: ${badParent} }
    families:
      - path: prog
        title: Programming
        courses:
          - { path: c3, title: Course 3 }
maxConcurrent: 2
`;
    expect((await request(app).post('/deployments').set(auth(f.users.outsider!.token)).type('application/yaml').send(yaml(1))).status).toBe(403);
    const first = await request(app).post('/deployments').set(auth(f.users.admin!.token)).type('application/yaml').send(yaml(999_999));
    expect(first.status).toBe(202);
    const firstDone = await outcome(first.body.workflow_id);
    expect(firstDone.status).toBe('failed');
    expect((firstDone as { message: string }).message).toMatch(/1 of 3 courses failed/);

    const second = await request(app).post('/deployments').set(auth(f.users.admin!.token)).type('application/yaml').send(yaml(parentGroupId));
    const secondDone = await outcome(second.body.workflow_id);
    expect(secondDone).toMatchObject({ status: 'completed', result: { total: 3, succeeded: 1, skipped: 2, failed: 0 } });
  });

  it('rejects an invalid hierarchy with field paths and writes nothing', async () => {
    const f = await fixture([]);
    const orgs = await deps.db.organization.count();
    const runs = await deps.db.workflowRun.count();
    const res = await request(app)
      .post('/deployments')
      .set(auth(f.users.admin!.token))
      .send({ organizations: [{ path: 'Bad Path', title: '', gitlab: { url: 'ftp://x', parentGroupId: -1 }, families: [{ path: 'ok', title: 'x', courses: [{ path: 'c', title: 'c' }] }] }] });
    expect(res.status).toBe(400);
    const paths = res.body.error.details.fields.map((x: { path: string }) => x.path);
    expect(paths).toEqual(expect.arrayContaining(['organizations[0].path', 'organizations[0].title', 'organizations[0].gitlab.url', 'organizations[0].gitlab.parentGroupId', 'organizations[0].families[0].courses[0].path']));
    const malformed = await request(app).post('/deployments').set(auth(f.users.admin!.token)).type('application/yaml').send('organizations: [ {');
    expect(malformed.status).toBe(400);
    expect(await deps.db.organization.count()).toBe(orgs);
    expect(await deps.db.workflowRun.count()).toBe(runs);
  });
});
