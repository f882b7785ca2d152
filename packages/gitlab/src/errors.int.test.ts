import { createServer } from 'node:net';
import { inspect } from 'node:util';
import { startGitlabEmulator, type TGitlabEmulator } from '@computor/gitlab-emulator';
import { createGitlabClient, type GitlabClient } from './client';
import { GitlabError, toApplicationFailureInfo } from './errors';
import { createRateLimiter, type TRequestObservation } from './rate-limiter';

const TOKEN = 'glpat-errors-int-SECRET-4711';
const USER_TOKEN = 'glpat-student-SECRET-0815';
let emu: TGitlabEmulator;
let gl: GitlabClient;
let observed: TRequestObservation[];
const seenErrors: GitlabError[] = [];

beforeAll(async () => {
  emu = await startGitlabEmulator({ token: TOKEN, tokens: [{ token: USER_TOKEN, username: 'student', admin: false }] });
});
afterAll(() => emu.close());
beforeEach(() => {
  emu.reset();
  emu.configure({ latencyMs: 0, faults: { rate: 0, kinds: ['500'], pathPattern: null, mutatingOnly: false, retryAfterSeconds: 1, slowMs: 2000 } });
  observed = [];
  gl = createGitlabClient({
    url: emu.url,
    token: TOKEN,
    limiter: createRateLimiter({ requestsPerSecond: 1000, maxConcurrent: 4, onRequest: (o) => observed.push(o) }),
  });
});

async function caught(p: Promise<unknown>): Promise<GitlabError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GitlabError);
  seenErrors.push(err as GitlabError);
  return err as GitlabError;
}

async function project(): Promise<number> {
  const parent = emu.seed({ parentGroup: { name: 'P', path: 'p' } }).parentGroup?.id as number;
  const { project: p } = await gl.ensureProject({ namespaceId: parent, namespaceFullPath: 'p', path: 'repo', name: 'repo', initializeWithReadme: true });
  return p.id;
}

