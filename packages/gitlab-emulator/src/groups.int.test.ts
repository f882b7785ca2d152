import { Gitlab, GitbeakerRequestError } from '@gitbeaker/rest';
import { startGitlabEmulator, type TGitlabEmulator } from './index';

const TOKEN = 'groups-test-token';
let emu: TGitlabEmulator;
let api: InstanceType<typeof Gitlab>;

beforeAll(async () => {
  emu = await startGitlabEmulator({ token: TOKEN });
  api = new Gitlab({ host: emu.url, token: TOKEN });
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

// gitbeaker consumes the body; its `description` is the body's `message` (or `error`), objects as JSON.
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

describe('groups', () => {
  it('creates nested groups and finds them by id and by URL-encoded full path', async () => {
    const parent = await api.Groups.create('Computor', 'computor');
    const child = await api.Groups.create('Org One', 'org-one', { parentId: parent.id, visibility: 'private' });
    expect(child).toMatchObject({ name: 'Org One', path: 'org-one', full_path: 'computor/org-one', parent_id: parent.id, visibility: 'private', full_name: 'Computor / Org One' });
    expect(child.web_url).toBe(`${emu.url}/groups/computor/org-one`);

    const byPath = await api.Groups.show('computor/org-one');
    expect(byPath.id).toBe(child.id);
    const res = await raw('/groups/computor%2Forg-one');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { projects: unknown[] }).projects).toEqual([]);
  });

  it('answers 400 with GitLab\'s body when the path is taken in the same parent, and allows it elsewhere', async () => {
    const parent = await api.Groups.create('Parent', 'parent');
    await api.Groups.create('Course', 'course', { parentId: parent.id });
    const err = await failure(api.Groups.create('Other name', 'course', { parentId: parent.id }));
    expect(err).toEqual({ status: 400, message: 'Failed to save group {:path=>["has already been taken"]}' });
    const both = await failure(api.Groups.create('Course', 'course', { parentId: parent.id }));
    expect(both.message).toBe('Failed to save group {:name=>["has already been taken"], :path=>["has already been taken"]}');
    const rawRes = await raw('/groups', { method: 'POST', body: JSON.stringify({ name: 'x', path: 'course', parent_id: parent.id }) });
    expect(rawRes.status).toBe(400);
    expect(await rawRes.json()).toEqual({ message: 'Failed to save group {:path=>["has already been taken"]}' });
    const elsewhere = await api.Groups.create('Course', 'course');
    expect(elsewhere.full_path).toBe('course');
  });

  it('answers 404 for a missing parent and Grape errors for missing or invalid parameters', async () => {
    expect(await failure(api.Groups.create('X', 'x', { parentId: 9999 }))).toEqual({ status: 404, message: '404 Group Not Found' });
    const missing = await raw('/groups', { method: 'POST', body: JSON.stringify({ name: 'only-name' }) });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ error: 'path is missing' });
    const badVisibility = await raw('/groups', { method: 'POST', body: JSON.stringify({ name: 'a', path: 'a', visibility: 'secret' }) });
    expect(await badVisibility.json()).toEqual({ error: 'visibility does not have a valid value' });
    const badPath = await failure(api.Groups.create('Bad', '-bad'));
    expect(badPath.status).toBe(400);
    expect(badPath.message).toMatch(/^Failed to save group \{:path=>\["can contain only letters/);
  });

  it('rejects a subgroup more visible than its parent', async () => {
    const parent = await api.Groups.create('Private', 'private-parent', { visibility: 'private' });
    const err = await failure(api.Groups.create('Pub', 'pub', { parentId: parent.id, visibility: 'public' }));
    expect(err.message).toBe('Failed to save group {:visibility_level=>["public is not allowed since the parent group has a private visibility."]}');
  });

  it('answers 404 Group Not Found for unknown ids and paths', async () => {
    expect(await failure(api.Groups.show(4242))).toEqual({ status: 404, message: '404 Group Not Found' });
    expect((await failure(api.Groups.show('no/such/group'))).message).toBe('404 Group Not Found');
  });

  it('lists and searches groups with GitLab pagination headers that gitbeaker reads', async () => {
    const parent = await api.Groups.create('Root', 'root-group');
    for (let i = 0; i < 23; i += 1) await api.Groups.create(`Course ${String(i).padStart(2, '0')}`, `course-${i}`, { parentId: parent.id });

    const page2 = await api.Groups.allSubgroups(parent.id, { showExpanded: true, pagination: 'offset', perPage: 10, page: 2 });
    expect(page2.data).toHaveLength(10);
    expect(page2.paginationInfo).toEqual({ total: 23, next: 3, current: 2, previous: 1, perPage: 10, totalPages: 3 });

    const res = await raw(`/groups/${parent.id}/subgroups?per_page=10&page=3&order_by=name`);
    expect(res.headers.get('x-total')).toBe('23');
    expect(res.headers.get('x-total-pages')).toBe('3');
    expect(res.headers.get('x-page')).toBe('3');
    expect(res.headers.get('x-per-page')).toBe('10');
    expect(res.headers.get('x-next-page')).toBe('');
    expect(res.headers.get('x-prev-page')).toBe('2');
    const link = res.headers.get('link') as string;
    expect(link).toContain('rel="prev"');
    expect(link).toContain('rel="first"');
    expect(link).toContain('rel="last"');
    expect(link).not.toContain('rel="next"');
    expect(link).toContain('order_by=name');

    // Without `page`, gitbeaker follows rel="next" links until the end.
    expect(await api.Groups.allSubgroups(parent.id, { perPage: 5 })).toHaveLength(23);
    const found = await api.Groups.all({ search: 'course 07' });
    expect(found.map((g) => g.full_path)).toEqual(['root-group/course-7']);
    expect((await raw('/groups?per_page=500')).headers.get('x-per-page')).toBe('100');
    const empty = await raw('/groups?search=nothing-matches');
    expect([empty.headers.get('x-total'), empty.headers.get('x-total-pages')]).toEqual(['0', '1']);
  });

  it('lists a group\'s projects, optionally with subgroups', async () => {
    const parent = await api.Groups.create('P', 'p');
    const sub = await api.Groups.create('S', 's', { parentId: parent.id });
    await api.Projects.create({ name: 'top', namespaceId: parent.id });
    await api.Projects.create({ name: 'nested', namespaceId: sub.id });
    expect((await api.Groups.allProjects(parent.id)).map((p) => p.path)).toEqual(['top']);
    const all = await api.Groups.allProjects(parent.id, { includeSubgroups: true });
    expect(all.map((p) => p.path_with_namespace).sort()).toEqual(['p/s/nested', 'p/top']);
  });

  it('deletes a group with 202 Accepted and removes its subgroups and projects', async () => {
    const parent = await api.Groups.create('Del', 'del');
    const sub = await api.Groups.create('Sub', 'sub', { parentId: parent.id });
    const project = await api.Projects.create({ name: 'proj', namespaceId: sub.id });
    const res = await raw(`/groups/${parent.id}`, { method: 'DELETE' });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ message: '202 Accepted' });
    expect((await failure(api.Groups.show(sub.id))).status).toBe(404);
    expect((await failure(api.Projects.show(project.id))).message).toBe('404 Project Not Found');
    expect((await failure(api.Groups.remove(parent.id))).status).toBe(404);
  });

  it('keeps a deleted group visible, marked for deletion, until the configured delay passes', async () => {
    emu.configure({ deletionDelayMs: 150 });
    try {
      const g = await api.Groups.create('Later', 'later');
      await api.Groups.remove(g.id);
      const marked = await api.Groups.show(g.id);
      expect(marked.marked_for_deletion_on).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      await emu.waitForIdle();
      expect((await failure(api.Groups.show(g.id))).status).toBe(404);
    } finally {
      emu.configure({ deletionDelayMs: 0 });
    }
  });
});

