import { startGitlabEmulator, type TGitlabEmulator } from '@computor/gitlab-emulator';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { createGitlabClient, type GitlabClient } from './client';
import { GitlabError } from './errors';
import { createRateLimiter } from './rate-limiter';

// The calls behind "the student's repository is the hand-in": resolve the pushed commit, download
// the archive at that commit, and keep a push webhook on the repository.

const TOKEN = 'glpat-hand-in-secret';
let emu: TGitlabEmulator;
let gl: GitlabClient;
let projectId: number;
let head: string;

beforeAll(async () => {
  emu = await startGitlabEmulator({ token: TOKEN });
});
afterAll(() => emu.close());
beforeEach(async () => {
  emu.reset();
  emu.configure({ latencyMs: 0, faults: { rate: 0 } });
  gl = createGitlabClient({ url: emu.url, token: TOKEN, limiter: createRateLimiter({ requestsPerSecond: 1000, maxConcurrent: 8 }) });
  const seeded = emu.seed({ parentGroup: { name: 'Course', path: 'course' } });
  const { project } = await gl.ensureProject({
    namespaceId: seeded.parentGroup?.id as number,
    namespaceFullPath: 'course',
    path: 'alice',
    name: 'alice',
    initializeWithReadme: true,
  });
  projectId = project.id;
  head = await gl.commit(projectId, {
    branch: 'main',
    message: 'solution',
    actions: [
      { action: 'create', filePath: 'ex1/main.py', content: Buffer.from('print(42)\n') },
      { action: 'create', filePath: 'ex2/data.bin', content: Buffer.from([0, 1, 2, 255]) },
    ],
  });
});

async function caught(p: Promise<unknown>): Promise<GitlabError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GitlabError);
  return err as GitlabError;
}

