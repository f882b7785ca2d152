import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  DEFAULT_CONFIG,
  EmulatorCore,
  mergeConfig,
  type TFaultKind,
  type TRuntimeConfig,
  type TRuntimeConfigPatch,
  type TSeedInput,
  type TSeedResult,
  type TStateSnapshot,
  type TStats,
  type TTokenConfig,
} from './emulator';
import type { TDeliveryFilter } from './emulator';
import { ApiError, routeNotFound, unauthorized } from './errors';
import { latencyKeeper } from './latency';
import type { THookDelivery } from './hooks';
import { StatePersistence } from './persistence';
import type { TInput } from './params';
import { archiveRoutes } from './routes/archive';
import type { TRequestContext, TResult, TRoute } from './routes/common';
import { groupRoutes } from './routes/groups';
import { hookRoutes } from './routes/hooks';
import { memberRoutes } from './routes/members';
import { projectRoutes } from './routes/projects';
import { repositoryRoutes } from './routes/repository';
import { userRoutes } from './routes/users';

export interface TGitlabEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Admin token of the `root` user. */
  token?: string;
  /** Further tokens; `admin: false` gives a user that gets 403 on admin endpoints. */
  tokens?: TTokenConfig[];
  /** JSON file the state is loaded from on start and saved to after changes. */
  stateFile?: string;
  persistDebounceMs?: number;
  /** Base of web_url/http_url_to_repo fields; defaults to the server's own URL. */
  externalUrl?: string;
  config?: TRuntimeConfigPatch;
  log?: (line: string) => void;
}

/** A running emulator. Everything the HTTP control endpoints offer is also here, for in-process tests. */
export interface TGitlabEmulator {
  url: string;
  port: number;
  host: string;
  /** The root admin token. */
  token: string;
  close(): Promise<void>;
  state(): TStateSnapshot;
  reset(): void;
  seed(input: TSeedInput): TSeedResult;
  configure(patch: TRuntimeConfigPatch): TRuntimeConfig;
  config(): TRuntimeConfig;
  stats(): TStats;
  resetStats(): void;
  readFile(project: string | number, ref: string, path: string): Buffer | undefined;
  /** Waits until fork imports, scheduled deletions and webhook deliveries have completed. */
  waitForIdle(timeoutMs?: number): Promise<void>;
  /** Finished webhook delivery attempts (oldest first), optionally filtered. */
  deliveries(filter?: TDeliveryFilter): THookDelivery[];
  /** Resolves with the matching deliveries once there are at least `count` of them. */
  waitForDeliveries(count: number, filter?: TDeliveryFilter & { timeoutMs?: number }): Promise<THookDelivery[]>;
  /** Sends matching events again with their Idempotency-Key (see POST /__emulator/hooks/redeliver). */
  redeliver(filter?: TDeliveryFilter & { force?: boolean }): Promise<THookDelivery[]>;
  /** Writes the state file now (no-op without one). */
  flush(): Promise<void>;
  core: EmulatorCore;
}

export const DEFAULT_TOKEN = 'emulator-root-token';
export const EMULATOR_NOTICE = 'This is the Computor GitLab REST v4 emulator for tests and local development. It is NOT GitLab.';

const MAX_BODY = 64 * 1024 * 1024;
const ALL_ROUTES: TRoute[] = [...groupRoutes, ...memberRoutes, ...projectRoutes, ...repositoryRoutes, ...archiveRoutes, ...hookRoutes, ...userRoutes];

interface TCompiledRoute {
  route: TRoute;
  segments: string[];
  literals: number;
}

const COMPILED: TCompiledRoute[] = ALL_ROUTES.map((route) => {
  const segments = route.pattern.split('/').filter(Boolean);
  return { route, segments, literals: segments.filter((s) => !s.startsWith(':')).length };
});

