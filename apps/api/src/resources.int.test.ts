import { createCourseFixture, stackDb, stackStorage, stackTemporal, testLogger, uniq, type CourseFixture } from '@computor/test-support';
import type { Connection } from '@temporalio/client';
import request from 'supertest';
import { createServer } from './app';
import type { ApiDeps } from './deps';

let deps: ApiDeps;
let connection: Connection;
let app: ReturnType<typeof createServer>;
let f: CourseFixture;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

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
  f = await createCourseFixture(deps.db, { gitlabUrl: 'http://127.0.0.1:1', parentGroupId: 1, roles: ['owner', 'lecturer', 'tutor', 'student'] });
});

afterAll(async () => {
  await deps.db.$disconnect();
  deps.storage.destroy();
  await connection.close();
});

describe('admin-only resources', () => {
  const bodies = () => ({
    '/users': { email: `${uniq('n')}@example.test`, username: uniq('new-') },
    '/organizations': { path: uniq('org-'), title: 'Org', gitlab: { url: 'https://gitlab.example.test', parentGroupId: 5 } },
    '/course-families': { organizationId: f.organizationId, path: uniq('fam-'), title: 'Family' },
    '/courses': { courseFamilyId: f.familyId, path: uniq('c-'), title: 'Course' },
  });

  it.each(['/users', '/organizations', '/course-families', '/courses'])('POST %s: 401 without token, 403 for every course role, 201 for admins', async (route) => {
    const body = bodies()[route as keyof ReturnType<typeof bodies>];
    expect((await request(app).post(route).send(body)).status).toBe(401);
    for (const role of ['owner', 'lecturer', 'tutor', 'student', 'outsider']) {
      const res = await request(app).post(route).set(auth(f.users[role]!.token)).send(body);
      expect([role, res.status]).toEqual([role, 403]);
    }
    const created = await request(app).post(route).set(auth(f.users.admin!.token)).send(body);
    expect(created.status).toBe(201);
    const again = await request(app).post(route).set(auth(f.users.admin!.token)).send(body);
    expect(again.status).toBe(409);
  });

  it('answers invalid bodies with 400 naming each field, and unknown parents with 404', async () => {
    const bad = await request(app).post('/organizations').set(auth(f.users.admin!.token)).send({ path: 'UPPER case', gitlab: { url: 'not a url' }, extra: 1 });
    expect(bad.status).toBe(400);
    const paths = bad.body.error.details.fields.map((x: { path: string }) => x.path);
    expect(paths).toEqual(expect.arrayContaining(['path', 'title', 'gitlab.url', 'gitlab.parentGroupId', '']));
    const orphan = await request(app).post('/courses').set(auth(f.users.admin!.token)).send({ courseFamilyId: '00000000-0000-4000-8000-000000000000', path: 'x1', title: 'X' });
    expect(orphan.status).toBe(404);
  });
});

describe('hostile input found by fuzzing', () => {
  it('answers NUL characters, malformed path encodings and out-of-range ids with 400, not 500', async () => {
    const admin = auth(f.users.admin!.token);
    const nul = await request(app).post('/courses').set(admin).send({ courseFamilyId: f.familyId, path: uniq('n-'), title: 'a\u0000b' });
    expect(nul.status).toBe(400);
    expect((await request(app).get('/workflows/a%00b/status').set(admin)).status).toBe(400);
    expect((await request(app).get('/courses/%E0%A4%A').set(admin)).status).toBe(400);
    const huge = await request(app).post('/organizations').set(admin).send({ path: uniq('h-'), title: 'H', gitlab: { url: 'https://gitlab.example.test', parentGroupId: 9007199254740990 } });
    expect(huge.status).toBe(400);
    expect(huge.body.error.details.fields[0].path).toBe('gitlab.parentGroupId');
  });
});

describe('visibility', () => {
  it('shows a course to its members and admins only', async () => {
    for (const role of ['owner', 'lecturer', 'tutor', 'student', 'admin']) {
      expect([role, (await request(app).get(`/courses/${f.courseId}`).set(auth(f.users[role]!.token))).status]).toEqual([role, 200]);
    }
    expect((await request(app).get(`/courses/${f.courseId}`).set(auth(f.users.outsider!.token))).status).toBe(404);
    const list = await request(app).get('/courses').set(auth(f.users.outsider!.token));
    expect(list.body.items.some((c: { id: string }) => c.id === f.courseId)).toBe(false);
  });

  it('shows a course workflow to its starter, tutors and above, and admins; 404 to everyone else', async () => {
    const workflowId = uniq('visible-');
    await deps.db.workflowRun.create({ data: { id: workflowId, type: 'systemCheckWorkflow', taskQueue: 'computor-tasks', requestedById: f.users.lecturer!.id, courseId: f.courseId } });
    await deps.temporal.workflow.start('systemCheckWorkflow', { taskQueue: uniq('nobody-polls-'), workflowId, args: [{}] });
    for (const role of ['lecturer', 'tutor', 'owner', 'admin']) {
      const res = await request(app).get(`/workflows/${workflowId}/status`).set(auth(f.users[role]!.token));
      expect([role, res.status, res.body.status]).toEqual([role, 200, 'RUNNING']);
    }
    for (const role of ['student', 'outsider']) {
      expect([role, (await request(app).get(`/workflows/${workflowId}/status`).set(auth(f.users[role]!.token))).status]).toEqual([role, 404]);
      expect([role, (await request(app).get(`/workflows/${workflowId}/result`).set(auth(f.users[role]!.token))).status]).toEqual([role, 404]);
    }
    const waited = await request(app).get(`/workflows/${workflowId}/result?wait=1`).set(auth(f.users.lecturer!.token));
    expect(waited.status).toBe(200);
    expect(waited.body.status).toBe('RUNNING');
    expect((await request(app).get(`/workflows/${workflowId}/result?wait=abc`).set(auth(f.users.lecturer!.token))).status).toBe(400);
    expect((await request(app).get('/workflows/no-such-workflow/status').set(auth(f.users.admin!.token))).status).toBe(404);
    await deps.temporal.workflow.getHandle(workflowId).terminate('test done');
  });
});
