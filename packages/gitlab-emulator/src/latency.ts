import { performance } from 'node:perf_hooks';

/** Correction per answer, as a share of how late it went out. */
const GAIN = 0.2;
const MAX_CORRECTION_MS = 3;

export interface TLatencyClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: TLatencyClock = { now: () => performance.now(), sleep: (ms) => new Promise<void>((r) => setTimeout(r, ms)) };

/**
 * The configured latency is the time from a request's arrival to its answer. A timer fires late
 * (about 1 ms at 100 ms on an idle machine, more under load) and the handler runs after it, so
 * answers went out ~1.5 % after the configured latency. Each wait is shortened by a running
 * correction (0 to 3 ms) of how late the answers before it were: answers average the configured
 * latency. `record` gets each answer's time from arrival, for the stats.
 */
export function latencyKeeper(o: { record?: (tookMs: number) => void; clock?: TLatencyClock } = {}) {
  const clock = o.clock ?? realClock;
  let correctionMs = 0;
  return {
    /** Waits until `ms` after `arrived`, less the correction. */
    async wait(arrived: number, ms: number): Promise<void> {
      const left = arrived + ms - correctionMs - clock.now();
      if (left > 0) await clock.sleep(left);
    },
    /** The answer to a request that arrived at `arrived` and was to wait `ms` has gone out. */
    answered(arrived: number, ms: number): void {
      const took = clock.now() - arrived;
      correctionMs = Math.min(MAX_CORRECTION_MS, Math.max(0, correctionMs + GAIN * (took - ms)));
      o.record?.(took);
    },
  };
}
