import { setTimeout as sleep } from 'node:timers/promises';
import { createRateLimiter, type TRequestObservation } from './rate-limiter';

describe('createRateLimiter', () => {
  it('never runs more than maxConcurrent tasks at once', async () => {
    const limiter = createRateLimiter({ requestsPerSecond: Infinity, maxConcurrent: 3 });
    let running = 0;
    let peak = 0;
    const task = async () => {
      running += 1;
      peak = Math.max(peak, running);
      await sleep(20);
      running -= 1;
    };
    await Promise.all(Array.from({ length: 12 }, () => limiter.run(task)));
    expect(peak).toBe(3);
    expect(limiter.stats()).toMatchObject({ requests: 12, inFlightPeak: 3, inFlight: 0, queued: 0 });
  });

  it('paces starts at requestsPerSecond', async () => {
    const limiter = createRateLimiter({ requestsPerSecond: 50, maxConcurrent: 100 });
    const starts: number[] = [];
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 11 }, () => limiter.run(async () => void starts.push(performance.now() - t0))));
    // Burst 1: the first starts at once, ten more follow at 20 ms intervals.
    const elapsed = Math.max(...starts);
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(600);
    expect(limiter.stats().totalWaitMs).toBeGreaterThan(0);
  });

  it('lets a burst through after an idle spell, then paces', async () => {
    const limiter = createRateLimiter({ requestsPerSecond: 5, maxConcurrent: 10, burst: 5 });
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 5 }, () => limiter.run(async () => undefined)));
    expect(performance.now() - t0).toBeLessThan(150);
    const t1 = performance.now();
    await limiter.run(async () => undefined);
    expect(performance.now() - t1).toBeGreaterThanOrEqual(180);
  });

  it('pauses everyone after a 429 and resumes afterwards', async () => {
    const limiter = createRateLimiter({ requestsPerSecond: Infinity, maxConcurrent: 5 });
    limiter.pause(150);
    expect(limiter.stats().pausedForMs).toBeGreaterThan(100);
    const t0 = performance.now();
    await Promise.all([limiter.run(async () => undefined), limiter.run(async () => undefined)]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect(limiter.stats().pausedForMs).toBe(0);
  });

  it('serves waiters first come, first served, and a repeat at the place its first attempt queued', async () => {
    const limiter = createRateLimiter({ requestsPerSecond: Infinity, maxConcurrent: 1 });
    const order: string[] = [];
    const firstAttempt = performance.now();
    const blocker = limiter.run(() => sleep(30));
    await sleep(5);
    const later = ['a', 'b', 'c'].map((name) => limiter.run(async () => void order.push(name)));
    // A repeat of an operation that began before a, b and c queued goes ahead of them.
    const repeat = limiter.run(async () => void order.push('repeat'), undefined, undefined, firstAttempt);
    const newcomer = limiter.run(async () => void order.push('newcomer'));
    await Promise.all([blocker, ...later, repeat, newcomer]);
    expect(order).toEqual(['repeat', 'a', 'b', 'c', 'newcomer']);
  });

  it('releases the slot when the task fails', async () => {
    const limiter = createRateLimiter({ requestsPerSecond: Infinity, maxConcurrent: 1 });
    await expect(limiter.run(async () => Promise.reject(new Error('nope')))).rejects.toThrow('nope');
    await expect(limiter.run(async () => 'ok')).resolves.toBe('ok');
    expect(limiter.stats().inFlight).toBe(0);
  });

  it('drops a waiter whose signal aborts', async () => {
    const limiter = createRateLimiter({ requestsPerSecond: Infinity, maxConcurrent: 1 });
    const blocker = limiter.run(() => sleep(50));
    const controller = new AbortController();
    const waiting = limiter.run(async () => 'never', controller.signal);
    expect(limiter.stats().queued).toBe(1);
    controller.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    expect(limiter.stats().queued).toBe(0);
    await blocker;
  });

  it('counts 429s and retries and reports observations, surviving a throwing hook', () => {
    const seen: TRequestObservation[] = [];
    const limiter = createRateLimiter({
      requestsPerSecond: 1,
      maxConcurrent: 1,
      onRequest: (o) => {
        seen.push(o);
        throw new Error('metrics down');
      },
    });
    limiter.observe({ method: 'GET', route: 'groups/:id', status: 429, durationMs: 3 });
    limiter.observe({ method: 'POST', route: 'groups', status: null, durationMs: 1 });
    limiter.noteRetry();
    expect(seen.map((o) => o.status)).toEqual([429, null]);
    expect(limiter.stats()).toMatchObject({ rateLimited: 1, retries: 1 });
  });

  it('rejects nonsense settings', () => {
    expect(() => createRateLimiter({ requestsPerSecond: 0, maxConcurrent: 1 })).toThrow(RangeError);
    expect(() => createRateLimiter({ requestsPerSecond: 1, maxConcurrent: 1.5 })).toThrow(RangeError);
    expect(() => createRateLimiter({ requestsPerSecond: 1, maxConcurrent: 1, burst: 0.5 })).toThrow(RangeError);
  });
});
