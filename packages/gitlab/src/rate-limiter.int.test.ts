import { startGitlabEmulator, type TGitlabEmulator } from '@computor/gitlab-emulator';
import { createGitlabClient } from './client';
import { createRateLimiter, type TRequestObservation } from './rate-limiter';

const TOKEN = 'glpat-limiter-int-secret';
let emu: TGitlabEmulator;

beforeAll(async () => {
  emu = await startGitlabEmulator({ token: TOKEN });
  emu.seed({ parentGroup: { name: 'P', path: 'p' } });
});
afterAll(() => emu.close());

// Reconstructs server-side concurrency from each request's end time and duration.
function peakOverlap(observations: Array<TRequestObservation & { endedAt: number }>): number {
  const events = observations.flatMap((o) => [
    { t: o.endedAt - o.durationMs, d: 1 },
    { t: o.endedAt, d: -1 },
  ]);
  events.sort((a, b) => a.t - b.t || a.d - b.d);
  let cur = 0;
  let peak = 0;
  for (const e of events) {
    cur += e.d;
    peak = Math.max(peak, cur);
  }
  return peak;
}

describe('the shared limiter in front of GitLab', () => {
  it('keeps concurrency at maxConcurrent across clients sharing it', async () => {
    emu.configure({ latencyMs: 60 });
    const seen: Array<TRequestObservation & { endedAt: number }> = [];
    const limiter = createRateLimiter({ requestsPerSecond: 1000, maxConcurrent: 3, onRequest: (o) => seen.push({ ...o, endedAt: performance.now() }) });
    const a = createGitlabClient({ url: emu.url, token: TOKEN, limiter });
    const b = createGitlabClient({ url: emu.url, token: TOKEN, limiter });
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).getGroupByPath('p')));
    const elapsed = performance.now() - t0;
    expect(limiter.stats().inFlightPeak).toBe(3);
    expect(peakOverlap(seen)).toBeLessThanOrEqual(3);
    // 12 requests, 3 at a time, 60 ms each: at least four rounds.
    expect(elapsed).toBeGreaterThanOrEqual(4 * 60 - 10);
    expect(seen).toHaveLength(12);
    expect(seen.every((o) => o.status === 200 && o.route === 'groups/:id' && o.durationMs >= 55)).toBe(true);
  });

  it('keeps the request rate at requestsPerSecond', async () => {
    emu.configure({ latencyMs: 5 });
    const limiter = createRateLimiter({ requestsPerSecond: 20, maxConcurrent: 10 });
    const gl = createGitlabClient({ url: emu.url, token: TOKEN, limiter });
    emu.resetStats();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 21 }, () => gl.getGroupByPath('p')));
    const elapsed = performance.now() - t0;
    // Burst 1 at 20/s: the first request at once, twenty more 50 ms apart.
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(2500);
    expect(emu.stats().total).toBe(21);
    const rate = (21 - 1) / ((elapsed - 5) / 1000);
    expect(rate).toBeLessThanOrEqual(20 * 1.05);
    expect(limiter.stats().totalWaitMs).toBeGreaterThan(5000);
  });
});