describe('group members', () => {
  it('adds, lists, edits and removes members with GitLab\'s errors', async () => {
    const group = await api.Groups.create('Course', 'course-m');
    const user = await api.Users.create({ username: 'tutor1', name: 'Tutor One', email: 'tutor1@example.org', password: 'secret-password' });

    const added = await api.GroupMembers.add(group.id, 30, { userId: user.id });
    expect(added).toMatchObject({ id: user.id, username: 'tutor1', access_level: 30, membership_state: 'active' });
    expect(await failure(api.GroupMembers.add(group.id, 30, { userId: user.id }))).toEqual({ status: 409, message: 'Member already exists' });
    expect((await failure(api.GroupMembers.add(group.id, 30, { userId: 999 }))).message).toBe('404 User Not Found');
    const other = await api.Users.create({ username: 'tutor2', name: 'Tutor Two', email: 'tutor2@example.org', password: 'secret-password' });
    const invalid = await raw(`/groups/${group.id}/members`, { method: 'POST', body: JSON.stringify({ user_id: other.id, access_level: 35 }) });
    expect([invalid.status, await invalid.json()]).toEqual([400, { message: { access_level: ['is not included in the list'] } }]);

    const members = await api.GroupMembers.all(group.id);
    // The creator (root) is the group's Owner.
    expect(members.map((m) => [m.username, m.access_level])).toEqual([
      ['root', 50],
      ['tutor1', 30],
    ]);
    const edited = await api.GroupMembers.edit(group.id, user.id, 40);
    expect(edited.access_level).toBe(40);
    expect((await api.GroupMembers.show(group.id, user.id)).access_level).toBe(40);

    await api.GroupMembers.remove(group.id, user.id);
    expect(await failure(api.GroupMembers.remove(group.id, user.id))).toEqual({ status: 404, message: '404 Not found' });
    expect((await failure(api.GroupMembers.edit(group.id, user.id, 30))).status).toBe(404);
  });

  it('lists inherited members under /members/all', async () => {
    const parent = await api.Groups.create('Org', 'org-i');
    const child = await api.Groups.create('Course', 'course-i', { parentId: parent.id });
    const user = await api.Users.create({ username: 'lect', name: 'Lecturer', email: 'lect@example.org', password: 'secret-password' });
    await api.GroupMembers.add(parent.id, 40, { userId: user.id });
    expect((await api.GroupMembers.all(child.id)).map((m) => m.username)).toEqual(['root']);
    const all = await api.GroupMembers.all(child.id, { includeInherited: true });
    expect(all.map((m) => m.username).sort()).toEqual(['lect', 'root']);
  });
});
