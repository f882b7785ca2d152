import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { writeTar } from '@computor/archive';
import { createContentFixture, createCourseFixture, uniq, type CourseFixture } from '@computor/test-support';
import type { Client } from '@temporalio/client';
import type { Express } from 'express';
import request from 'supertest';
import { createServer } from './app';
import type { ApiDeps } from './deps';
import { startApiHarness, type ApiHarness } from './test/api-harness';
import { CALLERS, type ApiRoute, type TCaller } from './http/route';
import { ROUTES } from './routes';

// The permission matrix: every route the app serves x every caller, each answered by the real API
// (PostgreSQL, object storage, Temporal in a namespace of this file's own that no worker polls, so
// started workflows stay put and are terminated at the end). The routes are the declared ones
// (`ROUTES`, src/routes/), the expected status of each cell the route's own `access`, a required
// field of every declaration; a served route not declared, or a route without a scenario here,
// fails the test.

jest.setTimeout(300_000);

let harness: ApiHarness;
let deps: ApiDeps;
let client: Client;
let app: Express;

beforeAll(async () => {
  harness = await startApiHarness({ resultWaitSeconds: 0 });
  ({ deps, client, app } = harness);
});

afterAll(async () => {
  // Nothing polls this namespace: end what the matrix started.
  for await (const w of client.workflow.list({ query: 'ExecutionStatus="Running"' })) await client.workflow.getHandle(w.workflowId).terminate('permission matrix done').catch(() => undefined);
  await harness?.close();
});

const tarGz = (files: Record<string, string>) => gzipSync(writeTar(Object.entries(files).map(([name, data]) => ({ name, data: Buffer.from(data) }))));

/** A valid example directory (meta.yaml + test.yaml) under `identifier`. */
function exampleFiles(identifier: string, version = '1.0'): Record<string, string> {
  return {
    [`${identifier}/meta.yaml`]: `slug: ${identifier}\nidentifier: ${identifier}\nversion: '${version}'\ntitle: Matrix\nkind: assignment\nproperties:\n  studentSubmissionFiles:\n  - solve.py\n`,
    [`${identifier}/test.yaml`]: `type: python\nproperties:\n  tests:\n  - type: variable\n    name: answer\n    tests:\n    - name: x\n`,
    [`${identifier}/solve.py`]: 'x = 1\n',
  };
}

/** Everything a route may need, fresh for each cell (cells that change state do not disturb others). */
interface World {
  a: CourseFixture;
  otherCourseId: string;
  tokens: Record<Exclude<TCaller, 'anonymous'>, string>;
  example: { id: string; identifier: string; versionTag: string; versionId: string };
  releasedContentId: string;
  unreleasedContentId: string;
  artifactId: string;
  resultId: string;
  newUserId: string;
  runningWorkflowId: string;
  closedWorkflowId: string;
  /** A regrade in preview. */
  regradeId: string;
  /** A tutor test run of the released content (its workflow on a queue nobody polls). */
  tutorTestRunId: string;
}

async function probeWorkflow(courseId: string, requestedById: string, closed: boolean): Promise<string> {
  const workflowId = uniq('matrix-probe-');
  const handle = await client.workflow.start('matrixProbeWorkflow', { workflowId, taskQueue: uniq('nobody-'), args: [] });
  await deps.db.workflowRun.create({ data: { id: workflowId, runId: handle.firstExecutionRunId, type: 'matrixProbeWorkflow', taskQueue: 'nobody', requestedById, courseId } });
  if (closed) await handle.terminate('probe');
  return workflowId;
}

async function tutorTestRun(courseId: string, courseContentId: string): Promise<string> {
  const id = randomUUID();
  await client.workflow.start('tutorTestWorkflow', { workflowId: `tutor-test-${id}`, taskQueue: uniq('nobody-'), args: [], memo: { courseId, courseContentId } });
  return id;
}

