import { performance } from 'node:perf_hooks';

/** One finished HTTP request, for latency histograms. `status` is null when no response arrived. */
export interface TRequestObservation {
  method: string;
  /** The API route with ids replaced by placeholders (`projects/:id/members/:id`): bounded label values. */
  route: string;
  status: number | null;
  /** From the slot to the start of the answer (status and headers), or to the failure. */
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
  /**
   * The instance's authenticated API limit per minute per user, when known (GitLab.com: 2,000);
   * starts are paced just below it. Without it the limit is learned from `RateLimit-Limit` headers.
   */
  requestsPerMinute?: number;
  /**
   * Per-endpoint limits per minute (`"GET projects/:id": 400`, GitLab.com's limit of GET
   * /projects/:id and GET /groups/:id), paced on their own before the shared bucket. An endpoint
   * answering 429 without Retry-After (how GitLab answers these) is paused for a window and then
   * paced at what it let through in that window.
   */
  routeLimitsPerMinute?: Record<string, number>;
  /** The window assumed for a limit that says none (GitLab's are per minute). Default 60 s. */
  windowMs?: number;
  onRequest?: (observation: TRequestObservation) => void;
}

/** Pace just below a limit: GitLab counts in fixed windows, and clocks and in-flight requests drift. */
const LIMIT_HEADROOM = 0.97;
const REQUEUE = Symbol('requeue');

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
  /** Starts per second now: the configured rate, or lower once a limit is told or learned. */
  requestsPerSecond: number;
  /** Per-endpoint paces in force (requests per minute), told or learned. */
  routeLimitsPerMinute: Record<string, number>;
}

/** Token bucket plus semaphore, shared by every GitLab client of a process. */
export interface TRateLimiter {
  /**
   * Runs `fn` once a slot and a token are free; the slot is held until `fn` settles. `route`
   * (`"GET projects/:id"`) first passes that endpoint's own pace when it has one. Waiters are
   * served oldest `since` first (default: now, so first come, first served): a repeat of an
   * operation that met a fault passes its first attempt's time and keeps its place in the queue
   * instead of going to the back of it.
   */
  run<T>(fn: () => Promise<T>, signal?: AbortSignal, route?: string, since?: number): Promise<T>;
  /** Reads GitLab's answer: RateLimit-* headers set the pace, a 429 without Retry-After pauses its endpoint. */
  learn(route: string, status: number, headers: { get(name: string): string | null }): void;
  /** Stops handing out tokens for `ms` (GitLab's Retry-After applies to the whole token, not one request). */
  pause(ms?: number): void;
  /** Records a finished request: counts 429s and calls `onRequest`. */
  observe(observation: TRequestObservation): void;
  noteRetry(): void;
  stats(): TRateLimiterStats;
}

interface TWaiter {
  enqueuedAt: number;
  /** Its place in the queue (performance.now() of the request it repeats, or of itself). */
  since: number;
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
  const bucket = createBucket(options);
  const windowMs = options.windowMs ?? 60_000;
  const toldRps = options.requestsPerMinute ? (positive('requestsPerMinute', options.requestsPerMinute, false) * LIMIT_HEADROOM) / 60 : Infinity;
  const configuredRps = bucket.rate();
  // Under a known limit a short idle spell may be made up (2 % of the limit, inside the 3 % headroom),
  // so a queue that runs dry for a moment does not cost the run its share of the window.
  const limitBurst = (perMinute: number) => Math.max(options.burst ?? 1, Math.floor(perMinute * 0.02));
  bucket.setRate(Math.min(configuredRps, toldRps), options.requestsPerMinute ? limitBurst(options.requestsPerMinute) : undefined);

  interface TRouteGate {
    gate: ReturnType<typeof createBucket>;
    perMinute: number;
  }
  const routes = new Map<string, TRouteGate>();
  // Starts per endpoint in the current client-side window: what a limit that answers no numbers let through.
  const windows = new Map<string, { startedAt: number; count: number }>();
  const gateFor = (route: string, perMinute: number) => {
    let r = routes.get(route);
    if (!r) {
      r = { gate: createBucket({ requestsPerSecond: (perMinute * LIMIT_HEADROOM) / 60, maxConcurrent: Infinity }), perMinute };
      routes.set(route, r);
    } else {
      r.perMinute = perMinute;
      r.gate.setRate((perMinute * LIMIT_HEADROOM) / 60);
    }
    return r;
  };
  for (const [route, perMinute] of Object.entries(options.routeLimitsPerMinute ?? {})) {
    if (perMinute > 0) gateFor(route, positive(`routeLimitsPerMinute["${route}"]`, perMinute, false));
  }
  const count = (route: string) => {
    const t = performance.now();
    const w = windows.get(route);
    if (!w || t - w.startedAt >= windowMs) windows.set(route, { startedAt: t, count: 1 });
    else w.count += 1;
  };

