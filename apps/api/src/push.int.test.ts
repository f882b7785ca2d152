import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import path from 'node:path';
import { startGitlabEmulator, type TGitlabEmulator } from '@computor/gitlab-emulator';
import { GRADING_PRIORITY, gradingWorkflowIds } from '@computor/contracts';
import {
  createContentFixture,
  createCourseFixture,
  repoRoot,
  commitFiles,
  startWorkerProcess,
  uniq,
  until,
  uploadExampleFixture,
  type CourseFixture,
  type SpawnedProcess,
} from '@computor/test-support';
import type { Client } from '@temporalio/client';
import fs from 'node:fs';
import os from 'node:os';
import request from 'supertest';
import type { ApiDeps } from './deps';
import { startApiHarness, type ApiHarness } from './test/api-harness';

// The student's repository as the hand-in, end to end: the GitLab emulator (hooks registered at
// provisioning, push events delivered as GitLab delivers them), the API listening for them, the
// real worker CLI on computor-tasks (GitLab, hand-ins) and on computor-testing (the sandbox),
// PostgreSQL, object storage and Temporal.

jest.setTimeout(240_000);

const LAMBDA = path.resolve(repoRoot(), '../shared/conformance/computor-examples/itpcp.pgph.py/itpcp.pgph.py.lambda');
const CORRECT = fs.readFileSync(path.join(LAMBDA, 'localTests/correctSolution/lambda.py'), 'utf8');

let harness: ApiHarness;
let deps: ApiDeps;
let client: Client;
let namespace: string;
let gitlab: TGitlabEmulator;
let server: Server;
let hookUrl: string;
let tasksWorker: SpawnedProcess;
let testingWorker: SpawnedProcess | undefined;
let workDir: string;
let course: CourseFixture;
let contentId: string;
let identifier: string;
let projectId: number;

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const startTesting = () =>
  startWorkerProcess({ namespace, queues: ['computor-testing'], env: { GRADER_WORK_DIR: workDir, GRADER_MAX_WALL_SECONDS: '10', GRADER_UID_BASE: '62800', WORKER_METRICS_PORT: '0' } });

/** A commit to the student's repository through GitLab's Commits API: a push, as far as hooks go. */
async function push(files: Record<string, string>, branch = 'main'): Promise<string> {
  const branches = gitlab.state().projects.find((p) => p.id === projectId)!.branches;
  return commitFiles(gitlab, projectId, files, { branch, newBranch: !branches[branch], existing: (branches[branch] ?? branches.main)?.files ?? [] });
}

