import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { computeStudentView } from '@computor/activities';
import { writeTar, type TTarEntry } from '@computor/archive';
import { startGitlabEmulator, type TGitlabEmulator } from '@computor/gitlab-emulator';
import {
  createCourseFixture,
  repoRoot,
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

const CORPUS = path.resolve(repoRoot(), '../shared/conformance/computor-examples');
const LAMBDA = path.join(CORPUS, 'itpcp.pgph.py/itpcp.pgph.py.lambda');
const HELLO = path.join(CORPUS, 'itpcp.pgph.c/itpcp.pgph.c.hello_world');

let deps: ApiDeps;
let connection: Connection;
let client: Client;
let gitlab: TGitlabEmulator;
let worker: SpawnedProcess & { identity: string };
let parentGroupId: number;
let app: ReturnType<typeof createServer>;

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
type TFiles = Record<string, Buffer>;

function readDir(dir: string, prefix = ''): TFiles {
  const out: TFiles = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) Object.assign(out, readDir(path.join(dir, e.name), `${prefix}${e.name}/`));
    else out[`${prefix}${e.name}`] = fs.readFileSync(path.join(dir, e.name));
  }
  return out;
}

/** A conformance example under a unique identifier (the library is shared by every test run). */
function example(dir: string, identifier: string, version = '1.0', changes: TFiles = {}): TFiles {
  const files = { ...readDir(dir), ...changes };
  files['meta.yaml'] = Buffer.from(files['meta.yaml']!.toString().replace(/^identifier: .*$/m, `identifier: ${identifier}`).replace(/^version: .*$/m, `version: '${version}'`));
  return files;
}

/** A tar.gz of directories -> files; `extra` entries (links, hostile names) go in as given. */
function archive(dirs: Record<string, TFiles>, extra: TTarEntry[] = []): Buffer {
  const entries = Object.entries(dirs).flatMap(([dir, files]) => Object.entries(files).map(([p, data]) => ({ name: dir ? `${dir}/${p}` : p, data })));
  return gzipSync(writeTar([...entries, ...extra]));
}

// Examples are uploaded for a course: by default the one the latest fixture() made.
let lastCourseId: string;
const upload = (token: string, body: Buffer, courseId = lastCourseId) => request(app).post('/examples').set(auth(token)).field('course_id', courseId).attach('archive', body, 'examples.tar.gz');

async function outcome(workflowId: string): Promise<{ status: 'completed'; result: any } | { status: 'failed'; message: string; type: string | undefined }> {
  try {
    return { status: 'completed', result: await client.workflow.getHandle(workflowId).result() };
  } catch (error) {
    let e: any = error;
    const messages: string[] = [];
    let type: string | undefined;
    while (e) {
      messages.push(e.message);
      type = e.type ?? type;
      e = e.cause;
    }
    return { status: 'failed', message: messages.join(' <- '), type };
  }
}

const projectOf = (id: number) => gitlab.state().projects.find((p) => p.id === id)!;
const commitCount = (id: number) => projectOf(id).branches.main!.commit_count;
function repoFiles(id: number): TFiles {
  const out: TFiles = {};
  for (const p of projectOf(id).branches.main!.files) out[p] = gitlab.readFile(id, 'main', p)!;
  return out;
}
const text = (files: TFiles) => Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v.toString('base64')]));

function studentView(files: TFiles, dir: string): TFiles {
  const meta = files['meta.yaml']!.toString();
  const list = (key: string) => {
    const m = new RegExp(`${key}:\\n((?:\\s+- .*\\n)+)`).exec(meta);
    return m ? m[1]!.trim().split('\n').map((l) => l.replace(/^\s*- /, '').trim()) : [];
  };
  const view = computeStudentView(Object.entries(files).map(([p, data]) => ({ path: p, data })), { studentSubmissionFiles: list('studentSubmissionFiles'), additionalFiles: [], studentTemplates: [] });
  return Object.fromEntries(view.map((f) => [`${dir}/${f.path}`, f.data]));
}

