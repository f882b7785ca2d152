import { performance } from 'node:perf_hooks';

/** One finished HTTP request, for latency histograms. `status` is null when no response arrived. */
export interface TRequestObservation {
  method: string;
  /** The API route with ids replaced by placeholders (`projects/:id/members/:id`): bounded label values. */
  route: string;
  status: number | null;
  durationMs: number;
}

export interface TRateLimiterOptions {
  /** Request starts per second, averaged; `Infinity` disables the bucket. */
  requestsPerSecond: number;
  /** Requests in flight at once; `Infinity` disables the semaphore. */
  maxConcurrent: number;
  /** Bucket size: how many requests may start back to back after an idle spell. Default 1 (evenly paced). */
  burst?: number;
  /** Pause after a 429 that carries no usable Retry-After. Default 1000 ms. */
  defaultPauseMs?: number;
  onRequest?: (observation: TRequestObservation) => void;
}

export interface TRateLimiterStats {
  /** Requests let through. */
  requests: number;
  inFlight: number;
  inFlightPeak: number;
  queued: number;
  /** 429 answers seen. */
  rateLimited: number;
  /** In-client retries (idempotent GETs after a connection reset). */
  retries: number;
  /** Sum over requests of the time spent waiting for a slot and a token. */
  totalWaitMs: number;
  /** Remaining global pause after a 429, 0 when not paused. */
  pausedForMs: number;
}

/** Token bucket plus semaphore, shared by every GitLab client of a process. */
export interface TRateLimiter {
  /** Runs `fn` once a slot and a token are free; the slot is held until `fn` settles. */
  run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Stops handing out tokens for `ms` (GitLab's Retry-After applies to the whole token, not one request). */
  pause(ms?: number): void;
  /** Records a finished request: counts 429s and calls `onRequest`. */
  observe(observation: TRequestObservation): void;
  noteRetry(): void;
  stats(): TRateLimiterStats;
}

interface TWaiter {
  enqueuedAt: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

function positive(name: string, v: number, integer: boolean): number {
  if (typeof v !== 'number' || Number.isNaN(v) || v <= 0 || (integer && Number.isFinite(v) && !Number.isInteger(v))) {
    throw new RangeError(`createRateLimiter: ${name} must be a positive ${integer ? 'integer' : 'number'} or Infinity, got ${String(v)}`);
  }
  return v;
}

export function createRateLimiter(options: TRateLimiterOptions): TRateLimiter {
  const rps = positive('requestsPerSecond', options.requestsPerSecond, false);
  const maxConcurrent = positive('maxConcurrent', options.maxConcurrent, true);
  const burst = positive('burst', options.burst ?? 1, false);
  if (burst < 1) throw new RangeError(`createRateLimiter: burst must be at least 1, got ${burst}`);
  const defaultPauseMs = options.defaultPauseMs ?? 1000;
  const now = () => performance.now();

  let tokens = burst;
  let refilledAt = now();
  let pausedUntil = 0;
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  const queue: TWaiter[] = [];
  const counters = { requests: 0, inFlightPeak: 0, rateLimited: 0, retries: 0, totalWaitMs: 0 };

  const refill = (t: number) => {
    if (t > refilledAt) {
      tokens = Math.min(burst, tokens + ((t - refilledAt) * rps) / 1000);
      refilledAt = t;
    }
  };

  const wakeIn = (ms: number) => {
    // Only armed while someone waits, so it may keep the process alive.
    timer = setTimeout(
      () => {
        timer = undefined;
        pump();
      },
      Math.max(1, Math.ceil(ms)),
    );
  };

  const pump = () => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    while (queue.length > 0 && inFlight < maxConcurrent) {
      const t = now();
      if (t < pausedUntil) return wakeIn(pausedUntil - t);
      if (Number.isFinite(rps)) {
        refill(t);
        if (tokens < 1) return wakeIn(((1 - tokens) * 1000) / rps);
        tokens -= 1;
      }
      const w = queue.shift() as TWaiter;
      if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
      inFlight += 1;
      counters.requests += 1;
      counters.inFlightPeak = Math.max(counters.inFlightPeak, inFlight);
      counters.totalWaitMs += t - w.enqueuedAt;
      w.resolve();
    }
  };

  const acquire = (signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const w: TWaiter = { enqueuedAt: now(), resolve, reject, signal };
      if (signal) {
        w.onAbort = () => {
          const i = queue.indexOf(w);
          if (i >= 0) queue.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      queue.push(w);
      pump();
    });

  const release = () => {
    inFlight -= 1;
    pump();
  };

  return {
    async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      await acquire(signal);
      try {
        return await fn();
      } finally {
        release();
      }
    },
    pause(ms = defaultPauseMs) {
      const until = now() + Math.max(0, ms);
      if (until > pausedUntil) {
        pausedUntil = until;
        // One request may go at the end of the pause, then the pace resumes: no saved-up burst.
        tokens = 1;
        refilledAt = until;
      }
      pump();
    },
    observe(observation) {
      if (observation.status === 429) counters.rateLimited += 1;
      try {
        options.onRequest?.(observation);
      } catch {
        // A failing metrics hook must not fail the GitLab call it observes.
      }
    },
    noteRetry() {
      counters.retries += 1;
    },
    stats() {
      return { ...counters, inFlight, queued: queue.length, pausedForMs: Math.max(0, pausedUntil - now()) };
    },
  };
}
