import { startGitlabEmulator, type TGitlabEmulator } from '@computor/gitlab-emulator';
import { createGitlabClient, gitBlobId, type GitlabClient } from './client';
import { GitlabError } from './errors';
import { createRateLimiter } from './rate-limiter';

const TOKEN = 'glpat-client-int-secret';
let emu: TGitlabEmulator;
let gl: GitlabClient;
let parentId: number;
let parentPath: string;

beforeAll(async () => {
  emu = await startGitlabEmulator({ token: TOKEN, config: { fork: { importDelayMs: 150 } } });
});
afterAll(() => emu.close());
beforeEach(() => {
  emu.reset();
  emu.configure({ latencyMs: 0, faults: { rate: 0 } });
  const seeded = emu.seed({ parentGroup: { name: 'Computor', path: 'computor' } });
  parentId = seeded.parentGroup?.id as number;
  parentPath = seeded.parentGroup?.full_path as string;
  gl = createGitlabClient({ url: emu.url, token: TOKEN, limiter: createRateLimiter({ requestsPerSecond: 1000, maxConcurrent: 8 }) });
});

async function caught(p: Promise<unknown>): Promise<GitlabError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GitlabError);
  return err as GitlabError;
}

async function courseGroup(): Promise<{ id: number; fullPath: string }> {
  const { group } = await gl.ensureGroup({ parentId, path: 'course', name: 'Course' });
  return group;
}

describe('groups', () => {
  it('creates once and adopts on the second call', async () => {
    const first = await gl.ensureGroup({ parentId, path: 'org', name: 'Organisation', visibility: 'private' });
    const second = await gl.ensureGroup({ parentId, path: 'org', name: 'Organisation', visibility: 'private' });
    expect(first.created).toBe(true);
    expect(second).toEqual({ group: first.group, created: false });
    expect(first.group).toMatchObject({ path: 'org', name: 'Organisation', fullPath: `${parentPath}/org`, parentId });
    expect(emu.state().groups.filter((g) => g.path === 'org')).toHaveLength(1);
    expect(await gl.getGroupByPath(`${parentPath}/org`)).toEqual(first.group);
    expect(await gl.getGroup(first.group.id)).toEqual(first.group);
    expect(await gl.getGroupByPath(`${parentPath}/nope`)).toBeNull();
  });

  it('adopts the group when creation answers "has already been taken" (concurrent creators)', async () => {
    // Latency keeps both lookups in flight together, so both miss and both try to create.
    emu.configure({ latencyMs: 40 });
    const [a, b] = await Promise.all([
      gl.ensureGroup({ parentId, parentFullPath: parentPath, path: 'race', name: 'Race' }),
      gl.ensureGroup({ parentId, parentFullPath: parentPath, path: 'race', name: 'Race' }),
    ]);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(a.group.id).toBe(b.group.id);
    expect(emu.stats().byStatus['400']).toBe(1);
    expect(emu.state().groups.filter((g) => g.path === 'race')).toHaveLength(1);
  });

  it('adopts on the repeat after a create whose answer was lost (committed, then 502)', async () => {
    // The first create is made and its answer lost; the repeat is told the path is taken and adopts.
    emu.configure({ faults: { rate: 1, kinds: ['fail-after-commit'], pathPattern: '^/groups$', mutatingOnly: true, limit: 1 } });
    const retried = await gl.ensureGroup({ parentId, path: 'lost', name: 'Lost' });
    expect(retried.created).toBe(false);
    expect(emu.stats().byStatus['502']).toBe(1);
    expect(gl.limiter.stats().retries).toBe(1);
    expect(emu.state().groups.filter((g) => g.path === 'lost')).toHaveLength(1);
  });

  it('fails non-retryably when the parent does not exist, and on a name clash it cannot adopt', async () => {
    const missing = await caught(gl.ensureGroup({ parentId: 99_999, path: 'x', name: 'X' }));
    expect(missing).toMatchObject({ kind: 'not_found', retryable: false, operation: 'ensureGroup x' });
    await gl.ensureGroup({ parentId, path: 'one', name: 'Same Name' });
    const clash = await caught(gl.ensureGroup({ parentId, path: 'two', name: 'Same Name' }));
    expect(clash).toMatchObject({ kind: 'conflict', retryable: false });
  });

  it('deletes idempotently', async () => {
    const { group } = await gl.ensureGroup({ parentId, path: 'doomed', name: 'Doomed' });
    expect(await gl.deleteGroup(group.id)).toBe(true);
    await emu.waitForIdle();
    expect(await gl.deleteGroup(group.id)).toBe(false);
    expect(await gl.getGroup(group.id)).toBeNull();
  });
});

