import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createActivities, type TTestRunStart } from '@computor/activities';
import type { THandInCommitResult } from '@computor/contracts';
import type { Db } from '@computor/db';
import { createGitlabClient } from '@computor/gitlab';
import { startGitlabEmulator, type TGitlabEmulator } from '@computor/gitlab-emulator';
import type { Storage } from '@computor/storage';
import { commitFiles, createContentFixture, createCourseFixture, repoRoot, stackDb, stackStorage, testLogger, uniq, uploadExampleFixture } from '@computor/test-support';
import { MockActivityEnvironment } from '@temporalio/testing';

// The hand-in activity (fetch, store, queue, start the run) against the real database, object
// storage and the GitLab emulator, run in an activity context: what a retry of it does when it
// failed after queueing, before the run's workflow was started.

jest.setTimeout(60_000);

const LAMBDA = path.resolve(repoRoot(), '../shared/conformance/computor-examples/itpcp.pgph.py/itpcp.pgph.py.lambda');

let gitlab: TGitlabEmulator;
let db: Db;
let storage: Storage;

beforeAll(async () => {
  gitlab = await startGitlabEmulator({ port: 0, host: '127.0.0.1', token: uniq('glpat-') });
  db = stackDb();
  storage = stackStorage();
});
afterAll(async () => {
  await gitlab.close();
  await db.$disconnect();
  storage.destroy();
});

/** A course with a student whose repository (in the emulator) has one commit of the lambda assignment. */
async function studentWithCommit(name: string, pathPrefix: string) {
  const seeded = gitlab.seed({ parentGroup: { name, path: uniq(pathPrefix) } }).parentGroup!;
  const gl = createGitlabClient({ url: gitlab.url, token: gitlab.token });
  const { project } = await gl.ensureProject({ namespaceId: seeded.id, namespaceFullPath: seeded.full_path, path: 'student', name: 'student', initializeWithReadme: true });
  const course = await createCourseFixture(db, { gitlabUrl: gitlab.url, parentGroupId: seeded.id, roles: ['student'] });
  const student = course.users.student!;
  await db.courseMember.update({ where: { id: student.memberId! }, data: { gitlabProjectId: project.id, gitlabProjectPath: project.pathWithNamespace } });
  const example = await uploadExampleFixture(db, storage, LAMBDA, { identifier: uniq('lambda-') });
  const content = await createContentFixture(db, { courseId: course.courseId, exampleVersionId: example.exampleVersionId });
  const sha = await commitFiles(gitlab, project.id, { [`${example.identifier}/lambda.py`]: 'f = lambda x: x\n' }, { existing: [] });
  return { gl, course, student, content, sha };
}

it('hands in and queues once when retried after the run could not be started, and starts that run on the retry', async () => {
  const { gl, course, student, content, sha } = await studentWithCommit('Hand-in', 'hand-in-');

  const started: TTestRunStart[] = [];
  let refuse = true;
  const activities = createActivities({
    db,
    storage,
    logger: testLogger('hand-in'),
    gitlab: () => gl,
    workerIdentity: 'hand-in-test',
    startTestRun: async (run) => {
      started.push(run);
      if (refuse) {
        refuse = false;
        throw new Error('Temporal is unreachable');
      }
    },
  });
  const input = { courseMemberId: student.memberId!, courseContentId: content.id, commit: sha, source: 'commit' as const, requestedById: student.id, maxBytes: 1_000_000 };
  const env = new MockActivityEnvironment();

  await expect(env.run(activities.handInCommit, input)).rejects.toThrow('Temporal is unreachable');
  const retried = (await env.run(activities.handInCommit, input)) as THandInCommitResult;

  expect(retried).toMatchObject({ commit_sha: sha, created: false, test: 'exists' });
  const artifacts = await db.submissionArtifact.findMany({ where: { commitSha: sha }, include: { results: true } });
  expect(artifacts).toHaveLength(1);
  expect(artifacts[0]!.results.map((r) => ({ id: r.id, status: r.status, workflowId: r.workflowId }))).toEqual([{ id: retried.result_id, status: 'pending', workflowId: retried.test_workflow_id }]);
  // The first attempt queued the run and failed to start it; the retry started the same run.
  expect(started).toEqual([
    { workflowId: retried.test_workflow_id, resultId: retried.result_id, courseId: course.courseId },
    { workflowId: retried.test_workflow_id, resultId: retried.result_id, courseId: course.courseId },
  ]);

  // Once the run is under way, a further retry answers it and starts nothing.
  await db.result.update({ where: { id: retried.result_id! }, data: { status: 'running', startedAt: new Date() } });
  expect(await env.run(activities.handInCommit, input)).toMatchObject({ created: false, test: 'exists', result_id: retried.result_id });
  expect(started).toHaveLength(2);
});

