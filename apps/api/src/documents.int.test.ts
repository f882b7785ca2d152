import { createHash } from 'node:crypto';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startGitlabEmulator, type TGitlabEmulator } from '@computor/gitlab-emulator';
import { decryptSecret } from '@computor/config';
import { commitFiles, createCourseFixture, loadStackEnv, startWorkerProcess, uniq, until, type CourseFixture, type SpawnedProcess } from '@computor/test-support';
import type { Client } from '@temporalio/client';
import request from 'supertest';
import type { ApiDeps } from './deps';
import { startApiHarness, type ApiHarness } from './test/api-harness';

// The documents repository end to end: the hierarchy creates (and adopts) the family's documents
// project in the GitLab emulator, commits there are synced into object storage by the worker CLI
// (on demand and on push, through the emulator's hook deliveries to this API), and members of the
// family's courses read the files through the API.

jest.setTimeout(240_000);

let harness: ApiHarness;
let deps: ApiDeps;
let client: Client;
let namespace: string;
let gitlab: TGitlabEmulator;
let server: Server;
let worker: SpawnedProcess;
let a: CourseFixture;
let b: CourseFixture;
let projectId: number;
/** Hook deliveries reach the API only while set: the on-demand tests count what they synced themselves. */
let hooksOn = false;

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const docsUrl = (family: string, path = '') => `/course-families/${family}/documents${path}`;

function filesOnMain(): string[] {
  return gitlab.state().projects.find((p) => p.id === projectId)!.branches.main!.files;
}

