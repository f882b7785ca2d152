import type { THookLog, TProjectHook } from './hooks';
import { Repository, type TSerializedRepository } from './repository';

export type TVisibility = 'private' | 'internal' | 'public';
export type TImportStatus = 'none' | 'scheduled' | 'started' | 'finished' | 'failed';

export const VISIBILITY_LEVELS: Record<TVisibility, number> = { private: 0, internal: 10, public: 20 };

export interface TMember {
  userId: number;
  accessLevel: number;
  createdAt: string;
  expiresAt: string | null;
  createdById: number | null;
}

export interface TNamespace {
  id: number;
  kind: 'group' | 'user';
  name: string;
  path: string;
  parentId: number | null;
  description: string;
  visibility: TVisibility;
  createdAt: string;
  members: TMember[];
  ownerId: number | null;
  markedForDeletionOn: string | null;
  /** Set by delayed deletion (GitLab 18 archives what it schedules); absent in older state files. */
  archived?: boolean;
}

export interface TProtectedBranch {
  id: number;
  name: string;
  pushAccessLevel: number;
  mergeAccessLevel: number;
  unprotectAccessLevel: number | null;
  allowForcePush: boolean;
  codeOwnerApprovalRequired: boolean;
}

export interface TProject {
  id: number;
  name: string;
  path: string;
  namespaceId: number;
  description: string;
  visibility: TVisibility;
  defaultBranch: string;
  createdAt: string;
  lastActivityAt: string;
  creatorId: number;
  forkedFromId: number | null;
  importStatus: TImportStatus;
  importError: string | null;
  forkingAccessLevel: 'enabled' | 'private' | 'disabled';
  archived: boolean;
  markedForDeletionOn: string | null;
  members: TMember[];
  protectedBranches: TProtectedBranch[];
  repo: Repository;
}

export interface TUser {
  id: number;
  username: string;
  name: string;
  email: string;
  state: 'active' | 'blocked';
  isAdmin: boolean;
  createdAt: string;
  namespaceId: number;
}

/** A fork whose repository is copied when its import finishes (GitLab forks asynchronously). */
export interface TPendingImport {
  projectId: number;
  startAt: number;
  finishAt: number;
  fail: boolean;
  repo: Repository;
}

/** A group or project that answered 202 to DELETE and is removed at `at`. */
export interface TPendingDeletion {
  kind: 'group' | 'project';
  id: number;
  at: number;
}

/** The path (and name) of a destroyed group or project that GitLab's destroy job still holds until `until`. */
export interface THeldPath {
  kind: 'group' | 'project';
  parentId: number | null;
  path: string;
  name: string;
  until: number;
}

interface TSerializedProject extends Omit<TProject, 'repo'> {
  repo: TSerializedRepository;
}

export interface TSerializedStore {
  version: 1;
  counters: TCounters;
  users: TUser[];
  namespaces: TNamespace[];
  projects: TSerializedProject[];
  pendingImports: Array<Omit<TPendingImport, 'repo'> & { repo: TSerializedRepository }>;
  pendingDeletions: TPendingDeletion[];
  /** Old full path (lower case) -> project id; absent in state files written before redirects were emulated. */
  redirects?: Array<[string, number]>;
  /** Absent in state files written before webhooks were emulated. */
  hooks?: TProjectHook[];
  hookLogs?: THookLog[];
  /** Absent in state files written before the destroy window was emulated. */
  heldPaths?: THeldPath[];
}

interface TCounters {
  user: number;
  namespace: number;
  project: number;
  protectedBranch: number;
  hook: number;
  hookLog: number;
}

const emptyCounters = (): TCounters => ({ user: 0, namespace: 0, project: 0, protectedBranch: 0, hook: 0, hookLog: 0 });

