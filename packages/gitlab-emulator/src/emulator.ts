import { alertStatus, deliveryView, emptyHookStats, HookDispatcher, type THookConfig, type THookDelivery, type THookLog, type THookStats } from './hooks';
import { createPrng } from './prng';
import { DEFAULT_RATE_LIMITS, RateLimits, type TRateLimitConfig } from './rate-limits';
import { Store, type TNamespace, type TProject, type TUser, type TVisibility } from './store';

// '403': GitLab refusing the token (a permission revoked), the one kind retrying cannot fix.
export const FAULT_KINDS = ['500', '502', '503', '429', '403', 'reset', 'slow', 'fail-after-commit', 'reset-after-commit'] as const;
export type TFaultKind = (typeof FAULT_KINDS)[number];

export interface TFaultConfig {
  /** Probability in [0, 1] that a request (matching the filters) gets a fault. */
  rate: number;
  /** Kinds drawn uniformly when a fault happens. */
  kinds: TFaultKind[];
  retryAfterSeconds: number;
  /** Extra delay of the `slow` kind. */
  slowMs: number;
  /** Only POST/PUT/PATCH/DELETE requests get faults. */
  mutatingOnly: boolean;
  /** Regular expression tested against the path after /api/v4 (e.g. "^/projects/[^/]+/fork$"). */
  pathPattern: string | null;
  /** At most this many faults from this configuration on (null: no bound): "the first answer is lost". */
  limit: number | null;
}

export interface TForkConfig {
  /** Time from the fork request until import_status is "finished" ("started" at half of it). */
  importDelayMs: number;
  /** Probability that a fork's import ends "failed". */
  failRate: number;
  /** Forks whose target full path matches this regular expression fail. */
  failPathPattern: string | null;
  importError: string;
  /** Forking is disabled instance-wide (the fork endpoint answers 404 as GitLab does without permission). */
  disabled: boolean;
}

/**
 * What DELETE does while `deletionDelayMs` runs. `rename` (default, GitLab 18's delayed deletion):
 * the group or project is archived and renamed to `<path>-deletion_scheduled-<id>`, freeing its path
 * at once, and a project's old full path redirects to it. `rename-deleted`: the same with the suffix
 * `-deleted-<id>` of earlier releases. `hold` (legacy, GitLab 16/17 Premium): the path stays taken
 * and nothing is renamed or archived until the removal.
 */
export const DELETION_MODES = ['rename', 'rename-deleted', 'hold'] as const;
export type TDeletionMode = (typeof DELETION_MODES)[number];

export interface TRuntimeConfig {
  latencyMs: number;
  latencyJitterMs: number;
  /** Seed of the PRNG behind faults and fork failures; null draws a random seed. */
  seed: number | null;
  faults: TFaultConfig;
  fork: TForkConfig;
  /** Delay before a group or project answered 202 on DELETE disappears; 0 removes it at once. */
  deletionDelayMs: number;
  deletionMode: TDeletionMode;
  /**
   * GitLab destroys a group or project in a background job: for this long after the removal, the
   * group or project answers 404 while its path (and a project's name) is still taken.
   */
  destroyWindowMs: number;
  hooks: THookConfig;
  /** GitLab's request limits; all off by default (self-managed). */
  rateLimits: TRateLimitConfig;
}

export type TRuntimeConfigPatch = Partial<Omit<TRuntimeConfig, 'faults' | 'fork' | 'hooks' | 'rateLimits'>> & {
  rateLimits?: Partial<TRateLimitConfig>;
  faults?: Partial<TFaultConfig>;
  fork?: Partial<TForkConfig>;
  hooks?: Partial<THookConfig>;
};

export interface TTokenConfig {
  token: string;
  username: string;
  admin?: boolean;
}

export interface TStats {
  total: number;
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  faults: { total: number; byKind: Record<string, number> };
  rateLimited: number;
  /** Answers that waited (the configured latency, a slow fault), and their time from arrival to answer in all. */
  latency: { answers: number; totalMs: number };
  hooks: THookStats;
}

