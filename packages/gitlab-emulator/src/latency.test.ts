import { latencyKeeper, type TLatencyClock } from './latency';

/** A clock whose timers fire `lateMs` late, and a handler that takes `handlerMs` after the wait. */
function lateClock(lateMs: number) {
  let t = 0;
  const clock: TLatencyClock = {
    now: () => t,
    sleep: async (ms) => {
      t += ms + lateMs;
    },
  };
  return { clock, advance: (ms: number) => (t += ms), now: () => t };
}

async function meanOfLast(keeper: ReturnType<typeof latencyKeeper>, c: ReturnType<typeof lateClock>, took: number[], n: number, latency: number, handlerMs: number) {
  for (let i = 0; i < n; i++) {
    const arrived = c.now();
    await keeper.wait(arrived, latency);
    c.advance(handlerMs);
    keeper.answered(arrived, latency);
  }
  const last = took.slice(-n / 2);
  return last.reduce((a, b) => a + b, 0) / last.length;
}

describe('latencyKeeper', () => {
  it('answers at the configured latency on average although timers fire late', async () => {
    const c = lateClock(1.2);
    const took: number[] = [];
    const keeper = latencyKeeper({ clock: c.clock, record: (ms) => took.push(ms) });
    const mean = await meanOfLast(keeper, c, took, 100, 100, 0.3);
    // Uncorrected, every answer would take 101.5 ms.
    expect(took[0]).toBeCloseTo(101.5, 5);
    expect(Math.abs(mean - 100)).toBeLessThan(0.05);
  });

  it('corrects by at most 3 ms, and never waits when the time has passed', async () => {
    const c = lateClock(10);
    const took: number[] = [];
    const keeper = latencyKeeper({ clock: c.clock, record: (ms) => took.push(ms) });
    const mean = await meanOfLast(keeper, c, took, 100, 100, 0);
    expect(mean).toBeCloseTo(107, 5);
    const arrived = c.now();
    c.advance(200);
    await keeper.wait(arrived, 100);
    expect(c.now() - arrived).toBe(200);
  });

  it('does not correct below the configured latency when timers are on time', async () => {
    const c = lateClock(0);
    const took: number[] = [];
    const keeper = latencyKeeper({ clock: c.clock, record: (ms) => took.push(ms) });
    expect(await meanOfLast(keeper, c, took, 40, 50, 0)).toBe(50);
  });
});
