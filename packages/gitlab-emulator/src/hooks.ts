import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { userBasicEntity, type TEntityContext } from './entities';
import type { TCommit } from './repository';
import { VISIBILITY_LEVELS, type Store, type TProject, type TUser } from './store';

// Project webhooks as GitLab 18.x runs them (WebHookService, WebHooks::AutoDisabling,
// Gitlab::DataBuilder::Push): one asynchronous POST per hook and event, no automatic retry,
// temporary then permanent disabling after consecutive failures, manual resend keeping the
// Idempotency-Key.

/** The GitLab version the emulator claims in webhook User-Agent headers. */
export const EMULATED_GITLAB_VERSION = '18.1.0-emulator';

export const BRANCH_FILTER_STRATEGIES = ['wildcard', 'regex', 'all_branches'] as const;
export type TBranchFilterStrategy = (typeof BRANCH_FILTER_STRATEGIES)[number];

/** Event switches of Entities::ProjectHook; only push events are delivered by the emulator. */
export const HOOK_EVENT_FLAGS = [
  'push_events',
  'tag_push_events',
  'merge_requests_events',
  'repository_update_events',
  'issues_events',
  'confidential_issues_events',
  'note_events',
  'confidential_note_events',
  'pipeline_events',
  'wiki_page_events',
  'deployment_events',
  'feature_flag_events',
  'job_events',
  'releases_events',
  'milestone_events',
  'emoji_events',
  'resource_access_token_events',
  'resource_deploy_token_events',
  'vulnerability_events',
] as const;

export interface TProjectHook {
  id: number;
  projectId: number;
  url: string;
  name: string | null;
  description: string | null;
  /** Secret sent as X-Gitlab-Token; never returned by the API. */
  token: string | null;
  events: Record<string, boolean>;
  pushEventsBranchFilter: string | null;
  branchFilterStrategy: TBranchFilterStrategy;
  enableSslVerification: boolean;
  customHeaders: Array<{ key: string; value: string }>;
  customWebhookTemplate: string | null;
  createdAt: string;
  /** Consecutive failures (web_hooks.recent_failures). */
  recentFailures: number;
  disabledUntil: string | null;
}

/** One delivery attempt: GitLab's WebHookLog plus what tests and benchmarks observe. */
export interface THookLog {
  id: number;
  hookId: number;
  projectId: number;
  url: string;
  trigger: 'push_hooks';
  event: 'Push Hook';
  requestHeaders: Record<string, string>;
  requestData: Record<string, unknown>;
  responseHeaders: Record<string, string>;
  responseBody: string;
  /** The HTTP status as a string, or "internal error" when no response came (GitLab's convention). */
  responseStatus: string;
  statusCode: number | null;
  error: string | null;
  ok: boolean;
  /** Seconds, as GitLab reports execution_duration. */
  executionDuration: number;
  durationMs: number;
  idempotencyKey: string;
  eventUuid: string;
  webhookUuid: string;
  /** When the change that caused the event happened (or the resend was requested). */
  triggeredAt: string;
  startedAt: string;
  createdAt: string;
  resend: boolean;
}

/** The delivery view of a log for `/__emulator/hooks/deliveries` and `emu.deliveries()`. */
export interface THookDelivery {
  id: number;
  hookId: number;
  projectId: number;
  url: string;
  event: string;
  ref: string | null;
  after: string | null;
  eventUuid: string;
  webhookUuid: string;
  idempotencyKey: string;
  statusCode: number | null;
  error: string | null;
  ok: boolean;
  durationMs: number;
  /** Time between the triggering change and the attempt (queue latency plus configured delay). */
  delayMs: number;
  triggeredAt: string;
  startedAt: string;
  finishedAt: string;
  resend: boolean;
}

