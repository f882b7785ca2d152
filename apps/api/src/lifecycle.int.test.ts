import { gzipSync } from 'node:zlib';
import { writeTar } from '@computor/archive';
import { Storage } from '@computor/storage';
import { createContentFixture, createCourseFixture, loadStackEnv, stackDb, stackTemporal, testLogger, uniq, type CourseFixture } from '@computor/test-support';
import type { Client, Connection } from '@temporalio/client';
import type { Express } from 'express';
import request from 'supertest';
import { createServer } from './app';
import type { ApiDeps } from './deps';

// Lifecycle gates (issue 11, item 5): an archived course, an archived content and a content not
// released into student-template accept no hand-in and no test run: 409 naming why, and nothing
// stored (rows, objects in a bucket of this file's own) and no workflow started (in a namespace of
// this file's own, which no worker polls).

jest.setTimeout(120_000);

let deps: ApiDeps;
let connection: Connection;
let client: Client;
let app: Express;

beforeAll(async () => {
  const env = loadStackEnv();
  const storage = new Storage({
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION ?? 'us-east-1',
    accessKeyId: env.S3_ACCESS_KEY_ID!,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY!,
    bucket: uniq('lifecycle-'),
    forcePathStyle: true,
    checksumMode: env.S3_CHECKSUM_MODE === 'when_required' ? 'when_required' : 'when_supported',
  });
  await storage.ensureBucket();
  let namespace: string;
  ({ client, connection, namespace } = await stackTemporal({ isolated: true }));
  deps = { db: stackDb(), temporal: client, storage, logger: testLogger('api'), config: { maxUploadBytes: 1024 * 1024, resultWaitSeconds: 0, temporalNamespace: namespace } };
  app = createServer(deps);
});

afterAll(async () => {
  for await (const w of client.workflow.list({ query: 'ExecutionStatus="Running"' })) await client.workflow.getHandle(w.workflowId).terminate('lifecycle test done').catch(() => undefined);
  await deps?.db.$disconnect();
  deps?.storage.destroy();
  await connection?.close();
});

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const handIn = () => gzipSync(writeTar([{ name: 'solve.py', data: Buffer.from('x = 1\n') }]));
const submit = (token: string, contentId: string) => request(app).post('/submissions').set(auth(token)).field('course_content_id', contentId).attach('archive', handIn(), 'hand-in.tar.gz');

/** What a refused request must leave unchanged: rows, stored objects, workflows. */
async function footprint(f: CourseFixture, settle = true) {
  // Temporal's listing trails a start by a moment: give a wrongly started workflow time to show.
  if (settle) await new Promise((r) => setTimeout(r, 1_000));
  const where = { courseContent: { courseId: f.courseId } };
  const workflows: string[] = [];
  for await (const w of client.workflow.list()) workflows.push(w.workflowId);
  return {
    groups: await deps.db.submissionGroup.count({ where }),
    artifacts: await deps.db.submissionArtifact.count({ where: { submissionGroup: where } }),
    results: await deps.db.result.count({ where }),
    workflowRuns: await deps.db.workflowRun.count({ where: { courseId: f.courseId } }),
    objects: (await deps.storage.list('')).map((o) => o.key).sort(),
    workflows: workflows.sort(),
  };
}

async function course() {
  const f = await createCourseFixture(deps.db, { gitlabUrl: 'http://127.0.0.1:9', parentGroupId: 1, roles: ['lecturer', 'student'] });
  const example = await deps.db.example.create({ data: { identifier: uniq('life.'), title: 'Life', courseId: f.courseId } });
  const version = await deps.db.exampleVersion.create({ data: { exampleId: example.id, versionTag: '1', contentHash: 'h', objectPrefix: `examples/${example.identifier}/1/`, fileCount: 0, totalBytes: 0, meta: {} } });
  return { f, versionId: version.id };
}