/** All emulated GitLab data, with lookups by id and by case-insensitive full path. */
export class Store {
  users = new Map<number, TUser>();
  namespaces = new Map<number, TNamespace>();
  projects = new Map<number, TProject>();
  pendingImports = new Map<number, TPendingImport>();
  pendingDeletions: TPendingDeletion[] = [];
  hooks = new Map<number, TProjectHook>();
  /** Delivery attempts (web hook logs), oldest first. */
  hookLogs: THookLog[] = [];
  /** Redirect routes of projects: old full path (lower case) -> project id, as GitLab keeps after a rename or move. */
  redirects = new Map<string, number>();
  /** Paths of destroyed groups and projects whose destroy job has not finished. */
  heldPaths: THeldPath[] = [];
  /** Clock of `heldPaths`; the core sets its own. */
  now: () => number = () => Date.now();
  private hookLogCounts = new Map<number, number>();
  private counters: TCounters = emptyCounters();
  private nsPathIndex: Map<string, number> | undefined;
  private projectPathIndex: Map<string, number> | undefined;

  nextId(kind: keyof TCounters): number {
    this.counters[kind] += 1;
    return this.counters[kind];
  }

  invalidatePaths(): void {
    this.nsPathIndex = undefined;
    this.projectPathIndex = undefined;
  }

  namespaceFullPath(ns: TNamespace): string {
    const parts: string[] = [];
    let cur: TNamespace | undefined = ns;
    while (cur) {
      parts.unshift(cur.path);
      cur = cur.parentId === null ? undefined : this.namespaces.get(cur.parentId);
    }
    return parts.join('/');
  }

  namespaceFullName(ns: TNamespace): string {
    const parts: string[] = [];
    let cur: TNamespace | undefined = ns;
    while (cur) {
      parts.unshift(cur.name);
      cur = cur.parentId === null ? undefined : this.namespaces.get(cur.parentId);
    }
    return parts.join(' / ');
  }

  projectFullPath(p: TProject): string {
    return `${this.namespaceFullPath(this.namespace(p.namespaceId))}/${p.path}`;
  }

  namespace(id: number): TNamespace {
    const ns = this.namespaces.get(id);
    if (!ns) throw new Error(`namespace ${id} missing`);
    return ns;
  }

  /** A namespace by numeric id or full path. */
  findNamespace(idOrPath: string | number): TNamespace | undefined {
    if (typeof idOrPath === 'number' || /^\d+$/.test(idOrPath)) return this.namespaces.get(Number(idOrPath));
    if (!this.nsPathIndex) {
      this.nsPathIndex = new Map();
      for (const ns of this.namespaces.values()) this.nsPathIndex.set(this.namespaceFullPath(ns).toLowerCase(), ns.id);
    }
    const id = this.nsPathIndex.get(idOrPath.toLowerCase());
    return id === undefined ? undefined : this.namespaces.get(id);
  }

  findGroup(idOrPath: string | number): TNamespace | undefined {
    const ns = this.findNamespace(idOrPath);
    return ns?.kind === 'group' ? ns : undefined;
  }

  /** A project by id or full path; an old full path follows its redirect (GitLab's `find_by_full_path(follow_redirects: true)`). */
  findProject(idOrPath: string | number): TProject | undefined {
    if (typeof idOrPath === 'number' || /^\d+$/.test(idOrPath)) return this.projects.get(Number(idOrPath));
    if (!this.projectPathIndex) {
      this.projectPathIndex = new Map();
      for (const p of this.projects.values()) this.projectPathIndex.set(this.projectFullPath(p).toLowerCase(), p.id);
    }
    const lower = idOrPath.toLowerCase();
    const id = this.projectPathIndex.get(lower) ?? this.redirects.get(lower);
    return id === undefined ? undefined : this.projects.get(id);
  }

  /** Full paths of every project at or below a namespace, for redirects before the namespace changes. */
  projectPathsBelow(namespaceId: number): Array<[string, number]> {
    const ids = new Set([namespaceId, ...this.descendantGroupIds(namespaceId)]);
    return [...this.projects.values()].filter((p) => ids.has(p.namespaceId)).map((p) => [this.projectFullPath(p).toLowerCase(), p.id]);
  }