describe('projects and forks', () => {
  it('creates a project once and adopts it afterwards, also after "has already been taken"', async () => {
    const course = await courseGroup();
    const input = { namespaceId: course.id, namespaceFullPath: course.fullPath, path: 'student-template', name: 'Student Template', initializeWithReadme: true };
    const first = await gl.ensureProject(input);
    const second = await gl.ensureProject(input);
    expect(first.created).toBe(true);
    expect(second).toEqual({ project: first.project, created: false });
    expect(first.project).toMatchObject({
      pathWithNamespace: `${course.fullPath}/student-template`,
      namespaceId: course.id,
      defaultBranch: 'main',
      forkedFromProjectId: null,
    });
    expect(first.project.httpUrlToRepo).toMatch(/student-template\.git$/);

    emu.configure({ latencyMs: 40 });
    const race = { ...input, path: 'assignments', name: 'Assignments' };
    const [a, b] = await Promise.all([gl.ensureProject(race), gl.ensureProject(race)]);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(a.project.id).toBe(b.project.id);
    expect(emu.state().projects.filter((p) => p.path === 'assignments')).toHaveLength(1);
  });

  it('forks, polls the import to finished, and adopts the fork on a repeat', async () => {
    const course = await courseGroup();
    const { project: template } = await gl.ensureProject({
      namespaceId: course.id,
      namespaceFullPath: course.fullPath,
      path: 'student-template',
      name: 'Student Template',
      initializeWithReadme: true,
    });
    const { group: students } = await gl.ensureGroup({ parentId: course.id, parentFullPath: course.fullPath, path: 'students', name: 'Students' });
    const input = { sourceProjectId: template.id, namespaceId: students.id, namespaceFullPath: students.fullPath, path: 'u-42', name: 'u-42' };

    emu.resetStats();
    const fork = await gl.forkProject(input);
    // A new fork is one request: no read before it.
    expect(emu.stats().byRoute).toEqual({ 'POST /projects/:id/fork': 1 });
    expect(fork.created).toBe(true);
    expect(fork.project.forkedFromProjectId).toBe(template.id);
    expect(fork.project.importStatus).not.toBe('finished');
    // With no time left it answers the running import's status instead of waiting.
    expect((await gl.waitForImport(fork.project.id, { timeoutMs: 0 })).importStatus).toMatch(/^(scheduled|started)$/);
    const polled: Array<string | null> = [];
    const done = await gl.waitForImport(fork.project.id, { intervalMs: 30, onPoll: (s) => polled.push(s.importStatus) });
    expect(done).toMatchObject({ importStatus: 'finished', importError: null, project: { id: fork.project.id, pathWithNamespace: fork.project.pathWithNamespace } });
    expect(polled.length).toBeGreaterThan(1);
    expect(await gl.getImportStatus(fork.project.id)).toEqual({ importStatus: 'finished', importError: null });
    expect((await gl.getFileContent(fork.project.id, 'README.md', 'main'))?.toString()).toContain('Student Template');

    emu.resetStats();
    const again = await gl.forkProject(input);
    expect(again.created).toBe(false);
    expect(again.project.id).toBe(fork.project.id);
    // A repeat: the fork is refused as taken, then the project at the path is read and adopted.
    expect(emu.stats().byRoute).toEqual({ 'POST /projects/:id/fork': 1, 'GET /projects/:id': 1 });
    expect(emu.state().projects.filter((p) => p.forked_from_id === template.id)).toHaveLength(1);
  });

  it('refuses to adopt a project at the fork path that is not a fork of the source', async () => {
    const course = await courseGroup();
    const base = { namespaceId: course.id, namespaceFullPath: course.fullPath };
    const { project: template } = await gl.ensureProject({ ...base, path: 'tpl', name: 'tpl', initializeWithReadme: true });
    const { project: other } = await gl.ensureProject({ ...base, path: 'other', name: 'other', initializeWithReadme: true });
    await gl.ensureProject({ ...base, path: 'squatter', name: 'squatter' });
    const notFork = await caught(gl.forkProject({ sourceProjectId: template.id, ...base, path: 'squatter', name: 'squatter' }));
    expect(notFork).toMatchObject({ kind: 'conflict', retryable: false });
    expect(notFork.message).toContain('not a fork');

    await gl.forkProject({ sourceProjectId: other.id, ...base, path: 'fork-of-other', name: 'fork-of-other' });
    const wrongSource = await caught(gl.forkProject({ sourceProjectId: template.id, ...base, path: 'fork-of-other', name: 'fork-of-other' }));
    expect(wrongSource).toMatchObject({ kind: 'conflict', retryable: false });
    expect(wrongSource.message).toContain(`a fork of project ${other.id}`);
  });

  it('adopts the fork when concurrent fork requests collide (409)', async () => {
    const course = await courseGroup();
    const base = { namespaceId: course.id, namespaceFullPath: course.fullPath };
    const { project: template } = await gl.ensureProject({ ...base, path: 'tpl', name: 'tpl', initializeWithReadme: true });
    emu.configure({ latencyMs: 40 });
    const input = { sourceProjectId: template.id, ...base, path: 'twin', name: 'twin' };
    const [a, b] = await Promise.all([gl.forkProject(input), gl.forkProject(input)]);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(a.project.id).toBe(b.project.id);
    expect(emu.stats().byStatus['409']).toBe(1);
  });

  it('looks projects up by id and path, and deletes idempotently', async () => {
    const course = await courseGroup();
    const { project } = await gl.ensureProject({ namespaceId: course.id, namespaceFullPath: course.fullPath, path: 'p', name: 'p' });
    expect(await gl.getProject(project.id)).toEqual(project);
    expect(await gl.getProject(project.pathWithNamespace)).toEqual(project);
    expect(await gl.getProject(`${course.fullPath}/missing`)).toBeNull();
    expect(await gl.deleteProject(project.id)).toBe(true);
    await emu.waitForIdle();
    expect(await gl.deleteProject(project.id)).toBe(false);
  });
});

