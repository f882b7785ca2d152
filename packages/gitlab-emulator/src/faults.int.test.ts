import { Gitlab, GitbeakerRequestError, GitbeakerRetryError } from '@gitbeaker/rest';
import { startGitlabEmulator, type TGitlabEmulator } from './index';

const TOKEN = 'faults-test-token';
let emu: TGitlabEmulator;
let api: InstanceType<typeof Gitlab>;

beforeAll(async () => {
  emu = await startGitlabEmulator({ token: TOKEN });
  api = new Gitlab({ host: emu.url, token: TOKEN });
});
afterAll(() => emu.close());
beforeEach(() => {
  emu.reset();
  emu.configure({ latencyMs: 0, latencyJitterMs: 0, faults: { rate: 0, kinds: ['500', '502', '503'], mutatingOnly: false, pathPattern: null, slowMs: 2000, retryAfterSeconds: 1 } });
});

function call(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${emu.url}/api/v4${path}`, { ...init, headers: { 'PRIVATE-TOKEN': TOKEN, 'content-type': 'application/json', ...(init.headers ?? {}) } });
}

async function statuses(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const res = await call('/user');
    await res.arrayBuffer();
    out.push(res.status);
  }
  return out;
}

describe('fault injection', () => {
  it('injects faults at roughly the configured rate and counts them', async () => {
    emu.configure({ seed: 42, faults: { rate: 0.3, kinds: ['500'] } });
    const codes = await statuses(400);
    const faults = codes.filter((c) => c === 500).length;
    expect(faults / codes.length).toBeGreaterThan(0.22);
    expect(faults / codes.length).toBeLessThan(0.38);
    expect(codes.every((c) => c === 200 || c === 500)).toBe(true);
    const stats = emu.stats();
    expect(stats.total).toBe(400);
    expect(stats.faults).toEqual({ total: faults, byKind: { '500': faults } });
    expect(stats.byRoute['GET /user']).toBe(400);
    expect(stats.byStatus['500']).toBe(faults);
  });

  it('replays the same faults for the same seed', async () => {
    emu.configure({ seed: 7, faults: { rate: 0.5, kinds: ['500', '503'] } });
    const first = await statuses(40);
    emu.configure({ seed: 7 });
    expect(await statuses(40)).toEqual(first);
  });

  it('answers 429 with Retry-After, which gitbeaker retries and finally reports', async () => {
    emu.configure({ faults: { rate: 1, kinds: ['429'], retryAfterSeconds: 7 } });
    const res = await call('/user');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.headers.get('ratelimit-remaining')).toBe('0');
    expect(await res.text()).toBe('Retry later\n');
    await expect(api.Users.showCurrentUser()).rejects.toBeInstanceOf(GitbeakerRetryError);
    expect(emu.stats().rateLimited).toBe(11);
  });

  it('resets connections, which clients see as network errors', async () => {
    emu.configure({ faults: { rate: 1, kinds: ['reset'] } });
    const err = await api.Users.showCurrentUser().catch((e: unknown) => e);
    // undici's TypeError comes from Node's realm, not jest's, so compare by name.
    expect((err as Error).name).toBe('TypeError');
    expect(err).not.toBeInstanceOf(GitbeakerRequestError);
    expect((err as Error).message).toBe('fetch failed');
    expect(emu.stats().faults.byKind.reset).toBe(1);
  });

  it('rejects before changing state, and only mutating requests when asked', async () => {
    emu.configure({ faults: { rate: 1, kinds: ['503'], mutatingOnly: true } });
    const res = await call('/groups', { method: 'POST', body: JSON.stringify({ name: 'g', path: 'g' }) });
    expect([res.status, await res.json()]).toEqual([503, { message: '503 Service Unavailable' }]);
    expect(emu.state().groups).toEqual([]);
    expect((await api.Users.showCurrentUser()).username).toBe('root');
  });

  it('limits faults to a path pattern', async () => {
    emu.configure({ faults: { rate: 1, kinds: ['500'], pathPattern: '^/projects' } });
    expect((await api.Groups.create('ok', 'ok')).path).toBe('ok');
    expect((await call('/projects', { method: 'POST', body: JSON.stringify({ name: 'p' }) })).status).toBe(500);
    expect(emu.state().projects).toEqual([]);
  });

  it('can fail after commit: the state changes but the client sees 502 or a reset', async () => {
    emu.configure({ faults: { rate: 1, kinds: ['fail-after-commit'] } });
    const res = await call('/groups', { method: 'POST', body: JSON.stringify({ name: 'g1', path: 'g1' }) });
    expect(res.status).toBe(502);
    expect(emu.state().groups.map((g) => g.path)).toEqual(['g1']);

    emu.configure({ faults: { kinds: ['reset-after-commit'] } });
    await expect(call('/groups', { method: 'POST', body: JSON.stringify({ name: 'g2', path: 'g2' }) })).rejects.toThrow('fetch failed');
    expect(emu.state().groups.map((g) => g.path)).toEqual(['g1', 'g2']);

    // A retrying client then meets GitLab's "already taken" answer: callers must adopt, not fail.
    emu.configure({ faults: { rate: 0 } });
    const retry = await call('/groups', { method: 'POST', body: JSON.stringify({ name: 'g2', path: 'g2' }) });
    expect(retry.status).toBe(400);
  });

  it('adds latency, jitter and slow responses', async () => {
    emu.configure({ latencyMs: 80 });
    emu.resetStats();
    let t = Date.now();
    await api.Users.showCurrentUser();
    expect(Date.now() - t).toBeGreaterThanOrEqual(75);
    // The stats say how long answers took from arrival (see latency.test.ts for their mean).
    const { latency } = emu.stats();
    expect(latency.answers).toBe(1);
    expect(latency.totalMs).toBeGreaterThanOrEqual(75);

    emu.configure({ latencyMs: 0, faults: { rate: 1, kinds: ['slow'], slowMs: 250 } });
    t = Date.now();
    expect((await api.Users.showCurrentUser()).username).toBe('root');
    expect(Date.now() - t).toBeGreaterThanOrEqual(240);
  });

  it('is configured at runtime over HTTP with validation', async () => {
    const set = await fetch(`${emu.url}/__emulator/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ latencyMs: 5, faults: { rate: 0.25, kinds: ['502', '429'] } }),
    });
    expect(set.status).toBe(200);
    expect(emu.config()).toMatchObject({ latencyMs: 5, faults: { rate: 0.25, kinds: ['502', '429'] } });
    const bad = await fetch(`${emu.url}/__emulator/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ faults: { rate: 2 } }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/faults.rate/);
    const stats = await fetch(`${emu.url}/__emulator/stats`);
    expect(((await stats.json()) as { total: number }).total).toBe(0);
  });
});

describe('the latency correction', () => {
  it('does not take a slow fault for a late timer (answers after it are not early)', async () => {
    // A fresh emulator: its correction starts at 0.
    const fresh = await startGitlabEmulator({ token: TOKEN });
    try {
      const get = async () => {
        const t = performance.now();
        const res = await fetch(`${fresh.url}/api/v4/user`, { headers: { 'PRIVATE-TOKEN': TOKEN } });
        await res.arrayBuffer();
        return performance.now() - t;
      };
      fresh.configure({ latencyMs: 50, faults: { rate: 1, kinds: ['slow'], slowMs: 200, mutatingOnly: false, limit: 1 } });
      expect(await get()).toBeGreaterThanOrEqual(245);
      const afterSlow = fresh.stats().latency.totalMs;
      for (let i = 0; i < 3; i++) await get();
      const { answers, totalMs } = fresh.stats().latency;
      expect(answers).toBe(4);
      // Counted as 200 ms late, the slow answer would have shortened the next waits by the 3 ms cap.
      expect((totalMs - afterSlow) / 3).toBeGreaterThanOrEqual(49.7);
    } finally {
      await fresh.close();
    }
  });
});