function matchRoute(method: string, rawPath: string): { route: TRoute; params: Record<string, string> } | undefined {
  const parts = rawPath.split('/').filter(Boolean);
  let best: { route: TRoute; params: Record<string, string>; literals: number } | undefined;
  for (const c of COMPILED) {
    if (c.route.method !== method || c.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i += 1) {
      const seg = c.segments[i] as string;
      const part = parts[i] as string;
      const colon = seg.indexOf(':');
      // `archive.:format`: a literal head followed by a parameter in the same segment.
      const head = colon > 0 ? seg.slice(0, colon) : '';
      if (colon === 0 || (colon > 0 && part.startsWith(head) && part.length > head.length)) {
        try {
          params[seg.slice(colon + 1)] = decodeURIComponent(part.slice(head.length));
        } catch {
          ok = false;
        }
      } else if (seg !== part) ok = false;
    }
    if (ok && (!best || c.literals > best.literals)) best = { route: c.route, params, literals: c.literals };
  }
  return best;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApiError(413, { message: '413 Request Entity Too Large' }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function parseBody(req: IncomingMessage, body: Buffer): Promise<TInput> {
  if (body.length === 0) return {};
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json') {
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as TInput) : {};
    } catch {
      throw new ApiError(400, { error: 'The provided content-type \'application/json\' is not valid JSON' });
    }
  }
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
  if (type === 'multipart/form-data') {
    // Undici's Response parses multipart bodies, which saves a dependency.
    const form = await new Response(body, { headers: { 'content-type': req.headers['content-type'] as string } }).formData();
    const out: TInput = {};
    for (const [k, v] of form.entries()) out[k] = typeof v === 'string' ? v : v.name;
    return out;
  }
  return {};
}

function tokenOf(req: IncomingMessage, query: URLSearchParams): string | undefined {
  const header = req.headers['private-token'];
  if (typeof header === 'string' && header) return header;
  const auth = req.headers.authorization;
  if (auth && /^bearer /i.test(auth)) return auth.slice(7).trim();
  return query.get('private_token') ?? query.get('access_token') ?? undefined;
}

