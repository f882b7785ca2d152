import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeTar } from '@computor/archive';
import { startGitlabEmulator, type TGitlabEmulator } from '@computor/gitlab-emulator';
import { commitFiles, createContentFixture, createCourseFixture, repoRoot, stackControl, startWorkerProcess, uniq, until, uploadExampleFixture, type CourseFixture, type SpawnedProcess } from '@computor/test-support';
import type { Client } from '@temporalio/client';
import request from 'supertest';
import type { ApiDeps } from './deps';
import { startApiHarness, type ApiHarness } from './test/api-harness';

// Deadlines end to end: the API sets them, one deadline workflow per content (the real worker CLI
// on computor-tasks) locks each student's repository in the GitLab emulator at their effective due
// time on a durable timer, extensions and reopening unlock, and hand-ins follow the late policy.

jest.setTimeout(240_000);

const LAMBDA = path.resolve(repoRoot(), '../shared/conformance/computor-examples/itpcp.pgph.py/itpcp.pgph.py.lambda');
const CORRECT = fs.readFileSync(path.join(LAMBDA, 'localTests/correctSolution/lambda.py'), 'utf8');

let harness: ApiHarness;
let deps: ApiDeps;
let client: Client;
let namespace: string;
let gitlab: TGitlabEmulator;
let server: Server;
let tasksEnv: Record<string, string>;
let tasksWorker: SpawnedProcess | undefined;
let course: CourseFixture;
let students: Array<{ memberId: string; userId: string; token: string; projectId: number; username: string }>;
let identifier: string;

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const inSeconds = (s: number) => new Date(Date.now() + s * 1000);

/** The student's access level on their own repository in GitLab (40 open, 20 locked). */
const accessOf = (s: (typeof students)[number]) => gitlab.state().projects.find((p) => p.id === s.projectId)!.members.find((m) => m.username === s.username)?.access_level;

async function push(s: (typeof students)[number], text: string): Promise<string> {
  const files = gitlab.state().projects.find((p) => p.id === s.projectId)!.branches.main!.files;
  return commitFiles(gitlab, s.projectId, { [`${identifier}/lambda.py`]: text }, { existing: files });
}

/** A content with an example of its own: each has its own directory in the repositories. */
async function newContent(): Promise<string> {
  identifier = uniq('deadline.lambda.');
  const { exampleVersionId } = await uploadExampleFixture(deps.db, deps.storage, LAMBDA, { identifier });
  return (await createContentFixture(deps.db, { courseId: course.courseId, exampleVersionId })).id;
}

const lecturer = () => course.users.lecturer!.token;