/** Selects webhook deliveries; all given fields must match. */
export interface TDeliveryFilter {
  /** Numeric id or full path. */
  projectId?: number | string;
  hookId?: number;
  deliveryId?: number;
  eventUuid?: string;
  idempotencyKey?: string;
  ok?: boolean;
}

export interface TSeedInput {
  parentGroup?: { name: string; path: string; visibility?: TVisibility };
  users?: Array<{ username: string; name?: string; email?: string; admin?: boolean }>;
}

export interface TSeedResult {
  parentGroup?: { id: number; full_path: string };
  users: Array<{ id: number; username: string }>;
}

export interface TStateSnapshot {
  users: Array<{ id: number; username: string; name: string; email: string; is_admin: boolean }>;
  groups: Array<{
    id: number;
    name: string;
    path: string;
    full_path: string;
    parent_id: number | null;
    visibility: TVisibility;
    marked_for_deletion_on: string | null;
    members: Array<{ user_id: number; username: string; access_level: number }>;
  }>;
  projects: Array<{
    id: number;
    name: string;
    path: string;
    path_with_namespace: string;
    namespace_id: number;
    visibility: TVisibility;
    default_branch: string;
    forked_from_id: number | null;
    import_status: string;
    import_error: string | null;
    forking_access_level: string;
    marked_for_deletion_on: string | null;
    members: Array<{ user_id: number; username: string; access_level: number }>;
    protected_branches: Array<{ name: string; push_access_level: number; merge_access_level: number }>;
    branches: Record<string, { commit_id: string; commit_count: number; files: string[] }>;
    hooks: Array<{
      id: number;
      url: string;
      push_events: boolean;
      push_events_branch_filter: string | null;
      branch_filter_strategy: string;
      enable_ssl_verification: boolean;
      token_set: boolean;
      alert_status: string;
      disabled_until: string | null;
      recent_failures: number;
      deliveries: number;
    }>;
  }>;
}

export const DEFAULT_CONFIG: TRuntimeConfig = {
  latencyMs: 0,
  latencyJitterMs: 0,
  seed: null,
  faults: { rate: 0, kinds: ['500', '502', '503'], retryAfterSeconds: 1, slowMs: 2000, mutatingOnly: false, pathPattern: null, limit: null },
  fork: { importDelayMs: 100, failRate: 0, failPathPattern: null, importError: 'Fork import failed: the repository could not be copied', disabled: false },
  deletionDelayMs: 0,
  deletionMode: 'rename',
  destroyWindowMs: 0,
  hooks: { deliveryDelayMs: 0, deliveryJitterMs: 0, timeoutMs: 10_000, autoDisabling: true, resendRateLimitPerMinute: 5, maxLogsPerHook: 500 },
  rateLimits: DEFAULT_RATE_LIMITS,
};

function assertNumber(v: unknown, name: string, min: number, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new Error(`${name} must be a number in [${min}, ${max}]`);
  return v;
}

function assertPattern(v: unknown, name: string): string | null {
  if (v === null) return null;
  if (typeof v !== 'string') throw new Error(`${name} must be a string or null`);
  new RegExp(v);
  return v;
}

