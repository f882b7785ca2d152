import { ApiError, paramError, recordNotFound } from '../errors';
import { BRANCH_FILTER_STRATEGIES, HOOK_EVENT_FLAGS, hookLogEntity, projectHookEntity, type TBranchFilterStrategy, type TProjectHook } from '../hooks';
import { bool, int, oneOf, str, type TInput } from '../params';
import type { TProject } from '../store';
import { authorizeAdminProject, readableProjectOr404 } from './access';
import { json, noContent, nowIso, paged, type TRequestContext, type TResult, type TRoute } from './common';

// Project webhooks API (lib/api/project_hooks.rb, lib/api/hooks/*): Maintainer or admin only.

function adminProject(ctx: TRequestContext): TProject {
  const project = readableProjectOr404(ctx, ctx.params.id);
  authorizeAdminProject(ctx, project);
  return project;
}

function hookOr404(ctx: TRequestContext, project: TProject): TProjectHook {
  const id = Number(ctx.params.hook_id);
  if (!Number.isInteger(id)) throw paramError('hook_id is invalid');
  const hook = ctx.store.hooks.get(id);
  // hooks.find(id) raises RecordNotFound, which the API answers with this lower-case body.
  if (!hook || hook.projectId !== project.id) throw recordNotFound();
  return hook;
}

function entity(ctx: TRequestContext, hook: TProjectHook): Record<string, unknown> {
  return projectHookEntity(hook, ctx.core.now(), ctx.core.config.hooks.autoDisabling);
}

function validUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && Boolean(u.hostname);
  } catch {
    return false;
  }
}

// Gitlab::GitRefValidator on the filter with wildcards replaced, as BranchFilterValidator does.
function validBranchPattern(filter: string): boolean {
  const name = filter.replace(/\*/g, 'x');
  if (name.length === 0 || name.length > 4000) return name.length === 0;
  if ([...name].some((c) => c.charCodeAt(0) < 0x20 || c === '\x7f') || /[\s~^:?[\\]/.test(name) || name.includes('..') || name.includes('@{') || name.includes('//')) return false;
  if (name.startsWith('-') || name.startsWith('/') || name.endsWith('/') || name.endsWith('.') || name.endsWith('.lock')) return false;
  return !name.split('/').some((part) => part.startsWith('.'));
}

function parseCustomHeaders(input: TInput): Array<{ key: string; value: string }> | undefined {
  const raw = input.custom_headers;
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) throw paramError('custom_headers is invalid');
  return raw.map((h: unknown, i) => {
    const o = (h ?? {}) as TInput;
    const key = str(o, 'key');
    const value = str(o, 'value');
    if (!key) throw paramError(`custom_headers[${i}][key] is missing`);
    if (value === undefined) throw paramError(`custom_headers[${i}][value] is missing`);
    return { key, value };
  });
}

/** Applies the declared (given) parameters; returns the hook or throws GitLab's 400/422. */
function applyParams(ctx: TRequestContext, hook: TProjectHook, creating: boolean): TProjectHook {
  const input = ctx.input;
  const url = str(input, 'url');
  if (url === undefined) throw paramError('url is missing');
  const next: TProjectHook = { ...hook, events: { ...hook.events }, customHeaders: [...hook.customHeaders] };
  const urlChanged = !creating && url !== hook.url;
  next.url = url;
  for (const flag of HOOK_EVENT_FLAGS) {
    const v = bool(input, flag);
    if (v !== undefined) next.events[flag] = v;
  }
  const name = str(input, 'name');
  if (name !== undefined) next.name = name;
  const description = str(input, 'description');
  if (description !== undefined) next.description = description;
  const ssl = bool(input, 'enable_ssl_verification');
  if (ssl !== undefined) next.enableSslVerification = ssl;
  const token = str(input, 'token');
  // WebHook#reset_token: a new URL drops the secret unless a token comes with it (custom headers too).
  if (token !== undefined) next.token = token === '' ? null : token;
  else if (urlChanged) next.token = null;
  const headers = parseCustomHeaders(input);
  if (headers !== undefined) next.customHeaders = headers;
  else if (urlChanged) next.customHeaders = [];
  const template = str(input, 'custom_webhook_template');
  if (template !== undefined) next.customWebhookTemplate = template;
  const strategy = oneOf(input, 'branch_filter_strategy', BRANCH_FILTER_STRATEGIES);
  if (strategy !== undefined) next.branchFilterStrategy = strategy as TBranchFilterStrategy;
  const filter = str(input, 'push_events_branch_filter');
  if (filter !== undefined) next.pushEventsBranchFilter = filter;
  // before_validation: the all_branches strategy clears the filter.
  if (next.branchFilterStrategy === 'all_branches' && next.pushEventsBranchFilter) next.pushEventsBranchFilter = '';

  if (!validUrl(next.url)) throw new ApiError(422, { message: 'Invalid url given' });
  const f = next.pushEventsBranchFilter;
  if (f) {
    let valid = true;
    if (next.branchFilterStrategy === 'regex') {
      try {
        new RegExp(f);
      } catch {
        valid = false;
      }
    } else if (next.branchFilterStrategy === 'wildcard') valid = validBranchPattern(f);
    if (!valid) throw new ApiError(422, { message: 'Invalid branch filter given' });
  }
  return next;
}