beforeAll(async () => {
  gitlab = await startGitlabEmulator({ port: 0, host: '127.0.0.1', token: uniq('glpat-'), config: { fork: { importDelayMs: 0 } } });
  const parentGroupId = gitlab.seed({ parentGroup: { name: 'Computor', path: uniq('computor-') } }).parentGroup!.id;
  harness = await startApiHarness();
  ({ deps, client, namespace } = harness);
  server = await new Promise<Server>((resolve) => {
    const s = harness.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  tasksEnv = { GITLAB_TOKEN: gitlab.token, GITLAB_REQUESTS_PER_SECOND: '200', GITLAB_MAX_CONCURRENT: '20', COMPUTOR_HOOK_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/gitlab`, WORKER_METRICS_PORT: '0' };
  tasksWorker = await startWorkerProcess({ namespace, env: tasksEnv });

  course = await createCourseFixture(deps.db, { gitlabUrl: gitlab.url, parentGroupId });
  const second = await deps.db.user.create({ data: { email: `${uniq('s2-')}@example.test`, username: uniq('s2-') } });
  const secondMember = await deps.db.courseMember.create({ data: { courseId: course.courseId, userId: second.id, role: 'student' } });
  gitlab.seed({ users: [...Object.values(course.users).map((u) => ({ username: u.username })), { username: second.username }] });
  await client.workflow.execute('createCourseHierarchyWorkflow', { workflowId: uniq('hierarchy-'), taskQueue: 'computor-tasks', args: [{ courseId: course.courseId }] });
  students = [];
  for (const [memberId, user, token] of [
    [course.users.student!.memberId!, course.users.student!, course.users.student!.token],
    [secondMember.id, second, ''],
  ] as const) {
    const p = await client.workflow.execute('provisionStudentRepositoryWorkflow', { workflowId: uniq('provision-'), taskQueue: 'computor-tasks', args: [{ courseId: course.courseId, courseMemberId: memberId }] });
    students.push({ memberId, userId: user.id, token, projectId: p.projectId, username: user.username });
  }
});

afterAll(async () => {
  await tasksWorker?.kill('SIGTERM');
  await new Promise((r) => server?.close(r));
  await gitlab?.close();
  await harness?.close();
});

describe('deadlines', () => {
  it('refuses bad input naming the field and changes nothing', async () => {
    const contentId = await newContent();
    const url = `/courses/${course.courseId}/contents/${contentId}`;
    const before = await request(server).post(url.replace(/\/contents\/.*/, '/contents')).set(auth(lecturer())).send({ path: uniq('bare').replace(/-/g, '_'), title: 'No example' });
    const bare = before.body.id as string;

    const reversed = await request(server).put(`${url}/deadline`).set(auth(lecturer())).send({ releaseAt: '2030-01-02T00:00:00+01:00', dueAt: '2030-01-01T00:00:00+01:00' });
    expect(reversed.status).toBe(400);
    expect(reversed.body.error.details.fields.map((f: any) => f.path)).toEqual(['dueAt']);
    const noOffset = await request(server).put(`${url}/deadline`).set(auth(lecturer())).send({ dueAt: '2030-01-01T00:00:00' });
    expect(noOffset.status).toBe(400);
    const noExample = await request(server).put(`/courses/${course.courseId}/contents/${bare}/deadline`).set(auth(lecturer())).send({ dueAt: '2030-01-01T00:00:00Z' });
    expect(noExample.status).toBe(422);
    expect(noExample.body.error.details.fields[0].path).toBe('contentId');
    const nonMember = await request(server).put(`${url}/extensions/${course.users.tutor!.memberId}`).set(auth(lecturer())).send({ dueAt: '2030-01-01T00:00:00Z' });
    expect(nonMember.status).toBe(422);
    expect(nonMember.body.error.details.fields[0].path).toBe('memberId');
    expect((await request(server).put(`${url}/deadline`).set(auth(course.users.tutor!.token)).send({ dueAt: '2030-01-01T00:00:00Z' })).status).toBe(403);

    expect(await deps.db.courseContent.findUniqueOrThrow({ where: { id: contentId } })).toMatchObject({ dueAt: null, releaseAt: null });
    expect(await deps.db.deadlineExtension.count({ where: { courseContentId: contentId } })).toBe(0);
    expect(await deps.db.workflowRun.count({ where: { id: `deadline-${contentId}` } })).toBe(0);
    // An assignment without a deadline stays open: archived, so that the repositories can lock in the next tests.
    await deps.db.courseContent.update({ where: { id: contentId }, data: { archivedAt: new Date() } });
  });

  it('closes the content and locks every repository at the due time on a durable timer, keeps the last on-time hand-in, follows the late policy, and unlocks on an extension or a reopen', async () => {
    const contentId = await newContent();
    const url = `/courses/${course.courseId}/contents/${contentId}`;
    const dueAt = inSeconds(8);
    const set = await request(server).put(`${url}/deadline`).set(auth(lecturer())).send({ dueAt: dueAt.toISOString().replace('Z', '+00:00'), latePolicy: 'reject' });
    expect(set.status).toBe(200);
    expect(set.body.students.map((s: any) => [s.due_at, s.source])).toEqual([[dueAt.toISOString(), 'content'], [dueAt.toISOString(), 'content']]);
    const [first, second] = students as [(typeof students)[number], (typeof students)[number]];
    expect(accessOf(first)).toBe(40);

    const onTime = await push(first, CORRECT);
    const artifact = await until('the on-time push stored', () => deps.db.submissionArtifact.findFirst({ where: { commitSha: onTime } }));
    expect(artifact.late).toBe(false);

    await until('both repositories locked', async () => accessOf(first) === 20 && accessOf(second) === 20, 30_000);
    // GitLab first, the bookkeeping right after it.
    const states = await until('both closed and recorded', async () => {
      const rows = await deps.db.deadlineState.findMany({ where: { courseContentId: contentId, closedAt: { not: null } } });
      const locked = await deps.db.courseMember.count({ where: { id: { in: students.map((s) => s.memberId) }, repositoryLockedAt: { not: null } } });
      return rows.length === students.length && locked === students.length && rows;
    });
    for (const s of states) expect(s.closedAt!.getTime() - dueAt.getTime()).toBeLessThan(5_000);
    for (const s of students) expect((await deps.db.courseMember.findUniqueOrThrow({ where: { id: s.memberId } })).repositoryLockedAt!.getTime() - dueAt.getTime()).toBeLessThan(5_000);
    expect(states.find((s) => s.courseMemberId === first.memberId)!.finalArtifactId).toBe(artifact.id);
    expect(states.find((s) => s.courseMemberId === second.memberId)!.finalArtifactId).toBeNull();

    // After the due time (late policy reject): a push (by an admin, who can still push) and an upload hand in nothing.
    const late = await push(first, `${CORRECT}\n# late\n`);
    const delivery = await until('the late push delivered', async () => gitlab.deliveries({ projectId: first.projectId }).find((d) => d.after === late));
    expect(delivery.statusCode).toBe(200);
    const upload = await request(server).post('/submissions').set(auth(first.token)).field('course_content_id', contentId).attach('archive', gzipSync(writeTar([{ name: 'lambda.py', data: Buffer.from(CORRECT) }])), 'x.tar.gz');
    expect(upload.status).toBe(409);
    expect(upload.body.error.details.reason).toBe('deadline_passed');
    expect(await deps.db.submissionArtifact.count({ where: { commitSha: late } })).toBe(0);

    // An extension granted after the lock unlocks at once, without a push.
    const ext = await request(server).put(`${url}/extensions/${second.memberId}`).set(auth(course.users.tutor!.token)).send({ dueAt: inSeconds(3600).toISOString() });
    expect(ext.status).toBe(200);
    expect(ext.body.students.find((s: any) => s.course_member_id === second.memberId).source).toBe('extension');
    await until('the extended repository unlocked', async () => accessOf(second) === 40, 15_000);
    expect(accessOf(first)).toBe(20);

    // Reopen is an explicit staff action.
    expect((await request(server).post(`${url}/reopen`).set(auth(course.users.tutor!.token)).send({ courseMemberIds: [first.memberId] })).status).toBe(202);
    await until('the reopened repository unlocked', async () => accessOf(first) === 40, 15_000);
    const view = await request(server).get(`${url}/deadline`).set(auth(first.token));
    expect(view.body.students).toHaveLength(1);
    expect(view.body.students[0]).toMatchObject({ course_member_id: first.memberId, closed_at: null, reopened_at: expect.any(String), repository_locked_at: null });
    // Reopened: it takes hand-ins again, flagged late.
    const reopenedPush = await push(first, `${CORRECT}\n# after the reopen\n`);
    expect(await until('the reopened push stored', () => deps.db.submissionArtifact.findFirst({ where: { commitSha: reopenedPush } }))).toMatchObject({ late: true });
    // One workflow per content, however many changes.
    expect(await deps.db.workflowRun.count({ where: { id: `deadline-${contentId}` } })).toBe(1);
    await deps.db.courseContent.update({ where: { id: contentId }, data: { archivedAt: new Date() } });
    // An archived content's deadline workflow ends at its next pass.
    await client.workflow.getHandle(`deadline-${contentId}`).signal('deadlineChanged');
    expect(await client.workflow.getHandle(`deadline-${contentId}`).result()).toEqual({ closed: true });
  });

  it('locks at the due time even when the worker and Temporal were down while it waited', async () => {
    const contentId = await newContent();
    const dueAt = inSeconds(6);
    expect((await request(server).put(`/courses/${course.courseId}/contents/${contentId}/deadline`).set(auth(lecturer())).send({ dueAt: dueAt.toISOString() })).status).toBe(200);
    await until('the deadline workflow waiting on its timer', async () => {
      const history = await client.workflow.getHandle(`deadline-${contentId}`).fetchHistory();
      return history.events?.some((e) => e.timerStartedEventAttributes) ?? false;
    });
    expect([accessOf(students[0]!), accessOf(students[1]!)]).toEqual([40, 40]);
    await tasksWorker!.kill('SIGKILL');
    tasksWorker = undefined;
    const stack = stackControl();
    await stack.stopService('temporal');
    try {
      await sleep(Math.max(0, dueAt.getTime() - Date.now()) + 1000);
      // Nothing runs: nothing locked yet.
      expect([accessOf(students[0]!), accessOf(students[1]!)]).toEqual([40, 40]);
    } finally {
      await stack.startService('temporal');
    }
    tasksWorker = await startWorkerProcess({ namespace, env: tasksEnv });
    await until('locked after the restart', async () => accessOf(students[0]!) === 20 && accessOf(students[1]!) === 20, 30_000);
    await deps.db.courseContent.update({ where: { id: contentId }, data: { archivedAt: new Date() } });
  });

  it('keeps a repository open while another assignment of it is still open, and locks it when the last one closes', async () => {
    const early = await newContent();
    const later = await newContent();
    const earlyDue = inSeconds(4);
    const laterDue = inSeconds(9);
    await request(server).put(`/courses/${course.courseId}/contents/${later}/deadline`).set(auth(lecturer())).send({ dueAt: laterDue.toISOString() }).expect(200);
    await request(server).put(`/courses/${course.courseId}/contents/${early}/deadline`).set(auth(lecturer())).send({ dueAt: earlyDue.toISOString() }).expect(200);
    await until('the early content closed', async () => (await deps.db.deadlineState.count({ where: { courseContentId: early, closedAt: { not: null } } })) === 2, 30_000);
    // The later assignment is still open: students keep pushing to it.
    expect([accessOf(students[0]!), accessOf(students[1]!)]).toEqual([40, 40]);
    await until('locked with the last one', async () => accessOf(students[0]!) === 20 && accessOf(students[1]!) === 20, 30_000);
    const lockedAt = await until('the lock recorded', async () => (await deps.db.courseMember.findUniqueOrThrow({ where: { id: students[0]!.memberId } })).repositoryLockedAt);
    expect(lockedAt.getTime() - laterDue.getTime()).toBeLessThan(5_000);
    expect(lockedAt.getTime()).toBeGreaterThanOrEqual(laterDue.getTime());
  });
});
