import { Gitlab, GitbeakerRequestError } from '@gitbeaker/rest';
import { startGitlabEmulator, type TGitlabEmulator } from './index';

const TOKEN = 'repo-test-token';
const DEV_TOKEN = 'developer-token';
let emu: TGitlabEmulator;
let api: InstanceType<typeof Gitlab>;
let projectId: number;

beforeAll(async () => {
  emu = await startGitlabEmulator({ token: TOKEN, tokens: [{ token: DEV_TOKEN, username: 'dev', admin: false }] });
  api = new Gitlab({ host: emu.url, token: TOKEN });
});
afterAll(() => emu.close());
beforeEach(async () => {
  emu.reset();
  projectId = (await api.Projects.create({ name: 'repo', initializeWithReadme: true })).id;
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

describe('commits API', () => {
  it('applies create, update, move and delete actions with text and base64 content in one commit', async () => {
    const first = await api.Commits.create(projectId, 'main', 'add files', [
      { action: 'create', filePath: 'src/a.py', content: 'a = 1\n' },
      { action: 'create', filePath: 'src/b.bin', content: Buffer.from([0, 1, 2, 255]).toString('base64'), encoding: 'base64' },
      { action: 'create', filePath: 'docs/old.md', content: '# old\n' },
    ]);
    expect(first).toMatchObject({ title: 'add files', message: 'add files', author_name: 'Administrator', author_email: 'admin@example.com', stats: { additions: 2, deletions: 0, total: 2 } });
    expect(first.id).toMatch(/^[0-9a-f]{40}$/);
    expect(first.short_id).toBe(first.id.slice(0, 8));

    const second = await api.Commits.create(
      projectId,
      'main',
      'rework\n\nlonger body',
      [
        { action: 'update', filePath: 'src/a.py', content: 'a = 2\n' },
        { action: 'move', previousPath: 'docs/old.md', filePath: 'docs/new.md' },
        { action: 'delete', filePath: 'src/b.bin' },
      ],
      { authorName: 'Release Bot', authorEmail: 'bot@computor.example' },
    );
    expect(second).toMatchObject({ title: 'rework', parent_ids: [first.id], author_name: 'Release Bot', committer_name: 'Administrator' });

    expect(emu.readFile(projectId, 'main', 'src/a.py')?.toString()).toBe('a = 2\n');
    expect(emu.readFile(projectId, 'main', 'docs/new.md')?.toString()).toBe('# old\n');
    expect(emu.readFile(projectId, 'main', 'docs/old.md')).toBeUndefined();
    expect(emu.readFile(projectId, first.id, 'src/b.bin')).toEqual(Buffer.from([0, 1, 2, 255]));

    const list = await api.Commits.all(projectId);
    expect(list.map((c) => c.id)).toEqual([second.id, first.id, list[2]?.id]);
    expect((await api.Commits.all(projectId, { path: 'src/a.py' })).map((c) => c.id)).toEqual([second.id, first.id]);
    const shown = await api.Commits.show(projectId, first.id.slice(0, 10));
    expect(shown).toMatchObject({ id: first.id, project_id: projectId, stats: { additions: 2 } });
    expect((await api.Commits.show(projectId, 'main')).id).toBe(second.id);
    expect(await failure(api.Commits.show(projectId, 'deadbeefdeadbeef'))).toEqual({ status: 404, message: '404 Commit Not Found' });
  });

  it('answers 400 for creating an existing file and for updating, deleting or moving a missing one, without changing the branch', async () => {
    const head = (await api.Branches.show(projectId, 'main')).commit.id;
    expect(await failure(api.Commits.create(projectId, 'main', 'x', [{ action: 'create', filePath: 'README.md', content: 'again' }]))).toEqual({
      status: 400,
      message: 'A file with this name already exists',
    });
    for (const action of ['update', 'delete'] as const) {
      expect((await failure(api.Commits.create(projectId, 'main', 'x', [{ action, filePath: 'missing.txt', content: '' }]))).message).toBe(
        "A file with this name doesn't exist",
      );
    }
    expect(
      (await failure(api.Commits.create(projectId, 'main', 'x', [{ action: 'move', filePath: 'b.txt', previousPath: 'missing.txt' }]))).message,
    ).toBe("A file with this name doesn't exist");
    // An earlier valid action in the same request is not applied either.
    await failure(
      api.Commits.create(projectId, 'main', 'x', [
        { action: 'create', filePath: 'new.txt', content: 'n' },
        { action: 'update', filePath: 'nope.txt', content: 'n' },
      ]),
    );
    expect((await api.Branches.show(projectId, 'main')).commit.id).toBe(head);
    expect(emu.readFile(projectId, 'main', 'new.txt')).toBeUndefined();

    expect((await failure(api.Commits.create(projectId, 'feature', 'x', [{ action: 'create', filePath: 'f.txt', content: '' }]))).message).toBe(
      'You can only create or edit files when you are on a branch',
    );
    const res = await raw(`/projects/${projectId}/repository/commits`, {
      method: 'POST',
      body: JSON.stringify({ branch: 'main', commit_message: 'm', actions: [{ action: 'rename', file_path: 'a' }] }),
    });
    expect([res.status, await res.json()]).toEqual([400, { error: 'actions[0][action] does not have a valid value' }]);
    const empty = await raw(`/projects/${projectId}/repository/commits`, { method: 'POST', body: JSON.stringify({ branch: 'main', commit_message: 'm', actions: [] }) });
    expect(await empty.json()).toEqual({ error: 'actions is empty' });
  });

  it('creates a branch from start_branch and commits to the first branch of an empty repository', async () => {
    await api.Commits.create(projectId, 'feature', 'on feature', [{ action: 'create', filePath: 'f.txt', content: 'f' }], { startBranch: 'main' });
    expect((await api.Branches.all(projectId)).map((b) => b.name)).toEqual(['feature', 'main']);
    expect(emu.readFile(projectId, 'main', 'f.txt')).toBeUndefined();

    const empty = await api.Projects.create({ name: 'empty' });
    await api.Commits.create(empty.id, 'main', 'first', [{ action: 'create', filePath: 'x.txt', content: 'x' }]);
    const shown = await api.Projects.show(empty.id);
    expect([shown.empty_repo, shown.default_branch]).toEqual([false, 'main']);
    expect((await api.ProtectedBranches.all(empty.id)).map((b) => b.name)).toEqual(['main']);
  });

  it('computes real git object ids', async () => {
    const empty = await api.Projects.create({ name: 'ids' });
    await api.Commits.create(empty.id, 'main', 'hello', [{ action: 'create', filePath: 'hello.txt', content: 'hello\n' }]);
    const [entry] = await api.Repositories.allRepositoryTrees(empty.id);
    // `git hash-object` of "hello\n".
    expect(entry?.id).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
  });
});

describe('files, tree and branches', () => {
  beforeEach(async () => {
    await api.Commits.create(projectId, 'main', 'content', [
      { action: 'create', filePath: 'week1/hello/solution.py', content: 'print("hi")\n' },
      { action: 'create', filePath: 'week1/hello/meta.yaml', content: 'title: hi\n' },
      { action: 'create', filePath: 'week2/readme.md', content: 'w2\n' },
      { action: 'create', filePath: 'image.png', content: Buffer.from([137, 80, 78, 71, 0, 0]).toString('base64'), encoding: 'base64' },
    ]);
  });

  it('shows a file with base64 content and its raw form', async () => {
    const file = await api.RepositoryFiles.show(projectId, 'week1/hello/solution.py', 'main');
    expect(file).toMatchObject({ file_name: 'solution.py', file_path: 'week1/hello/solution.py', encoding: 'base64', ref: 'main', size: 12 });
    expect(Buffer.from(file.content, 'base64').toString()).toBe('print("hi")\n');
    expect(await api.RepositoryFiles.showRaw(projectId, 'week1/hello/solution.py', 'main')).toBe('print("hi")\n');
    const res = await raw(`/projects/${projectId}/repository/files/${encodeURIComponent('image.png')}/raw?ref=main`);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from([137, 80, 78, 71, 0, 0]));
  });

  it('answers 404 File Not Found, 404 Commit Not Found and requires ref', async () => {
    expect(await failure(api.RepositoryFiles.show(projectId, 'nope.txt', 'main'))).toEqual({ status: 404, message: '404 File Not Found' });
    expect((await failure(api.RepositoryFiles.showRaw(projectId, 'nope.txt', 'main'))).message).toBe('404 File Not Found');
    expect((await failure(api.RepositoryFiles.show(projectId, 'README.md', 'no-branch'))).message).toBe('404 Commit Not Found');
    const res = await raw(`/projects/${projectId}/repository/files/README.md`);
    expect(await res.json()).toEqual({ error: 'ref is missing' });
  });

  it('creates, updates and deletes single files through the files API', async () => {
    expect(await api.RepositoryFiles.create(projectId, 'new.txt', 'main', 'n', 'add new')).toEqual({ file_path: 'new.txt', branch: 'main' });
    expect((await failure(api.RepositoryFiles.create(projectId, 'new.txt', 'main', 'n', 'again'))).message).toBe('A file with this name already exists');
    await api.RepositoryFiles.edit(projectId, 'new.txt', 'main', 'm', 'edit');
    expect(emu.readFile(projectId, 'main', 'new.txt')?.toString()).toBe('m');
    await api.RepositoryFiles.remove(projectId, 'new.txt', 'main', 'remove');
    expect((await failure(api.RepositoryFiles.remove(projectId, 'new.txt', 'main', 'remove'))).message).toBe("A file with this name doesn't exist");
  });

  it('lists the tree by path, recursively, paginated, with GitLab ordering', async () => {
    const top = await api.Repositories.allRepositoryTrees(projectId);
    expect(top.map((t) => `${t.type}:${t.path}`)).toEqual(['tree:week1', 'tree:week2', 'blob:README.md', 'blob:image.png']);
    expect(top[0]).toMatchObject({ name: 'week1', mode: '040000' });
    const sub = await api.Repositories.allRepositoryTrees(projectId, { path: 'week1/hello' });
    expect(sub.map((t) => t.name)).toEqual(['meta.yaml', 'solution.py']);
    const all = await api.Repositories.allRepositoryTrees(projectId, { recursive: true, perPage: 3 });
    expect(all).toHaveLength(8);
    const page = await raw(`/projects/${projectId}/repository/tree?recursive=true&per_page=3&page=3`);
    expect([page.headers.get('x-total'), page.headers.get('x-total-pages'), page.headers.get('x-next-page')]).toEqual(['8', '3', '']);
    expect(((await page.json()) as unknown[]).length).toBe(2);
    expect((await failure(api.Repositories.allRepositoryTrees(projectId, { ref: 'nope' }))).message).toBe('404 Tree Not Found');
    expect((await failure(api.Repositories.allRepositoryTrees(projectId, { path: 'missing' }))).status).toBe(404);
    const empty = await api.Projects.create({ name: 'empty-tree' });
    expect((await failure(api.Repositories.allRepositoryTrees(empty.id))).message).toBe('404 Tree Not Found');
  });

  it('lists, shows, creates and deletes branches', async () => {
    const main = await api.Branches.show(projectId, 'main');
    expect(main).toMatchObject({ name: 'main', default: true, protected: true, merged: false });
    await api.Branches.create(projectId, 'dev', 'main');
    expect((await api.Branches.all(projectId)).map((b) => [b.name, b.protected])).toEqual([
      ['dev', false],
      ['main', true],
    ]);
    expect(await failure(api.Branches.show(projectId, 'nope'))).toEqual({ status: 404, message: '404 Branch Not Found' });
    expect((await failure(api.Branches.create(projectId, 'dev', 'main'))).message).toBe('Branch already exists');
    await api.Branches.remove(projectId, 'dev');
    expect((await api.Branches.all(projectId)).map((b) => b.name)).toEqual(['main']);
  });

  it('lets only members with push rights commit as a non-admin user', async () => {
    const dev = new Gitlab({ host: emu.url, token: DEV_TOKEN });
    const devUser = await dev.Users.showCurrentUser();
    const action = [{ action: 'create' as const, filePath: 'dev.txt', content: 'd' }];
    expect((await failure(dev.Commits.create(projectId, 'main', 'x', action))).status).toBe(403);
    await api.ProjectMembers.add(projectId, 30, { userId: devUser.id });
    expect(await failure(dev.Commits.create(projectId, 'main', 'x', action))).toEqual({ status: 403, message: 'You are not allowed to push into this branch' });
    await api.ProtectedBranches.unprotect(projectId, 'main');
    expect((await dev.Commits.create(projectId, 'main', 'x', action)).author_name).toBe('dev');
  });
});
