/**
 * GitLab's request limits, off by default as on a self-managed instance. Both count per user in
 * fixed windows aligned to the clock (Rack::Attack's period key, ApplicationRateLimiter's interval),
 * and a refused request still counts.
 */
export interface TRateLimitConfig {
  /** Authenticated API requests per user per period (`throttle_authenticated_api`; GitLab.com 2,000/min); 0 = off. */
  authenticatedApi: number;
  periodSeconds: number;
  /** GET /projects/:id per user per minute (GitLab.com 400); 0 = off. */
  projectGet: number;
  /** GET /groups/:id per user per minute (GitLab.com 400); 0 = off. */
  groupGet: number;
  /** Interval of the endpoint limits (GitLab: one minute); shorter in tests. */
  endpointPeriodSeconds: number;
  /** Also send RateLimit-* headers below the limit (GitLab.com sends them only once throttled). */
  headersOnSuccess: boolean;
}

export const DEFAULT_RATE_LIMITS: TRateLimitConfig = { authenticatedApi: 0, periodSeconds: 60, projectGet: 0, groupGet: 0, endpointPeriodSeconds: 60, headersOnSuccess: false };

export interface TRateLimitAnswer {
  status: 429;
  body?: unknown;
  raw?: { data: Buffer; contentType: string };
  headers?: Record<string, string>;
}

const ENDPOINT_LIMITS: Record<string, keyof Pick<TRateLimitConfig, 'projectGet' | 'groupGet'>> = {
  'GET /projects/:id': 'projectGet',
  'GET /groups/:id': 'groupGet',
};

export class RateLimits {
  private counters = new Map<string, { window: number; count: number }>();

  constructor(private readonly now: () => number) {}

  private hit(key: string, periodMs: number): { count: number; resetAt: number } {
    const window = Math.floor(this.now() / periodMs);
    const c = this.counters.get(key);
    if (!c || c.window !== window) {
      this.counters.set(key, { window, count: 1 });
      if (this.counters.size > 10_000) this.prune(periodMs);
    } else c.count += 1;
    return { count: this.counters.get(key)!.count, resetAt: (window + 1) * periodMs };
  }

  private prune(periodMs: number) {
    const window = Math.floor(this.now() / periodMs);
    for (const [k, v] of this.counters) if (v.window < window) this.counters.delete(k);
  }

  reset(): void {
    this.counters.clear();
  }

  /**
   * Counts a request of `userId` on `routeKey` (`GET /projects/:id`); answers the 429 when over a
   * limit, or the headers to add (RateLimit-* with `headersOnSuccess`) otherwise.
   */
  check(config: TRateLimitConfig, userId: number, routeKey: string): { refused: TRateLimitAnswer } | { headers: Record<string, string> } {
    let headers: Record<string, string> = {};
    if (config.authenticatedApi > 0) {
      const periodMs = config.periodSeconds * 1000;
      const { count, resetAt } = this.hit(`api:${userId}`, periodMs);
      const reset = Math.ceil(resetAt / 1000);
      const rl = {
        'ratelimit-name': 'throttle_authenticated_api',
        'ratelimit-limit': String(config.authenticatedApi),
        'ratelimit-observed': String(count),
        'ratelimit-remaining': String(Math.max(0, config.authenticatedApi - count)),
        'ratelimit-reset': String(reset),
        'ratelimit-resettime': new Date(reset * 1000).toUTCString(),
      };
      if (count > config.authenticatedApi) {
        // Rack::Attack's throttled response as GitLab sends it: plain text, the numbers in headers.
        return {
          refused: {
            status: 429,
            raw: { data: Buffer.from('Retry later\n'), contentType: 'text/plain' },
            headers: { ...rl, 'retry-after': String(Math.max(1, Math.ceil((resetAt - this.now()) / 1000))) },
          },
        };
      }
      if (config.headersOnSuccess) headers = rl;
    }
    const endpoint = ENDPOINT_LIMITS[routeKey];
    const limit = endpoint ? config[endpoint] : 0;
    if (endpoint && limit > 0) {
      const { count } = this.hit(`${endpoint}:${userId}`, config.endpointPeriodSeconds * 1000);
      // ApplicationRateLimiter via Grape's render_api_error!: JSON, no Retry-After, no RateLimit-* headers.
      if (count > limit) return { refused: { status: 429, body: { message: { error: 'This endpoint has been requested too many times. Try again later.' } } } };
    }
    return { headers };
  }
}