const artifactsOf = (sha: string) => deps.db.submissionArtifact.findMany({ where: { commitSha: sha }, include: { results: true } });

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-push-'));
  gitlab = await startGitlabEmulator({ port: 0, host: '127.0.0.1', token: uniq('glpat-'), config: { fork: { importDelayMs: 0 } } });
  const parentGroupId = gitlab.seed({ parentGroup: { name: 'Computor', path: uniq('computor-') } }).parentGroup!.id;
  harness = await startApiHarness();
  ({ deps, client, namespace } = harness);
  server = await new Promise<Server>((resolve) => {
    const s = harness.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/gitlab`;
  tasksWorker = await startWorkerProcess({ namespace, env: { GITLAB_TOKEN: gitlab.token, GITLAB_REQUESTS_PER_SECOND: '200', GITLAB_MAX_CONCURRENT: '20', COMPUTOR_HOOK_URL: hookUrl, WORKER_METRICS_PORT: '0' } });

  course = await createCourseFixture(deps.db, { gitlabUrl: gitlab.url, parentGroupId });
  gitlab.seed({ users: Object.values(course.users).map((u) => ({ username: u.username })) });
  await client.workflow.execute('createCourseHierarchyWorkflow', { workflowId: uniq('hierarchy-'), taskQueue: 'computor-tasks', args: [{ courseId: course.courseId }] });
  const student = course.users.student!;
  const provisioned = await client.workflow.execute('provisionStudentRepositoryWorkflow', {
    workflowId: uniq('provision-'),
    taskQueue: 'computor-tasks',
    args: [{ courseId: course.courseId, courseMemberId: student.memberId }],
  });
  projectId = provisioned.projectId;
  identifier = uniq('push.lambda.');
  const example = await uploadExampleFixture(deps.db, deps.storage, LAMBDA, { identifier });
  contentId = (await createContentFixture(deps.db, { courseId: course.courseId, exampleVersionId: example.exampleVersionId })).id;
});

afterAll(async () => {
  await testingWorker?.kill('SIGTERM');
  await tasksWorker?.kill('SIGTERM');
  await new Promise((r) => server?.close(r));
  await gitlab?.close();
  await harness?.close();
});

describe('grade on push', () => {
  it('registers a push hook on the student repository, with the course token kept only hashed and encrypted', async () => {
    const member = await deps.db.courseMember.findUniqueOrThrow({ where: { id: course.users.student!.memberId! } });
    const row = await deps.db.course.findUniqueOrThrow({ where: { id: course.courseId } });
    expect(member.gitlabHookId).toEqual(expect.any(Number));
    expect(row.gitlabHookTokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.gitlabHookTokenEncrypted).toMatch(/^v1:/);
    const hooks = await (await fetch(`${gitlab.url}/api/v4/projects/${projectId}/hooks`, { headers: { 'PRIVATE-TOKEN': gitlab.token } })).json();
    expect(hooks).toEqual([expect.objectContaining({ id: member.gitlabHookId, url: hookUrl, push_events: true })]);
    expect(JSON.stringify(hooks)).not.toContain(row.gitlabHookTokenEncrypted);
  });

  it('refuses a wrong or missing token with 401 and stores nothing', async () => {
    const before = await deps.db.submissionArtifact.count();
    const body = { object_kind: 'push', ref: 'refs/heads/main', after: 'b'.repeat(40), project_id: projectId, project: { default_branch: 'main' }, commits: [{ added: [`${identifier}/lambda.py`] }], total_commits_count: 1 };
    expect((await request(server).post('/hooks/gitlab').send(body)).status).toBe(401);
    const wrong = await request(server).post('/hooks/gitlab').set('X-Gitlab-Token', 'not-the-token').set('X-Gitlab-Event', 'Push Hook').send(body);
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('unauthorized');
    // An id no repository of ours can have (found by the fuzzer: it was a 500).
    expect((await request(server).post('/hooks/gitlab').set('X-Gitlab-Token', 'x').send({ ...body, project_id: 2 ** 51 })).status).toBe(401);
    expect(await deps.db.submissionArtifact.count()).toBe(before);
    expect(await deps.db.workflowRun.count({ where: { id: { contains: 'b'.repeat(40) } } })).toBe(0);
  });

  it('hands in a push that changes the assignment, queues it while no grader runs, and supersedes it with a newer push', async () => {
    const first = await push({ [`${identifier}/lambda.py`]: 'wrong = 1\n' });
    const firstArtifact = await until('the first push stored', async () => (await artifactsOf(first))[0]?.results[0] && (await artifactsOf(first))[0]);
    expect(firstArtifact).toMatchObject({ source: 'push', commitSha: first });
    const queued = firstArtifact.results[0]!;
    expect(queued.status).toBe('pending');
    // The push's own hand-in workflow grades it: no second workflow per push.
    expect(queued.workflowId).toBe(gradingWorkflowIds.handIn(projectId, first, contentId));

    const student = course.users.student!.token;
    const listed = await request(server).get(`/courses/${course.courseId}/contents/${contentId}/submissions`).set(auth(student));
    expect(listed.status).toBe(200);
    expect(listed.body.items[0].results[0].queue).toMatchObject({ state: 'queued', position: expect.any(Number) });
    expect(listed.body.items[0].results[0].queue.position).toBeGreaterThanOrEqual(1);

    const second = await push({ [`${identifier}/lambda.py`]: CORRECT });
    const secondArtifact = await until('the second push queued', async () => (await artifactsOf(second))[0]?.results[0] && (await artifactsOf(second))[0]);
    const superseded = await deps.db.result.findUniqueOrThrow({ where: { id: queued.id } });
    const newer = secondArtifact.results[0]!;
    expect(superseded).toMatchObject({ status: 'superseded', supersededById: newer.id, workflowId: null });
    // The newer one took the older one's workflow and its place in the queue.
    expect(newer).toMatchObject({ status: 'pending', workflowId: queued.workflowId });
    expect(newer.queuedAt.getTime()).toBe(queued.queuedAt.getTime());

    // In a burst, fetches finish out of order: a push that arrived before the queued one but is
    // stored after it is superseded by it at once, and never takes the newer one's place.
    const older = await push({ [`${identifier}/lambda.py`]: 'older = 1\n' }, 'side');
    const studentUser = course.users.student!;
    const lateId = uniq('hand-in-older-');
    const late = await client.workflow.execute('handInCommitWorkflow', {
      workflowId: lateId,
      taskQueue: 'computor-tasks',
      args: [{ courseMemberId: studentUser.memberId, courseContentId: contentId, commit: older, source: 'push', requestedById: studentUser.id, maxBytes: 1024 * 1024, receivedAt: new Date(Date.now() - 60_000).toISOString() }],
    });
    expect(late).toMatchObject({ test: 'joined', test_workflow_id: queued.workflowId });
    // A hand-in is one workflow task (its step a local activity): no activity task, no second task.
    const { events } = await client.workflow.getHandle(lateId).fetchHistory();
    expect((events ?? []).filter((e) => e.workflowTaskCompletedEventAttributes)).toHaveLength(1);
    expect((events ?? []).filter((e) => e.activityTaskScheduledEventAttributes)).toHaveLength(0);
    const olderResult = (await artifactsOf(older))[0]!.results[0]!;
    expect(olderResult).toMatchObject({ status: 'superseded', supersededById: newer.id, workflowId: null });
    expect(await deps.db.result.findUniqueOrThrow({ where: { id: newer.id } })).toMatchObject({ status: 'pending', workflowId: queued.workflowId });

    testingWorker = await startTesting();
    const done = await until('the newer push graded', async () => {
      const row = await deps.db.result.findUniqueOrThrow({ where: { id: newer.id } });
      return row.status === 'completed' && row;
    });
    expect(done.score).toBe(1);
    expect(done.provenance).toMatchObject({ submission: { id: secondArtifact.id, commit: second } });
    // Graded by the first push's workflow: its collections on computor-testing at hand-in priority
    // with the course as fairness key, its bookkeeping local; the second push's workflow only joined.
    const graded = (await client.workflow.getHandle(queued.workflowId!).fetchHistory()).events ?? [];
    const scheduled = graded.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes] : []));
    // One activity per collection of the example (seven), all alike.
    expect(scheduled).toHaveLength(7);
    expect(new Set(scheduled.map((a) => JSON.stringify({ type: a.activityType?.name, queue: a.taskQueue?.name, priority: a.priority?.priorityKey, fairness: a.priority?.fairnessKey })))).toEqual(
      new Set([JSON.stringify({ type: 'gradeSubmissionCollection', queue: 'computor-testing', priority: GRADING_PRIORITY.handIn, fairness: course.courseId })]),
    );
    expect(graded.some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toBe(false);
    const joined = (await client.workflow.getHandle(gradingWorkflowIds.handIn(projectId, second, contentId)).fetchHistory()).events ?? [];
    expect(joined.filter((e) => e.activityTaskScheduledEventAttributes)).toHaveLength(0);
    expect(await deps.db.result.findUniqueOrThrow({ where: { id: queued.id } })).toMatchObject({ status: 'superseded', score: null, reportKey: null });
    const view = await request(server).get(`/submissions/${firstArtifact.id}`).set(auth(student));
    expect(view.body.results[0].queue).toMatchObject({ state: 'superseded', superseded_by: newer.id });
  });

  it('never grades a redelivered push twice', async () => {
    const sha = await push({ [`${identifier}/lambda.py`]: `${CORRECT}\n# again\n` });
    const artifact = await until('the push graded', async () => {
      const [a] = await artifactsOf(sha);
      return a?.results[0]?.status === 'completed' && a;
    });
    const delivery = gitlab.deliveries({ projectId }).find((d) => d.after === sha);
    expect(delivery).toMatchObject({ ok: true, statusCode: 202 });
    const [again] = await gitlab.redeliver({ idempotencyKey: delivery!.idempotencyKey });
    // GitLab's resend: the same event and Idempotency-Key; the API meets the same hand-in workflow.
    expect(again).toMatchObject({ ok: true, idempotencyKey: delivery!.idempotencyKey, resend: true });
    await sleep(1500);
    const after = await artifactsOf(sha);
    expect(after).toHaveLength(1);
    expect(after[0]!.id).toBe(artifact.id);
    expect(after[0]!.results).toHaveLength(1);
  });

  it('answers events it cannot use with 2xx and starts nothing', async () => {
    const before = await deps.db.submissionArtifact.count();
    const notes = await push({ 'notes.md': 'just notes\n' });
    const feature = await push({ [`${identifier}/lambda.py`]: 'x = 2\n' }, 'feature');
    for (const sha of [notes, feature]) {
      const delivery = await until('the delivery', async () => gitlab.deliveries({ projectId }).find((d) => d.after === sha));
      // 2xx, so that GitLab keeps the hook enabled; nothing handed in.
      expect(delivery).toMatchObject({ ok: true, statusCode: 200 });
    }
    await sleep(1000);
    expect(await deps.db.submissionArtifact.count()).toBe(before);
  });

  it('hands in a commit named through the API, once per commit, and only from the own repository', async () => {
    const student = course.users.student!.token;
    const sha = await push({ [`${identifier}/lambda.py`]: `${CORRECT}\n# by the API\n` });
    await until('the push stored', async () => (await artifactsOf(sha)).length === 1);
    const byBranch = await request(server).post('/submissions').set(auth(student)).send({ course_content_id: contentId, commit: 'main' });
    expect(byBranch.status).toBe(202);
    const result = await client.workflow.getHandle(byBranch.body.workflow_id).result();
    // The push already handed this commit in: the same submission, no second test run.
    expect(result).toMatchObject({ commit_sha: sha, created: false, test: 'exists' });
    expect(await artifactsOf(sha)).toHaveLength(1);

    const missing = await request(server).post('/submissions').set(auth(student)).send({ course_content_id: contentId, commit: 'no-such-branch' });
    expect(missing.status).toBe(202);
    await expect(client.workflow.getHandle(missing.body.workflow_id).result()).rejects.toThrow();

    const bad = await request(server).post('/submissions').set(auth(student)).send({ course_content_id: contentId, commit: '../etc' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.fields[0].path).toBe('commit');
    const tutor = await request(server).post('/submissions').set(auth(course.users.tutor!.token)).send({ course_content_id: contentId, commit: 'main' });
    expect(tutor.status).toBe(403);
  });
});