/** Validates a partial configuration and merges it over `base`. Throws an Error with a readable message. */
export function mergeConfig(base: TRuntimeConfig, patch: TRuntimeConfigPatch): TRuntimeConfig {
  const next: TRuntimeConfig = { ...base, faults: { ...base.faults }, fork: { ...base.fork }, hooks: { ...base.hooks }, rateLimits: { ...base.rateLimits } };
  const r = patch.rateLimits ?? {};
  if (r.authenticatedApi !== undefined) next.rateLimits.authenticatedApi = assertNumber(r.authenticatedApi, 'rateLimits.authenticatedApi', 0);
  if (r.periodSeconds !== undefined) next.rateLimits.periodSeconds = assertNumber(r.periodSeconds, 'rateLimits.periodSeconds', 1);
  if (r.projectGet !== undefined) next.rateLimits.projectGet = assertNumber(r.projectGet, 'rateLimits.projectGet', 0);
  if (r.endpointPeriodSeconds !== undefined) next.rateLimits.endpointPeriodSeconds = assertNumber(r.endpointPeriodSeconds, 'rateLimits.endpointPeriodSeconds', 1);
  if (r.groupGet !== undefined) next.rateLimits.groupGet = assertNumber(r.groupGet, 'rateLimits.groupGet', 0);
  if (r.headersOnSuccess !== undefined) next.rateLimits.headersOnSuccess = Boolean(r.headersOnSuccess);
  if (patch.latencyMs !== undefined) next.latencyMs = assertNumber(patch.latencyMs, 'latencyMs', 0);
  if (patch.latencyJitterMs !== undefined) next.latencyJitterMs = assertNumber(patch.latencyJitterMs, 'latencyJitterMs', 0);
  if (patch.deletionDelayMs !== undefined) next.deletionDelayMs = assertNumber(patch.deletionDelayMs, 'deletionDelayMs', 0);
  if (patch.destroyWindowMs !== undefined) next.destroyWindowMs = assertNumber(patch.destroyWindowMs, 'destroyWindowMs', 0);
  if (patch.deletionMode !== undefined) {
    if (!(DELETION_MODES as readonly string[]).includes(patch.deletionMode)) throw new Error(`deletionMode must be one of ${DELETION_MODES.join(', ')}`);
    next.deletionMode = patch.deletionMode;
  }
  if (patch.seed !== undefined) next.seed = patch.seed === null ? null : assertNumber(patch.seed, 'seed', 0);
  const f = patch.faults ?? {};
  if (f.rate !== undefined) next.faults.rate = assertNumber(f.rate, 'faults.rate', 0, 1);
  if (f.kinds !== undefined) {
    if (!Array.isArray(f.kinds) || f.kinds.some((k) => !(FAULT_KINDS as readonly string[]).includes(k))) {
      throw new Error(`faults.kinds must be a list of ${FAULT_KINDS.join(', ')}`);
    }
    next.faults.kinds = [...f.kinds];
  }
  if (f.retryAfterSeconds !== undefined) next.faults.retryAfterSeconds = assertNumber(f.retryAfterSeconds, 'faults.retryAfterSeconds', 0);
  if (f.slowMs !== undefined) next.faults.slowMs = assertNumber(f.slowMs, 'faults.slowMs', 0);
  if (f.mutatingOnly !== undefined) next.faults.mutatingOnly = Boolean(f.mutatingOnly);
  if (f.pathPattern !== undefined) next.faults.pathPattern = assertPattern(f.pathPattern, 'faults.pathPattern');
  // Any change to the faults starts a new count; an unbounded one unless it gives a limit.
  if (patch.faults !== undefined) next.faults.limit = f.limit === undefined || f.limit === null ? null : assertNumber(f.limit, 'faults.limit', 0);
  const k = patch.fork ?? {};
  if (k.importDelayMs !== undefined) next.fork.importDelayMs = assertNumber(k.importDelayMs, 'fork.importDelayMs', 0);
  if (k.failRate !== undefined) next.fork.failRate = assertNumber(k.failRate, 'fork.failRate', 0, 1);
  if (k.failPathPattern !== undefined) next.fork.failPathPattern = assertPattern(k.failPathPattern, 'fork.failPathPattern');
  if (k.importError !== undefined) next.fork.importError = String(k.importError);
  if (k.disabled !== undefined) next.fork.disabled = Boolean(k.disabled);
  const h = patch.hooks ?? {};
  if (h.deliveryDelayMs !== undefined) next.hooks.deliveryDelayMs = assertNumber(h.deliveryDelayMs, 'hooks.deliveryDelayMs', 0);
  if (h.deliveryJitterMs !== undefined) next.hooks.deliveryJitterMs = assertNumber(h.deliveryJitterMs, 'hooks.deliveryJitterMs', 0);
  if (h.timeoutMs !== undefined) next.hooks.timeoutMs = assertNumber(h.timeoutMs, 'hooks.timeoutMs', 1);
  if (h.autoDisabling !== undefined) next.hooks.autoDisabling = Boolean(h.autoDisabling);
  if (h.resendRateLimitPerMinute !== undefined) next.hooks.resendRateLimitPerMinute = assertNumber(h.resendRateLimitPerMinute, 'hooks.resendRateLimitPerMinute', 0);
  if (h.maxLogsPerHook !== undefined) next.hooks.maxLogsPerHook = assertNumber(h.maxLogsPerHook, 'hooks.maxLogsPerHook', 1);
  return next;
}