async function world(): Promise<World> {
  const { db, storage } = deps;
  const a = await createCourseFixture(db, { gitlabUrl: 'http://127.0.0.1:9', parentGroupId: 1 });
  // As if set up in GitLab, so the release routes get as far as starting their workflows.
  await db.course.update({ where: { id: a.courseId }, data: { gitlabGroupId: 1, studentTemplateProjectId: 2, assignmentsProjectId: 3 } });
  // The outsider is a lecturer of another course of the same family: a role elsewhere, none here.
  const other = await db.course.create({ data: { courseFamilyId: a.familyId, path: uniq('other-'), title: 'Other course' } });
  await db.courseMember.create({ data: { courseId: other.id, userId: a.users.outsider!.id, role: 'lecturer' } });

  // A family with a synced documents project and one published file.
  await db.courseFamily.update({ where: { id: a.familyId }, data: { documentsProjectId: 4, documentsProjectPath: 'org/prog/documents', documentsCommitSha: 'd'.repeat(40) } });
  await storage.put(`documents/${a.familyId}/${'e'.repeat(64)}`, '# Notes\n', 'text/markdown; charset=utf-8');
  await db.familyDocument.create({ data: { courseFamilyId: a.familyId, path: 'notes.md', sha256: 'e'.repeat(64), size: 8, contentType: 'text/markdown; charset=utf-8', commitSha: 'd'.repeat(40) } });

  const identifier = uniq('matrix.ex.');
  const example = await db.example.create({ data: { identifier, title: 'Matrix', courseId: a.courseId } });
  const prefix = `examples/${identifier}/1.0/`;
  await storage.putFiles(prefix, Object.entries(exampleFiles(identifier)).map(([p, data]) => ({ path: p.slice(identifier.length + 1), data: Buffer.from(data) })));
  const version = await db.exampleVersion.create({ data: { exampleId: example.id, versionTag: '1.0', contentHash: 'h', objectPrefix: prefix, fileCount: 3, totalBytes: 10, meta: {} } });
  const released = await createContentFixture(db, { courseId: a.courseId, exampleVersionId: version.id });
  // A deadline far ahead and one extension, so the deadline routes have something to act on.
  await db.courseContent.update({ where: { id: released.id }, data: { dueAt: new Date('2099-01-01T00:00:00Z') } });
  await db.deadlineExtension.create({ data: { courseContentId: released.id, courseMemberId: a.users.student!.memberId!, dueAt: new Date('2099-02-01T00:00:00Z'), createdById: a.users.lecturer!.id } });
  const unreleased = await createContentFixture(db, { courseId: a.courseId, exampleVersionId: version.id, released: false });

  const group = await db.submissionGroup.create({ data: { courseContentId: released.id, members: { create: { courseMemberId: a.users.student!.memberId! } } } });
  const artifactPrefix = `submissions/${uniq('matrix-')}/`;
  await storage.putFiles(artifactPrefix, [{ path: 'solve.py', data: Buffer.from('x = 1\n') }]);
  const artifact = await db.submissionArtifact.create({
    data: { submissionGroupId: group.id, uploadedById: a.users.student!.id, objectPrefix: artifactPrefix, contentHash: 'c', fileCount: 1, totalBytes: 6 },
  });
  const result = await db.result.create({
    data: { artifactId: artifact.id, submissionGroupId: group.id, courseContentId: released.id, workflowId: uniq('matrix-result-'), status: 'completed', score: 1, passed: true },
  });
  const newUser = await db.user.create({ data: { email: `${uniq('new-')}@example.test`, username: uniq('new-') } });
  const lecturer = a.users.lecturer!;
  return {
    a,
    otherCourseId: other.id,
    tokens: { student: a.users.student!.token, tutor: a.users.tutor!.token, lecturer: lecturer.token, otherLecturer: a.users.outsider!.token, admin: a.users.admin!.token },
    example: { id: example.id, identifier, versionTag: '1.0', versionId: version.id },
    releasedContentId: released.id,
    unreleasedContentId: unreleased.id,
    artifactId: artifact.id,
    resultId: result.id,
    newUserId: newUser.id,
    regradeId: (await db.regrade.create({ data: { courseContentId: released.id, mode: 'rerun', target: 'final', status: 'preview', workflowId: uniq('matrix-regrade-'), createdById: lecturer.id } })).id,
    runningWorkflowId: await probeWorkflow(a.courseId, lecturer.id, false),
    closedWorkflowId: await probeWorkflow(a.courseId, lecturer.id, true),
    tutorTestRunId: await tutorTestRun(a.courseId, released.id),
  };
}

