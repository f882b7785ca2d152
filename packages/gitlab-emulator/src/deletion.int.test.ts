import { startGitlabEmulator, type TGitlabEmulator } from './index';

const TOKEN = 'deletion-test-token';
let emu: TGitlabEmulator;

beforeAll(async () => {
  emu = await startGitlabEmulator({ token: TOKEN, config: { fork: { importDelayMs: 0 } } });
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${emu.url}/api/v4${path}`, {
    method,
    headers: { 'PRIVATE-TOKEN': TOKEN, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function projectIn(): Promise<{ groupId: number; projectId: number }> {
  const g = await call('POST', '/groups', { name: 'Org', path: 'org' });
  const p = await call('POST', '/projects', { name: 'alice', path: 'alice', namespace_id: g.body.id });
  return { groupId: g.body.id as number, projectId: p.body.id as number };
}

describe('delayed deletion modes', () => {
  it('rename-deleted uses the earlier suffix -deleted-<id> and frees the path', async () => {
    emu.configure({ deletionDelayMs: 60_000, deletionMode: 'rename-deleted' });
    const { groupId, projectId } = await projectIn();
    expect((await call('DELETE', `/projects/${projectId}`)).status).toBe(202);
    const marked = await call('GET', `/projects/${projectId}`);
    expect(marked.body).toMatchObject({ path: `alice-deleted-${projectId}`, archived: true, path_with_namespace: `org/alice-deleted-${projectId}` });
    expect((await call('POST', '/projects', { name: 'alice', path: 'alice', namespace_id: groupId })).status).toBe(201);
  });

  it('hold (legacy) keeps the path taken and the project unrenamed until it is removed', async () => {
    emu.configure({ deletionDelayMs: 60_000, deletionMode: 'hold' });
    const { groupId, projectId } = await projectIn();
    await call('DELETE', `/projects/${projectId}`);
    const marked = await call('GET', '/projects/org%2Falice');
    expect(marked.body).toMatchObject({ id: projectId, path: 'alice', archived: false });
    expect(marked.body.marked_for_deletion_on).toEqual(expect.any(String));
    const again = await call('POST', '/projects', { name: 'alice', path: 'alice', namespace_id: groupId });
    expect(again.status).toBe(400);
    expect(JSON.stringify(again.body)).toContain('has already been taken');
  });

  it('a redirect gives way to a project created at the old path, and projects of a renamed group redirect', async () => {
    emu.configure({ deletionDelayMs: 60_000, deletionMode: 'rename' });
    const { groupId, projectId } = await projectIn();
    await call('DELETE', `/projects/${projectId}`);
    expect((await call('GET', '/projects/org%2Falice')).body.id).toBe(projectId);
    const fresh = await call('POST', '/projects', { name: 'alice', path: 'alice', namespace_id: groupId });
    expect((await call('GET', '/projects/org%2Falice')).body.id).toBe(fresh.body.id);
    await call('PUT', `/groups/${groupId}`, { path: 'org2' });
    expect((await call('GET', '/projects/org%2Falice')).body).toMatchObject({ id: fresh.body.id, path_with_namespace: 'org2/alice' });
    expect((await call('GET', '/groups/org')).status).toBe(404);
  });

  it('rejects an unknown mode', () => {
    expect(() => emu.configure({ deletionMode: 'soon' as never })).toThrow(/deletionMode/);
  });
});

describe('destroy window (GitLab destroys in a background job)', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  beforeEach(() => emu.configure({ deletionDelayMs: 0, deletionMode: 'rename', destroyWindowMs: 0 }));

  it('at 0 (the default) a removed project frees its path at once', async () => {
    const { groupId, projectId } = await projectIn();
    expect((await call('DELETE', `/projects/${projectId}`)).status).toBe(202);
    expect((await call('POST', '/projects', { name: 'alice', path: 'alice', namespace_id: groupId })).status).toBe(201);
  });

  it('a destroyed project answers 404 by id and path while its path and name stay taken, then both are free', async () => {
    emu.configure({ destroyWindowMs: 400 });
    const { groupId, projectId } = await projectIn();
    const source = await call('POST', '/projects', { name: 'template', path: 'template', namespace_id: groupId });
    expect((await call('DELETE', `/projects/${projectId}`)).status).toBe(202);

    expect((await call('GET', `/projects/${projectId}`)).status).toBe(404);
    expect((await call('GET', '/projects/org%2Falice')).status).toBe(404);
    const create = await call('POST', '/projects', { name: 'alice', path: 'alice', namespace_id: groupId });
    expect(create.status).toBe(400);
    expect(create.body.message).toMatchObject({ path: ['has already been taken'], name: ['has already been taken'] });
    const fork = await call('POST', `/projects/${source.body.id}/fork`, { name: 'alice', path: 'alice', namespace_id: groupId });
    expect(fork.status).toBe(409);
    expect(JSON.stringify(fork.body)).toContain('has already been taken');
    // Another path in the namespace is not held.
    expect((await call('POST', '/projects', { name: 'bob', path: 'bob', namespace_id: groupId })).status).toBe(201);

    await sleep(450);
    const again = await call('POST', `/projects/${source.body.id}/fork`, { name: 'alice', path: 'alice', namespace_id: groupId });
    expect(again.status).toBe(201);
    expect((await call('GET', '/projects/org%2Falice')).body.id).toBe(again.body.id);
  });

  it('a destroyed group answers 404 while its path stays taken, then it is free', async () => {
    emu.configure({ destroyWindowMs: 400 });
    const { groupId } = await projectIn();
    expect((await call('DELETE', `/groups/${groupId}`)).status).toBe(202);
    expect((await call('GET', `/groups/${groupId}`)).status).toBe(404);
    expect((await call('GET', '/groups/org')).status).toBe(404);
    const create = await call('POST', '/groups', { name: 'Org', path: 'org' });
    expect(create.status).toBe(400);
    expect(JSON.stringify(create.body)).toContain('has already been taken');
    await sleep(450);
    expect((await call('POST', '/groups', { name: 'Org', path: 'org' })).status).toBe(201);
  });

  it('also follows the removal after delayed deletion, and rejects a negative window', async () => {
    emu.configure({ deletionDelayMs: 100, deletionMode: 'hold', destroyWindowMs: 400 });
    const { groupId, projectId } = await projectIn();
    await call('DELETE', `/projects/${projectId}`);
    await sleep(200);
    expect((await call('GET', `/projects/${projectId}`)).status).toBe(404);
    expect((await call('POST', '/projects', { name: 'alice', path: 'alice', namespace_id: groupId })).status).toBe(400);
    expect(() => emu.configure({ destroyWindowMs: -1 })).toThrow(/destroyWindowMs/);
  });
});
