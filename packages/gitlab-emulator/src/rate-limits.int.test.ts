import { startGitlabEmulator, type TGitlabEmulator } from './index';

const TOKEN = 'rate-limit-root';
const OTHER = 'rate-limit-other';
let emu: TGitlabEmulator;

beforeAll(async () => {
  emu = await startGitlabEmulator({ token: TOKEN, tokens: [{ token: OTHER, username: 'other', admin: false }] });
});
afterAll(() => emu.close());
beforeEach(() => {
  emu.reset();
  emu.configure({ rateLimits: { authenticatedApi: 0, periodSeconds: 60, projectGet: 0, groupGet: 0, endpointPeriodSeconds: 60, headersOnSuccess: false } });
});

const call = (path: string, token = TOKEN) => fetch(`${emu.url}/api/v4${path}`, { headers: { 'PRIVATE-TOKEN': token } });

describe('rate limits', () => {
  it('are off by default, as on a self-managed instance', async () => {
    expect(emu.config().rateLimits).toMatchObject({ authenticatedApi: 0, projectGet: 0, groupGet: 0 });
    const answers = await Promise.all(Array.from({ length: 50 }, () => call('/user')));
    expect(answers.every((r) => r.status === 200 && !r.headers.has('ratelimit-limit'))).toBe(true);
  });

  it('throttle authenticated API requests per user as Rack::Attack does: plain 429 with RateLimit-* and Retry-After', async () => {
    emu.configure({ rateLimits: { authenticatedApi: 5, periodSeconds: 3600 } });
    const first = await Promise.all(Array.from({ length: 5 }, () => call('/user')));
    expect(first.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(first[0]?.headers.has('ratelimit-limit')).toBe(false);
    const refused = await call('/user');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toContain('text/plain');
    expect(await refused.text()).toBe('Retry later\n');
    expect(refused.headers.get('ratelimit-name')).toBe('throttle_authenticated_api');
    expect(refused.headers.get('ratelimit-limit')).toBe('5');
    expect(refused.headers.get('ratelimit-observed')).toBe('6');
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    const reset = Number(refused.headers.get('ratelimit-reset'));
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    // The window is aligned to the clock: it ends at a multiple of the period.
    expect(reset % 3600).toBe(0);
    expect(Math.abs(reset - Date.now() / 1000 - retryAfter)).toBeLessThanOrEqual(1.5);
    // Per user: another token still has its whole budget.
    expect((await call('/user', OTHER)).status).toBe(200);
    expect(emu.stats().byStatus['429']).toBe(1);
  });

  it('send RateLimit-* below the limit only when asked to', async () => {
    emu.configure({ rateLimits: { authenticatedApi: 100, headersOnSuccess: true } });
    const r = await call('/user');
    expect(r.status).toBe(200);
    expect(r.headers.get('ratelimit-limit')).toBe('100');
    expect(r.headers.get('ratelimit-remaining')).toBe('99');
  });

  it('limit GET /projects/:id and GET /groups/:id per user: JSON 429 without Retry-After or RateLimit-*', async () => {
    const { parentGroup } = emu.seed({ parentGroup: { name: 'RL', path: 'rl' } });
    emu.configure({ rateLimits: { projectGet: 3, groupGet: 2 } });
    const groups = [];
    for (let i = 0; i < 3; i++) groups.push(await call(`/groups/${parentGroup!.id}`));
    expect(groups.map((r) => r.status)).toEqual([200, 200, 429]);
    const refused = groups[2]!;
    expect(refused.headers.get('content-type')).toContain('application/json');
    expect(await refused.json()).toEqual({ message: { error: 'This endpoint has been requested too many times. Try again later.' } });
    expect(refused.headers.has('retry-after')).toBe(false);
    expect(refused.headers.has('ratelimit-limit')).toBe(false);
    // Other endpoints are not limited by it.
    expect((await call(`/groups/${parentGroup!.id}/subgroups`)).status).toBe(200);
    const projects = [];
    for (let i = 0; i < 4; i++) projects.push((await call('/projects/999999')).status);
    expect(projects).toEqual([404, 404, 404, 429]);
  });
});