export interface THookConfig {
  /** Delay between the change and the delivery attempt (Sidekiq queue latency). */
  deliveryDelayMs: number;
  deliveryJitterMs: number;
  /** GitLab's webhook_timeout (gitlab.yml), default 10 s. */
  timeoutMs: number;
  /** The `auto_disabling_web_hooks` ops flag: on for GitLab.com, off by default on self-managed. */
  autoDisabling: boolean;
  /** Resend API limit per hook and user per minute (GitLab: 5); 0 disables the limit. */
  resendRateLimitPerMinute: number;
  /** Logs kept per hook (GitLab keeps 7 days; the events API shows those). */
  maxLogsPerHook: number;
}

export interface THookStats {
  triggered: number;
  delivered: number;
  succeeded: number;
  failed: number;
  skippedDisabled: number;
  resent: number;
}

export function emptyHookStats(): THookStats {
  return { triggered: 0, delivered: 0, succeeded: 0, failed: 0, skippedDisabled: 0, resent: 0 };
}

// WebHooks::AutoDisabling
const TEMPORARILY_DISABLED_FAILURE_THRESHOLD = 3;
const PERMANENTLY_DISABLED_FAILURE_THRESHOLD = 39;
const INITIAL_BACKOFF_MS = 60_000;
const MAX_BACKOFF_MS = 86_400_000;
const BACKOFF_GROWTH_FACTOR = 2;
// WebHookService
const RESPONSE_BODY_SIZE_LIMIT = 8 * 1024;
const ZERO_SHA = '0000000000000000000000000000000000000000';
// Gitlab::DataBuilder::Push sends at most the 20 newest commits; Git::BaseHooksService looks at 100.
const PUSH_COMMITS_LIMIT = 20;
const PROCESS_COMMIT_LIMIT = 100;

export type TAlertStatus = 'executable' | 'temporarily_disabled' | 'disabled';

export function alertStatus(hook: TProjectHook, now: number, autoDisabling: boolean): TAlertStatus {
  if (!autoDisabling) return 'executable';
  if (
    hook.disabledUntil !== null &&
    Date.parse(hook.disabledUntil) >= now &&
    hook.recentFailures > TEMPORARILY_DISABLED_FAILURE_THRESHOLD &&
    hook.recentFailures <= PERMANENTLY_DISABLED_FAILURE_THRESHOLD
  ) {
    return 'temporarily_disabled';
  }
  if (hook.recentFailures > PERMANENTLY_DISABLED_FAILURE_THRESHOLD) return 'disabled';
  return 'executable';
}

/** RefMatcher: exact name, or `*` wildcards matching the whole name. */
export function refMatches(pattern: string, name: string): boolean {
  if (!pattern.includes('*')) return pattern === name;
  return new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(name);
}

/** ActiveHookFilter for push hooks. */
export function branchFilterMatches(hook: TProjectHook, branch: string): boolean {
  const filter = hook.pushEventsBranchFilter;
  if (!filter) return true;
  switch (hook.branchFilterStrategy) {
    case 'all_branches':
      return true;
    case 'regex':
      // Gitlab::UntrustedRegexp#=== matches anywhere in the name.
      return new RegExp(filter).test(branch);
    default:
      return refMatches(filter, branch);
  }
}

export function projectHookEntity(hook: TProjectHook, now: number, autoDisabling: boolean): Record<string, unknown> {
  const flag = (k: string) => hook.events[k] ?? false;
  return {
    id: hook.id,
    url: hook.url,
    name: hook.name,
    description: hook.description,
    created_at: hook.createdAt,
    push_events: flag('push_events'),
    tag_push_events: flag('tag_push_events'),
    merge_requests_events: flag('merge_requests_events'),
    repository_update_events: flag('repository_update_events'),
    enable_ssl_verification: hook.enableSslVerification,
    alert_status: alertStatus(hook, now, autoDisabling),
    disabled_until: autoDisabling ? hook.disabledUntil : null,
    url_variables: [],
    push_events_branch_filter: hook.pushEventsBranchFilter,
    branch_filter_strategy: hook.branchFilterStrategy,
    custom_webhook_template: hook.customWebhookTemplate,
    custom_headers: hook.customHeaders.map((h) => ({ key: h.key })),
    project_id: hook.projectId,
    issues_events: flag('issues_events'),
    confidential_issues_events: flag('confidential_issues_events'),
    note_events: flag('note_events'),
    confidential_note_events: flag('confidential_note_events'),
    pipeline_events: flag('pipeline_events'),
    wiki_page_events: flag('wiki_page_events'),
    deployment_events: flag('deployment_events'),
    feature_flag_events: flag('feature_flag_events'),
    job_events: flag('job_events'),
    releases_events: flag('releases_events'),
    milestone_events: flag('milestone_events'),
    emoji_events: flag('emoji_events'),
    resource_access_token_events: flag('resource_access_token_events'),
    resource_deploy_token_events: flag('resource_deploy_token_events'),
    vulnerability_events: flag('vulnerability_events'),
  };
}