function tarNames(tar: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (let off = 0; off + 512 <= tar.length; ) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const size = parseInt(h.subarray(124, 136).toString().replace(/\0.*$/s, ''), 8);
    const type = String.fromCharCode(h[156] as number);
    if (type === '0') out.set(h.subarray(0, 100).toString().replace(/\0.*$/s, ''), tar.subarray(off + 512, off + 512 + size));
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

describe('getCommit', () => {
  it('resolves a branch, a full and a short sha; null for an unknown ref; not_found for a missing project', async () => {
    const byBranch = await gl.getCommit(projectId, 'main');
    expect(byBranch).toMatchObject({ id: head, title: 'solution' });
    expect(await gl.getCommit('course/alice', head)).toEqual(byBranch);
    expect((await gl.getCommit(projectId, head.slice(0, 8)))?.id).toBe(head);
    expect(await gl.getCommit(projectId, 'no-such-branch')).toBeNull();
    expect(await caught(gl.getCommit(99_999, 'main'))).toMatchObject({ kind: 'not_found' });
  });
});

describe('repositoryArchive', () => {
  it('downloads tar.gz by default, tar and zip on request, and a subdirectory', async () => {
    const files = tarNames(gunzipSync(await gl.repositoryArchive(projectId, { sha: head })));
    const prefix = `alice-${head}-${head}`;
    expect(files.get(`${prefix}/ex1/main.py`)?.toString()).toBe('print(42)\n');
    expect(files.get(`${prefix}/ex2/data.bin`)).toEqual(Buffer.from([0, 1, 2, 255]));

    const sub = tarNames(await gl.repositoryArchive(projectId, { sha: 'main', path: 'ex1', format: 'tar' }));
    expect([...sub.keys()]).toEqual([`alice-main-${head}-ex1/ex1/main.py`]);

    const zip = await gl.repositoryArchive(projectId, { sha: head, format: 'zip' });
    expect(zip.subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    expect(gl.limiter.stats().requests).toBeGreaterThanOrEqual(3);
  });

  it('stops at maxBytes with a non-retryable error, and reports an unknown sha as not_found', async () => {
    const big = await caught(gl.repositoryArchive(projectId, { sha: head, maxBytes: 100 }));
    expect(big).toMatchObject({ kind: 'invalid', retryable: false });
    expect(big.message).toMatch(/archive larger than the limit of 100 bytes/);
    expect((await gl.repositoryArchive(projectId, { sha: head, maxBytes: 1_000_000 })).length).toBeGreaterThan(100);
    expect(await caught(gl.repositoryArchive(projectId, { sha: 'deadbeef' }))).toMatchObject({ kind: 'not_found', status: 404 });
  });

  it('repeats the download after a transient fault', async () => {
    emu.configure({ faults: { rate: 1, kinds: ['502'], pathPattern: '/repository/archive' } });
    const failing = await caught(gl.repositoryArchive(projectId, { sha: head }));
    expect(failing).toMatchObject({ kind: 'transient' });
    expect(gl.limiter.stats().retries).toBe(3);
  });
});

describe('project hooks', () => {
  async function receiver(): Promise<{ url: string; headers: IncomingHttpHeaders[]; close: () => Promise<void> }> {
    const headers: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      headers.push(req.headers);
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/gitlab`, headers, close: () => new Promise((r) => server.close(() => r())) };
  }

  it('creates once, then adopts by URL and rewrites the token; pushes then carry the new token', async () => {
    const rx = await receiver();
    try {
      const first = await gl.ensureProjectHook(projectId, { url: rx.url, token: 'old', pushEventsBranchFilter: 'main' });
      expect(first).toMatchObject({ created: true, updated: false, hook: { url: rx.url, pushEvents: true, pushEventsBranchFilter: 'main', alertStatus: 'executable' } });
      const second = await gl.ensureProjectHook(projectId, { url: rx.url, token: 'new' });
      expect(second).toMatchObject({ created: false, updated: true, hook: { id: first.hook.id, pushEventsBranchFilter: '' } });
      expect(await gl.listProjectHooks(projectId)).toHaveLength(1);

      await gl.commit(projectId, { branch: 'main', message: 'again', actions: [{ action: 'create', filePath: 'x', content: Buffer.from('x') }] });
      await emu.waitForDeliveries(1);
      expect(rx.headers[0]?.['x-gitlab-token']).toBe('new');
      expect(rx.headers[0]?.['x-gitlab-event']).toBe('Push Hook');
    } finally {
      await rx.close();
    }
  });

  it('keeps one hook per URL: removes duplicates, converges under concurrent calls', async () => {
    const url = 'http://127.0.0.1:9/dup';
    await fetch(`${emu.url}/api/v4/projects/${projectId}/hooks`, { method: 'POST', headers: { 'PRIVATE-TOKEN': TOKEN, 'content-type': 'application/json' }, body: JSON.stringify({ url }) });
    await fetch(`${emu.url}/api/v4/projects/${projectId}/hooks`, { method: 'POST', headers: { 'PRIVATE-TOKEN': TOKEN, 'content-type': 'application/json' }, body: JSON.stringify({ url }) });
    const adopted = await gl.ensureProjectHook(projectId, { url, token: 't' });
    expect(adopted.created).toBe(false);
    expect((await gl.listProjectHooks(projectId)).map((h) => h.id)).toEqual([adopted.hook.id]);

    emu.configure({ latencyMs: 30 });
    const other = 'http://127.0.0.1:9/race';
    const results = await Promise.all([gl.ensureProjectHook(projectId, { url: other, token: 'a' }), gl.ensureProjectHook(projectId, { url: other, token: 'b' })]);
    const racing = (await gl.listProjectHooks(projectId)).filter((h) => h.url === other);
    expect(racing).toHaveLength(1);
    expect(results.map((r) => r.hook.id)).toEqual([racing[0]?.id, racing[0]?.id]);
  });

  it('replaces a permanently disabled hook, and deletes idempotently', async () => {
    const url = 'http://127.0.0.1:9/dead';
    const { hook } = await gl.ensureProjectHook(projectId, { url, token: 't' });
    const stored = emu.core.store.hooks.get(hook.id);
    if (stored) stored.recentFailures = 40;
    expect((await gl.listProjectHooks(projectId))[0]?.alertStatus).toBe('disabled');
    const replaced = await gl.ensureProjectHook(projectId, { url, token: 't' });
    expect(replaced).toMatchObject({ created: true, updated: false, hook: { alertStatus: 'executable' } });
    expect(replaced.hook.id).not.toBe(hook.id);
    expect(await gl.deleteProjectHook(projectId, replaced.hook.id)).toBe(true);
    expect(await gl.deleteProjectHook(projectId, replaced.hook.id)).toBe(false);
    expect(await gl.listProjectHooks(projectId)).toEqual([]);
  });

  it('adopts after a create whose answer was lost', async () => {
    emu.configure({ faults: { rate: 1, kinds: ['fail-after-commit'], pathPattern: '/hooks$', mutatingOnly: true } });
    const result = await gl.ensureProjectHook(projectId, { url: 'http://127.0.0.1:9/lost', token: 't' });
    emu.configure({ faults: { rate: 0 } });
    expect(result).toMatchObject({ created: false, updated: true });
    expect(await gl.listProjectHooks(projectId)).toHaveLength(1);
  });

  it('on a new project creates without listing, and still adopts after a lost answer', async () => {
    emu.resetStats();
    const made = await gl.ensureProjectHook(projectId, { url: 'http://127.0.0.1:9/fresh', token: 't', newProject: true });
    expect(made).toMatchObject({ created: true, updated: false });
    expect(emu.stats().byRoute).toEqual({ 'POST /projects/:id/hooks': 1 });

    emu.configure({ faults: { rate: 1, kinds: ['fail-after-commit'], pathPattern: '/hooks$', mutatingOnly: true } });
    const lost = await gl.ensureProjectHook(projectId, { url: 'http://127.0.0.1:9/fresh-lost', token: 't', newProject: true });
    emu.configure({ faults: { rate: 0 } });
    expect(lost).toMatchObject({ created: false, updated: true });
    expect((await gl.listProjectHooks(projectId)).filter((h) => h.url === 'http://127.0.0.1:9/fresh-lost')).toHaveLength(1);
  });
});