function emptyStats(): TStats {
  return { total: 0, byRoute: {}, byStatus: {}, faults: { total: 0, byKind: {} }, rateLimited: 0, latency: { answers: 0, totalMs: 0 }, hooks: emptyHookStats() };
}

/** State, configuration and background work of one emulator instance, independent of HTTP. */
export class EmulatorCore {
  readonly store = new Store();
  config: TRuntimeConfig;
  stats: TStats = emptyStats();
  private rng: () => number;
  private timer: NodeJS.Timeout | undefined;
  private faultRe: RegExp | null = null;
  /** Faults dealt since the fault configuration last changed (for `faults.limit`). */
  private faultsDealt = 0;
  private readonly tokens = new Map<string, TTokenConfig>();
  /** Base URL for X-Gitlab-Instance and payload URLs; set by the server once it listens. */
  instanceUrl = '';
  readonly hooks: HookDispatcher;
  readonly rateLimits = new RateLimits(() => this.now());

  constructor(
    config: TRuntimeConfig,
    tokens: TTokenConfig[],
    private readonly onChange: () => void,
  ) {
    this.config = config;
    this.store.now = () => this.now();
    this.hooks = new HookDispatcher({
      store: this.store,
      hookConfig: () => this.config.hooks,
      hookStats: () => this.stats.hooks,
      now: () => this.now(),
      random: () => this.rng(),
      instanceUrl: () => this.instanceUrl,
      onChange: () => this.onChange(),
    });
    this.rng = createPrng(config.seed ?? Math.floor(Math.random() * 2 ** 32));
    this.faultRe = config.faults.pathPattern ? new RegExp(config.faults.pathPattern) : null;
    for (const t of tokens) this.tokens.set(t.token, t);
  }

  now(): number {
    return Date.now();
  }

  random(): number {
    return this.rng();
  }

  configure(patch: TRuntimeConfigPatch): TRuntimeConfig {
    this.config = mergeConfig(this.config, patch);
    if (patch.seed !== undefined) this.rng = createPrng(this.config.seed ?? Math.floor(Math.random() * 2 ** 32));
    this.faultRe = this.config.faults.pathPattern ? new RegExp(this.config.faults.pathPattern) : null;
    if (patch.faults !== undefined) this.faultsDealt = 0;
    if (patch.rateLimits !== undefined) this.rateLimits.reset();
    return this.config;
  }

  resetStats(): void {
    this.stats = emptyStats();
  }

  /** The user a token belongs to, or undefined for an unknown token. */
  userForToken(token: string): TUser | undefined {
    const cfg = this.tokens.get(token);
    if (!cfg) return undefined;
    return this.store.findUser(cfg.username) ?? this.ensureTokenUser(cfg);
  }

  /** Ensures the root administrator and every token's user exist (after start, load or reset). */
  ensureBaseUsers(): void {
    if (!this.store.findUser('root')) this.createUser({ username: 'root', name: 'Administrator', email: 'admin@example.com', isAdmin: true });
    for (const t of this.tokens.values()) this.ensureTokenUser(t);
  }

  private ensureTokenUser(cfg: TTokenConfig): TUser {
    const existing = this.store.findUser(cfg.username);
    if (existing) {
      existing.isAdmin = cfg.admin ?? existing.isAdmin;
      return existing;
    }
    return this.createUser({ username: cfg.username, name: cfg.username, email: `${cfg.username}@example.com`, isAdmin: cfg.admin ?? false });
  }