export function hookLogEntity(log: THookLog): Record<string, unknown> {
  return {
    id: log.id,
    url: log.url,
    trigger: log.trigger,
    request_headers: log.requestHeaders,
    request_data: log.requestData,
    response_headers: log.responseHeaders,
    response_body: log.responseBody,
    execution_duration: log.executionDuration,
    response_status: log.responseStatus,
    created_at: log.createdAt,
  };
}

export function deliveryView(log: THookLog): THookDelivery {
  const data = log.requestData;
  return {
    id: log.id,
    hookId: log.hookId,
    projectId: log.projectId,
    url: log.url,
    event: log.event,
    ref: typeof data.ref === 'string' ? data.ref : null,
    after: typeof data.after === 'string' ? data.after : null,
    eventUuid: log.eventUuid,
    webhookUuid: log.webhookUuid,
    idempotencyKey: log.idempotencyKey,
    statusCode: log.statusCode,
    error: log.error,
    ok: log.ok,
    durationMs: log.durationMs,
    delayMs: Math.max(0, Date.parse(log.startedAt) - Date.parse(log.triggeredAt)),
    triggeredAt: log.triggeredAt,
    startedAt: log.startedAt,
    finishedAt: log.createdAt,
    resend: log.resend,
  };
}

// Ruby's Time#xmlschema of a UTC time, as commit timestamps appear in hook payloads.
function xmlschema(iso: string): string {
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

function changedFiles(store: TProject['repo'], commit: TCommit): { added: string[]; modified: string[]; removed: string[] } {
  const parent = commit.parentIds[0] ? store.commits.get(commit.parentIds[0]) : undefined;
  const before = parent?.files ?? {};
  const beforeModes = parent?.modes ?? {};
  const added: string[] = [];
  const modified: string[] = [];
  const removed: string[] = [];
  for (const [path, id] of Object.entries(commit.files)) {
    if (!(path in before)) added.push(path);
    else if (before[path] !== id || (beforeModes[path] ?? '') !== (commit.modes?.[path] ?? '')) modified.push(path);
  }
  for (const path of Object.keys(before)) if (!(path in commit.files)) removed.push(path);
  return { added: added.sort(), modified: modified.sort(), removed: removed.sort() };
}

export interface TPushInput {
  branch: string;
  /** Previous head, or null when the branch is new. */
  before: string | null;
  /** New head, or null when the branch was deleted. */
  after: string | null;
}

/** Gitlab::DataBuilder::Push#build for a branch push, with Git::BranchPushService's commit selection. */
export function buildPushData(ctx: TEntityContext, project: TProject, user: TUser, input: TPushInput): Record<string, unknown> {
  const repo = project.repo;
  const head = input.after ? repo.commits.get(input.after) : undefined;
  let commits: TCommit[] = [];
  let total = 0;
  if (head) {
    // Reachable from the new head but not from the old one; a new branch counts against the default
    // branch, except when it is the repository's first (default) branch.
    const base = input.before ? repo.commits.get(input.before) : input.branch === project.defaultBranch ? undefined : repo.resolve(project.defaultBranch);
    const known = new Set(base ? repo.history(base).map((c) => c.id) : []);
    const fresh = repo.history(head).filter((c) => !known.has(c.id));
    total = fresh.length;
    commits = fresh.slice(0, PROCESS_COMMIT_LIMIT).reverse().slice(-PUSH_COMMITS_LIMIT);
  }
  const fullPath = ctx.store.projectFullPath(project);
  const web = `${ctx.baseUrl}/${fullPath}`;
  const sshUrl = `git@${new URL(ctx.baseUrl).hostname}:${fullPath}.git`;
  const ns = ctx.store.namespace(project.namespaceId);
  const visibility = VISIBILITY_LEVELS[project.visibility];
  const hookAttrs = {
    id: project.id,
    name: project.name,
    description: project.description,
    web_url: web,
    avatar_url: null,
    git_ssh_url: sshUrl,
    git_http_url: `${web}.git`,
    namespace: ns.name,
    visibility_level: visibility,
    path_with_namespace: fullPath,
    default_branch: project.defaultBranch,
    ci_config_path: null,
    homepage: web,
    url: sshUrl,
    ssh_url: sshUrl,
    http_url: `${web}.git`,
  };
  return {
    object_kind: 'push',
    event_name: 'push',
    before: input.before ?? ZERO_SHA,
    after: input.after ?? ZERO_SHA,
    ref: `refs/heads/${input.branch}`,
    ref_protected: project.protectedBranches.some((b) => refMatches(b.name, input.branch)),
    checkout_sha: input.after,
    message: null,
    user_id: user.id,
    user_name: user.name,
    user_username: user.username,
    // user.public_email: emulated users have none, like most GitLab users.
    user_email: null,
    user_avatar: userBasicEntity(ctx, user).avatar_url,
    project_id: project.id,
    project: hookAttrs,
    commits: commits.map((c) => {
      const [title = ''] = c.message.split('\n');
      return {
        id: c.id,
        message: c.message,
        title,
        timestamp: xmlschema(c.committedDate),
        url: `${web}/-/commit/${c.id}`,
        author: { name: c.authorName, email: c.authorEmail },
        ...changedFiles(repo, c),
      };
    }),
    total_commits_count: total,
    push_options: {},
    repository: {
      name: project.name,
      url: sshUrl,
      description: project.description,
      homepage: web,
      git_http_url: `${web}.git`,
      git_ssh_url: sshUrl,
      visibility_level: visibility,
    },
  };
}

export interface THookHost {
  store: Store;
  hookConfig(): THookConfig;
  hookStats(): THookStats;
  now(): number;
  random(): number;
  /** X-Gitlab-Instance: the instance's base URL. */
  instanceUrl(): string;
  onChange(): void;
}

interface TDeliveryInput {
  data: Record<string, unknown>;
  idempotencyKey: string;
  /** X-Gitlab-Event-UUID recycled from a request a webhook made (recursion detection), if any. */
  requestUuid: string | undefined;
  triggeredAt: number;
  resend: boolean;
}

/** Schedules, sends and records webhook deliveries without ever blocking or failing an API request. */
export class HookDispatcher {
  private pending = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly aborts = new Set<AbortController>();
  private readonly idle: Array<() => void> = [];
  private readonly listeners = new Set<(log: THookLog) => void>();
  private readonly resendTimes = new Map<string, number[]>();
  private stopped = false;

  constructor(private readonly host: THookHost) {}

  pendingCount(): number {
    return this.pending;
  }

  executable(hook: TProjectHook): boolean {
    return alertStatus(hook, this.host.now(), this.host.hookConfig().autoDisabling) === 'executable';
  }

  /** Called after commits land on (or a branch is created on or deleted from) a project. */
  triggerPush(ctx: TEntityContext, project: TProject, user: TUser, input: TPushInput, requestUuid: string | undefined): void {
    const hooks = this.host.store
      .hooksOf(project.id)
      .filter((h) => h.events.push_events && branchFilterMatches(h, input.branch) && this.executable(h));
    if (hooks.length === 0) return;
    const data = buildPushData(ctx, project, user, input);
    const triggeredAt = this.host.now();
    for (const hook of hooks) {
      this.host.hookStats().triggered += 1;
      this.schedule(hook.id, { data, idempotencyKey: randomUUID(), requestUuid, triggeredAt, resend: false });
    }
  }

  private schedule(hookId: number, input: TDeliveryInput): void {
    if (this.stopped) return;
    const cfg = this.host.hookConfig();
    const delay = cfg.deliveryDelayMs + (cfg.deliveryJitterMs > 0 ? this.host.random() * cfg.deliveryJitterMs : 0);
    this.pending += 1;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.deliver(hookId, input, false)
        .catch(() => undefined)
        .finally(() => this.settled());
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  private settled(): void {
    this.pending -= 1;
    if (this.pending === 0) for (const resolve of this.idle.splice(0)) resolve();
  }

  /** Resolves when no delivery is scheduled or in flight. */
  whenIdle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  onDelivery(listener: (log: THookLog) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Rate limit of the resend API (check_rate_limit! :web_hook_event_resend, per hook and user). */
  resendAllowed(hookId: number, userId: number): boolean {
    const limit = this.host.hookConfig().resendRateLimitPerMinute;
    if (limit <= 0) return true;
    const key = `${hookId}:${userId}`;
    const now = this.host.now();
    const recent = (this.resendTimes.get(key) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= limit) {
      this.resendTimes.set(key, recent);
      return false;
    }
    recent.push(now);
    this.resendTimes.set(key, recent);
    return true;
  }

  /**
   * WebHooks::Events::ResendService: the logged payload again, with the same Idempotency-Key, to the
   * hook as it is now, synchronously. Returns the new log, or the message GitLab answers with 422.
   */
  async resend(log: THookLog, options: { force?: boolean } = {}): Promise<THookLog | { refused: string }> {
    const hook = this.host.store.hooks.get(log.hookId);
    if (!hook) return { refused: 'Hook not found' };
    if (hook.url !== log.url) return { refused: 'The hook URL has changed, and this log entry cannot be retried' };
    this.pending += 1;
    try {
      const result = await this.deliver(
        hook.id,
        { data: log.requestData, idempotencyKey: log.idempotencyKey, requestUuid: undefined, triggeredAt: this.host.now(), resend: true },
        options.force ?? false,
      );
      if (result === null) return { refused: 'Hook disabled' };
      this.host.hookStats().resent += 1;
      return result;
    } finally {
      this.settled();
    }
  }

  private async deliver(hookId: number, input: TDeliveryInput, force: boolean): Promise<THookLog | null> {
    const hook = this.host.store.hooks.get(hookId);
    if (!hook || this.stopped) return null;
    const stats = this.host.hookStats();
    // WebHookService#execute re-checks: a hook disabled meanwhile is skipped without a log.
    if (!force && !this.executable(hook)) {
      stats.skippedDisabled += 1;
      return null;
    }
    const cfg = this.host.hookConfig();
    const webhookUuid = randomUUID();
    const eventUuid = input.requestUuid ?? randomUUID();
    const builtIn: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': `GitLab/${EMULATED_GITLAB_VERSION}`,
      'Idempotency-Key': input.idempotencyKey,
      'X-Gitlab-Event': 'Push Hook',
      'X-Gitlab-Webhook-UUID': webhookUuid,
      'X-Gitlab-Instance': this.host.instanceUrl(),
    };
    if (hook.token) builtIn['X-Gitlab-Token'] = hook.token.replace(/[\r\n]/g, '');
    builtIn['X-Gitlab-Event-UUID'] = eventUuid;
    const custom = Object.fromEntries(hook.customHeaders.map((h) => [h.key, h.value]));
    const headers = { ...custom, ...builtIn };
    const loggedHeaders: Record<string, string> = { ...Object.fromEntries(hook.customHeaders.map((h) => [h.key, '[REDACTED]'])), ...builtIn };
    if (hook.token) loggedHeaders['X-Gitlab-Token'] = '[REDACTED]';

    const startedAt = this.host.now();
    const t0 = performance.now();
    const abort = new AbortController();
    this.aborts.add(abort);
    let statusCode: number | null = null;
    let error: string | null = null;
    let responseHeaders: Record<string, string> = {};
    let responseBody = '';
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(input.data),
        redirect: 'manual',
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(cfg.timeoutMs)]),
      });
      statusCode = res.status;
      responseHeaders = Object.fromEntries(res.headers.entries());
      responseBody = (await res.text()).slice(0, RESPONSE_BODY_SIZE_LIMIT);
    } catch (e) {
      error = describeFetchError(e, cfg.timeoutMs);
    } finally {
      this.aborts.delete(abort);
    }
    const durationMs = performance.now() - t0;
    const ok = statusCode !== null && statusCode >= 200 && statusCode < 400;
    const log: THookLog = {
      id: this.host.store.nextId('hookLog'),
      hookId: hook.id,
      projectId: hook.projectId,
      url: hook.url,
      trigger: 'push_hooks',
      event: 'Push Hook',
      requestHeaders: loggedHeaders,
      requestData: input.data,
      responseHeaders,
      responseBody,
      responseStatus: statusCode === null ? 'internal error' : String(statusCode),
      statusCode,
      error,
      ok,
      executionDuration: durationMs / 1000,
      durationMs,
      idempotencyKey: input.idempotencyKey,
      eventUuid,
      webhookUuid,
      triggeredAt: new Date(input.triggeredAt).toISOString(),
      startedAt: new Date(startedAt).toISOString(),
      createdAt: new Date(this.host.now()).toISOString(),
      resend: input.resend,
    };
    // The hook may have been deleted while the request was in flight; GitLab's log would go with it.
    if (this.host.store.hooks.has(hook.id)) {
      this.host.store.addHookLog(log, cfg.maxLogsPerHook);
      this.updateFailureState(hook, ok);
    }
    stats.delivered += 1;
    if (ok) stats.succeeded += 1;
    else stats.failed += 1;
    this.host.onChange();
    for (const listener of this.listeners) listener(log);
    return log;
  }

  // WebHooks::LogExecutionService#update_hook_failure_state: enable! on success, backoff! on failure.
  private updateFailureState(hook: TProjectHook, ok: boolean): void {
    if (!this.host.hookConfig().autoDisabling) return;
    if (ok) {
      hook.recentFailures = 0;
      hook.disabledUntil = null;
      return;
    }
    if (!this.executable(hook)) return;
    const next = Math.min(Math.max(hook.recentFailures + 1, 1), PERMANENTLY_DISABLED_FAILURE_THRESHOLD + 1);
    if (next > TEMPORARILY_DISABLED_FAILURE_THRESHOLD) {
      const backoffCount = hook.recentFailures - TEMPORARILY_DISABLED_FAILURE_THRESHOLD;
      const backoff = Math.min(Math.max(INITIAL_BACKOFF_MS * BACKOFF_GROWTH_FACTOR ** backoffCount, INITIAL_BACKOFF_MS), MAX_BACKOFF_MS);
      hook.disabledUntil = new Date(this.host.now() + backoff).toISOString();
    }
    hook.recentFailures = next;
  }

  /** Cancels scheduled deliveries and aborts those in flight (close, reset). */
  stop(): void {
    for (const t of this.timers) {
      clearTimeout(t);
      this.settled();
    }
    this.timers.clear();
    for (const a of this.aborts) a.abort();
    this.resendTimes.clear();
  }

  /** Stops for good: later triggers are ignored (close). */
  close(): void {
    this.stopped = true;
    this.stop();
  }
}

// Duck-typed: fetch errors may come from another realm (test sandboxes), where instanceof fails.
function describeFetchError(e: unknown, timeoutMs: number): string {
  const err = (e ?? {}) as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `timeout: no response within ${timeoutMs} ms`;
  if (err.cause?.code) return `${err.cause.code}: ${err.cause.message ?? ''}`.trim();
  return err.message ?? String(e);
}