/** How each operation is called in the scenario, by operationId: path parameters, body, files. */
const SCENARIOS: Record<string, (w: World) => { method: ApiRoute['method']; path: string; json?: unknown; fields?: Record<string, string>; file?: Buffer }> = {
  healthz: () => ({ method: 'get', path: '/healthz' }),
  readyz: () => ({ method: 'get', path: '/readyz' }),
  metrics: () => ({ method: 'get', path: '/metrics' }),
  openapiDocument: () => ({ method: 'get', path: '/openapi.json' }),
  docs: () => ({ method: 'get', path: '/docs' }),
  getMe: () => ({ method: 'get', path: '/me' }),
  createUser: () => ({ method: 'post', path: '/users', json: { email: `${uniq('u-')}@example.test`, username: uniq('u-') } }),
  getUser: (w) => ({ method: 'get', path: `/users/${w.a.users.student!.id}` }),
  createOrganization: () => ({ method: 'post', path: '/organizations', json: { path: uniq('org-'), title: 'Org', gitlab: { url: 'http://127.0.0.1:9', parentGroupId: 1 } } }),
  listOrganizations: () => ({ method: 'get', path: '/organizations' }),
  createCourseFamily: (w) => ({ method: 'post', path: '/course-families', json: { organizationId: w.a.organizationId, path: uniq('fam-'), title: 'Family' } }),
  createCourse: (w) => ({ method: 'post', path: '/courses', json: { courseFamilyId: w.a.familyId, path: uniq('course-'), title: 'Course' } }),
  listCourses: () => ({ method: 'get', path: '/courses' }),
  getCourse: (w) => ({ method: 'get', path: `/courses/${w.a.courseId}` }),
  setupCourseGitlab: (w) => ({ method: 'post', path: `/courses/${w.a.courseId}/setup-gitlab` }),
  addCourseMembers: (w) => ({ method: 'post', path: `/courses/${w.a.courseId}/members`, json: { userId: w.newUserId, role: 'student' } }),
  removeCourseMember: (w) => ({ method: 'delete', path: `/courses/${w.a.courseId}/members/${w.a.users.student!.memberId}` }),
  getProvisioningStatus: (w) => ({ method: 'get', path: `/courses/${w.a.courseId}/provisioning?state=failed` }),
  retryProvisioning: (w) => ({ method: 'post', path: `/courses/${w.a.courseId}/provisioning/retry`, json: { member_ids: [w.a.users.student!.memberId] } }),
  archiveCourse: (w) => ({ method: 'post', path: `/courses/${w.a.courseId}/archive`, json: {} }),
  deployHierarchy: () => ({
    method: 'post',
    path: '/deployments',
    json: { organizations: [{ path: uniq('dep-'), title: 'Dep', gitlab: { url: 'http://127.0.0.1:9', parentGroupId: 1 }, families: [{ path: 'fam', title: 'Fam', courses: [{ path: 'c1', title: 'C1' }] }] }] },
  }),
  createCourseContent: (w) => ({ method: 'post', path: `/courses/${w.a.courseId}/contents`, json: { path: uniq('c').replace(/-/g, '_'), title: 'New' } }),
  listCourseContents: (w) => ({ method: 'get', path: `/courses/${w.a.courseId}/contents` }),
  assignExample: (w) => ({ method: 'put', path: `/courses/${w.a.courseId}/contents/${w.unreleasedContentId}/example`, json: { exampleVersionId: w.example.versionId } }),
  unassignExample: (w) => ({ method: 'delete', path: `/courses/${w.a.courseId}/contents/${w.unreleasedContentId}/example` }),
  releaseStudentTemplate: (w) => ({ method: 'post', path: `/courses/${w.a.courseId}/student-template`, json: { all: true } }),
  releaseAssignments: (w) => ({ method: 'post', path: `/courses/${w.a.courseId}/assignments-repository`, json: { all: true } }),
  uploadExamples: (w) => ({ method: 'post', path: '/examples', fields: { course_id: w.a.courseId }, file: tarGz(exampleFiles(uniq('matrix.up.'))) }),
  listExamples: () => ({ method: 'get', path: '/examples' }),
  listExampleVersions: (w) => ({ method: 'get', path: `/examples/${w.example.identifier}/versions` }),
  getExampleFiles: (w) => ({ method: 'get', path: `/examples/${w.example.id}/versions/${w.example.versionTag}/files` }),
  verifyExampleVersion: (w) => ({ method: 'post', path: `/examples/${w.example.identifier}/versions/${w.example.versionTag}/verify`, json: {} }),
  createSubmission: (w) => ({ method: 'post', path: '/submissions', fields: { course_content_id: w.releasedContentId }, file: tarGz({ 'solve.py': 'x = 1\n' }) }),
  getSubmission: (w) => ({ method: 'get', path: `/submissions/${w.artifactId}` }),
  setDeadline: (w) => ({ method: 'put', path: `/courses/${w.a.courseId}/contents/${w.releasedContentId}/deadline`, json: { dueAt: '2099-01-01T00:00:00+01:00' } }),
  removeDeadline: (w) => ({ method: 'delete', path: `/courses/${w.a.courseId}/contents/${w.releasedContentId}/deadline` }),
  getDeadline: (w) => ({ method: 'get', path: `/courses/${w.a.courseId}/contents/${w.releasedContentId}/deadline` }),
  setExtension: (w) => ({ method: 'put', path: `/courses/${w.a.courseId}/contents/${w.releasedContentId}/extensions/${w.a.users.student!.memberId}`, json: { dueAt: '2099-03-01T00:00:00Z' } }),
  removeExtension: (w) => ({ method: 'delete', path: `/courses/${w.a.courseId}/contents/${w.releasedContentId}/extensions/${w.a.users.student!.memberId}` }),
  setAccommodation: (w) => ({ method: 'put', path: `/courses/${w.a.courseId}/members/${w.a.users.student!.memberId}/accommodation`, json: { timeFactor: 1.5 } }),
  reopenRepositories: (w) => ({ method: 'post', path: `/courses/${w.a.courseId}/contents/${w.releasedContentId}/reopen`, json: {} }),
  startRegrade: (w) => ({ method: 'post', path: `/courses/${w.a.courseId}/contents/${w.unreleasedContentId}/regrades`, json: { mode: 'rerun' } }),
  getGradingUsage: (w) => ({ method: 'get', path: `/courses/${w.a.courseId}/grading-usage` }),
  getRegrade: (w) => ({ method: 'get', path: `/regrades/${w.regradeId}` }),
  publishRegrade: (w) => ({ method: 'post', path: `/regrades/${w.regradeId}/publish` }),
  discardRegrade: (w) => ({ method: 'post', path: `/regrades/${w.regradeId}/discard` }),
  getGradebook: (w) => ({ method: 'get', path: `/courses/${w.a.courseId}/gradebook?format=csv` }),
  listContentSubmissions: (w) => ({ method: 'get', path: `/courses/${w.a.courseId}/contents/${w.releasedContentId}/submissions` }),
  syncFamilyDocuments: (w) => ({ method: 'post', path: `/course-families/${w.a.familyId}/documents/sync`, json: {} }),
  listFamilyDocuments: (w) => ({ method: 'get', path: `/course-families/${w.a.familyId}/documents` }),
  getFamilyDocument: (w) => ({ method: 'get', path: `/course-families/${w.a.familyId}/documents/notes.md` }),
  // GitLab's push hook: API tokens do not count, only the course's X-Gitlab-Token.
  gitlabHook: () => ({ method: 'post', path: '/hooks/gitlab', json: { object_kind: 'push', project_id: 1, ref: 'refs/heads/main', after: 'a'.repeat(40), project: {}, commits: [] } }),
  testSubmission: (w) => ({ method: 'post', path: `/submissions/${w.artifactId}/test` }),
  getResult: (w) => ({ method: 'get', path: `/results/${w.resultId}` }),
  startTutorTest: (w) => ({ method: 'post', path: `/tutors/course-contents/${w.releasedContentId}/test`, file: tarGz({ 'solve.py': 'x = 1\n' }) }),
  getTutorTestRun: (w) => ({ method: 'get', path: `/tutors/test-runs/${w.tutorTestRunId}` }),
  listWorkflows: () => ({ method: 'get', path: '/workflows' }),
  cancelWorkflow: (w) => ({ method: 'post', path: `/workflows/${w.runningWorkflowId}/cancel` }),
  workflowEvents: (w) => ({ method: 'get', path: `/workflows/${w.closedWorkflowId}/events` }),
  getWorkflowStatus: (w) => ({ method: 'get', path: `/workflows/${w.runningWorkflowId}/status` }),
  getWorkflowResult: (w) => ({ method: 'get', path: `/workflows/${w.closedWorkflowId}/result?wait=0` }),
};