  createUser(input: { username: string; name: string; email: string; isAdmin: boolean }): TUser {
    const now = new Date(this.now()).toISOString();
    const id = this.store.nextId('user');
    const ns: TNamespace = {
      id: this.store.nextId('namespace'),
      kind: 'user',
      name: input.name,
      path: input.username,
      parentId: null,
      description: '',
      visibility: 'public',
      createdAt: now,
      members: [],
      ownerId: id,
      markedForDeletionOn: null,
    };
    const user: TUser = { id, username: input.username, name: input.name, email: input.email, state: 'active', isAdmin: input.isAdmin, createdAt: now, namespaceId: ns.id };
    this.store.namespaces.set(ns.id, ns);
    this.store.users.set(id, user);
    this.store.invalidatePaths();
    return user;
  }

  decideFault(method: string, apiPath: string): TFaultKind | null {
    const f = this.config.faults;
    if (f.rate <= 0 || f.kinds.length === 0) return null;
    if (f.mutatingOnly && (method === 'GET' || method === 'HEAD')) return null;
    if (this.faultRe && !this.faultRe.test(apiPath)) return null;
    if (f.limit !== null && this.faultsDealt >= f.limit) return null;
    if (this.rng() >= f.rate) return null;
    this.faultsDealt += 1;
    return f.kinds[Math.floor(this.rng() * f.kinds.length)] ?? null;
  }

  scheduleForkImport(fork: TProject, source: TProject): void {
    const now = this.now();
    const fullPath = this.store.projectFullPath(fork);
    const byPattern = this.config.fork.failPathPattern ? new RegExp(this.config.fork.failPathPattern).test(fullPath) : false;
    const fail = byPattern || (this.config.fork.failRate > 0 && this.rng() < this.config.fork.failRate);
    const delay = this.config.fork.importDelayMs;
    this.store.pendingImports.set(fork.id, {
      projectId: fork.id,
      startAt: now + Math.floor(delay / 2),
      finishAt: now + delay,
      fail,
      repo: source.repo.clone(),
    });
    this.arm();
  }

  scheduleDeletion(kind: 'group' | 'project', id: number): void {
    if (this.config.deletionDelayMs <= 0) {
      this.destroy(kind, id);
      return;
    }
    const today = new Date(this.now()).toISOString().slice(0, 10);
    const target = kind === 'group' ? this.store.namespaces.get(id) : this.store.projects.get(id);
    if (target && !target.markedForDeletionOn) {
      target.markedForDeletionOn = today;
      if (this.config.deletionMode !== 'hold') this.renameForDeletion(kind, target);
    }
    if (!this.store.pendingDeletions.some((d) => d.kind === kind && d.id === id)) {
      this.store.pendingDeletions.push({ kind, id, at: this.now() + this.config.deletionDelayMs });
    }
    this.arm();
  }

  // Projects::DestroyService / Groups::DestroyService run in a Sidekiq job: the API already answers
  // 404 while the route, and with it the path, is held until the job has finished.
  private destroy(kind: 'group' | 'project', id: number): void {
    const window = this.config.destroyWindowMs;
    const target = kind === 'group' ? this.store.namespaces.get(id) : this.store.projects.get(id);
    if (target && window > 0) {
      const parentId = kind === 'group' ? (target as TNamespace).parentId : (target as TProject).namespaceId;
      this.store.holdPath({ kind, parentId, path: target.path, name: target.name, until: this.now() + window });
    }
    if (kind === 'group') this.store.removeGroup(id);
    else this.store.removeProject(id);
  }

  // Projects::MarkForDeletionService / Groups::MarkForDeletionService of GitLab 18: archive, rename
  // name and path so the old ones are free, keep a redirect from a project's old full path.
  private renameForDeletion(kind: 'group' | 'project', target: TNamespace | TProject): void {
    const suffix = `-${this.config.deletionMode === 'rename-deleted' ? 'deleted' : 'deletion_scheduled'}-${target.id}`;
    const old = kind === 'group' ? this.store.projectPathsBelow(target.id) : [[this.store.projectFullPath(target as TProject).toLowerCase(), target.id] as [string, number]];
    target.name = `${target.name}${suffix}`;
    target.path = `${target.path}${suffix}`;
    target.archived = true;
    this.store.addRedirects(old);
  }

