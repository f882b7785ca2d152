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