it('records the hand-in\'s file paths and grades from them without listing its prefix (rows without paths are listed)', async () => {
  const { gl, student, content, sha } = await studentWithCommit('Paths', 'paths-');
  // A fresh set of activities (and so of downloaded files) for each read below.
  const workDirs: string[] = [];
  const activities = () => {
    workDirs.push(fs.mkdtempSync(path.join(os.tmpdir(), 'hand-in-paths-')));
    return createActivities({ db, storage, logger: testLogger('hand-in-paths'), gitlab: () => gl, workerIdentity: 'hand-in-paths', startTestRun: async () => undefined, grader: { config: {}, limits: {}, workDir: workDirs.at(-1)! } });
  };
  const env = new MockActivityEnvironment();

  const handedIn = (await env.run(activities().handInCommit, { courseMemberId: student.memberId!, courseContentId: content.id, commit: sha, source: 'commit' as const, requestedById: student.id, maxBytes: 1_000_000 })) as THandInCommitResult;
  const artifact = await db.submissionArtifact.findUniqueOrThrow({ where: { id: handedIn.submission_id } });
  expect(artifact.filePaths).toEqual(['lambda.py']);
  // An object under the prefix that is not one of the hand-in's files: listing the prefix would
  // download it too, and the files would no longer match the recorded content hash.
  await storage.put(`${artifact.objectPrefix}planted.py`, 'import os\n');
  const plan = (await env.run(activities().prepareSubmissionTest, { resultId: handedIn.result_id! })) as { artifact: { artifactId: string } };
  expect(plan.artifact.artifactId).toBe(artifact.id);

  await db.submissionArtifact.update({ where: { id: artifact.id }, data: { filePaths: [] } });
  await expect(env.run(activities().prepareSubmissionTest, { resultId: handedIn.result_id! })).rejects.toThrow(/do not match the recorded content hash/);
  for (const dir of workDirs) fs.rmSync(dir, { recursive: true, force: true });
});

it('stores a commit once when two fetches of it race, and both answer the same hand-in and test run', async () => {
  const { gl, student, content, sha } = await studentWithCommit('Race', 'race-');
  const started: TTestRunStart[] = [];
  const activities = createActivities({ db, storage, logger: testLogger('hand-in-race'), gitlab: () => gl, workerIdentity: 'hand-in-race', startTestRun: async (run) => void started.push(run) });
  const input = { courseMemberId: student.memberId!, courseContentId: content.id, commit: sha, source: 'push' as const, requestedById: student.id, maxBytes: 1_000_000 };

  const objectsBefore = (await storage.list('submissions/')).length;
  const answers = (await Promise.all([1, 2, 3].map(() => new MockActivityEnvironment().run(activities.handInCommit, input)))) as THandInCommitResult[];
  const artifacts = await db.submissionArtifact.findMany({ where: { commitSha: sha }, include: { results: true } });
  expect(artifacts).toHaveLength(1);
  expect(artifacts[0]!.results).toHaveLength(1);
  expect(new Set(answers.map((a) => a.submission_id))).toEqual(new Set([artifacts[0]!.id]));
  expect(new Set(answers.map((a) => a.result_id))).toEqual(new Set([artifacts[0]!.results[0]!.id]));
  expect(answers.filter((a) => a.created)).toHaveLength(1);
  // The losers' copies are gone: the stored hand-in's one file is all that was added under submissions/.
  expect((await storage.list('submissions/')).length - objectsBefore).toBe(1);
  expect((await storage.list(`submissions/${artifacts[0]!.id}/`)).map((o) => o.key)).toEqual([`submissions/${artifacts[0]!.id}/lambda.py`]);
  expect(new Set(started.map((s) => s.resultId))).toEqual(new Set([artifacts[0]!.results[0]!.id]));
});