describe('lifecycle gates', () => {
  it('refuses hand-ins and test runs for a content not released to students, and stores and starts nothing', async () => {
    const { f, versionId } = await course();
    const unreleased = await createContentFixture(deps.db, { courseId: f.courseId, exampleVersionId: versionId, released: false });
    // A release that failed leaves a deployment without a student-template commit: still not released.
    await deps.db.deployment.create({ data: { courseContentId: unreleased.id, exampleVersionId: versionId, status: 'failed', message: 'GitLab down' } });
    const before = await footprint(f);
    const res = await submit(f.users.student!.token, unreleased.id);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
    expect(res.body.error.message).toMatch(/has not been released to students/);
    expect(res.body.error.details).toEqual({ reason: 'content_not_released' });
    expect(await footprint(f)).toEqual(before);
    // A hand-in that exists anyway (made before a rule change, or by staff tooling) is not tested either.
    const group = await deps.db.submissionGroup.create({ data: { courseContentId: unreleased.id, members: { create: { courseMemberId: f.users.student!.memberId! } } } });
    const artifact = await deps.db.submissionArtifact.create({ data: { submissionGroupId: group.id, uploadedById: f.users.student!.id, objectPrefix: 'submissions/none/', contentHash: 'c', fileCount: 0, totalBytes: 0 } });
    const withRow = await footprint(f, false);
    const test = await request(app).post(`/submissions/${artifact.id}/test`).set(auth(f.users.student!.token));
    expect(test.status).toBe(409);
    expect(test.body.error.details.reason).toBe('content_not_released');
    expect(await footprint(f)).toEqual(withRow);

    // Released (the student-template commit recorded by the release workflow): the same hand-in is taken.
    await deps.db.deployment.update({ where: { courseContentId: unreleased.id }, data: { status: 'deployed', templateCommitSha: 'abc1234', deployedAt: new Date() } });
    const taken = await submit(f.users.student!.token, unreleased.id);
    expect(taken.status).toBe(201);
    const after = await footprint(f, false);
    expect(after.artifacts).toBe(before.artifacts + 2);
    expect(after.objects).toEqual(expect.arrayContaining([`submissions/${taken.body.id}/solve.py`]));
  });

  it('refuses hand-ins and test runs once the course is archived, and stores and starts nothing', async () => {
    const { f, versionId } = await course();
    const content = await createContentFixture(deps.db, { courseId: f.courseId, exampleVersionId: versionId });
    const taken = await submit(f.users.student!.token, content.id);
    expect(taken.status).toBe(201);
    // What archiveCourseWorkflow records when it has revoked student access.
    await deps.db.course.update({ where: { id: f.courseId }, data: { archivedAt: new Date() } });
    const before = await footprint(f);

    const res = await submit(f.users.student!.token, content.id);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/is archived: it accepts no hand-ins or test runs/);
    expect(res.body.error.details.reason).toBe('course_archived');
    for (const token of [f.users.student!.token, f.users.lecturer!.token, f.users.admin!.token]) {
      const test = await request(app).post(`/submissions/${taken.body.id}/test`).set(auth(token));
      expect(test.status).toBe(409);
      expect(test.body.error.details.reason).toBe('course_archived');
    }
    expect(await footprint(f)).toEqual(before);
  });

  it('refuses test runs of an archived content, and still answers bad input with 400 naming the field', async () => {
    const { f, versionId } = await course();
    const content = await createContentFixture(deps.db, { courseId: f.courseId, exampleVersionId: versionId });
    const taken = await submit(f.users.student!.token, content.id);
    expect(taken.status).toBe(201);
    await deps.db.courseContent.update({ where: { id: content.id }, data: { archivedAt: new Date() } });
    const before = await footprint(f);
    const test = await request(app).post(`/submissions/${taken.body.id}/test`).set(auth(f.users.student!.token));
    expect(test.status).toBe(409);
    expect(test.body.error.details.reason).toBe('content_archived');
    const bad = await request(app).post('/submissions').set(auth(f.users.student!.token)).field('course_content_id', 'nope').attach('archive', handIn(), 'x.tar.gz');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.fields.map((x: any) => x.path)).toEqual(['course_content_id']);
    expect(await footprint(f)).toEqual(before);
  });

  it('starts a test run when the course and content are open (the gate passes what it should)', async () => {
    const { f, versionId } = await course();
    const content = await createContentFixture(deps.db, { courseId: f.courseId, exampleVersionId: versionId });
    const taken = await submit(f.users.student!.token, content.id);
    const before = await footprint(f);
    const test = await request(app).post(`/submissions/${taken.body.id}/test`).set(auth(f.users.student!.token));
    expect(test.status).toBe(202);
    let after = await footprint(f);
    for (let i = 0; i < 10 && !after.workflows.includes(test.body.workflow_id); i++) after = await footprint(f);
    expect(after.results).toBe(before.results + 1);
    expect(after.workflows).toEqual([...before.workflows, test.body.workflow_id].sort());
  });
});