  /** Records redirects from old full paths, then drops every redirect that a live project's path now claims. */
  addRedirects(old: Array<[string, number]>): void {
    this.invalidatePaths();
    for (const [path, id] of old) if (this.projects.get(id) && this.projectFullPath(this.projects.get(id) as TProject).toLowerCase() !== path) this.redirects.set(path, id);
    this.pruneRedirects();
  }

  /** A new route replaces a redirect of the same path (GitLab deletes conflicting redirect routes). */
  pruneRedirects(): void {
    const live = new Set([...this.projects.values()].map((p) => this.projectFullPath(p).toLowerCase()));
    for (const ns of this.namespaces.values()) live.add(this.namespaceFullPath(ns).toLowerCase());
    for (const [path, id] of this.redirects) if (live.has(path) || !this.projects.has(id)) this.redirects.delete(path);
  }

  findUser(idOrUsername: string | number): TUser | undefined {
    if (typeof idOrUsername === 'number' || /^\d+$/.test(idOrUsername)) return this.users.get(Number(idOrUsername));
    const lower = idOrUsername.toLowerCase();
    for (const u of this.users.values()) if (u.username.toLowerCase() === lower) return u;
    return undefined;
  }

  subgroups(parentId: number): TNamespace[] {
    return [...this.namespaces.values()].filter((n) => n.kind === 'group' && n.parentId === parentId);
  }

  descendantGroupIds(id: number): number[] {
    const out: number[] = [];
    const walk = (pid: number) => {
      for (const child of this.subgroups(pid)) {
        out.push(child.id);
        walk(child.id);
      }
    };
    walk(id);
    return out;
  }

  ancestors(ns: TNamespace): TNamespace[] {
    const out: TNamespace[] = [];
    let cur = ns.parentId === null ? undefined : this.namespaces.get(ns.parentId);
    while (cur) {
      out.push(cur);
      cur = cur.parentId === null ? undefined : this.namespaces.get(cur.parentId);
    }
    return out;
  }

  projectsIn(namespaceId: number): TProject[] {
    return [...this.projects.values()].filter((p) => p.namespaceId === namespaceId);
  }

  /** Whether `path` is used by a group or a project directly inside `parentId` (GitLab routes are unique). */
  pathTaken(parentId: number | null, path: string): boolean {
    const lower = path.toLowerCase();
    if (this.held(parentId).some((h) => h.path.toLowerCase() === lower)) return true;
    for (const ns of this.namespaces.values()) if (ns.parentId === parentId && ns.path.toLowerCase() === lower) return true;
    if (parentId !== null) for (const p of this.projectsIn(parentId)) if (p.path.toLowerCase() === lower) return true;
    return false;
  }

  /** Holds a destroyed group's or project's path until `held.until`. */
  holdPath(held: THeldPath): void {
    this.heldPaths.push(held);
  }

  /** The held paths directly inside `parentId` whose destroy job is still running; drops the finished ones. */
  held(parentId: number | null): THeldPath[] {
    const now = this.now();
    this.heldPaths = this.heldPaths.filter((h) => h.until > now);
    return this.heldPaths.filter((h) => h.parentId === parentId);
  }

  /** Whether a destroyed sibling of this kind still holds `name` directly inside `parentId`. */
  nameHeld(kind: 'group' | 'project', parentId: number | null, name: string): boolean {
    return this.held(parentId).some((h) => h.kind === kind && h.name.toLowerCase() === name.toLowerCase());
  }

  /** GitLab's default branch protection (fully protected: Maintainers push and merge). */
  protectDefaultBranch(project: TProject): void {
    if (project.protectedBranches.some((b) => b.name === project.defaultBranch)) return;
    project.protectedBranches.push({
      id: this.nextId('protectedBranch'),
      name: project.defaultBranch,
      pushAccessLevel: 40,
      mergeAccessLevel: 40,
      unprotectAccessLevel: null,
      allowForcePush: false,
      codeOwnerApprovalRequired: false,
    });
  }

