import { performance } from 'node:perf_hooks';
import {
  createRequesterFn,
  type FormattedResponse,
  type RequesterType,
  type RequestOptions,
  type ResourceOptions,
  type ResponseBodyTypes,
} from '@gitbeaker/requester-utils';
import { GitlabError, gitlabMessageOf, kindForStatus, parseRetryAfter, toGitlabError } from './errors';
import type { TRateLimiter } from './rate-limiter';
import { send, type TTransportResponse } from './transport';

export interface TGitlabLogger {
  debug(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
}

export interface TRequesterConfig {
  limiter: TRateLimiter;
  /** Per HTTP request, from the moment the limiter lets it go until the body is read. */
  timeoutMs: number;
  /** Strings that must never appear in error text (the token). */
  secrets: readonly string[];
  /** The limiter queue place of the request being made (see TRateLimiter.run): its operation's first attempt. */
  queuedSince?: () => number | undefined;
}

// Segments after these are parameters (ids, encoded paths, branch names, file paths).
const COLLECTIONS = new Set(['groups', 'projects', 'members', 'users', 'protected_branches', 'branches', 'files', 'commits', 'all', 'tags']);

/** `projects/12/members/7` -> `projects/:id/members/:id`: a bounded label for metrics and error text. */
export function normalizeRoute(endpoint: string): string {
  const out: string[] = [];
  let expectParam = false;
  for (const seg of endpoint.split('?')[0]?.split('/').filter(Boolean) ?? []) {
    const literalAll = seg === 'all' && out[out.length - 1] === 'members';
    if ((expectParam && !literalAll) || /^\d+$/.test(seg)) {
      out.push(':id');
      expectParam = false;
      continue;
    }
    out.push(seg);
    expectParam = COLLECTIONS.has(seg);
  }
  return out.join('/');
}

async function parseBody(response: TTransportResponse): Promise<ResponseBodyTypes> {
  // Read even when empty: the connection goes back to the agent's pool once the body has ended.
  const body = await response.buffer();
  if (response.status === 204) return null;
  const contentType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  if (contentType === 'application/json') {
    const text = body.toString('utf8');
    return text.trim() === '' ? {} : (JSON.parse(text) as ResponseBodyTypes) || {};
  }
  if (contentType.startsWith('text/')) return body.toString('utf8');
  return new Blob([body], { type: contentType });
}

async function errorBody(response: TTransportResponse): Promise<unknown> {
  const text = await response.text().catch(() => '');
  if ((response.headers.get('content-type') ?? '').includes('application/json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/**
 * A gitbeaker requester whose every HTTP request, including each page gitbeaker follows, passes the
 * shared limiter, with a timeout per request. It never retries: the client retries whole
 * operations (see `op` in client.ts), which knows which ones are safe to repeat.
 */
export function createLimitedRequesterFn(config: TRequesterConfig): (serviceOptions: ResourceOptions) => RequesterType {
  const { limiter, timeoutMs, secrets, queuedSince } = config;

  /**
   * One request. The limiter's slot is held until GitLab's answer begins (status and headers): its
   * work is done by then, so the next request goes while this body is read and parsed.
   */
  const once = async (url: URL, method: string, route: string, options: RequestOptions): Promise<FormattedResponse> => {
    let retryAfterMs: number | undefined;
    const response = await limiter.run(async () => {
      const started = performance.now();
      let status: number | null = null;
      try {
        // The timeout runs from the slot on (not while queued), to the end of the body.
        const r = await send(url, { method, headers: options.headers, body: options.body, signal: options.signal ?? undefined, timeoutMs });
        status = r.status;
        limiter.learn(`${method} ${route}`, r.status, r.headers);
        // A Retry-After is the whole token's (Rack::Attack); without one (an endpoint limit) `learn` paused that endpoint.
        retryAfterMs = parseRetryAfter(r.headers.get('retry-after'));
        if (r.status === 429 && (retryAfterMs !== undefined || r.headers.has('ratelimit-limit'))) limiter.pause(retryAfterMs);
        return r;
      } finally {
        // Until GitLab's answer began (or the request failed): the time GitLab took, as the slot saw it.
        limiter.observe({ method, route, status, durationMs: performance.now() - started });
      }
    }, options.signal, `${method} ${route}`, queuedSince?.());
    if (response.ok) {
      const body = options.asStream ? (response.stream() as unknown as ReadableStream) : await parseBody(response);
      return { body, headers: Object.fromEntries(response.headers.entries()), status: response.status };
    }
    const gitlabMessage = gitlabMessageOf(await errorBody(response));
    throw new GitlabError({
      operation: `${method} ${route}`,
      kind: kindForStatus(response.status),
      status: response.status,
      detail: `${method} ${route} answered ${response.status}${gitlabMessage ? `: ${gitlabMessage}` : ''}`,
      gitlabMessage,
      retryAfterMs,
    });
  };

  const handler = async (endpoint: string, rawOptions?: Record<string, unknown>): Promise<FormattedResponse> => {
    const options = (rawOptions ?? {}) as RequestOptions;
    const method = (options.method ?? 'GET').toUpperCase();
    const prefix = options.prefixUrl ?? '';
    const url = new URL(endpoint, prefix.endsWith('/') ? prefix : `${prefix}/`);
    url.search = options.searchParams ?? '';
    const route = normalizeRoute(endpoint);
    try {
      return await once(url, method, route, options);
    } catch (err) {
      if (err instanceof GitlabError) throw err;
      const converted = toGitlabError(err, `${method} ${route}`, secrets);
      throw converted.withOperation(converted.operation, { detail: `${method} ${route} failed: ${converted.detail}` });
    }
  };

  return createRequesterFn((_service, requestOptions) => Promise.resolve(requestOptions), handler);
}