beforeAll(async () => {
  gitlab = await startGitlabEmulator({ port: 0, host: '127.0.0.1', token: uniq('glpat-') });
  parentGroupId = gitlab.seed({ parentGroup: { name: 'Computor', path: uniq('computor-') } }).parentGroup!.id;
  let namespace: string;
  ({ client, connection, namespace } = await stackTemporal({ isolated: true }));
  deps = {
    db: stackDb(),
    temporal: client,
    storage: stackStorage(),
    logger: testLogger('api'),
    config: { maxUploadBytes: 1024 * 1024, resultWaitSeconds: 2, temporalNamespace: namespace },
  };
  app = createServer(deps);
  worker = await startWorkerProcess({ namespace, env: { GITLAB_TOKEN: gitlab.token, GITLAB_REQUESTS_PER_SECOND: '200', GITLAB_MAX_CONCURRENT: '20' } });
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await gitlab?.close();
  await deps?.db.$disconnect();
  deps?.storage.destroy();
  await connection?.close();
});

async function fixture(): Promise<CourseFixture> {
  const f = await createCourseFixture(deps.db, { gitlabUrl: gitlab.url, parentGroupId });
  gitlab.seed({ users: Object.values(f.users).map((u) => ({ username: u.username })) });
  lastCourseId = f.courseId;
  return f;
}

async function expectNothingStored(identifiers: string[]) {
  for (const identifier of identifiers) {
    expect(await deps.db.example.findUnique({ where: { identifier } })).toBeNull();
    expect(await deps.storage.list(`examples/${identifier}/`)).toEqual([]);
  }
}