describe('delayed deletion', () => {
  async function deletedCourse() {
    const course = await courseGroup();
    const { project: template } = await gl.ensureProject({ namespaceId: course.id, namespaceFullPath: course.fullPath, path: 'student-template', name: 'T', initializeWithReadme: true });
    const { group: students } = await gl.ensureGroup({ parentId: course.id, parentFullPath: course.fullPath, path: 'students', name: 'Students' });
    const fork = { sourceProjectId: template.id, namespaceId: students.id, namespaceFullPath: students.fullPath, path: 'u-1', name: 'u-1' };
    const { project: forked } = await gl.forkProject(fork);
    const { project: assignments } = await gl.ensureProject({ namespaceId: course.id, namespaceFullPath: course.fullPath, path: 'assignments', name: 'A' });
    const { group: tutors } = await gl.ensureGroup({ parentId: course.id, parentFullPath: course.fullPath, path: 'tutors', name: 'Tutors' });
    await gl.deleteProject(forked.id);
    await gl.deleteProject(assignments.id);
    await gl.deleteGroup(tutors.id);
    expect((await gl.getGroup(tutors.id))?.markedForDeletionOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    return { course, fork, forked, assignments, tutors };
  }

  afterEach(() => emu.configure({ deletionDelayMs: 0, deletionMode: 'rename' }));

  it('re-provisions at once where GitLab 18 renamed the deleted group, project and fork and freed their paths', async () => {
    emu.configure({ deletionDelayMs: 60_000, deletionMode: 'rename' });
    const { course, fork, forked, assignments, tutors } = await deletedCourse();
    // The old full path redirects to the renamed fork: that is not the project asked for.
    expect((await gl.getProject(`${fork.namespaceFullPath}/u-1`))?.pathWithNamespace).toBe(`${fork.namespaceFullPath}/u-1-deletion_scheduled-${forked.id}`);

    const group = await gl.ensureGroup({ parentId: course.id, parentFullPath: course.fullPath, path: 'tutors', name: 'Tutors' });
    const project = await gl.ensureProject({ namespaceId: course.id, namespaceFullPath: course.fullPath, path: 'assignments', name: 'A' });
    const again = await gl.forkProject(fork);
    expect(group).toMatchObject({ created: true, group: { fullPath: `${course.fullPath}/tutors` } });
    expect(group.group.id).not.toBe(tutors.id);
    expect(project).toMatchObject({ created: true, project: { pathWithNamespace: `${course.fullPath}/assignments` } });
    expect(project.project.id).not.toBe(assignments.id);
    expect(again).toMatchObject({ created: true, project: { pathWithNamespace: `${fork.namespaceFullPath}/u-1`, forkedFromProjectId: fork.sourceProjectId } });
    expect(again.project.id).not.toBe(forked.id);
  });

  it('refuses to adopt a group, project or fork whose path the legacy mode holds until removal', async () => {
    emu.configure({ deletionDelayMs: 60_000, deletionMode: 'hold' });
    const { course, fork } = await deletedCourse();
    const refusals = [
      await caught(gl.ensureGroup({ parentId: course.id, parentFullPath: course.fullPath, path: 'tutors', name: 'Tutors' })),
      await caught(gl.ensureProject({ namespaceId: course.id, namespaceFullPath: course.fullPath, path: 'assignments', name: 'A' })),
      await caught(gl.forkProject(fork)),
    ];
    for (const e of refusals) {
      expect(e).toMatchObject({ kind: 'pending_deletion', type: 'GitlabPendingDeletionError', retryable: false });
      expect(e.message).toMatch(/is scheduled for deletion \(marked on \d{4}-\d{2}-\d{2}\)/);
    }
    expect(emu.state().projects.filter((p) => p.path === 'u-1')).toHaveLength(1);
  });
});

describe('destroy window (GitLab destroys in a background job)', () => {
  const WINDOW_MS = 2500;
  afterEach(() => emu.configure({ destroyWindowMs: 0 }));

  it('fails retryable, adopting nothing, while a destroyed path is held, and the retry after the window creates it', async () => {
    emu.configure({ destroyWindowMs: WINDOW_MS });
    const course = await courseGroup();
    const { project: template } = await gl.ensureProject({ namespaceId: course.id, namespaceFullPath: course.fullPath, path: 'student-template', name: 'T', initializeWithReadme: true });
    const { group: students } = await gl.ensureGroup({ parentId: course.id, parentFullPath: course.fullPath, path: 'students', name: 'Students' });
    const fork = { sourceProjectId: template.id, namespaceId: students.id, namespaceFullPath: students.fullPath, path: 'u-1', name: 'u-1' };
    const { project: forked } = await gl.forkProject(fork);
    const assignmentsInput = { namespaceId: course.id, namespaceFullPath: course.fullPath, path: 'assignments', name: 'A' };
    const { project: assignments } = await gl.ensureProject(assignmentsInput);
    const tutorsInput = { parentId: course.id, parentFullPath: course.fullPath, path: 'tutors', name: 'Tutors' };
    const { group: tutors } = await gl.ensureGroup(tutorsInput);
    await emu.waitForIdle();
    await gl.deleteProject(forked.id);
    await gl.deleteProject(assignments.id);
    await gl.deleteGroup(tutors.id);
    const windowEnds = Date.now() + WINDOW_MS;
    const retriesBefore = gl.limiter.stats().retries;

    // The client's own retries (4 attempts, at most 10 + 100 + 200 ms apart) end well inside the window.
    const refusals = [await caught(gl.forkProject(fork)), await caught(gl.ensureProject(assignmentsInput)), await caught(gl.ensureGroup(tutorsInput))];
    expect(Date.now()).toBeLessThan(windowEnds);
    for (const [e, kind] of refusals.map((r, i) => [r, i === 2 ? 'group' : 'project'] as const)) {
      expect(e).toMatchObject({ kind: 'destroying', type: 'GitlabDestroyingError', retryable: true });
      expect(e.message).toContain(`the path is still held by a ${kind} GitLab is destroying`);
    }
    expect(gl.limiter.stats().retries - retriesBefore).toBe(3 * 3);
    const state = emu.state();
    expect(state.projects.filter((p) => p.path === 'u-1' || p.path === 'assignments')).toHaveLength(0);
    expect(state.groups.filter((g) => g.path === 'tutors')).toHaveLength(0);

    // What the activity retry does once the window has passed: the same calls create afresh.
    await new Promise((r) => setTimeout(r, windowEnds - Date.now() + 100));
    const again = await gl.forkProject(fork);
    const project = await gl.ensureProject(assignmentsInput);
    const group = await gl.ensureGroup(tutorsInput);
    expect(again).toMatchObject({ created: true, project: { pathWithNamespace: `${students.fullPath}/u-1`, forkedFromProjectId: template.id } });
    expect(again.project.id).not.toBe(forked.id);
    expect(project).toMatchObject({ created: true, project: { pathWithNamespace: `${course.fullPath}/assignments` } });
    expect(project.project.id).not.toBe(assignments.id);
    expect(group).toMatchObject({ created: true, group: { fullPath: `${course.fullPath}/tutors` } });
    expect(group.group.id).not.toBe(tutors.id);
  });

  it('keeps a path held by the other kind of route (a subgroup where a project is asked for, a user where a top-level group is) a conflict', async () => {
    const course = await courseGroup();
    await gl.ensureGroup({ parentId: course.id, parentFullPath: course.fullPath, path: 'shared', name: 'Shared' });
    const e = await caught(gl.ensureProject({ namespaceId: course.id, namespaceFullPath: course.fullPath, path: 'shared', name: 'Shared project' }));
    expect(e).toMatchObject({ kind: 'conflict', retryable: false });
    expect(e.message).toContain(`a group is at ${course.fullPath}/shared`);
    emu.seed({ users: [{ username: 'jdoe' }] });
    const user = await caught(gl.ensureGroup({ path: 'jdoe', name: 'J Doe group' }));
    expect(user).toMatchObject({ kind: 'conflict', retryable: false });
    expect(user.message).toContain('the user jdoe holds that namespace');
  });
});

describe('redirects, archive and import status', () => {
  it('does not adopt a renamed project that answers at the old path', async () => {
    const course = await courseGroup();
    const { project } = await gl.ensureProject({ namespaceId: course.id, namespaceFullPath: course.fullPath, path: 'old', name: 'Old' });
    await fetch(`${emu.url}/api/v4/projects/${project.id}`, { method: 'PUT', headers: { 'PRIVATE-TOKEN': TOKEN, 'content-type': 'application/json' }, body: JSON.stringify({ path: 'new', name: 'New' }) });
    expect((await gl.getProject(`${course.fullPath}/old`))?.id).toBe(project.id);
    const again = await gl.ensureProject({ namespaceId: course.id, namespaceFullPath: course.fullPath, path: 'old', name: 'Old' });
    expect(again.created).toBe(true);
    expect(again.project.id).not.toBe(project.id);
    expect(again.project.pathWithNamespace).toBe(`${course.fullPath}/old`);
  });

  it('reports a commit to an archived project as archived, not as a token problem', async () => {
    const course = await courseGroup();
    const { project } = await gl.ensureProject({ namespaceId: course.id, namespaceFullPath: course.fullPath, path: 'arch', name: 'arch', initializeWithReadme: true });
    await fetch(`${emu.url}/api/v4/projects/${project.id}/archive`, { method: 'POST', headers: { 'PRIVATE-TOKEN': TOKEN } });
    const e = await caught(gl.commit(project.id, { branch: 'main', message: 'm', actions: [{ action: 'create', filePath: 'x', content: Buffer.from('x') }] }));
    expect(e).toMatchObject({ kind: 'archived', type: 'GitlabArchivedError', status: 403, retryable: false });
    expect(e.message).toMatch(/is archived/);
    expect((await gl.getProject(project.id))?.archived).toBe(true);
  });

  it('takes an absent import status as finished only when the repository has content', async () => {
    const course = await courseGroup();
    const { project: empty } = await gl.ensureProject({ namespaceId: course.id, namespaceFullPath: course.fullPath, path: 'empty', name: 'empty' });
    const { project: full } = await gl.ensureProject({ namespaceId: course.id, namespaceFullPath: course.fullPath, path: 'full', name: 'full', initializeWithReadme: true });
    expect(await gl.getImportStatus(empty.id)).toEqual({ importStatus: 'unknown', importError: null });
    expect(await gl.getImportStatus(full.id)).toEqual({ importStatus: 'finished', importError: null });
    expect(await gl.waitForImport(empty.id, { timeoutMs: 100, intervalMs: 20 })).toMatchObject({ importStatus: 'unknown', importError: null });
  });

  it('backs the import poll off: waits before the first poll, then doubles the interval', async () => {
    const course = await courseGroup();
    const { project: template } = await gl.ensureProject({ namespaceId: course.id, namespaceFullPath: course.fullPath, path: 'tpl-slow', name: 'tpl-slow', initializeWithReadme: true });
    emu.configure({ fork: { importDelayMs: 1_000 } });
    try {
      const { project } = await gl.forkProject({ sourceProjectId: template.id, namespaceId: course.id, namespaceFullPath: course.fullPath, path: 'slow-fork', name: 'slow-fork' });
      const started = Date.now();
      const at: number[] = [];
      const done = await gl.waitForImport(project.id, { intervalMs: 50, maxIntervalMs: 400, onPoll: () => at.push(Date.now() - started) });
      expect(done.importStatus).toBe('finished');
      // Polls near 50, 150, 350, 750, 1150 ms: five reads for a one-second import, not twenty at a fixed 50 ms.
      expect(at[0]).toBeGreaterThanOrEqual(45);
      expect(at.length).toBeLessThanOrEqual(6);
      const gaps = at.slice(1).map((t, i) => t - (at[i] as number));
      expect(gaps[1]).toBeGreaterThan((gaps[0] as number) * 1.5);
      expect(Math.max(...gaps)).toBeLessThan(400 + 150);
    } finally {
      emu.configure({ fork: { importDelayMs: 150 } });
    }
  });
});

describe('branches and members', () => {
  it('unprotects twice and protects idempotently', async () => {
    const course = await courseGroup();
    const { project } = await gl.ensureProject({ namespaceId: course.id, namespaceFullPath: course.fullPath, path: 'p', name: 'p', initializeWithReadme: true });
    expect((await gl.getBranch(project.id, 'main'))?.protected).toBe(true);
    expect(await gl.unprotectBranch(project.id, 'main')).toBe(true);
    expect(await gl.unprotectBranch(project.id, 'main')).toBe(false);
    expect((await gl.getBranch(project.id, 'main'))?.protected).toBe(false);

    expect(await gl.protectBranch(project.id, 'main', { pushAccessLevel: 30 })).toEqual({ name: 'main', pushAccessLevel: 30, mergeAccessLevel: 40 });
    expect(await gl.protectBranch(project.id, 'main', { pushAccessLevel: 30 })).toEqual({ name: 'main', pushAccessLevel: 30, mergeAccessLevel: 40 });
    expect(await gl.protectBranch(project.id, 'main')).toEqual({ name: 'main', pushAccessLevel: 40, mergeAccessLevel: 40 });
    expect(emu.state().projects[0]?.protected_branches).toEqual([{ name: 'main', push_access_level: 40, merge_access_level: 40 }]);
    expect(await gl.getBranch(project.id, 'nope')).toBeNull();
  });

  it('adds, updates and removes project and group members idempotently', async () => {
    const { users } = emu.seed({ users: [{ username: 'alice' }, { username: 'bob' }] });
    const alice = await gl.findUserByUsername('alice');
    expect(alice).toMatchObject({ id: users[0]?.id, username: 'alice', state: 'active' });
    expect(await gl.findUserByUsername('nobody')).toBeNull();
    const course = await courseGroup();
    const { project } = await gl.ensureProject({ namespaceId: course.id, namespaceFullPath: course.fullPath, path: 'p', name: 'p' });
    const aliceId = alice?.id as number;

    expect((await gl.ensureProjectMember(project.id, aliceId, 40)).outcome).toBe('added');
    expect((await gl.ensureProjectMember(project.id, aliceId, 40)).outcome).toBe('unchanged');
    const updated = await gl.ensureProjectMember(project.id, aliceId, 20);
    expect(updated).toEqual({ outcome: 'updated', member: { userId: aliceId, username: 'alice', name: 'alice', accessLevel: 20 } });
    expect((await gl.listProjectMembers(project.id)).map((m) => [m.username, m.accessLevel])).toEqual([['alice', 20]]);
    expect(await gl.removeProjectMember(project.id, aliceId)).toBe(true);
    expect(await gl.removeProjectMember(project.id, aliceId)).toBe(false);
    expect(await gl.listProjectMembers(project.id)).toEqual([]);

    // By username: one POST whose answer carries the user's id; a repeat adopts (and updates) the membership.
    emu.resetStats();
    expect(await gl.ensureProjectMemberByUsername(project.id, 'bob', 40)).toMatchObject({ outcome: 'added', member: { userId: users[1]?.id, username: 'bob', accessLevel: 40 } });
    expect(emu.stats().byRoute).toEqual({ 'POST /projects/:id/members': 1 });
    expect((await gl.ensureProjectMemberByUsername(project.id, 'bob', 40)).outcome).toBe('unchanged');
    expect((await gl.ensureProjectMemberByUsername(project.id, 'bob', 30)).outcome).toBe('updated');
    expect(await caught(gl.ensureProjectMemberByUsername(project.id, 'nobody', 40))).toMatchObject({ kind: 'not_found', gitlabMessage: '404 User Not Found' });
    expect(await gl.removeProjectMember(project.id, users[1]?.id as number)).toBe(true);

    // A lock at a deadline: one PUT for a member, a POST after GitLab's 404 for a non-member.
    const before = { ...emu.stats().byRoute };
    expect(await gl.setProjectMemberAccess(project.id, aliceId, 30)).toMatchObject({ userId: aliceId, accessLevel: 30 });
    expect(await gl.setProjectMemberAccess(project.id, aliceId, 20)).toMatchObject({ userId: aliceId, accessLevel: 20 });
    const after = emu.stats().byRoute;
    const count = (route: string) => (after[route] ?? 0) - (before[route] ?? 0);
    expect([count('PUT /projects/:id/members/:user_id'), count('POST /projects/:id/members')]).toEqual([2, 1]);
    expect((await gl.listProjectMembers(project.id)).map((m) => [m.username, m.accessLevel])).toEqual([['alice', 20]]);

    const bobId = users[1]?.id as number;
    expect((await gl.ensureGroupMember(course.id, bobId, 30)).outcome).toBe('added');
    expect((await gl.ensureGroupMember(course.id, bobId, 40)).outcome).toBe('updated');
    expect((await gl.listGroupMembers(course.id)).find((m) => m.userId === bobId)?.accessLevel).toBe(40);
    expect(await gl.removeGroupMember(course.id, bobId)).toBe(true);
    expect(await gl.removeGroupMember(course.id, bobId)).toBe(false);
  });

  it('follows pagination of member lists past 100', async () => {
    const { users } = emu.seed({ users: Array.from({ length: 105 }, (_, i) => ({ username: `s${String(i).padStart(3, '0')}` })) });
    const course = await courseGroup();
    const { project } = await gl.ensureProject({ namespaceId: course.id, namespaceFullPath: course.fullPath, path: 'p', name: 'p' });
    await Promise.all(users.map((u) => gl.ensureProjectMember(project.id, u.id, 30)));
    emu.resetStats();
    const listed = await gl.listProjectMembers(project.id);
    expect(listed).toHaveLength(105);
    expect(new Set(listed.map((m) => m.userId)).size).toBe(105);
    expect(emu.stats().byRoute['GET /projects/:id/members']).toBe(2);
  });
});

describe('repository', () => {
  async function emptyProject() {
    const course = await courseGroup();
    return (await gl.ensureProject({ namespaceId: course.id, namespaceFullPath: course.fullPath, path: 'repo', name: 'repo' })).project;
  }

  it('commits create, update and delete, then reads tree, files and history', async () => {
    const project = await emptyProject();
    expect(await gl.getTree(project.id, { ref: 'main', recursive: true })).toEqual([]);
    const binary = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 10]);
    const sha1 = await gl.commit(project.id, {
      branch: 'main',
      message: 'Release week1',
      author: { name: 'Computor', email: 'computor@example.com' },
      actions: [
        { action: 'create', filePath: 'README.md', content: Buffer.from('# Course\n') },
        { action: 'create', filePath: 'week1/hello/main.py', content: Buffer.from('print("hi")\n') },
        { action: 'create', filePath: 'week1/hello/data.bin', content: binary },
      ],
    });
    expect(sha1).toMatch(/^[0-9a-f]{40}$/);
    const sha2 = await gl.commit(project.id, {
      branch: 'main',
      message: 'Update and delete',
      actions: [
        { action: 'update', filePath: 'README.md', content: Buffer.from('# Course\n\n- week1\n') },
        { action: 'delete', filePath: 'week1/hello/main.py' },
      ],
    });

    const tree = await gl.getTree(project.id, { ref: 'main', recursive: true });
    expect(tree.filter((t) => t.type === 'blob').map((t) => t.path).sort()).toEqual(['README.md', 'week1/hello/data.bin']);
    expect(tree.find((t) => t.path === 'week1/hello/data.bin')?.id).toBe(gitBlobId(binary));
    expect((await gl.getTree(project.id, { ref: 'main', path: 'week1' })).map((t) => [t.name, t.type])).toEqual([['hello', 'tree']]);
    expect(await gl.getFileContent(project.id, 'week1/hello/data.bin', 'main')).toEqual(binary);
    expect((await gl.getFileContent(project.id, 'README.md', 'main'))?.toString()).toBe('# Course\n\n- week1\n');
    expect(await gl.getFileContent(project.id, 'week1/hello/main.py', 'main')).toBeNull();
    expect((await gl.getFileContent(project.id, 'week1/hello/main.py', sha1))?.toString()).toBe('print("hi")\n');
    expect(emu.readFile(project.id, 'main', 'week1/hello/data.bin')).toEqual(binary);

    const commits = await gl.listCommits(project.id, 'main');
    expect(commits.map((c) => c.id)).toEqual([sha2, sha1]);
    expect(commits[1]).toMatchObject({ title: 'Release week1', authorName: 'Computor', authorEmail: 'computor@example.com' });
    expect(await gl.getBranch(project.id, 'main')).toMatchObject({ name: 'main', commitId: sha2, default: true });
  });

  it('rejects a create of an existing file as invalid and checks actions before sending', async () => {
    const project = await emptyProject();
    await gl.commit(project.id, { branch: 'main', message: 'one', actions: [{ action: 'create', filePath: 'a.txt', content: Buffer.from('a') }] });
    const dup = await caught(gl.commit(project.id, { branch: 'main', message: 'two', actions: [{ action: 'create', filePath: 'a.txt', content: Buffer.from('b') }] }));
    expect(dup).toMatchObject({ kind: 'invalid', status: 400, retryable: false });
    const local = await caught(gl.commit(project.id, { branch: 'main', message: 'x', actions: [{ action: 'update', filePath: 'a.txt' }] }));
    expect(local).toMatchObject({ kind: 'invalid', status: null });
  });

  it('syncFiles commits only differences and nothing on a repeat', async () => {
    const project = await emptyProject();
    const files = [
      { filePath: 'README.md', content: Buffer.from('# v1\n') },
      { filePath: 'a/b.txt', content: Buffer.from('b') },
    ];
    const first = await gl.syncFiles(project.id, { branch: 'main', message: 'sync', files });
    expect(first.actions).toEqual([
      { action: 'create', filePath: 'README.md' },
      { action: 'create', filePath: 'a/b.txt' },
    ]);
    expect(await gl.syncFiles(project.id, { branch: 'main', message: 'sync', files })).toEqual({ sha: null, actions: [] });
    const third = await gl.syncFiles(project.id, {
      branch: 'main',
      message: 'sync',
      files: [{ filePath: 'README.md', content: Buffer.from('# v2\n') }],
      deletePaths: ['a/b.txt', 'never-existed.txt'],
    });
    expect(third.actions).toEqual([
      { action: 'update', filePath: 'README.md' },
      { action: 'delete', filePath: 'a/b.txt' },
    ]);
    expect((await gl.listCommits(project.id, 'main')).map((c) => c.id)[0]).toBe(third.sha);
  });

  it('follows tree pagination past 100 entries', async () => {
    const project = await emptyProject();
    await gl.commit(project.id, {
      branch: 'main',
      message: 'many files',
      actions: Array.from({ length: 150 }, (_, i) => ({ action: 'create' as const, filePath: `f/${String(i).padStart(3, '0')}.txt`, content: Buffer.from(String(i)) })),
    });
    emu.resetStats();
    const before = gl.limiter.stats().requests;
    const tree = await gl.getTree(project.id, { ref: 'main', path: 'f' });
    expect(tree).toHaveLength(150);
    expect(new Set(tree.map((t) => t.path)).size).toBe(150);
    expect(emu.stats().byRoute['GET /projects/:id/repository/tree']).toBe(2);
    // Every page went through the limiter.
    expect(gl.limiter.stats().requests - before).toBe(2);
  });
});
