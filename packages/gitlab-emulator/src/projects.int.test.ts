import { Gitlab, GitbeakerRequestError } from '@gitbeaker/rest';
import { startGitlabEmulator, type TGitlabEmulator } from './index';

const TOKEN = 'projects-test-token';
let emu: TGitlabEmulator;
let api: InstanceType<typeof Gitlab>;

beforeAll(async () => {
  emu = await startGitlabEmulator({ token: TOKEN, config: { fork: { importDelayMs: 0 } } });
  api = new Gitlab({ host: emu.url, token: TOKEN });
});
afterAll(() => emu.close());
beforeEach(() => {
  emu.reset();
  emu.configure({ fork: { importDelayMs: 0, failRate: 0, failPathPattern: null, disabled: false } });
});

async function failure(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof GitbeakerRequestError)) throw e;
    return { status: (e.cause?.response as Response).status, message: e.cause?.description as string };
  }
  throw new Error('expected the request to fail');
}

async function raw(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${emu.url}/api/v4${path}`, { ...init, headers: { 'PRIVATE-TOKEN': TOKEN, 'content-type': 'application/json', ...(init.headers ?? {}) } });
}

async function courseGroup() {
  const org = await api.Groups.create('Org', 'org');
  return api.Groups.create('Course', 'course', { parentId: org.id });
}

describe('projects', () => {
  it('creates a project with a README on main and GitLab\'s response fields', async () => {
    const course = await courseGroup();
    const p = await api.Projects.create({ name: 'Student Template', path: 'student-template', namespaceId: course.id, initializeWithReadme: true });
    expect(p).toMatchObject({
      name: 'Student Template',
      path: 'student-template',
      path_with_namespace: 'org/course/student-template',
      name_with_namespace: 'Org / Course / Student Template',
      default_branch: 'main',
      visibility: 'private',
      import_status: 'none',
      empty_repo: false,
      web_url: `${emu.url}/org/course/student-template`,
      http_url_to_repo: `${emu.url}/org/course/student-template.git`,
      namespace: { id: course.id, full_path: 'org/course', kind: 'group', parent_id: course.parent_id },
    });
    expect(p.forked_from_project).toBeUndefined();
    expect(emu.readFile(p.id, 'main', 'README.md')?.toString()).toContain('# Student Template');
    const commits = await api.Commits.all(p.id);
    expect(commits).toHaveLength(1);
    // GitLab protects the default branch of a new repository.
    expect((await api.ProtectedBranches.all(p.id)).map((b) => b.name)).toEqual(['main']);

    const byPath = await api.Projects.show('org/course/student-template');
    expect(byPath.id).toBe(p.id);
    expect(byPath.permissions).toEqual({ project_access: null, group_access: { access_level: 50, notification_level: 3 } });
  });

  it('derives the path from the name, honours default_branch, and creates empty repositories without README', async () => {
    const course = await courseGroup();
    const a = await api.Projects.create({ name: 'My Assignments', namespaceId: course.id, initializeWithReadme: true, defaultBranch: 'trunk' });
    expect([a.path, a.default_branch]).toEqual(['my-assignments', 'trunk']);
    const b = await api.Projects.create({ path: 'empty', namespaceId: course.id });
    expect([b.name, b.empty_repo, b.readme_url]).toEqual(['empty', true, null]);
    expect(await api.ProtectedBranches.all(b.id)).toEqual([]);
  });

  it('answers 400 "has already been taken" like GitLab when the name or path exists in the namespace', async () => {
    const course = await courseGroup();
    await api.Projects.create({ name: 'assignments', namespaceId: course.id });
    const res = await raw('/projects', { method: 'POST', body: JSON.stringify({ name: 'assignments', namespace_id: course.id }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      message: { name: ['has already been taken'], path: ['has already been taken'], 'project_namespace.name': ['has already been taken'] },
    });
    const pathOnly = await failure(api.Projects.create({ name: 'Other', path: 'assignments', namespaceId: course.id }));
    expect(pathOnly).toEqual({ status: 400, message: '{"path":["has already been taken"]}' });
    // A subgroup and a project cannot share a path either.
    await api.Groups.create('Students', 'students', { parentId: course.id });
    expect((await failure(api.Projects.create({ name: 'students', namespaceId: course.id }))).message).toContain('"path":["has already been taken"]');
  });

  it('answers GitLab errors for unknown namespaces, projects and missing parameters', async () => {
    expect(await failure(api.Projects.create({ name: 'x', namespaceId: 777 }))).toEqual({ status: 400, message: '{"namespace":["is not valid"]}' });
    expect(await failure(api.Projects.show(777))).toEqual({ status: 404, message: '404 Project Not Found' });
    expect((await failure(api.Projects.show('no/such'))).message).toBe('404 Project Not Found');
    const res = await raw('/projects', { method: 'POST', body: '{}' });
    expect(await res.json()).toEqual({ error: 'name, path are missing, at least one parameter must be provided' });
    const course = await courseGroup();
    expect((await failure(api.Projects.create({ name: 'pub', namespaceId: course.id, visibility: 'public' }))).message).toBe(
      '{"visibility_level":["public is not allowed in a private group."]}',
    );
  });

  it('creates projects in the user namespace by default and deletes projects with 202', async () => {
    const p = await api.Projects.create({ name: 'personal' });
    expect(p.path_with_namespace).toBe('root/personal');
    expect(p.namespace.kind).toBe('user');
    expect((await api.ProjectMembers.all(p.id)).map((m) => [m.username, m.access_level])).toEqual([['root', 50]]);
    const res = await raw(`/projects/${encodeURIComponent('root/personal')}`, { method: 'DELETE' });
    expect([res.status, await res.json()]).toEqual([202, { message: '202 Accepted' }]);
    expect((await failure(api.Projects.show(p.id))).status).toBe(404);
  });

  it('edits a project', async () => {
    const p = await api.Projects.create({ name: 'edit-me', initializeWithReadme: true });
    const edited = await api.Projects.edit(p.id, { description: 'new', forkingAccessLevel: 'disabled' });
    expect([edited.description, edited.forking_access_level]).toEqual(['new', 'disabled']);
    expect((await failure(api.Projects.edit(p.id, { defaultBranch: 'nope' }))).status).toBe(400);
  });
});

describe('forks', () => {
  it('reports import_status scheduled, then started, then finished, and copies the repository', async () => {
    emu.configure({ fork: { importDelayMs: 300 } });
    const course = await courseGroup();
    const students = await api.Groups.create('Students', 'students', { parentId: course.id });
    const template = await api.Projects.create({ name: 'student-template', namespaceId: course.id, initializeWithReadme: true });
    await api.Commits.create(template.id, 'main', 'assignment 1', [{ action: 'create', filePath: 'week1/hello.py', content: 'print(1)\n' }]);

    const fork = await api.Projects.fork(template.id, { namespaceId: students.id, path: 'max-mustermann', name: 'Max Mustermann' });
    expect(fork).toMatchObject({ import_status: 'scheduled', path_with_namespace: 'org/course/students/max-mustermann', empty_repo: true });
    expect(fork.forked_from_project).toMatchObject({ id: template.id, path_with_namespace: 'org/course/student-template' });

    const seen = new Set<string>();
    const deadline = Date.now() + 5000;
    let status = '';
    while (status !== 'finished' && Date.now() < deadline) {
      status = (await api.Projects.show(fork.id)).import_status as string;
      seen.add(status);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe('finished');
    expect(seen.has('started')).toBe(true);
    const tree = await api.Repositories.allRepositoryTrees(fork.id, { recursive: true });
    expect(tree.map((t) => t.path)).toEqual(['week1', 'README.md', 'week1/hello.py']);
    expect((await api.Commits.all(fork.id)).length).toBe(2);
    // The fork's default branch is protected, as GitLab does after the import.
    expect((await api.ProtectedBranches.all(fork.id)).map((b) => b.name)).toEqual(['main']);
  });

  it('forks by namespace_path and into the user namespace by default', async () => {
    const course = await courseGroup();
    const template = await api.Projects.create({ name: 'tpl', namespaceId: course.id, initializeWithReadme: true });
    const byPath = await api.Projects.fork(template.id, { namespacePath: 'org', path: 'copy' });
    expect(byPath.path_with_namespace).toBe('org/copy');
    const mine = await api.Projects.fork(template.id);
    expect(mine.path_with_namespace).toBe('root/tpl');
    await emu.waitForIdle();
    expect((await api.Projects.show(mine.id)).import_status).toBe('finished');
    expect((await api.Projects.allForks(template.id)).map((p) => p.id).sort()).toEqual([byPath.id, mine.id].sort());
  });

  it('answers 409 with full messages when the fork target path is taken, 404 for unknown namespaces', async () => {
    const course = await courseGroup();
    const template = await api.Projects.create({ name: 'tpl', namespaceId: course.id, initializeWithReadme: true });
    expect(await failure(api.Projects.fork(template.id, { namespaceId: course.id }))).toEqual({
      status: 409,
      message: '["Name has already been taken","Path has already been taken","Project namespace name has already been taken"]',
    });
    expect(await failure(api.Projects.fork(template.id, { namespaceId: 4444 }))).toEqual({ status: 404, message: '404 Namespace Not Found' });
    expect((await failure(api.Projects.fork(template.id, { namespacePath: 'no/where' }))).message).toBe('404 Namespace Not Found');
  });

  it('can make fork imports fail', async () => {
    emu.configure({ fork: { failPathPattern: '/broken$', importError: 'simulated import failure' } });
    const course = await courseGroup();
    const template = await api.Projects.create({ name: 'tpl', namespaceId: course.id, initializeWithReadme: true });
    const ok = await api.Projects.fork(template.id, { namespaceId: course.id, path: 'fine', name: 'fine' });
    const bad = await api.Projects.fork(template.id, { namespaceId: course.id, path: 'broken', name: 'broken' });
    await emu.waitForIdle();
    expect((await api.Projects.show(ok.id)).import_status).toBe('finished');
    const failed = await api.Projects.show(bad.id);
    expect([failed.import_status, failed.import_error, failed.empty_repo]).toEqual(['failed', 'simulated import failure', true]);
  });

  it('answers 404 like GitLab when forking is disabled on the instance or the project', async () => {
    const template = await api.Projects.create({ name: 'tpl', initializeWithReadme: true });
    await api.Projects.edit(template.id, { forkingAccessLevel: 'disabled' });
    expect(await failure(api.Projects.fork(template.id, { path: 'f1', name: 'f1' }))).toEqual({ status: 404, message: '404 Not Found' });
    await api.Projects.edit(template.id, { forkingAccessLevel: 'enabled' });
    emu.configure({ fork: { disabled: true } });
    expect((await failure(api.Projects.fork(template.id, { path: 'f2', name: 'f2' }))).status).toBe(404);
  });
});

describe('project members', () => {
  it('adds, edits and removes project members and enforces inherited minimums', async () => {
    const course = await courseGroup();
    const project = await api.Projects.create({ name: 'student-x', namespaceId: course.id, initializeWithReadme: true });
    const student = await api.Users.create({ username: 'stud', name: 'Stud', email: 'stud@example.org', password: 'secret-password' });
    const tutor = await api.Users.create({ username: 'tut', name: 'Tut', email: 'tut@example.org', password: 'secret-password' });

    expect(await api.ProjectMembers.all(project.id)).toEqual([]);
    expect((await api.ProjectMembers.add(project.id, 40, { userId: student.id })).access_level).toBe(40);
    expect(await failure(api.ProjectMembers.add(project.id, 30, { userId: student.id }))).toEqual({ status: 409, message: 'Member already exists' });
    expect((await api.ProjectMembers.add(project.id, 20, { username: 'tut' })).username).toBe('tut');
    expect((await api.ProjectMembers.edit(project.id, tutor.id, 30)).access_level).toBe(30);
    await api.ProjectMembers.remove(project.id, tutor.id);
    expect((await failure(api.ProjectMembers.show(project.id, tutor.id))).message).toBe('404 Not found');

    await api.GroupMembers.add(course.id, 30, { userId: tutor.id });
    expect((await failure(api.ProjectMembers.add(project.id, 20, { userId: tutor.id }))).message).toBe(
      '{"access_level":["should be greater than or equal to Developer inherited membership from group Course"]}',
    );
    const all = await api.ProjectMembers.all(project.id, { includeInherited: true });
    expect(all.map((m) => m.username).sort()).toEqual(['root', 'stud', 'tut']);
  });
});

describe('protected branches', () => {
  it('protects and unprotects branches like GitLab', async () => {
    const project = await api.Projects.create({ name: 'pb', initializeWithReadme: true });
    await api.ProtectedBranches.unprotect(project.id, 'main');
    expect(await api.ProtectedBranches.all(project.id)).toEqual([]);
    expect(await failure(api.ProtectedBranches.unprotect(project.id, 'main'))).toEqual({ status: 404, message: '404 Not found' });

    const created = await api.ProtectedBranches.protect(project.id, 'release/*', { pushAccessLevel: 0, mergeAccessLevel: 30 });
    expect(created).toMatchObject({
      name: 'release/*',
      push_access_levels: [{ access_level: 0, access_level_description: 'No access' }],
      merge_access_levels: [{ access_level: 30, access_level_description: 'Developer' }],
      allow_force_push: false,
    });
    expect(await failure(api.ProtectedBranches.protect(project.id, 'release/*'))).toEqual({ status: 409, message: "Protected branch 'release/*' already exists" });
    expect((await api.ProtectedBranches.show(project.id, 'release/*')).name).toBe('release/*');
    const res = await raw(`/projects/${project.id}/protected_branches?name=main&push_access_level=99`, { method: 'POST' });
    expect(await res.json()).toEqual({ error: 'push_access_level does not have a valid value' });
  });
});
