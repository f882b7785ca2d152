import { Gitlab, GitbeakerRequestError } from '@gitbeaker/rest';
import { startGitlabEmulator, type TGitlabEmulator } from './index';

const TOKEN = 'users-admin-token';
const USER_TOKEN = 'users-plain-token';
let emu: TGitlabEmulator;
let admin: InstanceType<typeof Gitlab>;
let plain: InstanceType<typeof Gitlab>;

beforeAll(async () => {
  emu = await startGitlabEmulator({ token: TOKEN, tokens: [{ token: USER_TOKEN, username: 'plain', admin: false }] });
  admin = new Gitlab({ host: emu.url, token: TOKEN });
  plain = new Gitlab({ host: emu.url, token: USER_TOKEN });
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

async function failure(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof GitbeakerRequestError)) throw e;
    return { status: (e.cause?.response as Response).status, message: e.cause?.description as string };
  }
  throw new Error('expected the request to fail');
}

describe('authentication', () => {
  it('answers 401 without a valid token and accepts PRIVATE-TOKEN, Bearer and private_token', async () => {
    const none = await fetch(`${emu.url}/api/v4/user`);
    expect([none.status, await none.json()]).toEqual([401, { message: '401 Unauthorized' }]);
    expect(await failure(new Gitlab({ host: emu.url, token: 'wrong' }).Users.showCurrentUser())).toEqual({ status: 401, message: '401 Unauthorized' });
    const bearer = await fetch(`${emu.url}/api/v4/user`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(((await bearer.json()) as { username: string }).username).toBe('root');
    expect((await new Gitlab({ host: emu.url, oauthToken: TOKEN }).Users.showCurrentUser()).username).toBe('root');
    const query = await fetch(`${emu.url}/api/v4/user?private_token=${USER_TOKEN}`);
    expect(((await query.json()) as { username: string }).username).toBe('plain');
  });

  it('answers 404 with Grape\'s body for unknown routes', async () => {
    const res = await fetch(`${emu.url}/api/v4/no/such/route`, { headers: { 'PRIVATE-TOKEN': TOKEN } });
    expect([res.status, await res.json()]).toEqual([404, { error: '404 Not Found' }]);
  });
});

describe('users', () => {
  it('returns the token\'s user from GET /user', async () => {
    expect(await admin.Users.showCurrentUser()).toMatchObject({ id: 1, username: 'root', is_admin: true, email: 'admin@example.com' });
    const me = await plain.Users.showCurrentUser();
    expect(me).toMatchObject({ username: 'plain', email: 'plain@example.com' });
    expect(me).not.toHaveProperty('is_admin');
  });

  it('creates users as admin, with 409 on duplicates, and 403 for non-admins', async () => {
    const u = await admin.Users.create({ username: 'max', name: 'Max Muster', email: 'max@uni.example', password: 'secret-password', skipConfirmation: true });
    expect(u).toMatchObject({ username: 'max', name: 'Max Muster', email: 'max@uni.example', state: 'active', is_admin: false, web_url: `${emu.url}/max` });
    expect(await failure(admin.Users.create({ username: 'max', name: 'X', email: 'other@uni.example', password: 'secret-password' }))).toEqual({
      status: 409,
      message: 'Username has already been taken',
    });
    expect((await failure(admin.Users.create({ username: 'max2', name: 'X', email: 'MAX@uni.example', password: 'secret-password' }))).message).toBe(
      'Email has already been taken',
    );
    expect(await failure(plain.Users.create({ username: 'n', name: 'n', email: 'n@x.org', password: 'secret-password' }))).toEqual({ status: 403, message: '403 Forbidden' });
    const res = await fetch(`${emu.url}/api/v4/users`, {
      method: 'POST',
      headers: { 'PRIVATE-TOKEN': TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'nopw', name: 'n', email: 'n@x.org' }),
    });
    expect(await res.json()).toEqual({ error: 'password, reset_password, force_random_password are missing, at least one parameter must be provided' });
  });

  it('finds users by username and search, and by id', async () => {
    const u = await admin.Users.create({ username: 'Anna.K', name: 'Anna Kern', email: 'anna@uni.example', password: 'secret-password' });
    expect((await admin.Users.all({ username: 'anna.k' })).map((x) => x.id)).toEqual([u.id]);
    expect(await admin.Users.all({ username: 'nobody' })).toEqual([]);
    expect((await admin.Users.all({ search: 'kern' })).map((x) => x.username)).toEqual(['Anna.K']);
    // Non-admins match e-mail addresses only exactly and see basic fields.
    expect(await plain.Users.all({ search: 'anna@uni' })).toEqual([]);
    const [basic] = await plain.Users.all({ search: 'anna@uni.example' });
    expect(basic).toMatchObject({ id: u.id, username: 'Anna.K' });
    expect(basic).not.toHaveProperty('email');
    expect((await admin.Users.show(u.id)).email).toBe('anna@uni.example');
    expect(await failure(admin.Users.show(9999))).toEqual({ status: 404, message: '404 User Not Found' });
    const ids = (await admin.Users.all()).map((x) => x.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
  });
});

describe('control endpoints', () => {
  it('reports health, seeds, exposes state and resets', async () => {
    const health = await fetch(`${emu.url}/__emulator/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { notice: string }).notice).toMatch(/not GitLab/i);

    const seeded = await fetch(`${emu.url}/__emulator/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ parentGroup: { name: 'Computor', path: 'computor' }, users: [{ username: 'lecturer' }] }),
    });
    const result = (await seeded.json()) as { parentGroup: { id: number; full_path: string }; users: Array<{ username: string }> };
    expect(result.parentGroup.full_path).toBe('computor');
    expect(emu.seed({ parentGroup: { name: 'Computor', path: 'computor' } }).parentGroup?.id).toBe(result.parentGroup.id);

    const p = await admin.Projects.create({ name: 'tpl', namespaceId: result.parentGroup.id, initializeWithReadme: true });
    await admin.Commits.create(p.id, 'main', 'c', [{ action: 'create', filePath: 'a/b.txt', content: 'x' }]);
    await admin.ProjectMembers.add(p.id, 40, { username: 'lecturer' });
    const state = (await (await fetch(`${emu.url}/__emulator/state`)).json()) as ReturnType<TGitlabEmulator['state']>;
    expect(state.groups.map((g) => g.full_path)).toEqual(['computor']);
    const project = state.projects[0];
    expect(project).toMatchObject({
      path_with_namespace: 'computor/tpl',
      members: [{ username: 'lecturer', access_level: 40 }],
      protected_branches: [{ name: 'main', push_access_level: 40, merge_access_level: 40 }],
      branches: { main: { commit_count: 2, files: ['README.md', 'a/b.txt'] } },
    });
    expect(state.users.map((u) => u.username).sort()).toEqual(['lecturer', 'plain', 'root']);

    expect((await fetch(`${emu.url}/__emulator/reset`, { method: 'POST' })).status).toBe(200);
    expect(emu.state().groups).toEqual([]);
    expect(emu.state().users.map((u) => u.username).sort()).toEqual(['plain', 'root']);
  });
});