  /** Applies every due background transition (fork imports, deletions). Returns whether state changed. */
  settle(): boolean {
    const now = this.now();
    let changed = false;
    for (const pending of [...this.store.pendingImports.values()]) {
      const project = this.store.projects.get(pending.projectId);
      if (!project) {
        this.store.pendingImports.delete(pending.projectId);
        continue;
      }
      if (now >= pending.finishAt) {
        if (pending.fail) {
          project.importStatus = 'failed';
          project.importError = this.config.fork.importError;
        } else {
          project.repo = pending.repo;
          project.importStatus = 'finished';
          if (project.repo.branches.has(project.defaultBranch)) this.store.protectDefaultBranch(project);
        }
        this.store.pendingImports.delete(pending.projectId);
        changed = true;
      } else if (now >= pending.startAt && project.importStatus === 'scheduled') {
        project.importStatus = 'started';
        changed = true;
      }
    }
    const due = this.store.pendingDeletions.filter((d) => d.at <= now);
    for (const d of due) {
      this.destroy(d.kind, d.id);
      changed = true;
    }
    if (changed) this.onChange();
    return changed;
  }

  /** Whether fork imports, deletions or webhook deliveries are still pending. */
  hasPendingWork(): boolean {
    return this.store.pendingImports.size > 0 || this.store.pendingDeletions.length > 0 || this.hooks.pendingCount() > 0;
  }

  arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const times: number[] = [];
    for (const p of this.store.pendingImports.values()) {
      const project = this.store.projects.get(p.projectId);
      times.push(project?.importStatus === 'scheduled' ? p.startAt : p.finishAt);
    }
    for (const d of this.store.pendingDeletions) times.push(d.at);
    if (times.length === 0) return;
    const wait = Math.max(0, Math.min(...times) - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.settle();
      this.arm();
    }, wait);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.hooks.close();
  }

  reset(): void {
    this.hooks.stop();
    this.store.clear();
    this.ensureBaseUsers();
    this.arm();
  }

  seed(input: TSeedInput): TSeedResult {
    const result: TSeedResult = { users: [] };
    for (const u of input.users ?? []) {
      const user =
        this.store.findUser(u.username) ??
        this.createUser({ username: u.username, name: u.name ?? u.username, email: u.email ?? `${u.username}@example.com`, isAdmin: u.admin ?? false });
      result.users.push({ id: user.id, username: user.username });
    }
    if (input.parentGroup) {
      let group = this.store.findGroup(input.parentGroup.path);
      if (!group) {
        const now = new Date(this.now()).toISOString();
        const root = this.store.findUser('root');
        group = {
          id: this.store.nextId('namespace'),
          kind: 'group',
          name: input.parentGroup.name,
          path: input.parentGroup.path,
          parentId: null,
          description: '',
          visibility: input.parentGroup.visibility ?? 'private',
          createdAt: now,
          members: root ? [{ userId: root.id, accessLevel: 50, createdAt: now, expiresAt: null, createdById: root.id }] : [],
          ownerId: null,
          markedForDeletionOn: null,
        };
        this.store.namespaces.set(group.id, group);
        this.store.invalidatePaths();
      }
      result.parentGroup = { id: group.id, full_path: this.store.namespaceFullPath(group) };
    }
    return result;
  }

  snapshot(): TStateSnapshot {
    const s = this.store;
    const member = (m: { userId: number; accessLevel: number }) => ({ user_id: m.userId, username: s.users.get(m.userId)?.username ?? '', access_level: m.accessLevel });
    return {
      users: [...s.users.values()].map((u) => ({ id: u.id, username: u.username, name: u.name, email: u.email, is_admin: u.isAdmin })),
      groups: [...s.namespaces.values()]
        .filter((n) => n.kind === 'group')
        .map((g) => ({
          id: g.id,
          name: g.name,
          path: g.path,
          full_path: s.namespaceFullPath(g),
          parent_id: g.parentId,
          visibility: g.visibility,
          marked_for_deletion_on: g.markedForDeletionOn,
          members: g.members.map(member),
        })),
      projects: [...s.projects.values()].map((p) => ({
        id: p.id,
        name: p.name,
        path: p.path,
        path_with_namespace: s.projectFullPath(p),
        namespace_id: p.namespaceId,
        visibility: p.visibility,
        default_branch: p.defaultBranch,
        forked_from_id: p.forkedFromId,
        import_status: p.importStatus,
        import_error: p.importError,
        forking_access_level: p.forkingAccessLevel,
        marked_for_deletion_on: p.markedForDeletionOn,
        members: p.members.map(member),
        protected_branches: p.protectedBranches.map((b) => ({ name: b.name, push_access_level: b.pushAccessLevel, merge_access_level: b.mergeAccessLevel })),
        branches: Object.fromEntries(
          [...p.repo.branches.entries()].map(([name, id]) => {
            const head = p.repo.commits.get(id);
            return [name, { commit_id: id, commit_count: head ? p.repo.history(head).length : 0, files: head ? Object.keys(head.files).sort() : [] }];
          }),
        ),
        hooks: s.hooksOf(p.id).map((h) => ({
          id: h.id,
          url: h.url,
          push_events: h.events.push_events ?? false,
          push_events_branch_filter: h.pushEventsBranchFilter,
          branch_filter_strategy: h.branchFilterStrategy,
          enable_ssl_verification: h.enableSslVerification,
          token_set: Boolean(h.token),
          alert_status: alertStatus(h, this.now(), this.config.hooks.autoDisabling),
          disabled_until: h.disabledUntil,
          recent_failures: h.recentFailures,
          deliveries: s.hookLogs.filter((l) => l.hookId === h.id).length,
        })),
      })),
    };
  }

  private matchingLogs(filter: TDeliveryFilter): THookLog[] {
    const projectId = filter.projectId === undefined ? undefined : (this.store.findProject(filter.projectId)?.id ?? -1);
    return this.store.hookLogs.filter(
      (l) =>
        (projectId === undefined || l.projectId === projectId) &&
        (filter.hookId === undefined || l.hookId === Number(filter.hookId)) &&
        (filter.deliveryId === undefined || l.id === Number(filter.deliveryId)) &&
        (filter.eventUuid === undefined || l.eventUuid === filter.eventUuid) &&
        (filter.idempotencyKey === undefined || l.idempotencyKey === filter.idempotencyKey) &&
        (filter.ok === undefined || l.ok === filter.ok),
    );
  }

  /** Finished webhook delivery attempts, oldest first. */
  deliveries(filter: TDeliveryFilter = {}): THookDelivery[] {
    return this.matchingLogs(filter).map(deliveryView);
  }

  /** Resolves once at least `count` finished deliveries match the filter. */
  async waitForDeliveries(count: number, filter: TDeliveryFilter = {}, timeoutMs = 10_000): Promise<THookDelivery[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.deliveries(filter);
      if (found.length >= count) return found;
      if (Date.now() > deadline) {
        throw new Error(`gitlab emulator: ${found.length} of ${count} webhook deliveries after ${timeoutMs} ms (${this.hooks.pendingCount()} pending)`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /**
   * Sends the events of the matching deliveries again, once per Idempotency-Key (the newest attempt),
   * as the resend API does: same payload and key, new X-Gitlab-Webhook-UUID. `force` also sends to a
   * disabled hook. Returns the new attempts; keys whose hook is gone or disabled are left out.
   */
  async redeliver(filter: TDeliveryFilter & { force?: boolean } = {}): Promise<THookDelivery[]> {
    const latest = new Map<string, THookLog>();
    for (const l of this.matchingLogs(filter)) latest.set(l.idempotencyKey, l);
    const out: THookDelivery[] = [];
    for (const log of latest.values()) {
      const result = await this.hooks.resend(log, { force: filter.force });
      if (!('refused' in result)) out.push(deliveryView(result));
    }
    return out;
  }

  /** A file's content at a ref of a project given by id or full path, or undefined. */
  readFile(project: string | number, ref: string, path: string): Buffer | undefined {
    const p = this.store.findProject(project);
    const commit = p?.repo.resolve(ref);
    return commit ? p?.repo.fileAt(commit, path)?.content : undefined;
  }
}