function send(w: World, caller: TCaller, op: ApiRoute): request.Test {
  const s = SCENARIOS[op.operationId]!(w);
  let req = request(app)[s.method](s.path);
  if (caller !== 'anonymous') req = req.set('Authorization', `Bearer ${w.tokens[caller]}`);
  if (s.file) {
    for (const [k, v] of Object.entries(s.fields ?? {})) req = req.field(k, v);
    return req.attach('archive', s.file, 'archive.tar.gz');
  }
  return s.json === undefined ? req : req.send(s.json as object);
}

/** [METHOD, express path] of every route the app serves, read from its router stack. */
function servedRoutes(express: Express): string[] {
  const found = new Set<string>();
  const walk = (stack: any[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) if (method !== '_all') found.add(`${method.toUpperCase()} ${layer.route.path}`);
      } else if (Array.isArray(layer.handle?.stack)) walk(layer.handle.stack);
    }
  };
  walk((express as any).router.stack);
  return [...found].sort();
}

describe('permission matrix', () => {
  it('has a row (with every caller) and a scenario for every route the app serves, and none for a route it does not', () => {
    const rows = ROUTES.map((o) => `${o.method.toUpperCase()} ${o.path}`).sort();
    expect(servedRoutes(app)).toEqual(rows);
    for (const op of ROUTES) {
      expect([op.operationId, Object.keys(op.access).sort()]).toEqual([op.operationId, [...CALLERS].sort()]);
      expect([op.operationId, typeof SCENARIOS[op.operationId]]).toEqual([op.operationId, 'function']);
    }
    expect(Object.keys(SCENARIOS).sort()).toEqual(ROUTES.map((o) => o.operationId).sort());
  });

  it('answers every route x caller with the declared status', async () => {
    const mismatches: string[] = [];
    for (const op of ROUTES) {
      for (const caller of CALLERS) {
        const w = await world();
        const res = await send(w, caller, op);
        if (res.status !== op.access[caller]) {
          mismatches.push(`${op.method.toUpperCase()} ${op.path} as ${caller}: ${res.status}, declared ${op.access[caller]} (${JSON.stringify(res.body?.error ?? '').slice(0, 200)})`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('fails for a route added to the app without a row', () => {
    const extended = createServer(deps);
    extended.get('/sneaky/:id', (_req, res) => {
      res.json({});
    });
    const rows = ROUTES.map((o) => `${o.method.toUpperCase()} ${o.path}`).sort();
    expect(servedRoutes(extended)).not.toEqual(rows);
    expect(servedRoutes(extended).filter((r) => !rows.includes(r))).toEqual(['GET /sneaky/:id']);
  });
});

// ---------- the holes seen in issue 11, item 4 ----------

describe('the example library is authorised by the example\'s own courses', () => {
  it('refuses a tutor of course A who is a student of course B the reference solution of B\'s example', async () => {
    const w = await world(); // course A of w is "B" here: its example, its student
    const elsewhere = await createCourseFixture(deps.db, { gitlabUrl: 'http://127.0.0.1:9', parentGroupId: 1, roles: ['tutor'] });
    const tutorOfA = elsewhere.users.tutor!;
    await deps.db.courseMember.create({ data: { courseId: w.a.courseId, userId: tutorOfA.id, role: 'student' } });
    const auth = { Authorization: `Bearer ${tutorOfA.token}` };
    for (const path of [`/examples/${w.example.id}/versions/1.0/files`, `/examples/${w.example.identifier}/versions`]) {
      const res = await request(app).get(path).set(auth);
      expect([path, res.status]).toEqual([path, 404]);
    }
    const list = await request(app).get('/examples').set(auth);
    expect(list.status).toBe(200);
    expect(list.body.items.map((e: any) => e.identifier)).not.toContain(w.example.identifier);
    // Their own course's example they do read.
    const own = await deps.db.example.create({ data: { identifier: uniq('own.'), title: 'Own', courseId: elsewhere.courseId } });
    expect((await request(app).get(`/examples/${own.id}/versions`).set(auth)).status).toBe(200);
  });

  it('refuses a lecturer of course A a new version of B\'s example, its verification and its assignment, and stores nothing', async () => {
    const w = await world();
    const lecturerOfA = w.tokens.otherLecturer; // lecturer of w.otherCourseId only
    const auth = { Authorization: `Bearer ${lecturerOfA}` };
    const versionsBefore = await deps.db.exampleVersion.count({ where: { exampleId: w.example.id } });
    const up = await request(app).post('/examples').set(auth).field('course_id', w.otherCourseId).attach('archive', tarGz(exampleFiles(w.example.identifier, '2.0')), 'x.tar.gz');
    expect(up.status).toBe(403);
    expect(up.body.error.details.examples).toEqual([w.example.identifier]);
    expect(await deps.db.exampleVersion.count({ where: { exampleId: w.example.id } })).toBe(versionsBefore);
    expect(await deps.storage.list(`examples/${w.example.identifier}/2.0/`)).toEqual([]);
    // Claiming course B as the upload's course does not help: not a member there.
    const claimed = await request(app).post('/examples').set(auth).field('course_id', w.a.courseId).attach('archive', tarGz(exampleFiles(w.example.identifier, '2.0')), 'x.tar.gz');
    expect(claimed.status).toBe(404);
    expect(await deps.db.exampleVersion.count({ where: { exampleId: w.example.id } })).toBe(versionsBefore);

    const runsBefore = await deps.db.workflowRun.count({ where: { requestedById: w.a.users.outsider!.id } });
    expect((await request(app).post(`/examples/${w.example.identifier}/versions/1.0/verify`).set(auth).send({})).status).toBe(404);
    expect(await deps.db.workflowRun.count({ where: { requestedById: w.a.users.outsider!.id } })).toBe(runsBefore);

    // Assigning B's example to a content of A would publish its solutions through A's assignments repository.
    const mine = await deps.db.courseContent.create({ data: { courseId: w.otherCourseId, path: 'w1', title: 'W1' } });
    const assign = await request(app).put(`/courses/${w.otherCourseId}/contents/${mine.id}/example`).set(auth).send({ exampleVersionId: w.example.versionId });
    expect(assign.status).toBe(404);
    expect((await deps.db.courseContent.findUniqueOrThrow({ where: { id: mine.id } })).exampleVersionId).toBeNull();
  });

  it('lets staff of a course that uses the example read it, and its lecturers publish and verify a new version', async () => {
    const w = await world();
    const user = w.a.users.outsider!; // lecturer of the other course
    const auth = { Authorization: `Bearer ${user.token}` };
    expect((await request(app).get(`/examples/${w.example.id}/versions`).set(auth)).status).toBe(404);
    // An administrator assigns the example to a content of the other course: now that course uses it.
    const theirs = await deps.db.courseContent.create({ data: { courseId: w.otherCourseId, path: 'w1', title: 'W1' } });
    const assign = await request(app).put(`/courses/${w.otherCourseId}/contents/${theirs.id}/example`).set({ Authorization: `Bearer ${w.tokens.admin}` }).send({ exampleVersionId: w.example.versionId });
    expect(assign.status).toBe(200);
    expect((await request(app).get(`/examples/${w.example.id}/versions/1.0/files`).set(auth)).status).toBe(200);
    const up = await request(app).post('/examples').set(auth).field('course_id', w.otherCourseId).attach('archive', tarGz(exampleFiles(w.example.identifier, '2.0')), 'x.tar.gz');
    expect(up.status).toBe(201);
    const stored = await deps.db.example.findUniqueOrThrow({ where: { id: w.example.id } });
    expect(stored.courseId).toBe(w.a.courseId); // ownership does not move
    expect((await request(app).post(`/examples/${w.example.identifier}/versions/2.0/verify`).set(auth).send({})).status).toBe(202);
  });

  it('requires the course of an upload from everyone but administrators, and refuses unknown form fields', async () => {
    const w = await world();
    const auth = { Authorization: `Bearer ${w.tokens.lecturer}` };
    const identifier = uniq('matrix.none.');
    const none = await request(app).post('/examples').set(auth).attach('archive', tarGz(exampleFiles(identifier)), 'x.tar.gz');
    expect(none.status).toBe(400);
    expect(none.body.error.details.fields).toEqual([expect.objectContaining({ path: 'course_id' })]);
    const bad = await request(app).post('/examples').set(auth).field('course_id', 'not-a-uuid').attach('archive', tarGz(exampleFiles(identifier)), 'x.tar.gz');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.fields.map((f: any) => f.path)).toEqual(['course_id']);
    const extra = await request(app).post('/examples').set(auth).field('owner', 'me').attach('archive', tarGz(exampleFiles(identifier)), 'x.tar.gz');
    expect(extra.status).toBe(400);
    expect(extra.body.error.details.fields).toEqual([{ path: 'owner', message: 'unknown field' }]);
    expect(await deps.db.example.findUnique({ where: { identifier } })).toBeNull();
    expect(await deps.storage.list(`examples/${identifier}/`)).toEqual([]);
  });
});