/** One commit to the documents project: files created or updated, `remove` deleted. */
async function commit(files: Record<string, string>, remove: string[] = []): Promise<string> {
  if (remove.length === 0) return commitFiles(gitlab, projectId, files, { existing: filesOnMain() });
  const existing = new Set(filesOnMain());
  const res = await fetch(`${gitlab.url}/api/v4/projects/${projectId}/repository/commits`, {
    method: 'POST',
    headers: { 'PRIVATE-TOKEN': gitlab.token, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      branch: 'main',
      commit_message: 'documents',
      actions: [
        ...Object.entries(files).map(([file_path, content]) => ({ action: existing.has(file_path) ? 'update' : 'create', file_path, content })),
        ...remove.map((file_path) => ({ action: 'delete', file_path })),
      ],
    }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function syncNow(token: string, body?: object) {
  const res = await request(server).post(docsUrl(a.familyId, '/sync')).set(auth(token)).send(body ?? {});
  expect(res.status).toBe(202);
  return client.workflow.getHandle(res.body.workflow_id).result();
}

const hierarchy = () => client.workflow.execute('createCourseHierarchyWorkflow', { workflowId: uniq('hierarchy-'), taskQueue: 'computor-tasks', args: [{ courseId: a.courseId }] });

beforeAll(async () => {
  gitlab = await startGitlabEmulator({ port: 0, host: '127.0.0.1', token: uniq('glpat-') });
  const parentGroupId = gitlab.seed({ parentGroup: { name: 'Computor', path: uniq('computor-') } }).parentGroup!.id;
  harness = await startApiHarness();
  ({ deps, client, namespace } = harness);
  server = http.createServer((req, res) => {
    if (req.url?.startsWith('/hooks/') && !hooksOn) {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      return;
    }
    harness.app(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/gitlab`;
  worker = await startWorkerProcess({ namespace, env: { GITLAB_TOKEN: gitlab.token, GITLAB_REQUESTS_PER_SECOND: '200', COMPUTOR_HOOK_URL: hookUrl, WORKER_METRICS_PORT: '0' } });
  a = await createCourseFixture(deps.db, { gitlabUrl: gitlab.url, parentGroupId });
  b = await createCourseFixture(deps.db, { gitlabUrl: gitlab.url, parentGroupId });
});

afterAll(async () => {
  await worker?.kill('SIGTERM');
  await new Promise((r) => server?.close(r));
  await gitlab?.close();
  await harness?.close();
});

describe('documents repository', () => {
  it('is created with the hierarchy in the family group, with a push hook, and adopted on reruns', async () => {
    const first = await hierarchy();
    const family = await deps.db.courseFamily.findUniqueOrThrow({ where: { id: a.familyId } });
    expect(first.documents).toEqual({ projectId: family.documentsProjectId, path: `${family.gitlabGroupFullPath}/documents`, webUrl: family.documentsWebUrl });
    projectId = family.documentsProjectId!;
    expect(family.documentsProjectPath).toBe(`${family.gitlabGroupFullPath}/documents`);
    expect(family.gitlabHookTokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(family.gitlabHookTokenEncrypted).toMatch(/^v1:/);
    const hooks = await (await fetch(`${gitlab.url}/api/v4/projects/${projectId}/hooks`, { headers: { 'PRIVATE-TOKEN': gitlab.token } })).json();
    expect(hooks).toEqual([expect.objectContaining({ id: family.documentsHookId, push_events: true })]);

    // A rerun finds the stored project; one that lost its record adopts the project at the path.
    expect((await hierarchy()).documents?.projectId).toBe(projectId);
    await deps.db.courseFamily.update({ where: { id: a.familyId }, data: { documentsProjectId: null, documentsProjectPath: null } });
    expect((await hierarchy()).documents?.projectId).toBe(projectId);
    expect(gitlab.state().projects.filter((p) => p.path_with_namespace === family.documentsProjectPath)).toHaveLength(1);
    expect((await deps.db.courseFamily.findUniqueOrThrow({ where: { id: a.familyId } })).documentsProjectId).toBe(projectId);
  });

  it('syncs on demand and serves the files to members of the family\'s courses only', async () => {
    const files = { 'notes/week1.md': '# Week 1\n', 'sheets/sheet1.pdf': '%PDF-1.4 sheet one', 'code/hello.py': 'print("hello")\n', 'plot.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>' };
    const sha = await commit(files);
    const result = await syncNow(a.users.lecturer!.token);
    // README.md comes with the project.
    expect(result).toEqual({ courseFamilyId: a.familyId, commit: sha, uploaded: 5, unchanged: 0, removed: 0, files: 5 });
    expect((await deps.db.courseFamily.findUniqueOrThrow({ where: { id: a.familyId } })).documentsCommitSha).toBe(sha);

    const student = a.users.student!.token;
    const list = await request(server).get(docsUrl(a.familyId)).set(auth(student));
    expect(list.status).toBe(200);
    expect(list.body.commit).toBe(sha);
    expect(list.body.items.map((i: { path: string }) => i.path)).toEqual(['README.md', 'code/hello.py', 'notes/week1.md', 'plot.svg', 'sheets/sheet1.pdf']);
    expect(list.body.items[2]).toEqual({ path: 'notes/week1.md', size: 9, content_type: 'text/markdown; charset=utf-8', etag: `"${sha256('# Week 1\n')}"` });

    const got = await request(server).get(docsUrl(a.familyId, '/sheets/sheet1.pdf')).set(auth(student)).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(got.status).toBe(200);
    expect((got.body as Buffer).toString()).toBe(files['sheets/sheet1.pdf']);
    expect(got.headers['content-type']).toBe('application/pdf');
    expect(got.headers.etag).toBe(`"${sha256(files['sheets/sheet1.pdf'])}"`);
    expect(got.headers['cache-control']).toContain('private');
    const md = await request(server).get(docsUrl(a.familyId, '/notes/week1.md')).set(auth(a.users.tutor!.token));
    expect([md.status, md.text, md.headers['content-type']]).toEqual([200, '# Week 1\n', 'text/markdown; charset=utf-8']);
    expect((await request(server).get(docsUrl(a.familyId, '/plot.svg')).set(auth(student))).headers['content-security-policy']).toContain('sandbox');

    const again = await request(server).get(docsUrl(a.familyId, '/notes/week1.md')).set(auth(student)).set('If-None-Match', md.headers.etag!);
    expect([again.status, again.text]).toEqual([304, '']);
    expect(again.headers.etag).toBe(md.headers.etag);
    expect((await request(server).get(docsUrl(a.familyId, '/notes/week1.md')).set(auth(student)).set('If-None-Match', '"other"')).status).toBe(200);

    // Outsiders, members of another family's course, the admin of nothing in particular, and bad tokens.
    for (const token of [a.users.outsider!.token, b.users.student!.token, b.users.lecturer!.token]) {
      expect((await request(server).get(docsUrl(a.familyId, '/notes/week1.md')).set(auth(token))).status).toBe(404);
      expect((await request(server).get(docsUrl(a.familyId)).set(auth(token))).status).toBe(404);
    }
    expect((await request(server).get(docsUrl(a.familyId, '/notes/week1.md')).set(auth('not-a-token'))).status).toBe(401);
    expect((await request(server).get(docsUrl(a.familyId, '/notes/week1.md')).set(auth(a.users.admin!.token))).status).toBe(200);
    // Traversal never leaves the manifest: encoded or not, `..` is refused.
    for (const path of ['/notes/%2e%2e/sheets/sheet1.pdf', '/..%2F..%2F' + b.familyId, '/%2e%2e', '/notes//week1.md']) {
      const res = await request(server).get(docsUrl(a.familyId, path)).set(auth(student));
      expect([path, [400, 404].includes(res.status)]).toEqual([path, true]);
    }
    expect((await request(server).get(docsUrl(a.familyId, '/notes/%2e%2e/sheets/sheet1.pdf')).set(auth(student))).body.error.details.fields[0].path).toBe('path');
    expect((await request(server).get(docsUrl(a.familyId, '/missing.txt')).set(auth(student))).status).toBe(404);
  });

  it('uploads only what changed and removes deleted files on the next sync', async () => {
    const before = await deps.db.familyDocument.findUniqueOrThrow({ where: { courseFamilyId_path: { courseFamilyId: a.familyId, path: 'code/hello.py' } } });
    const sha = await commit({ 'notes/week1.md': '# Week 1, revised\n' }, ['code/hello.py']);
    const result = await syncNow(a.users.lecturer!.token);
    expect(result).toEqual({ courseFamilyId: a.familyId, commit: sha, uploaded: 1, unchanged: 3, removed: 1, files: 4 });
    const student = a.users.student!.token;
    expect((await request(server).get(docsUrl(a.familyId, '/code/hello.py')).set(auth(student))).status).toBe(404);
    const md = await request(server).get(docsUrl(a.familyId, '/notes/week1.md')).set(auth(student));
    expect([md.text, md.headers.etag]).toEqual(['# Week 1, revised\n', `"${sha256('# Week 1, revised\n')}"`]);
    // Content-addressed blobs: the removed file's and the replaced version's are gone, four remain.
    const blobs = (await deps.storage.list(`documents/${a.familyId}/`)).map((o) => o.key.split('/').pop());
    expect(blobs.sort()).toEqual((await deps.db.familyDocument.findMany({ where: { courseFamilyId: a.familyId } })).map((r) => r.sha256).sort());
    expect(blobs).not.toContain(before.sha256);
    // The same commit again costs nothing.
    expect(await syncNow(a.users.lecturer!.token, { commit: sha })).toMatchObject({ uploaded: 0, unchanged: 4, removed: 0 });
  });

  it('refuses bad input naming the field and starts nothing', async () => {
    const runs = () => deps.db.workflowRun.count({ where: { type: 'syncFamilyDocumentsWorkflow' } });
    const before = await runs();
    const lecturer = auth(a.users.lecturer!.token);
    const bad = await request(server).post(docsUrl(a.familyId, '/sync')).set(lecturer).send({ commit: '../main' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.fields.map((f: { path: string }) => f.path)).toEqual(['commit']);
    const extra = await request(server).post(docsUrl(a.familyId, '/sync')).set(lecturer).send({ branch: 'main' });
    expect(extra.status).toBe(400);
    expect((await request(server).post(docsUrl('00000000-0000-4000-8000-000000000000', '/sync')).set(lecturer).send({})).status).toBe(404);
    expect((await request(server).post(docsUrl('not-a-uuid', '/sync')).set(lecturer).send({})).status).toBe(404);
    expect((await request(server).post(docsUrl(a.familyId, '/sync')).set(auth(a.users.student!.token)).send({})).status).toBe(403);
    expect((await request(server).post(docsUrl(a.familyId, '/sync')).set(auth(b.users.lecturer!.token)).send({})).status).toBe(404);
    // B's family has no documents project: nothing to sync.
    expect((await request(server).post(docsUrl(b.familyId, '/sync')).set(auth(b.users.lecturer!.token)).send({})).status).toBe(409);
    expect(await runs()).toBe(before);
    // A well-formed commit GitLab does not know fails the workflow with the reason.
    const res = await request(server).post(docsUrl(a.familyId, '/sync')).set(lecturer).send({ commit: 'f'.repeat(40) });
    expect(res.status).toBe(202);
    await expect(client.workflow.getHandle(res.body.workflow_id).result()).rejects.toMatchObject({ cause: expect.objectContaining({ type: 'InvalidInput' }) });
  });

  it('syncs a push to the documents project at its branch head (the pushed commit, unless a newer push came first)', async () => {
    hooksOn = true;
    const sha = await commit({ 'notes/week2.md': '# Week 2\n' });
    const workflowId = `documents-sync-${a.familyId}-${sha}`;
    const served = await until('the pushed file served', async () => {
      const res = await request(server).get(docsUrl(a.familyId, '/notes/week2.md')).set(auth(a.users.student!.token));
      return res.status === 200 && res;
    });
    expect(served.text).toBe('# Week 2\n');
    expect(await client.workflow.getHandle(workflowId).result()).toMatchObject({ commit: sha, uploaded: 1, unchanged: 4, removed: 0 });
    expect((await deps.db.courseFamily.findUniqueOrThrow({ where: { id: a.familyId } })).documentsCommitSha).toBe(sha);
    // A redelivery meets the same execution.
    const family = await deps.db.courseFamily.findUniqueOrThrow({ where: { id: a.familyId } });
    const event = { object_kind: 'push', ref: 'refs/heads/main', after: sha, project_id: projectId, project: { default_branch: 'main' }, commits: [] };
    const token = decryptSecret(family.gitlabHookTokenEncrypted!, loadStackEnv().TOKEN_SECRET!);
    const redelivered = await request(server).post('/hooks/gitlab').set('X-Gitlab-Token', token).send(event);
    expect(redelivered.status).toBe(202);
    expect(redelivered.body.documents).toEqual({ course_family_id: a.familyId, workflow_id: workflowId, duplicate: true });
    // A push to another branch is no publication.
    const other = await request(server).post('/hooks/gitlab').set('X-Gitlab-Token', token).send({ ...event, ref: 'refs/heads/draft' });
    expect([other.status, other.body.ignored]).toEqual([200, ['push to refs/heads/draft, not to the default branch main']]);
    expect(family.documentsHookId).toEqual(expect.any(Number));
    expect((await request(server).post('/hooks/gitlab').set('X-Gitlab-Token', 'wrong').send(event)).status).toBe(401);

    // GitLab delivers two quick pushes' hooks in either order: the older push's hook arriving last
    // publishes the branch's head, never its own older files.
    hooksOn = false;
    const older = await commit({ 'notes/week2.md': '# Week 2, draft\n' });
    const newer = await commit({ 'notes/week2.md': '# Week 2, final\n' });
    hooksOn = true;
    const deliver = (after: string) => request(server).post('/hooks/gitlab').set('X-Gitlab-Token', token).send({ ...event, after });
    expect((await deliver(newer)).status).toBe(202);
    expect(await client.workflow.getHandle(`documents-sync-${a.familyId}-${newer}`).result()).toMatchObject({ commit: newer, uploaded: 1 });
    expect((await deliver(older)).status).toBe(202);
    expect(await client.workflow.getHandle(`documents-sync-${a.familyId}-${older}`).result()).toMatchObject({ commit: newer, uploaded: 0 });
    expect((await request(server).get(docsUrl(a.familyId, '/notes/week2.md')).set(auth(a.users.student!.token))).text).toBe('# Week 2, final\n');
  });
});