  removeGroup(id: number): void {
    const ids = [id, ...this.descendantGroupIds(id)];
    for (const gid of ids) {
      for (const p of this.projectsIn(gid)) this.removeProject(p.id);
      this.namespaces.delete(gid);
    }
    this.pendingDeletions = this.pendingDeletions.filter((d) => !(d.kind === 'group' && ids.includes(d.id)));
    this.invalidatePaths();
  }

  hooksOf(projectId: number): TProjectHook[] {
    return [...this.hooks.values()].filter((h) => h.projectId === projectId).sort((a, b) => a.id - b.id);
  }

  removeHook(id: number): void {
    this.hooks.delete(id);
    this.hookLogs = this.hookLogs.filter((l) => l.hookId !== id);
    this.hookLogCounts.delete(id);
  }

  addHookLog(log: THookLog, maxPerHook: number): void {
    this.hookLogs.push(log);
    const count = (this.hookLogCounts.get(log.hookId) ?? 0) + 1;
    this.hookLogCounts.set(log.hookId, count);
    if (count > maxPerHook) {
      const oldest = this.hookLogs.findIndex((l) => l.hookId === log.hookId);
      this.hookLogs.splice(oldest, 1);
      this.hookLogCounts.set(log.hookId, count - 1);
    }
  }

  removeProject(id: number): void {
    for (const h of this.hooksOf(id)) this.removeHook(h.id);
    this.projects.delete(id);
    for (const [path, target] of this.redirects) if (target === id) this.redirects.delete(path);
    this.pendingImports.delete(id);
    this.pendingDeletions = this.pendingDeletions.filter((d) => !(d.kind === 'project' && d.id === id));
    // GitLab keeps forks when their source is deleted; they lose the link.
    for (const p of this.projects.values()) if (p.forkedFromId === id) p.forkedFromId = null;
    this.invalidatePaths();
  }

  clear(): void {
    this.users.clear();
    this.namespaces.clear();
    this.projects.clear();
    this.pendingImports.clear();
    this.pendingDeletions = [];
    this.hooks.clear();
    this.hookLogs = [];
    this.hookLogCounts.clear();
    this.redirects.clear();
    this.heldPaths = [];
    this.counters = emptyCounters();
    this.invalidatePaths();
  }

  toJSON(): TSerializedStore {
    return {
      version: 1,
      counters: { ...this.counters },
      users: [...this.users.values()],
      namespaces: [...this.namespaces.values()],
      projects: [...this.projects.values()].map((p) => ({ ...p, repo: p.repo.toJSON() })),
      pendingImports: [...this.pendingImports.values()].map((i) => ({ ...i, repo: i.repo.toJSON() })),
      pendingDeletions: [...this.pendingDeletions],
      hooks: [...this.hooks.values()],
      hookLogs: [...this.hookLogs],
      redirects: [...this.redirects],
      heldPaths: [...this.heldPaths],
    };
  }

  load(data: TSerializedStore): void {
    this.clear();
    this.counters = { ...emptyCounters(), ...data.counters };
    for (const u of data.users) this.users.set(u.id, u);
    for (const n of data.namespaces) this.namespaces.set(n.id, n);
    for (const p of data.projects) this.projects.set(p.id, { ...p, repo: Repository.fromJSON(p.repo) });
    for (const i of data.pendingImports) this.pendingImports.set(i.projectId, { ...i, repo: Repository.fromJSON(i.repo) });
    this.pendingDeletions = [...data.pendingDeletions];
    for (const h of data.hooks ?? []) this.hooks.set(h.id, h);
    this.hookLogs = [...(data.hookLogs ?? [])];
    for (const [path, id] of data.redirects ?? []) this.redirects.set(path, id);
    this.heldPaths = [...(data.heldPaths ?? [])];
    for (const l of this.hookLogs) this.hookLogCounts.set(l.hookId, (this.hookLogCounts.get(l.hookId) ?? 0) + 1);
  }
}
