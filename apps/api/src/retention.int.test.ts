import { startGitlabEmulator, type TGitlabEmulator } from '@computor/gitlab-emulator';
import { RETENTION_SCHEDULE_ID } from '@computor/contracts';
import { createCourseFixture, stackDb, stackStorage, stackTemporal, startWorkerProcess, testLogger, uniq, type SpawnedProcess } from '@computor/test-support';
import type { Client, Connection } from '@temporalio/client';
import request from 'supertest';
import { createServer } from './app';
import type { ApiDeps } from './deps';

jest.setTimeout(120_000);

let deps: ApiDeps;
let client: Client;
let connection: Connection;
let gitlab: TGitlabEmulator;
let worker: SpawnedProcess;
let app: ReturnType<typeof createServer>;
let parentGroupId: number;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

beforeAll(async () => {
  gitlab = await startGitlabEmulator({ port: 0, host: '127.0.0.1', token: uniq('glpat-') });
  parentGroupId = gitlab.seed({ parentGroup: { name: 'R', path: uniq('r-') } }).parentGroup!.id;
  const temporal = await stackTemporal({ isolated: true });
  ({ client, connection } = temporal);
  deps = { db: stackDb(), temporal: client, storage: stackStorage(), logger: testLogger('api'), config: { maxUploadBytes: 1 << 20, resultWaitSeconds: 1, temporalNamespace: temporal.namespace } };
  app = createServer(deps);
  worker = await startWorkerProcess({ namespace: temporal.namespace, env: { GITLAB_TOKEN: gitlab.token, RETENTION_DAYS: '30', RETENTION_INTERVAL_HOURS: '24' } });
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await gitlab?.close();
  await deps?.db.$disconnect();
  deps?.storage.destroy();
  await connection?.close();
});

it('archives a course: student access revoked, repositories and groups removed on request, lecturer+ only', async () => {
  const f = await createCourseFixture(deps.db, { gitlabUrl: gitlab.url, parentGroupId, roles: ['lecturer', 'tutor', 'student'] });
  gitlab.seed({ users: Object.values(f.users).map((u) => ({ username: u.username })) });
  const setup = await request(app).post(`/courses/${f.courseId}/setup-gitlab`).set(auth(f.users.lecturer!.token));
  await client.workflow.getHandle(setup.body.workflow_id).result();
  await client.workflow.execute('provisionStudentRepositoryWorkflow', { taskQueue: 'computor-tasks', workflowId: uniq('p-'), args: [{ courseId: f.courseId, courseMemberId: f.users.student!.memberId }] });
  const course = await deps.db.course.findUniqueOrThrow({ where: { id: f.courseId } });
  const studentProject = (await deps.db.courseMember.findUniqueOrThrow({ where: { id: f.users.student!.memberId } })).gitlabProjectId!;
  expect(gitlab.state().projects.some((p) => p.id === studentProject)).toBe(true);

  expect((await request(app).post(`/courses/${f.courseId}/archive`).set(auth(f.users.tutor!.token)).send({})).status).toBe(403);
  expect((await request(app).post(`/courses/${f.courseId}/archive`).set(auth(f.users.outsider!.token)).send({})).status).toBe(404);
  expect((await request(app).post(`/courses/${f.courseId}/archive`).set(auth(f.users.lecturer!.token)).send({ remove_everything: true })).status).toBe(400);
  const res = await request(app).post(`/courses/${f.courseId}/archive`).set(auth(f.users.lecturer!.token)).send({ remove_student_repositories: true, remove_groups: true });
  expect(res.status).toBe(202);
  const result = await client.workflow.getHandle(res.body.workflow_id).result();
  expect(result).toEqual({ courseId: f.courseId, revoked: 1, repositoriesRemoved: 1, groupRemoved: true });

  const state = gitlab.state();
  expect(state.projects.some((p) => p.id === studentProject)).toBe(false);
  expect(state.groups.some((g) => g.id === course.gitlabGroupId)).toBe(false);
  expect(state.groups.some((g) => g.id === course.gitlabStudentsGroupId)).toBe(false);
  const after = await deps.db.course.findUniqueOrThrow({ where: { id: f.courseId } });
  expect(after).toMatchObject({ gitlabGroupId: null, studentTemplateProjectId: null });
  expect(after.archivedAt).not.toBeNull();
  expect((await deps.db.courseMember.findUniqueOrThrow({ where: { id: f.users.student!.memberId } })).gitlabProjectId).toBeNull();
});

it('creates the retention Schedule and purges only what is older than the retention', async () => {
  const schedule = await client.schedule.getHandle(RETENTION_SCHEDULE_ID).describe();
  expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'retentionCleanupWorkflow' });

  const f = await createCourseFixture(deps.db, { gitlabUrl: gitlab.url, parentGroupId, roles: ['student'] });
  const example = await deps.db.example.create({ data: { identifier: uniq('ret.'), title: 'x' } });
  const version = await deps.db.exampleVersion.create({ data: { exampleId: example.id, versionTag: '1', contentHash: 'h', objectPrefix: 'examples/x/1/', fileCount: 0, totalBytes: 0, meta: {} } });
  const content = await deps.db.courseContent.create({ data: { courseId: f.courseId, path: 'w1', title: 'W1', exampleVersionId: version.id } });
  const group = await deps.db.submissionGroup.create({ data: { courseContentId: content.id, members: { create: [{ courseMemberId: f.users.student!.memberId! }] } } });
  const make = async (ageDays: number) => {
    const prefix = `submissions/${uniq('ret-')}/`;
    await deps.storage.put(`${prefix}main.py`, 'print(1)');
    const created = new Date(Date.now() - ageDays * 86_400_000);
    const artifact = await deps.db.submissionArtifact.create({
      data: { submissionGroupId: group.id, uploadedById: f.users.student!.id, objectPrefix: prefix, contentHash: 'c', fileCount: 1, totalBytes: 8, createdAt: created },
    });
    const reportKey = `results/${uniq('r-')}/report.json`;
    await deps.storage.put(reportKey, '{}');
    const result = await deps.db.result.create({
      data: { artifactId: artifact.id, submissionGroupId: group.id, courseContentId: content.id, workflowId: uniq('w-'), status: 'completed', reportKey, createdAt: created },
    });
    return { artifact, result, prefix, reportKey };
  };
  const old = await make(40);
  const fresh = await make(5);

  const outcome = await client.workflow.execute('retentionCleanupWorkflow', { taskQueue: 'computor-tasks', workflowId: uniq('ret-'), args: [{ retentionDays: 30 }] });
  expect(outcome.artifactsPurged).toBeGreaterThanOrEqual(1);
  expect(await deps.storage.list(old.prefix)).toEqual([]);
  expect(await deps.storage.list(old.reportKey)).toEqual([]);
  expect((await deps.db.submissionArtifact.findUniqueOrThrow({ where: { id: old.artifact.id } })).purgedAt).not.toBeNull();
  expect((await deps.db.result.findUniqueOrThrow({ where: { id: old.result.id } })).purgedAt).not.toBeNull();
  expect(await deps.storage.list(fresh.prefix)).toHaveLength(1);
  expect(await deps.storage.list(fresh.reportKey)).toHaveLength(1);
  expect((await deps.db.submissionArtifact.findUniqueOrThrow({ where: { id: fresh.artifact.id } })).purgedAt).toBeNull();
});