function createHook(ctx: TRequestContext): TResult {
  const project = adminProject(ctx);
  const blank: TProjectHook = {
    id: 0,
    projectId: project.id,
    url: '',
    name: null,
    description: null,
    token: null,
    // Column defaults: push events on, everything else off, SSL verification on.
    events: Object.fromEntries(HOOK_EVENT_FLAGS.map((f) => [f, f === 'push_events'])),
    pushEventsBranchFilter: null,
    branchFilterStrategy: 'wildcard',
    enableSslVerification: true,
    customHeaders: [],
    customWebhookTemplate: null,
    createdAt: nowIso(ctx),
    recentFailures: 0,
    disabledUntil: null,
  };
  const hook = applyParams(ctx, blank, true);
  hook.id = ctx.store.nextId('hook');
  ctx.store.hooks.set(hook.id, hook);
  return json(201, entity(ctx, hook));
}

function updateHook(ctx: TRequestContext): TResult {
  const project = adminProject(ctx);
  const hook = hookOr404(ctx, project);
  const next = applyParams(ctx, hook, false);
  ctx.store.hooks.set(hook.id, next);
  return json(200, entity(ctx, next));
}

const STATUS_CATEGORIES: Record<string, [number, number]> = {
  successful: [200, 299],
  client_failure: [400, 499],
  server_failure: [500, 599],
};

function listEvents(ctx: TRequestContext): TResult {
  const project = adminProject(ctx);
  const hook = hookOr404(ctx, project);
  const perPage = int(ctx.input, 'per_page');
  if (perPage !== undefined && (perPage < 1 || perPage > 20)) throw paramError('per_page does not have a valid value');
  const statuses = (str(ctx.input, 'status') ?? '').split(',').filter(Boolean);
  for (const s of statuses) if (!STATUS_CATEGORIES[s] && !/^[1-5]\d\d$/.test(s)) throw paramError('status does not have a valid value');
  // WebHookLogsFinder: the last 7 days, newest first.
  const since = ctx.core.now() - 7 * 86_400_000;
  const logs = ctx.store.hookLogs
    .filter((l) => l.hookId === hook.id && Date.parse(l.createdAt) >= since)
    .filter((l) => {
      if (statuses.length === 0) return true;
      return statuses.some((s) => {
        const range = STATUS_CATEGORIES[s];
        if (range) return l.statusCode !== null && l.statusCode >= range[0] && l.statusCode <= range[1];
        return l.responseStatus === s;
      });
    })
    .reverse();
  return paged({ ...ctx, input: { ...ctx.input, per_page: perPage ?? 20 } }, logs, hookLogEntity);
}

async function resend(ctx: TRequestContext): Promise<TResult> {
  const project = adminProject(ctx);
  const hook = hookOr404(ctx, project);
  if (!ctx.core.hooks.resendAllowed(hook.id, ctx.user.id)) {
    throw new ApiError(429, { message: { error: 'This endpoint has been requested too many times. Try again later.' } });
  }
  const logId = Number(ctx.params.hook_log_id);
  const log = ctx.store.hookLogs.find((l) => l.id === logId && l.hookId === hook.id);
  if (!log) throw recordNotFound();
  const result = await ctx.core.hooks.resend(log);
  if ('refused' in result) throw new ApiError(422, { message: result.refused });
  if (result.statusCode === null) throw new ApiError(422, { message: result.error ?? 'internal error' });
  return json(201, { response_status: result.statusCode });
}

export const hookRoutes: TRoute[] = [
  {
    method: 'GET',
    pattern: '/projects/:id/hooks',
    handler: (ctx) => {
      const project = adminProject(ctx);
      return paged(ctx, ctx.store.hooksOf(project.id), (h) => entity(ctx, h));
    },
  },
  {
    method: 'GET',
    pattern: '/projects/:id/hooks/:hook_id',
    handler: (ctx) => {
      const project = adminProject(ctx);
      return json(200, entity(ctx, hookOr404(ctx, project)));
    },
  },
  { method: 'POST', pattern: '/projects/:id/hooks', handler: createHook },
  { method: 'PUT', pattern: '/projects/:id/hooks/:hook_id', handler: updateHook },
  {
    method: 'DELETE',
    pattern: '/projects/:id/hooks/:hook_id',
    handler: (ctx) => {
      const project = adminProject(ctx);
      ctx.store.removeHook(hookOr404(ctx, project).id);
      return noContent();
    },
  },
  { method: 'GET', pattern: '/projects/:id/hooks/:hook_id/events', handler: listEvents },
  { method: 'POST', pattern: '/projects/:id/hooks/:hook_id/events/:hook_log_id/resend', handler: resend },
];