describe('error classification against the emulator', () => {
  it('401: a wrong token is auth, non-retryable', async () => {
    const bad = createGitlabClient({ url: emu.url, token: 'glpat-WRONG-token' });
    const e = await caught(bad.getGroupByPath('p'));
    expect(e).toMatchObject({ status: 401, kind: 'auth', retryable: false, operation: 'getGroupByPath p' });
    expect(e.message).toBe('getGroupByPath p: GET groups/:id answered 401: 401 Unauthorized');
    expect(e.message).not.toContain('glpat-WRONG-token');
    expect(toApplicationFailureInfo(e)).toEqual({ type: 'GitlabAuthError', message: e.message, nonRetryable: true });
  });

  it('403: pushing without permission is auth, non-retryable', async () => {
    const id = await project();
    const student = createGitlabClient({ url: emu.url, token: USER_TOKEN });
    const e = await caught(student.commit(id, { branch: 'main', message: 'x', actions: [{ action: 'create', filePath: 'x', content: Buffer.from('x') }] }));
    expect(e).toMatchObject({ status: 403, kind: 'auth', retryable: false });
    expect(e.message).not.toContain(USER_TOKEN);
  });

  it('404: a project that must exist is not_found, non-retryable', async () => {
    const e = await caught(gl.getTree(424242, { ref: 'main' }));
    expect(e).toMatchObject({ status: 404, kind: 'not_found', retryable: false });
    expect(e.gitlabMessage).toBe('404 Project Not Found');
    expect((await caught(gl.getImportStatus(424242))).kind).toBe('not_found');
  });

  it('400: invalid input is invalid, non-retryable, with GitLab message', async () => {
    const parent = emu.seed({ parentGroup: { name: 'P', path: 'p' } }).parentGroup?.id as number;
    const e = await caught(gl.ensureGroup({ parentId: parent, path: '-bad-', name: 'Bad' }));
    expect(e).toMatchObject({ status: 400, kind: 'invalid', retryable: false, operation: 'ensureGroup -bad-' });
    expect(e.message).toContain('Failed to save group');
    expect(toApplicationFailureInfo(e).type).toBe('GitlabInvalidError');
  });

  it('429: rate_limited with Retry-After; a commit is not repeated, an idempotent operation waits out the pause and repeats', async () => {
    emu.configure({ faults: { rate: 1, kinds: ['429'], retryAfterSeconds: 1 } });
    const e = await caught(gl.commit(1, { branch: 'main', message: 'm', actions: [{ action: 'create', filePath: 'a', content: Buffer.from('a') }] }));
    expect(e).toMatchObject({ status: 429, kind: 'rate_limited', retryable: true, retryAfterMs: 1000 });
    expect(toApplicationFailureInfo(e)).toMatchObject({ type: 'GitlabRateLimitedError', nonRetryable: false, nextRetryDelayMs: 1000 });
    expect(emu.stats().total).toBe(1);
    expect(gl.limiter.stats()).toMatchObject({ rateLimited: 1 });

    emu.resetStats();
    const started = Date.now();
    const read = await caught(gl.ensureGroupMember(1, 1, 30));
    expect(read).toMatchObject({ status: 429, kind: 'rate_limited' });
    // Four attempts, each after the limiter's one-second pause.
    expect(emu.stats().total).toBe(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2700);

    emu.configure({ faults: { rate: 0 } });
    const t0 = Date.now();
    await gl.getGroup(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(850);
  });

  it('500 and 502: transient, retryable; idempotent operations are sent up to four times, a commit once', async () => {
    emu.configure({ faults: { rate: 1, kinds: ['500'] } });
    const e = await caught(gl.getGroup(1));
    expect(e).toMatchObject({ status: 500, kind: 'transient', retryable: true });
    expect(toApplicationFailureInfo(e)).toEqual({ type: 'GitlabTransientError', message: e.message, nonRetryable: false });
    emu.configure({ faults: { kinds: ['502'] } });
    emu.resetStats();
    await caught(gl.ensureProjectMember(1, 1, 30));
    expect(emu.stats().total).toBe(4);
    emu.resetStats();
    await caught(gl.commit(1, { branch: 'main', message: 'm', actions: [{ action: 'create', filePath: 'a', content: Buffer.from('a') }] }));
    expect(emu.stats().total).toBe(1);
  });

  it('connection reset: an idempotent operation is sent up to four times, a commit once; both end transient', async () => {
    emu.configure({ faults: { rate: 1, kinds: ['reset'] } });
    const get = await caught(gl.getGroup(1));
    expect(get).toMatchObject({ status: null, kind: 'transient', retryable: true });
    expect(get.code).toBeDefined();
    expect(emu.stats().total).toBe(4);
    expect(gl.limiter.stats().retries).toBe(3);

    emu.resetStats();
    const post = await caught(gl.commit(1, { branch: 'main', message: 'm', actions: [{ action: 'create', filePath: 'a', content: Buffer.from('a') }] }));
    expect(post).toMatchObject({ status: null, kind: 'transient' });
    expect(emu.stats().total).toBe(1);
    expect(gl.limiter.stats().retries).toBe(3);
  });

  it('a GET recovers when only the first attempt is reset', async () => {
    emu.seed({ parentGroup: { name: 'P', path: 'p' } });
    // The seeded PRNG decides which requests fail; find a seed whose first draw resets and second passes.
    let seed = 0;
    for (; seed < 1000; seed += 1) {
      emu.configure({ seed, faults: { rate: 0.5, kinds: ['reset'] } });
      emu.resetStats();
      const first = await fetch(`${emu.url}/api/v4/user`, { headers: { 'PRIVATE-TOKEN': TOKEN } }).then(
        (r) => r.arrayBuffer().then(() => 'ok'),
        () => 'reset',
      );
      const second = await fetch(`${emu.url}/api/v4/user`, { headers: { 'PRIVATE-TOKEN': TOKEN } }).then(
        (r) => r.arrayBuffer().then(() => 'ok'),
        () => 'reset',
      );
      if (first === 'reset' && second === 'ok') break;
    }
    emu.configure({ seed, faults: { rate: 0.5, kinds: ['reset'] } });
    const group = await gl.getGroupByPath('p');
    expect(group?.fullPath).toBe('p');
    expect(gl.limiter.stats().retries).toBe(1);
  });

  it('timeout: a slow answer becomes transient with no status', async () => {
    emu.configure({ faults: { rate: 1, kinds: ['slow'], slowMs: 400 } });
    const impatient = createGitlabClient({ url: emu.url, token: TOKEN, timeoutMs: 100 });
    const e = await caught(impatient.getGroup(1));
    expect(e).toMatchObject({ status: null, kind: 'transient', retryable: true, code: 'ETIMEDOUT' });
  });

  it('connection refused: transient with its code', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const nowhere = createGitlabClient({ url: `http://127.0.0.1:${port}`, token: TOKEN });
    const e = await caught(nowhere.getGroup(1));
    expect(e).toMatchObject({ status: null, kind: 'transient', code: 'ECONNREFUSED' });
  });

  it('reports each request to onRequest with a bounded route label', async () => {
    await gl.getGroupByPath('does/not/exist');
    expect(observed).toEqual([{ method: 'GET', route: 'groups/:id', status: 404, durationMs: expect.any(Number) }]);
  });

  it('never shows a token in any error text', () => {
    expect(seenErrors.length).toBeGreaterThanOrEqual(10);
    for (const e of seenErrors) {
      for (const text of [e.message, String(e), e.stack ?? '', JSON.stringify(e), inspect(e, { depth: 10 })]) {
        expect(text).not.toContain(TOKEN);
        expect(text).not.toContain(USER_TOKEN);
        expect(text).not.toContain('glpat-WRONG-token');
      }
    }
  });
});