describe('example library', () => {
  it('stores examples by identifier and version, no-ops identical re-uploads and refuses changed content under the same tag', async () => {
    const f = await fixture();
    const lambdaId = uniq('lib.lambda.');
    const helloId = uniq('lib.hello.');
    const lambda = example(LAMBDA, lambdaId);
    const body = archive({ [lambdaId]: lambda, hello: example(HELLO, helloId) });

    expect((await request(app).post('/examples').attach('archive', body, 'x.tar.gz')).status).toBe(401);
    expect((await upload(f.users.student!.token, body)).status).toBe(403);
    expect((await upload(f.users.tutor!.token, body)).status).toBe(403);
    expect((await upload(f.users.outsider!.token, body)).status).toBe(404);
    await expectNothingStored([lambdaId, helloId]);

    const first = await upload(f.users.lecturer!.token, body);
    expect(first.status).toBe(201);
    expect(first.body.examples.map((e: any) => [e.identifier, e.created, e.version.versionTag]).sort()).toEqual([
      [helloId, true, '1.0'],
      [lambdaId, true, '1.0'],
    ].sort());
    const stored = await deps.storage.getFiles(`examples/${lambdaId}/1.0/`);
    expect(Object.fromEntries(stored.map((s) => [s.path, s.data.toString('base64')]))).toEqual(text(lambda));
    const version = await deps.db.exampleVersion.findFirstOrThrow({ where: { example: { identifier: lambdaId } } });
    expect(version).toMatchObject({ objectPrefix: `examples/${lambdaId}/1.0/`, fileCount: Object.keys(lambda).length, verificationStatus: 'unverified' });

    const again = await upload(f.users.admin!.token, body);
    expect(again.status).toBe(200);
    expect(again.body.examples.every((e: any) => e.created === false)).toBe(true);
    expect(again.body.examples.find((e: any) => e.identifier === lambdaId).version.id).toBe(version.id);

    const changed = await upload(f.users.lecturer!.token, archive({ x: example(LAMBDA, lambdaId, '1.0', { 'lambda.py': Buffer.from('changed') }) }));
    expect(changed.status).toBe(409);
    expect(changed.body.error.details.examples).toEqual([{ identifier: lambdaId, version: '1.0', directory: 'x' }]);
    expect((await deps.storage.getFiles(`examples/${lambdaId}/1.0/`)).find((s) => s.path === 'lambda.py')!.data).toEqual(lambda['lambda.py']);

    const list = await request(app).get('/examples').set(auth(f.users.tutor!.token));
    expect(list.status).toBe(200);
    expect(list.body.items.find((e: any) => e.identifier === lambdaId).versions).toHaveLength(1);
    const studentList = await request(app).get('/examples').set(auth(f.users.student!.token));
    expect(studentList.status).toBe(200);
    expect(studentList.body.items.find((e: any) => e.identifier === lambdaId)).toBeUndefined();
    const versions = await request(app).get(`/examples/${lambdaId}/versions`).set(auth(f.users.lecturer!.token));
    expect(versions.body.items.map((v: any) => v.id)).toEqual([version.id]);
    const download = await request(app).get(`/examples/${version.exampleId}/versions/1.0/files`).set(auth(f.users.tutor!.token));
    expect(download.status).toBe(200);
    expect(Object.fromEntries(download.body.files.map((x: any) => [x.path, Buffer.from(x.content, x.encoding).toString('base64')]))).toEqual(text(lambda));
    expect((await request(app).get(`/examples/${version.exampleId}/versions/1.0/files`).set(auth(f.users.student!.token))).status).toBe(404);
    expect((await request(app).get(`/examples/${version.exampleId}/versions/9.9/files`).set(auth(f.users.tutor!.token))).status).toBe(404);
  });

  it('rejects hostile archives with 400/413 and stores nothing', async () => {
    const f = await fixture();
    const token = f.users.lecturer!.token;
    const id = () => uniq('hostile.');
    const cases: Array<{ name: string; status: number; code?: string; build: (identifier: string) => Buffer }> = [
      { name: 'path traversal', status: 400, code: 'path_traversal', build: (i) => archive({ ok: example(LAMBDA, i) }, [{ name: 'ok/../../evil.txt', data: Buffer.from('x') }]) },
      { name: 'symlink', status: 400, code: 'link', build: (i) => archive({ ok: example(LAMBDA, i) }, [{ name: 'ok/link', type: '2', linkname: '/etc/passwd' }]) },
      { name: 'absolute path', status: 400, code: 'absolute_path', build: (i) => archive({ ok: example(LAMBDA, i) }, [{ name: '/etc/cron.d/x', data: Buffer.from('x') }]) },
      { name: 'bomb', status: 413, build: (i) => archive({ ok: example(LAMBDA, i) }, [{ name: 'ok/zeros.bin', data: Buffer.alloc(40 * 1024 * 1024) }]) },
      { name: 'not an archive', status: 400, code: 'unsupported_format', build: () => Buffer.from('just text, not an archive') },
    ];
    for (const c of cases) {
      const identifier = id();
      const res = await upload(token, c.build(identifier));
      expect({ name: c.name, status: res.status }).toEqual({ name: c.name, status: c.status });
      if (c.code) expect(res.body.error.details.code).toBe(c.code);
      await expectNothingStored([identifier]);
    }
    const oversize = await upload(token, Buffer.concat([archive({ ok: example(LAMBDA, id()) }), Buffer.alloc(2 * 1024 * 1024, 7)]));
    expect(oversize.status).toBe(413);
    expect(oversize.body.error.code).toBe('payload_too_large');
    const noFile = await request(app).post('/examples').set(auth(token)).field('note', 'x');
    expect(noFile.status).toBe(400);
  });

  it('answers 422 listing every problem of every example, and stores nothing', async () => {
    const f = await fixture();
    const good = uniq('valid.');
    const bad = uniq('bad.');
    const meta = example(LAMBDA, bad)['meta.yaml']!.toString();
    const res = await upload(
      f.users.lecturer!.token,
      archive({
        good: example(LAMBDA, good),
        bad: {
          ...example(LAMBDA, bad),
          'meta.yaml': Buffer.from(meta.replace(/studentSubmissionFiles:\n\s+- lambda.py/, 'studentSubmissionFiles: 42').replace(/^version: .*$/m, 'version: [1, 2]')),
          'test.yaml': Buffer.from('type: python\nproperties:\n  tests:\n  - type: variable\n    tests: 7\n  - name: 3\n    tests: []\n  - nope\n'),
        },
        missing: { 'meta.yaml': Buffer.from(`identifier: ${uniq('x.')}\nversion: '1'\n`) },
      }),
    );
    expect(res.status).toBe(422);
    const problems = res.body.error.details.problems.map((p: any) => `${p.file} ${p.path}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        'bad/meta.yaml version',
        'bad/meta.yaml properties.studentSubmissionFiles',
        'bad/test.yaml properties.tests[0].tests',
        'bad/test.yaml properties.tests[2]',
        'missing/test.yaml (file)',
      ]),
    );
    for (const p of res.body.error.details.problems) expect(p.message).toEqual(expect.any(String));
    await expectNothingStored([good, bad]);
  });

  it('answers 422 for a language no plug-in knows and a collection type the language lacks, naming the field, and stores nothing', async () => {
    const f = await fixture();
    const cobol = uniq('cobol.');
    const octave = uniq('octave.');
    const lambdaMeta = (identifier: string) => example(LAMBDA, identifier)['meta.yaml']!.toString();
    const res = await upload(
      f.users.lecturer!.token,
      archive({
        cobol: { ...example(LAMBDA, cobol), 'meta.yaml': Buffer.from(lambdaMeta(cobol).replace(/slug: .*/, 'slug: itpcp.exec.cobol')), 'test.yaml': Buffer.from('type: cobol\nproperties:\n  tests:\n  - name: v\n    tests:\n    - name: x\n') },
        octave: {
          'meta.yaml': Buffer.from(`identifier: ${octave}\nversion: '1.0'\nproperties:\n  studentSubmissionFiles: [a.m]\n`),
          'test.yaml': Buffer.from('type: octave\nproperties:\n  tests:\n  - name: c\n    type: compile\n    tests:\n    - name: x\n'),
          'a.m': Buffer.from('x = 1;\n'),
        },
      }),
    );
    expect(res.status).toBe(422);
    const problems = res.body.error.details.problems.map((p: any) => `${p.file} ${p.path}: ${p.message}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^cobol\/meta\.yaml properties\.executionBackend\.slug: language "cobol" \(from "itpcp\.exec\.cobol"\) is not one this grader knows/),
        expect.stringMatching(/^octave\/test\.yaml properties\.tests\[0\]\.type: collection type "compile" is not one octave examples can use/),
      ]),
    );
    await expectNothingStored([cobol, octave]);
  });
});