  return {
    async run<T>(fn: () => Promise<T>, signal?: AbortSignal, route?: string, since?: number): Promise<T> {
      for (;;) {
        const r = route ? routes.get(route) : undefined;
        if (r) await r.gate.run(() => Promise.resolve(), signal, since);
        // The endpoint may have been refused while this request queued for a slot: back to its gate.
        const outcome = await bucket.run(async () => {
          const now = route ? routes.get(route) : undefined;
          if (now && (now !== r || now.gate.stats().pausedForMs > 0)) return REQUEUE;
          if (route) count(route);
          return { value: await fn() };
        }, signal, since);
        if (outcome !== REQUEUE) return outcome.value;
      }
    },
    learn(route, status, headers) {
      const limit = Number(headers.get('ratelimit-limit'));
      if (Number.isFinite(limit) && limit > 0 && toldRps === Infinity) {
        // GitLab's RateLimit-Limit is the quota per minute (Rack::Attack's period, 60 s by default).
        bucket.setRate(Math.min(configuredRps, (limit * LIMIT_HEADROOM * 1000) / windowMs), limitBurst((limit * 60_000) / windowMs));
      }
      const remaining = headers.get('ratelimit-remaining');
      const reset = Number(headers.get('ratelimit-reset'));
      if (status !== 429 && remaining === '0' && Number.isFinite(reset) && reset > 0) bucket.pause(reset * 1000 - Date.now());
      if (status !== 429 || headers.get('retry-after') !== null || headers.get('ratelimit-limit') !== null) return;
      // An endpoint limit (GitLab answers these with a JSON message and no numbers): wait out the
      // window it was counted in, then pace the endpoint at what that window let through.
      const w = windows.get(route);
      const now = performance.now();
      const passed = w && now - w.startedAt < windowMs ? w.count - 1 : 0;
      const g = passed > 0 ? gateFor(route, Math.min(routes.get(route)?.perMinute ?? Infinity, (passed * 60_000) / windowMs)) : routes.get(route);
      const waitMs = w ? Math.max(options.defaultPauseMs ?? 1000, windowMs - (now - w.startedAt)) : windowMs;
      if (g) g.gate.pause(waitMs);
      else bucket.pause(waitMs);
      windows.delete(route);
    },
    pause: (ms) => bucket.pause(ms),
    observe: (o) => bucket.observe(o),
    noteRetry: () => bucket.noteRetry(),
    stats: () => ({ ...bucket.stats(), requestsPerSecond: bucket.rate(), routeLimitsPerMinute: Object.fromEntries([...routes].map(([k, v]) => [k, Math.round(v.perMinute)])) }),
  };
}

function createBucket(options: Pick<TRateLimiterOptions, 'requestsPerSecond' | 'maxConcurrent' | 'burst' | 'defaultPauseMs' | 'onRequest'>) {
  let rps = positive('requestsPerSecond', options.requestsPerSecond, false);
  const maxConcurrent = positive('maxConcurrent', options.maxConcurrent, true);
  let burst = positive('burst', options.burst ?? 1, false);
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

  const acquire = (signal?: AbortSignal, since?: number) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const t = now();
      const w: TWaiter = { enqueuedAt: t, since: Math.min(since ?? t, t), resolve, reject, signal };
      if (signal) {
        w.onAbort = () => {
          const i = queue.indexOf(w);
          if (i >= 0) queue.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      // Ordered by `since`: a newcomer goes to the back, a repeat back to where it queued first.
      let i = queue.length;
      while (i > 0 && (queue[i - 1] as TWaiter).since > w.since) i -= 1;
      queue.splice(i, 0, w);
      pump();
    });

  const release = () => {
    inFlight -= 1;
    pump();
  };

  return {
    rate: () => rps,
    setRate(next: number, nextBurst?: number) {
      if (!(next > 0) || (next === rps && (nextBurst === undefined || nextBurst === burst))) return;
      refill(now());
      rps = next;
      if (nextBurst !== undefined && nextBurst >= 1) burst = nextBurst;
      pump();
    },
    async run<T>(fn: () => Promise<T>, signal?: AbortSignal, since?: number): Promise<T> {
      await acquire(signal, since);
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
    observe(observation: TRequestObservation) {
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
    stats(): Omit<TRateLimiterStats, 'requestsPerSecond' | 'routeLimitsPerMinute'> {
      return { ...counters, inFlight, queued: queue.length, pausedForMs: Math.max(0, pausedUntil - now()) };
    },
  };
}