function send(res: ServerResponse, result: TResult): void {
  if (res.destroyed) return;
  const headers: Record<string, string> = { 'cache-control': 'max-age=0, private, must-revalidate', ...(result.headers ?? {}) };
  if (result.raw) {
    res.writeHead(result.status, { ...headers, 'content-type': result.raw.contentType, 'content-length': String(result.raw.data.length) });
    res.end(result.raw.data);
    return;
  }
  if (result.status === 204 || result.body === undefined) {
    res.writeHead(result.status, headers);
    res.end();
    return;
  }
  const payload = Buffer.from(JSON.stringify(result.body));
  res.writeHead(result.status, { ...headers, 'content-type': 'application/json', 'content-length': String(payload.length) });
  res.end(payload);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function faultResult(kind: TFaultKind, core: EmulatorCore): TResult {
  switch (kind) {
    case '429': {
      const retry = core.config.faults.retryAfterSeconds;
      const reset = Math.ceil(core.now() / 1000) + retry;
      // The limit it names is the instance's (the configured one, else GitLab.com's 2,000 per
      // minute): a client learns its pace from it, and a made-up small one would throttle it for good.
      const limit = core.config.rateLimits.authenticatedApi || 2000;
      // Rack::Attack's throttle response as GitLab sends it.
      return {
        status: 429,
        raw: { data: Buffer.from('Retry later\n'), contentType: 'text/plain' },
        headers: {
          'retry-after': String(retry),
          'ratelimit-name': 'throttle_authenticated_api',
          'ratelimit-limit': String(limit),
          'ratelimit-observed': String(limit + 1),
          'ratelimit-remaining': '0',
          'ratelimit-reset': String(reset),
          'ratelimit-resettime': new Date(reset * 1000).toUTCString(),
        },
      };
    }
    case '500':
      return { status: 500, body: { message: '500 Internal Server Error' } };
    case '403':
      return { status: 403, body: { message: '403 Forbidden' } };
    case '503':
      return { status: 503, body: { message: '503 Service Unavailable' } };
    default:
      return { status: 502, body: { message: '502 Bad Gateway' } };
  }
}

function deliveryFilter(input: TInput): TDeliveryFilter {
  const filter: TDeliveryFilter = {};
  const num = (k: string) => (input[k] === undefined || input[k] === '' ? undefined : Number(input[k]));
  if (input.projectId !== undefined && input.projectId !== '') filter.projectId = /^\d+$/.test(String(input.projectId)) ? Number(input.projectId) : String(input.projectId);
  filter.hookId = num('hookId');
  filter.deliveryId = num('deliveryId');
  if (typeof input.eventUuid === 'string' && input.eventUuid) filter.eventUuid = input.eventUuid;
  if (typeof input.idempotencyKey === 'string' && input.idempotencyKey) filter.idempotencyKey = input.idempotencyKey;
  if (input.ok !== undefined && input.ok !== '') filter.ok = input.ok === true || input.ok === 'true';
  for (const k of Object.keys(filter) as Array<keyof TDeliveryFilter>) if (filter[k] === undefined) delete filter[k];
  return filter;
}

/** Starts the emulator HTTP server. */
export async function startGitlabEmulator(options: TGitlabEmulatorOptions = {}): Promise<TGitlabEmulator> {
  const host = options.host ?? '127.0.0.1';
  const rootToken = options.token ?? DEFAULT_TOKEN;
  const tokens: TTokenConfig[] = [{ token: rootToken, username: 'root', admin: true }, ...(options.tokens ?? [])];
  const config = mergeConfig(DEFAULT_CONFIG, options.config ?? {});
  const log = options.log ?? (() => undefined);

  let persistence: StatePersistence | undefined;
  const core = new EmulatorCore(config, tokens, () => persistence?.schedule());
  if (options.stateFile) {
    persistence = new StatePersistence(options.stateFile, options.persistDebounceMs ?? 200, () => core.store.toJSON(), (e) => log(`state write failed: ${String(e)}`));
    const loaded = persistence.load();
    if (loaded) core.store.load(loaded);
  }
  core.ensureBaseUsers();
  core.settle();
  core.arm();

  let baseUrl = '';

  const control = async (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> => {
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    const input = (await parseBody(req, body).catch(() => ({}))) as TInput;
    const ok = (b: unknown) => send(res, { status: 200, body: b });
    try {
      if (path === '/__emulator/health' && method === 'GET') return ok({ status: 'ok', emulator: true, notice: EMULATOR_NOTICE });
      if (path === '/__emulator/state' && method === 'GET') {
        core.settle();
        return ok(core.snapshot());
      }
      if (path === '/__emulator/reset' && method === 'POST') {
        core.reset();
        if (query.get('stats') !== 'keep') core.resetStats();
        persistence?.schedule();
        return ok({ status: 'reset' });
      }
      if (path === '/__emulator/seed' && method === 'POST') {
        const result = core.seed(input as TSeedInput);
        persistence?.schedule();
        return send(res, { status: 201, body: result });
      }
      if (path === '/__emulator/config' && method === 'GET') return ok(core.config);
      if (path === '/__emulator/config' && method === 'POST') return ok(core.configure(input as TRuntimeConfigPatch));
      if (path === '/__emulator/stats' && method === 'GET') return ok(core.stats);
      if (path === '/__emulator/hooks/deliveries' && method === 'GET') {
        return ok({ deliveries: core.deliveries(deliveryFilter(Object.fromEntries(query))), pending: core.hooks.pendingCount() });
      }
      if (path === '/__emulator/hooks/wait' && method === 'POST') {
        const count = Number(input.count ?? 1);
        const timeoutMs = Number(input.timeoutMs ?? 10_000);
        try {
          return ok({ deliveries: await core.waitForDeliveries(count, deliveryFilter(input), timeoutMs) });
        } catch (e) {
          return send(res, { status: 408, body: { error: e instanceof Error ? e.message : String(e) } });
        }
      }
      if (path === '/__emulator/hooks/redeliver' && method === 'POST') {
        return ok({ deliveries: await core.redeliver({ ...deliveryFilter(input), force: input.force === true || input.force === 'true' }) });
      }
      if (path === '/__emulator/stats/reset' && method === 'POST') {
        core.resetStats();
        return ok(core.stats);
      }
      return send(res, { status: 404, body: { error: '404 Not Found' } });
    } catch (e) {
      return send(res, { status: 400, body: { error: e instanceof Error ? e.message : String(e) } });
    }
  };

  // Answers average the configured latency (see latency.ts); the stats keep what they took.
  const latency = latencyKeeper({
    record: (tookMs) => {
      core.stats.latency.answers += 1;
      core.stats.latency.totalMs += tookMs;
    },
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const arrived = performance.now();
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q >= 0 ? rawUrl.slice(0, q) : rawUrl;
    const query = new URLSearchParams(q >= 0 ? rawUrl.slice(q + 1) : '');
    if (rawPath.startsWith('/__emulator/')) return control(req, res, rawPath, query);

    const method = (req.method ?? 'GET').toUpperCase();
    const stats = core.stats;
    stats.total += 1;
    let routeKey = `${method} (unmatched)`;
    let limitHeaders: Record<string, string> = {};
    let wait = 0;
    const finish = (result: TResult) => {
      stats.byRoute[routeKey] = (stats.byRoute[routeKey] ?? 0) + 1;
      stats.byStatus[result.status] = (stats.byStatus[result.status] ?? 0) + 1;
      if (result.status === 429) stats.rateLimited += 1;
      send(res, Object.keys(limitHeaders).length ? { ...result, headers: { ...limitHeaders, ...result.headers } } : result);
      if (wait > 0) latency.answered(arrived, wait);
    };

    const body = await readBody(req);
    const { latencyMs, latencyJitterMs } = core.config;
    wait = latencyMs + (latencyJitterMs > 0 ? core.random() * latencyJitterMs : 0);
    if (wait > 0) await latency.wait(arrived, wait);
    core.settle();

    if (!rawPath.startsWith('/api/v4/')) return finish({ status: 404, body: { error: '404 Not Found' } });
    const apiPath = rawPath.slice('/api/v4'.length);
    const matched = matchRoute(method, apiPath);
    if (matched) routeKey = `${method} ${matched.route.pattern}`;

    // Rack::Attack and the endpoint limiters answer before the application (and its faults) runs.
    const limitUser = core.userForToken(tokenOf(req, query) ?? '');
    if (limitUser) {
      const verdict = core.rateLimits.check(core.config.rateLimits, limitUser.id, routeKey);
      if ('refused' in verdict) return finish(verdict.refused);
      limitHeaders = verdict.headers;
    }

    const fault = core.decideFault(method, apiPath);
    if (fault) {
      stats.faults.total += 1;
      stats.faults.byKind[fault] = (stats.faults.byKind[fault] ?? 0) + 1;
      if (fault === 'reset') {
        stats.byRoute[routeKey] = (stats.byRoute[routeKey] ?? 0) + 1;
        req.socket.destroy();
        return;
      }
      if (fault === 'slow') {
        // Part of this answer's wait, so that the latency correction does not take it for a late timer.
        wait += core.config.faults.slowMs;
        await sleep(core.config.faults.slowMs);
      } else if (fault !== 'fail-after-commit' && fault !== 'reset-after-commit') return finish(faultResult(fault, core));
    }

    let result: TResult;
    try {
      if (!matched) throw routeNotFound();
      const user = core.userForToken(tokenOf(req, query) ?? '');
      if (!user) throw unauthorized();
      const input: TInput = { ...Object.fromEntries(query), ...(await parseBody(req, body)) };
      const requestHost = req.headers.host ?? new URL(baseUrl).host;
      const ctx: TRequestContext = {
        core,
        store: core.store,
        user,
        params: matched.params,
        input,
        req,
        entity: { store: core.store, baseUrl: options.externalUrl?.replace(/\/+$/, '') ?? baseUrl, currentUser: user },
        requestBaseUrl: `http://${requestHost}`,
      };
      result = await matched.route.handler(ctx);
      if (method !== 'GET' && result.status < 400) persistence?.schedule();
    } catch (e) {
      if (e instanceof ApiError) result = { status: e.status, body: e.body, headers: e.headers };
      else {
        log(`internal error on ${method} ${rawPath}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        result = { status: 500, body: { message: '500 Internal Server Error' } };
      }
    }

    if (fault === 'reset-after-commit') {
      stats.byRoute[routeKey] = (stats.byRoute[routeKey] ?? 0) + 1;
      req.socket.destroy();
      return;
    }
    if (fault === 'fail-after-commit') return finish(faultResult('502', core));
    finish(result);
  };

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (e instanceof ApiError) send(res, { status: e.status, body: e.body });
      else {
        log(`request failed: ${String(e)}`);
        send(res, { status: 500, body: { message: '500 Internal Server Error' } });
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  baseUrl = `http://${urlHost}:${port}`;
  core.instanceUrl = options.externalUrl?.replace(/\/+$/, '') ?? baseUrl;

  let closed = false;
  return {
    url: baseUrl,
    port,
    host,
    token: rootToken,
    core,
    close: async () => {
      if (closed) return;
      closed = true;
      core.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      await persistence?.flush();
    },
    state: () => {
      core.settle();
      return core.snapshot();
    },
    reset: () => {
      core.reset();
      core.resetStats();
      persistence?.schedule();
    },
    seed: (input) => {
      const r = core.seed(input);
      persistence?.schedule();
      return r;
    },
    configure: (patch) => core.configure(patch),
    config: () => core.config,
    stats: () => core.stats,
    resetStats: () => core.resetStats(),
    readFile: (project, ref, path) => {
      core.settle();
      return core.readFile(project, ref, path);
    },
    waitForIdle: async (timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      core.settle();
      while (core.hasPendingWork()) {
        if (Date.now() > deadline) throw new Error('gitlab emulator: background work still pending');
        await sleep(10);
        core.settle();
      }
    },
    flush: async () => {
      await persistence?.flush();
    },
    deliveries: (filter) => core.deliveries(filter),
    waitForDeliveries: (count, filter = {}) => {
      const { timeoutMs, ...rest } = filter;
      return core.waitForDeliveries(count, rest, timeoutMs);
    },
    redeliver: (filter) => core.redeliver(filter),
  };
}