describe('course contents and release', () => {
  it('releases the allowlisted student view and the full content, commits only differences, fails for real under faults and repairs on re-run', async () => {
    const f = await fixture();
    const lec = auth(f.users.lecturer!.token);
    const lambdaId = uniq('rel.lambda.');
    const helloId = uniq('rel.hello.');
    const lambda = example(LAMBDA, lambdaId);
    const hello = example(HELLO, helloId);
    const uploaded = await upload(f.users.lecturer!.token, archive({ a: lambda, b: hello }));
    expect(uploaded.status).toBe(201);
    const versionOf = (identifier: string) => uploaded.body.examples.find((e: any) => e.identifier === identifier).version.id as string;

    // Contents: permission matrix and validation.
    const contentBody = { path: 'week1.lambda', title: 'Lambda', position: 1 };
    expect((await request(app).post(`/courses/${f.courseId}/contents`).set(auth(f.users.tutor!.token)).send(contentBody)).status).toBe(403);
    expect((await request(app).post(`/courses/${f.courseId}/contents`).set(auth(f.users.outsider!.token)).send(contentBody)).status).toBe(404);
    expect((await request(app).post(`/courses/${f.courseId}/contents`).set(lec).send({ ...contentBody, path: 'week 1/../x' })).status).toBe(400);
    expect((await request(app).post(`/courses/${f.courseId}/contents`).set(lec).send({ ...contentBody, color: 'red' })).status).toBe(400);
    const c1 = await request(app).post(`/courses/${f.courseId}/contents`).set(lec).send(contentBody);
    expect(c1.status).toBe(201);
    expect((await request(app).post(`/courses/${f.courseId}/contents`).set(lec).send(contentBody)).status).toBe(409);
    const c2 = await request(app).post(`/courses/${f.courseId}/contents`).set(lec).send({ path: 'week1.hello', title: 'Hello', position: 2, directory: 'hello', maxTestRuns: 5 });
    expect(c2.status).toBe(201);

    const assign = (contentId: string, exampleVersionId: string, token = f.users.lecturer!.token) =>
      request(app).put(`/courses/${f.courseId}/contents/${contentId}/example`).set(auth(token)).send({ exampleVersionId });
    expect((await assign(c1.body.id, versionOf(lambdaId), f.users.tutor!.token)).status).toBe(403);
    expect((await assign(c1.body.id, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await assign(c1.body.id, versionOf(helloId))).status).toBe(200);
    // Unassigning works while nothing was released; then assign the right one.
    expect((await request(app).delete(`/courses/${f.courseId}/contents/${c1.body.id}/example`).set(auth(f.users.tutor!.token))).status).toBe(403);
    expect((await request(app).delete(`/courses/${f.courseId}/contents/${c1.body.id}/example`).set(lec)).status).toBe(204);
    const a1 = await assign(c1.body.id, versionOf(lambdaId));
    expect(a1.body).toMatchObject({ directory: lambdaId, deployment: { status: 'pending' }, example: { identifier: lambdaId, verificationStatus: 'unverified' } });
    expect((await assign(c2.body.id, versionOf(helloId))).body.deployment.status).toBe('pending');

    const listed = await request(app).get(`/courses/${f.courseId}/contents`).set(auth(f.users.tutor!.token));
    expect(listed.body.items.map((c: any) => c.path)).toEqual(['week1.lambda', 'week1.hello']);
    expect((await request(app).get(`/courses/${f.courseId}/contents`).set(auth(f.users.student!.token))).body.items).toEqual([]);

    // Release: body is strict, selection exactly one of ids/all; the course must be set up.
    const release = (body: unknown, token = f.users.lecturer!.token) => request(app).post(`/courses/${f.courseId}/student-template`).set(auth(token)).send(body as object);
    expect((await release({ all: true }, f.users.tutor!.token)).status).toBe(403);
    expect((await release({ all: true }, f.users.student!.token)).status).toBe(403);
    expect((await release({ all: true }, f.users.outsider!.token)).status).toBe(404);
    expect((await release({ all: true, dry_run: true })).status).toBe(400);
    expect((await release({})).status).toBe(400);
    expect((await release({ all: true, course_content_ids: [c1.body.id] })).status).toBe(400);
    expect((await release({ course_content_ids: ['00000000-0000-4000-8000-000000000000'] })).status).toBe(422);
    expect((await release({ all: true })).status).toBe(409);
    const setup = await request(app).post(`/courses/${f.courseId}/setup-gitlab`).set(lec);
    expect(await outcome(setup.body.workflow_id)).toMatchObject({ status: 'completed' });
    const course = await deps.db.course.findUniqueOrThrow({ where: { id: f.courseId } });
    const template = course.studentTemplateProjectId!;
    const assignments = course.assignmentsProjectId!;

    // Unverified examples are refused without force; deployments stay pending.
    const refused = await release({ all: true });
    expect(refused.status).toBe(202);
    expect(await outcome(refused.body.workflow_id)).toMatchObject({ status: 'failed', type: 'ExampleNotVerified' });
    expect((await outcome(refused.body.workflow_id) as any).message).toContain(lambdaId);
    expect((await deps.db.deployment.findMany({ where: { courseContentId: { in: [c1.body.id, c2.body.id] } } })).map((d) => d.status)).toEqual(['pending', 'pending']);

    await deps.db.exampleVersion.update({ where: { id: versionOf(helloId) }, data: { verificationStatus: 'verified' } });
    const started = await release({ all: true, force: true });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ workflow_id: `release-template-${f.courseId}`, status: 'started' });
    expect(started.body.contents.map((c: any) => c.id)).toEqual([c1.body.id, c2.body.id]);
    const done = await outcome(started.body.workflow_id);
    expect(done).toMatchObject({ status: 'completed' });
    const firstSha = (done as any).result.commitSha as string;
    expect(firstSha).toMatch(/^[0-9a-f]{40}$/);

    const released = repoFiles(template);
    const expected = { ...studentView(lambda, lambdaId), ...studentView(hello, 'hello') };
    const { 'README.md': rootReadme, ...assignmentFiles } = released;
    expect(text(assignmentFiles)).toEqual(text(expected));
    expect(Object.keys(released).sort()).toEqual(['README.md', `${lambdaId}/README.md`, `${lambdaId}/lambda.py`, 'hello/hello.c'].sort());
    expect(released[`${lambdaId}/lambda.py`]!.length).toBe(0);
    expect(released[`${lambdaId}/README.md`]).toEqual(lambda['content/index.md']);
    expect(Object.keys(released).some((p) => /test\.yaml|meta\.yaml|localTests|_master|reference\//.test(p))).toBe(false);
    expect(rootReadme!.toString()).toMatch(new RegExp(`week1\\.lambda[\\s\\S]*${lambdaId.replace(/\./g, '\\.')}[\\s\\S]*week1\\.hello`));
    expect(projectOf(template).protected_branches.map((b) => b.name)).toEqual(['main']);

    const deployments = await deps.db.deployment.findMany({ where: { courseContentId: { in: [c1.body.id, c2.body.id] } }, include: { history: { orderBy: { createdAt: 'asc' } } } });
    for (const d of deployments) {
      expect(d).toMatchObject({ status: 'deployed', templateCommitSha: firstSha });
      expect(d.history.slice(-3).map((h) => [h.fromStatus, h.toStatus])).toEqual([[null, 'pending'], ['pending', 'deploying'], ['deploying', 'deployed']].slice(-3));
      expect(d.history.at(-1)).toMatchObject({ commitSha: firstSha, workflowId: started.body.workflow_id });
    }
    expect((await request(app).delete(`/courses/${f.courseId}/contents/${c1.body.id}/example`).set(lec)).status).toBe(409);
    expect((await request(app).get(`/courses/${f.courseId}/contents`).set(auth(f.users.student!.token))).body.items.map((c: any) => c.path)).toEqual(['week1.lambda', 'week1.hello']);

    // The assignments repository gets the full example.
    const full = await request(app).post(`/courses/${f.courseId}/assignments-repository`).set(lec).send({ course_content_ids: [c1.body.id, c2.body.id] });
    expect(full.status).toBe(202);
    expect((await request(app).post(`/courses/${f.courseId}/assignments-repository`).set(lec).send({ all: true, force: true })).status).toBe(400);
    expect(await outcome(full.body.workflow_id)).toMatchObject({ status: 'completed' });
    const staffFiles = repoFiles(assignments);
    const fullExpected = Object.fromEntries([...Object.entries(lambda).map(([p, d]) => [`${lambdaId}/${p}`, d]), ...Object.entries(hello).map(([p, d]) => [`hello/${p}`, d])]);
    const { 'README.md': _staffReadme, ...staffAssignments } = staffFiles;
    expect(text(staffAssignments)).toEqual(text(fullExpected as TFiles));

    // Nothing changed: no commit.
    const commitsBefore = commitCount(template);
    const again = await release({ course_content_ids: [c1.body.id, c2.body.id], force: true });
    expect(await outcome(again.body.workflow_id)).toMatchObject({ status: 'completed', result: { commitSha: null, headSha: firstSha, actions: [] } });
    expect(commitCount(template)).toBe(commitsBefore);

    // A student forks the template now and edits their file.
    const student = await deps.db.user.create({ data: { email: `${uniq('s')}@example.test`, username: uniq('stud-') } });
    gitlab.seed({ users: [{ username: student.username }] });
    const added = await request(app).post(`/courses/${f.courseId}/members`).set(lec).send({ userId: student.id, role: 'student' });
    const fork = await outcome(added.body.workflow_id);
    expect(fork).toMatchObject({ status: 'completed' });
    const forkId = (fork as any).result.projectId as number;
    const edit = await fetch(`${gitlab.url}/api/v4/projects/${forkId}/repository/commits`, {
      method: 'POST',
      headers: { 'PRIVATE-TOKEN': gitlab.token, 'content-type': 'application/json' },
      body: JSON.stringify({ branch: 'main', commit_message: 'my work', actions: [{ action: 'update', file_path: `${lambdaId}/lambda.py`, content: 'my solution' }] }),
    });
    expect(edit.status).toBe(201);

    // A new version touches only the changed files, in one commit, and reaches the student without overwriting.
    const v11 = example(LAMBDA, lambdaId, '1.1', { 'content/index.md': Buffer.from('# New task text\n'), 'content/mediaFiles/plot.svg': Buffer.from('<svg/>') });
    const up11 = await upload(f.users.lecturer!.token, archive({ [lambdaId]: v11 }));
    expect(up11.status).toBe(201);
    expect((await assign(c1.body.id, up11.body.examples[0].version.id)).body.deployment.status).toBe('pending');
    const third = await release({ course_content_ids: [c1.body.id], force: true, update_student_repositories: true });
    const thirdDone = await outcome(third.body.workflow_id);
    expect(thirdDone).toMatchObject({ status: 'completed' });
    expect(commitCount(template)).toBe(commitsBefore + 1);
    expect((thirdDone as any).result.actions).toEqual(
      expect.arrayContaining([
        { action: 'update', filePath: `${lambdaId}/README.md` },
        { action: 'create', filePath: `${lambdaId}/mediaFiles/plot.svg` },
      ]),
    );
    expect((thirdDone as any).result.actions).toHaveLength(2);
    expect(gitlab.readFile(template, 'main', `${lambdaId}/README.md`)!.toString()).toBe('# New task text\n');
    expect((thirdDone as any).result.studentRepositories).toEqual([
      expect.objectContaining({ status: 'updated', created: [`${lambdaId}/mediaFiles/plot.svg`] }),
    ]);
    expect(gitlab.readFile(forkId, 'main', `${lambdaId}/lambda.py`)!.toString()).toBe('my solution');
    expect(gitlab.readFile(forkId, 'main', `${lambdaId}/README.md`)).toEqual(lambda['content/index.md']);
    expect(gitlab.readFile(forkId, 'main', `${lambdaId}/mediaFiles/plot.svg`)!.toString()).toBe('<svg/>');

    // GitLab refuses every change: the release fails for real and marks the deployment failed.
    const v12 = example(LAMBDA, lambdaId, '1.2', { 'content/index.md': Buffer.from('# Third text\n') });
    const up12 = await upload(f.users.lecturer!.token, archive({ [lambdaId]: v12 }));
    await assign(c1.body.id, up12.body.examples[0].version.id);
    const headBefore = projectOf(template).branches.main!.commit_id;
    gitlab.configure({ faults: { rate: 1, mutatingOnly: true, kinds: ['503'] } });
    let faulty;
    try {
      await client.workflow.start('releaseStudentTemplateWorkflow', {
        taskQueue: 'computor-tasks',
        workflowId: `release-template-${f.courseId}`,
        args: [{ courseId: f.courseId, courseContentIds: [c1.body.id], force: true, gitlabMaxAttempts: 2 }],
      });
      faulty = await outcome(`release-template-${f.courseId}`);
    } finally {
      gitlab.configure({ faults: { rate: 0 } });
    }
    expect(faulty).toMatchObject({ status: 'failed', type: 'GitlabTransientError' });
    expect(projectOf(template).branches.main!.commit_id).toBe(headBefore);
    const failed = await deps.db.deployment.findUniqueOrThrow({ where: { courseContentId: c1.body.id }, include: { history: { orderBy: { createdAt: 'asc' } } } });
    expect(failed.status).toBe('failed');
    expect(failed.message).toMatch(/503/);
    expect(failed.history.slice(-2).map((h) => [h.fromStatus, h.toStatus])).toEqual([['pending', 'deploying'], ['deploying', 'failed']]);

    // Once GitLab answers again, a re-run through the API repairs it.
    const repair = await release({ course_content_ids: [c1.body.id], force: true });
    const repaired = await outcome(repair.body.workflow_id);
    expect(repaired).toMatchObject({ status: 'completed' });
    expect(gitlab.readFile(template, 'main', `${lambdaId}/README.md`)!.toString()).toBe('# Third text\n');
    expect(await deps.db.deployment.findUniqueOrThrow({ where: { courseContentId: c1.body.id } })).toMatchObject({ status: 'deployed', templateCommitSha: (repaired as any).result.commitSha, message: null });
  });

  it('refuses to release into a template repository GitLab is about to delete, and changes nothing', async () => {
    const f = await fixture();
    const lec = auth(f.users.lecturer!.token);
    const helloId = uniq('rel.doomed.');
    const uploaded = await upload(f.users.lecturer!.token, archive({ a: example(HELLO, helloId) }));
    const versionId = uploaded.body.examples[0].version.id as string;
    await deps.db.exampleVersion.update({ where: { id: versionId }, data: { verificationStatus: 'verified' } });
    const content = await request(app).post(`/courses/${f.courseId}/contents`).set(lec).send({ path: 'week1.hello', title: 'Hello', position: 1 });
    expect((await request(app).put(`/courses/${f.courseId}/contents/${content.body.id}/example`).set(lec).send({ exampleVersionId: versionId })).status).toBe(200);
    const setup = await request(app).post(`/courses/${f.courseId}/setup-gitlab`).set(lec);
    expect(await outcome(setup.body.workflow_id)).toMatchObject({ status: 'completed' });
    const template = (await deps.db.course.findUniqueOrThrow({ where: { id: f.courseId } })).studentTemplateProjectId!;
    const commitsBefore = commitCount(template);
    // GitLab before the delayed-deletion rework (the emulator's `hold` mode): the path stays taken.
    gitlab.configure({ deletionDelayMs: 60_000, deletionMode: 'hold' });
    try {
      const del = await fetch(`${gitlab.url}/api/v4/projects/${template}`, { method: 'DELETE', headers: { 'PRIVATE-TOKEN': gitlab.token } });
      expect(del.status).toBe(202);
      const started = await request(app).post(`/courses/${f.courseId}/student-template`).set(lec).send({ all: true });
      const done = await outcome(started.body.workflow_id);
      expect(done).toMatchObject({ status: 'failed', type: 'GitlabPendingDeletionError' });
      expect((done as { message: string }).message).toMatch(/ensure student-template failed: .*student-template is scheduled for deletion/);
      expect(commitCount(template)).toBe(commitsBefore);
      expect(await deps.db.deployment.findUniqueOrThrow({ where: { courseContentId: content.body.id } })).toMatchObject({ status: 'failed' });
    } finally {
      gitlab.configure({ deletionDelayMs: 0, deletionMode: 'rename' });
    }
  });
});
