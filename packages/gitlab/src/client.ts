import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { Gitlab } from '@gitbeaker/rest';
import { GitlabError, toGitlabError } from './errors';
import { createRateLimiter, type TRateLimiter } from './rate-limiter';
import { createLimitedRequesterFn, type TGitlabLogger } from './requester';
import {
  toBranch,
  toCommit,
  toGroup,
  toMember,
  toProject,
  toProjectHook,
  toProtectedBranch,
  toTreeItem,
  toUser,
  type TGitlabBranch,
  type TGitlabCommit,
  type TGitlabGroup,
  type TGitlabImportStatus,
  type TGitlabMember,
  type TGitlabArchiveFormat,
  type TGitlabProject,
  type TGitlabProjectHook,
  type TGitlabProtectedBranch,
  type TGitlabTreeItem,
  type TGitlabUser,
  type TGitlabVisibility,
} from './types';

export interface TGitlabClientOptions {
  /** Base URL of the GitLab instance, without /api/v4. */
  url: string;
  /** Personal, group or project access token; kept inside the client, never logged. */
  token: string;
  /** Shared limiter of the worker process; a private one (10 req/s, 4 concurrent) when omitted. */
  limiter?: TRateLimiter;
  /** Timeout of each HTTP request once the limiter lets it go. Default 30 s. */
  timeoutMs?: number;
  logger?: TGitlabLogger;
}

export interface TEnsureGroupInput {
  /** Parent group id; omit for a top-level group. */
  parentId?: number | null;
  /** The parent's full path, when the caller knows it: otherwise read, only when the path is taken (to adopt). */
  parentFullPath?: string;
  path: string;
  name: string;
  visibility?: TGitlabVisibility;
  description?: string;
}

export interface TEnsureProjectInput {
  namespaceId: number;
  namespaceFullPath: string;
  path: string;
  name: string;
  visibility?: TGitlabVisibility;
  /** Default `main`. */
  defaultBranch?: string;
  initializeWithReadme?: boolean;
  description?: string;
}

export interface TForkProjectInput {
  sourceProjectId: number;
  namespaceId: number;
  namespaceFullPath: string;
  path: string;
  name: string;
  visibility?: TGitlabVisibility;
}

export interface TWaitForImportOptions {
  /** Default 60 s; then the current status is returned (`scheduled` or `started`). */
  timeoutMs?: number;
  /** Wait before the first poll and between the first two; doubles after each poll up to `maxIntervalMs`. Default 500 ms. */
  intervalMs?: number;
  /** Default 5 s: each poll is a `GET /projects/:id`, which GitLab.com limits to 400 a minute per user. */
  maxIntervalMs?: number;
  /** Called after every poll: the place for an activity heartbeat. */
  onPoll?: (status: TGitlabImportStatus) => void;
  signal?: AbortSignal;
}

export type TMemberOutcome = 'added' | 'updated' | 'unchanged';

export interface TEnsureMemberResult {
  member: TGitlabMember;
  outcome: TMemberOutcome;
}

export interface TCommitAction {
  action: 'create' | 'update' | 'delete';
  filePath: string;
  /** Required for create and update; sent base64-encoded, so any bytes survive. */
  content?: Buffer;
}

export interface TCommitAuthor {
  name: string;
  email: string;
}

export interface TCommitInput {
  branch: string;
  message: string;
  actions: TCommitAction[];
  /** Branch to start from when `branch` does not exist yet. */
  startBranch?: string;
  author?: TCommitAuthor;
}

export interface TSyncFilesInput {
  branch: string;
  message: string;
  /** Files that must exist with exactly this content. */
  files: Array<{ filePath: string; content: Buffer }>;
  /** Files that must not exist (deleted when present). */
  deletePaths?: string[];
  startBranch?: string;
  author?: TCommitAuthor;
}

export interface TSyncFilesResult {
  /** The new commit, or null when the branch already had the wanted content. */
  sha: string | null;
  actions: Array<{ action: TCommitAction['action']; filePath: string }>;
}

export interface TProtectBranchOptions {
  /** Default 40 (Maintainers). */
  pushAccessLevel?: number;
  /** Default 40 (Maintainers). */
  mergeAccessLevel?: number;
}

export interface TRepositoryArchiveOptions {
  /** Branch, tag or commit id. */
  sha: string;
  /** Only this subdirectory (GitLab 14.4+); entries keep their full path under the top directory. */
  path?: string;
  /** Default `tar.gz`. */
  format?: TGitlabArchiveFormat;
  /** Abort with a non-retryable `invalid` GitlabError once the archive is larger. */
  maxBytes?: number;
  /** Stops reading the archive (the request itself is bounded by the client's timeoutMs). */
  signal?: AbortSignal;
}

/** What `waitForImport` answers: the status, and the project as the last poll read it. */
export interface TGitlabImportWait extends TGitlabImportStatus {
  project: TGitlabProject;
}

export interface TEnsureProjectHookInput {
  url: string;
  /** Sent as X-Gitlab-Token with every delivery. */
  token: string;
  /** Default true. */
  pushEvents?: boolean;
  /** Wildcard branch pattern (`main`, `release/*`); omitted means every branch. */
  pushEventsBranchFilter?: string;
  /** Default true. */
  enableSslVerification?: boolean;
  /**
   * The caller has just created the project (a new fork: GitLab copies no hooks), so the first
   * attempt creates the hook without listing; a repeat after a fault lists and adopts as usual.
   */
  newProject?: boolean;
}

export interface TEnsureProjectHookResult {
  hook: TGitlabProjectHook;
  /** A new hook was added (also when a permanently disabled one was replaced). */
  created: boolean;
  /** An existing hook was rewritten (always when adopting: the token cannot be read to compare). */
  updated: boolean;
}

/** Typed GitLab operations. Each failure is a GitlabError; ensure* and remove* are idempotent. */
export interface GitlabClient {
  getGroup(id: number): Promise<TGitlabGroup | null>;
  getGroupByPath(fullPath: string): Promise<TGitlabGroup | null>;
  ensureGroup(input: TEnsureGroupInput): Promise<{ group: TGitlabGroup; created: boolean }>;
  deleteGroup(id: number | string): Promise<boolean>;

  getProject(idOrPath: number | string): Promise<TGitlabProject | null>;
  ensureProject(input: TEnsureProjectInput): Promise<{ project: TGitlabProject; created: boolean }>;
  forkProject(input: TForkProjectInput): Promise<{ project: TGitlabProject; created: boolean }>;
  getImportStatus(projectId: number | string): Promise<TGitlabImportStatus>;
  waitForImport(projectId: number | string, options?: TWaitForImportOptions): Promise<TGitlabImportWait>;
  deleteProject(id: number | string): Promise<boolean>;

  protectBranch(projectId: number | string, branch: string, options?: TProtectBranchOptions): Promise<TGitlabProtectedBranch>;
  unprotectBranch(projectId: number | string, branch: string): Promise<boolean>;

  ensureGroupMember(groupId: number | string, userId: number, accessLevel: number): Promise<TEnsureMemberResult>;
  ensureProjectMember(projectId: number | string, userId: number, accessLevel: number): Promise<TEnsureMemberResult>;
  /** As ensureProjectMember, by username (one request when they are not a member yet: GitLab answers with the user's id). */
  ensureProjectMemberByUsername(projectId: number | string, username: string, accessLevel: number): Promise<TEnsureMemberResult>;
  /** Sets a project member's access level in one request when they are a member (edit; adds them otherwise): locking at a deadline. */
  setProjectMemberAccess(projectId: number | string, userId: number, accessLevel: number): Promise<TGitlabMember>;
  removeGroupMember(groupId: number | string, userId: number): Promise<boolean>;
  removeProjectMember(projectId: number | string, userId: number): Promise<boolean>;
  listGroupMembers(groupId: number | string): Promise<TGitlabMember[]>;
  listProjectMembers(projectId: number | string): Promise<TGitlabMember[]>;

  findUserByUsername(username: string): Promise<TGitlabUser | null>;

  getTree(projectId: number | string, options: { ref: string; path?: string; recursive?: boolean }): Promise<TGitlabTreeItem[]>;
  getFileContent(projectId: number | string, path: string, ref: string): Promise<Buffer | null>;
  commit(projectId: number | string, input: TCommitInput): Promise<string>;
  syncFiles(projectId: number | string, input: TSyncFilesInput): Promise<TSyncFilesResult>;
  listCommits(projectId: number | string, ref: string): Promise<TGitlabCommit[]>;
  getBranch(projectId: number | string, branch: string): Promise<TGitlabBranch | null>;
  /** A commit by branch, tag or (short) sha; null when the ref does not exist. */
  getCommit(projectId: number | string, ref: string): Promise<TGitlabCommit | null>;
  /** The repository at `sha` as GitLab's archive (tar.gz by default). */
  repositoryArchive(projectId: number | string, options: TRepositoryArchiveOptions): Promise<Buffer>;

  listProjectHooks(projectId: number | string): Promise<TGitlabProjectHook[]>;
  /** Create-or-adopt a push hook by URL; see README for how duplicates and disabled hooks are handled. */
  ensureProjectHook(projectId: number | string, input: TEnsureProjectHookInput): Promise<TEnsureProjectHookResult>;
  deleteProjectHook(projectId: number | string, hookId: number): Promise<boolean>;

  readonly limiter: TRateLimiter;
}

const PER_PAGE = 100;
const DEFAULT_TIMEOUT_MS = 30_000;
const TAKEN = /has already been taken/i;
// GitLab's validation messages name the field: {"path":["has already been taken"]}, ["Path has already
// been taken"] (fork), or `Failed to save group {:path=>["has already been taken"]}`.
const PATH_TAKEN = /(?:^|[^\w.])path"?\s*(?:=>|:)\s*\[[^\]]*has already been taken|\bPath has already been taken/i;
const MEMBER_EXISTS = /already exists/i;

/** The git blob id of `content` (SHA-1 object format), as GitLab reports it in trees. */
export function gitBlobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

function is(err: unknown, status: number, pattern?: RegExp): err is GitlabError {
  return err instanceof GitlabError && err.status === status && (!pattern || pattern.test(err.gitlabMessage ?? ''));
}

function projectMissing(err: unknown): boolean {
  return is(err, 404, /project not found/i);
}

/**
 * Attempts of an idempotent operation on a transient fault, and the pauses before attempts 2, 3 and
 * 4 (jittered: 5-10, 50-100, 100-200 ms). Repeating here costs one request; once these are spent
 * the activity fails and Temporal's retry redoes all of its steps a second later, so four attempts:
 * at GitLab.com's rare 5xx (and the benches' 10 %) three faults in a row on one call happened about
 * once per 1,000 calls, four about once per 10,000. The first repeat goes almost at once: a reset
 * connection or a proxy's 502 is most often gone by then, the repeat still passes the limiter (no
 * herd beyond its slots; a 429 waits out the limiter's pause), and a fault on a chain of dependent
 * requests (a course's hierarchy, a student's steps) delays all that follows it. A fault that
 * stays is met by the longer pauses, then by Temporal's.
 */
const OP_BACKOFF_MS = [10, 100, 200] as const;
const OP_ATTEMPTS = OP_BACKOFF_MS.length + 1;
/** Set inside an operation: when its first attempt began, its requests' place in the limiter's queue. */
const insideOp = new AsyncLocalStorage<{ since: number }>();

export function createGitlabClient(options: TGitlabClientOptions): GitlabClient {
  const { url, logger } = options;
  if (!url) throw new TypeError('createGitlabClient: url is required');
  if (!options.token) throw new TypeError('createGitlabClient: token is required');
  const secrets = [options.token];
  const limiter = options.limiter ?? createRateLimiter({ requestsPerSecond: 10, maxConcurrent: 4 });
  const requesterFn = createLimitedRequesterFn({ limiter, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, secrets, queuedSince: () => insideOp.getStore()?.since });
  // queryTimeout null: our requester times each request, not each paginated call as a whole.
  const api = new Gitlab({ host: url.replace(/\/+$/, ''), token: options.token, requesterFn, queryTimeout: null, rateLimits: {} });

  /**
   * Runs `fn` and turns whatever it throws into a GitlabError of `operation`. Every operation but
   * `commit` is idempotent (reads, ensure-or-adopt, remove-if-present, sync-by-diff), so a transient
   * fault (5xx, 429 after the limiter's Retry-After pause, reset, timeout) repeats the whole
   * operation, up to OP_ATTEMPTS times; even a change GitLab made before the connection dropped is
   * then adopted, not duplicated. Only the outermost operation retries (syncFiles runs getTree and
   * commit inside), and each retry passes the limiter again and counts in `stats().retries`, at the
   * place in its queue of the operation's first attempt: a fault does not send it to the back.
   */
  const op = async <T>(operation: string, fn: () => Promise<T>, o: { retry?: boolean } = {}): Promise<T> => {
    const outer = insideOp.getStore();
    const outermost = !outer;
    const place = outer ?? { since: performance.now() };
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await insideOp.run(place, fn);
      } catch (err) {
        const e = toGitlabError(err, operation, secrets);
        if (!outermost || o.retry === false || attempt >= OP_ATTEMPTS || !e.retryable) {
          logger?.debug('gitlab: operation failed', { operation, kind: e.kind, status: e.status, attempt });
          throw e;
        }
        limiter.noteRetry();
        logger?.debug('gitlab: transient fault, repeating the operation', { operation, attempt, status: e.status, kind: e.kind });
        await sleep(OP_BACKOFF_MS[attempt - 1]! * (0.5 + Math.random() / 2));
      }
    }
  };

  const nullOn404 = async <T>(fn: () => Promise<T>): Promise<T | null> => {
    try {
      return await fn();
    } catch (err) {
      if (is(err, 404)) return null;
      throw err;
    }
  };

  const conflict = (operation: string, detail: string, cause?: GitlabError) =>
    new GitlabError({ operation, kind: 'conflict', status: cause?.status ?? null, detail, gitlabMessage: cause?.gitlabMessage });

  /**
   * GitLab said the name or path is taken, yet nothing of the kind is at `fullPath`. When the path
   * itself is taken and no group or project holds it, a group or project GitLab is destroying still
   * does (its destroy job has not finished): retryable, and nothing is adopted. Otherwise (only the
   * name taken, by something at another path, or the other kind of route at the path) a conflict.
   */
  const takenButAbsent = async (operation: string, kind: 'group' | 'project', fullPath: string, cause: GitlabError): Promise<GitlabError> => {
    // A top-level group's path is shared with usernames (user namespaces), which no group lookup finds.
    const userAt = async () => {
      const raw: unknown[] = await api.Users.all({ username: fullPath, perPage: PER_PAGE });
      return raw.map(toUser).some((u) => u.username.toLowerCase() === fullPath.toLowerCase());
    };
    const other = kind === 'group' ? (await projectAt(fullPath)) ?? (!fullPath.includes('/') && (await userAt()) ? 'user' : null) : await groupAt(fullPath);
    if (PATH_TAKEN.test(cause.gitlabMessage ?? '') && !other) {
      return new GitlabError({
        operation,
        kind: 'destroying',
        status: cause.status,
        detail: `no ${kind} at ${fullPath}, yet GitLab says its path is taken: the path is still held by a ${kind} GitLab is destroying; retry once GitLab has finished`,
        gitlabMessage: cause.gitlabMessage,
      });
    }
    const holder = other === 'user' ? `the user ${fullPath} holds that namespace` : other ? `a ${kind === 'group' ? 'project' : 'group'} is at ${fullPath}` : `no ${kind} at ${fullPath}`;
    return conflict(operation, `${holder}, yet GitLab says the name or path is taken: ${cause.gitlabMessage ?? ''}`, cause);
  };

  /** What ensure* and forkProject adopt must not be on its way out: GitLab would delete it, and our work with it, later. */
  const adoptable = <T extends { markedForDeletionOn: string | null }>(operation: string, fullPath: string, found: T): T => {
    if (!found.markedForDeletionOn) return found;
    throw new GitlabError({
      operation,
      kind: 'pending_deletion',
      status: null,
      detail: `${fullPath} is scheduled for deletion (marked on ${found.markedForDeletionOn}): restore it in GitLab, or wait until GitLab has removed it, then run this again`,
    });
  };

  const fetchGroup = (id: number | string) => nullOn404(async () => toGroup(await api.Groups.show(id, { withProjects: false })));
  const fetchProject = (id: number | string) => nullOn404(async () => toProject(await api.Projects.show(id)));
  /**
   * The project or group that is at `fullPath` now. GitLab answers a project's old full path (after a
   * rename, a move, or delayed deletion renaming it to `<path>-deletion_scheduled-<id>`) with the
   * project at its new path: that one is not at `fullPath` and must not be adopted.
   */
  const projectAt = async (fullPath: string) => {
    const found = await fetchProject(fullPath);
    return found && found.pathWithNamespace.toLowerCase() === fullPath.toLowerCase() ? found : null;
  };
  const groupAt = async (fullPath: string) => {
    const found = await fetchGroup(fullPath);
    return found && found.fullPath.toLowerCase() === fullPath.toLowerCase() ? found : null;
  };

  const members = (kind: 'group' | 'project') => (kind === 'group' ? api.GroupMembers : api.ProjectMembers);
  const level = (n: number) => n as Parameters<typeof api.ProjectMembers.add>[1];

  const ensureMember = (kind: 'group' | 'project', sourceId: number | string, userId: number, accessLevel: number) =>
    op(`ensure${kind === 'group' ? 'Group' : 'Project'}Member ${sourceId} user ${userId}`, async (): Promise<TEnsureMemberResult> => {
      const resource = members(kind);
      try {
        return { member: toMember(await resource.add(sourceId, level(accessLevel), { userId })), outcome: 'added' };
      } catch (err) {
        if (!is(err, 409, MEMBER_EXISTS)) throw err;
      }
      const current = toMember(await resource.show(sourceId, userId));
      if (current.accessLevel === accessLevel) return { member: current, outcome: 'unchanged' };
      return { member: toMember(await resource.edit(sourceId, userId, level(accessLevel))), outcome: 'updated' };
    });

  const ensureProjectMemberByUsername = (projectId: number | string, username: string, accessLevel: number) =>
    op(`ensureProjectMember ${projectId} user ${username}`, async (): Promise<TEnsureMemberResult> => {
      try {
        return { member: toMember(await api.ProjectMembers.add(projectId, level(accessLevel), { username } as never)), outcome: 'added' };
      } catch (err) {
        if (!is(err, 409, MEMBER_EXISTS)) throw err;
      }
      // Already a member (our own earlier attempt, or someone else): the edit needs the user's id.
      const raw: unknown[] = await api.Users.all({ username, perPage: PER_PAGE });
      const user = raw.map(toUser).find((u) => u.username.toLowerCase() === username.toLowerCase());
      if (!user) throw new GitlabError({ operation: '', kind: 'not_found', status: 404, detail: `no user ${username}` });
      const current = toMember(await api.ProjectMembers.show(projectId, user.id));
      if (current.accessLevel === accessLevel) return { member: current, outcome: 'unchanged' };
      return { member: toMember(await api.ProjectMembers.edit(projectId, user.id, level(accessLevel))), outcome: 'updated' };
    });

  const setProjectMemberAccess = (projectId: number | string, userId: number, accessLevel: number) =>
    op(`setProjectMemberAccess ${projectId} user ${userId}`, async (): Promise<TGitlabMember> => {
      try {
        return toMember(await api.ProjectMembers.edit(projectId, userId, level(accessLevel)));
      } catch (err) {
        if (!is(err, 404)) throw err;
      }
      return toMember(await api.ProjectMembers.add(projectId, level(accessLevel), { userId }));
    });

  const removeMember = (kind: 'group' | 'project', sourceId: number | string, userId: number) =>
    op(`remove${kind === 'group' ? 'Group' : 'Project'}Member ${sourceId} user ${userId}`, async () => {
      try {
        await members(kind).remove(sourceId, userId);
        return true;
      } catch (err) {
        if (is(err, 404)) return false;
        throw err;
      }
    });

  const listMembers = (kind: 'group' | 'project', sourceId: number | string) =>
    op(`list${kind === 'group' ? 'Group' : 'Project'}Members ${sourceId}`, async () => {
      const raw: unknown[] = await members(kind).all(sourceId, { perPage: PER_PAGE });
      return raw.map(toMember);
    });

  const getTree = (projectId: number | string, o: { ref: string; path?: string; recursive?: boolean }) =>
    op(`getTree ${projectId} ${o.ref}${o.path ? `:${o.path}` : ''}`, async () => {
      try {
        const raw: unknown[] = await api.Repositories.allRepositoryTrees(projectId, {
          ref: o.ref,
          path: o.path,
          recursive: o.recursive ?? false,
          perPage: PER_PAGE,
        });
        return raw.map(toTreeItem);
      } catch (err) {
        // A missing ref or path is an empty tree (an empty repository has no refs); a missing project is not.
        if (is(err, 404) && !projectMissing(err)) return [];
        throw err;
      }
    });

  // Not repeated on a fault: GitLab may have made the commit, and a second `create` fails.
  const commit = (projectId: number | string, input: TCommitInput) =>
    op(`commit ${projectId} ${input.branch}`, async () => {
      if (input.actions.length === 0) throw new GitlabError({ operation: '', kind: 'invalid', status: null, detail: 'a commit needs at least one action' });
      const actions = input.actions.map((a) => {
        if (a.action !== 'delete' && !Buffer.isBuffer(a.content)) {
          throw new GitlabError({ operation: '', kind: 'invalid', status: null, detail: `${a.action} of ${a.filePath} needs content` });
        }
        return a.action === 'delete'
          ? { action: a.action, filePath: a.filePath }
          : { action: a.action, filePath: a.filePath, content: (a.content as Buffer).toString('base64'), encoding: 'base64' };
      });
      let raw: unknown;
      try {
        raw = await api.Commits.create(projectId, input.branch, input.message, actions, {
          startBranch: input.startBranch,
          authorName: input.author?.name,
          authorEmail: input.author?.email,
        });
      } catch (err) {
        // GitLab answers an archived project's commit with the same 403 as a missing push right.
        if (is(err, 403) && (await fetchProject(projectId).catch(() => null))?.archived) {
          throw new GitlabError({ operation: '', kind: 'archived', status: 403, detail: `project ${projectId} is archived: unarchive it in GitLab to commit`, gitlabMessage: err.gitlabMessage });
        }
        throw err;
      }
      return toCommit(raw).id;
    }, { retry: false });

  const listHooks = async (projectId: number | string) => {
    const raw: unknown[] = await api.ProjectHooks.all(projectId, { perPage: PER_PAGE });
    return raw.map(toProjectHook);
  };

  const removeHook = async (projectId: number | string, hookId: number) => {
    try {
      await api.ProjectHooks.remove(projectId, hookId);
      return true;
    } catch (err) {
      if (is(err, 404) && !projectMissing(err)) return false;
      throw err;
    }
  };

  const readArchive = async (
    operation: string,
    stream: ReadableStream<Uint8Array>,
    length: string | undefined,
    maxBytes: number,
    signal: AbortSignal | undefined,
  ): Promise<Buffer> => {
    const tooLarge = (size: number | string) =>
      new GitlabError({ operation, kind: 'invalid', status: null, detail: `archive larger than the limit of ${maxBytes} bytes (${size} bytes)` });
    const reader = stream.getReader();
    if (length !== undefined && Number(length) > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(Number(length));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for (;;) {
      if (signal?.aborted) {
        await reader.cancel().catch(() => undefined);
        throw toGitlabError(signal.reason, operation, secrets);
      }
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(`at least ${size}`);
      }
      chunks.push(Buffer.from(value));
    }
    return Buffer.concat(chunks);
  };

  // No import state (absent or `none`) says nothing about a fork's copy: finished only once the
  // repository has content, otherwise `unknown` (still to be waited for).
  const importStatusOf = (p: TGitlabProject): TGitlabImportStatus =>
    p.importStatus === null || p.importStatus === 'none'
      ? { importStatus: p.emptyRepo === false ? 'finished' : 'unknown', importError: p.importError }
      : { importStatus: p.importStatus, importError: p.importError };
  const importPoll = (projectId: number | string) =>
    op(`getImportStatus ${projectId}`, async (): Promise<TGitlabImportWait> => {
      const project = toProject(await api.Projects.show(projectId));
      return { ...importStatusOf(project), project };
    });
  const getImportStatus = async (projectId: number | string): Promise<TGitlabImportStatus> => {
    const { importStatus, importError } = await importPoll(projectId);
    return { importStatus, importError };
  };

  return {
    limiter,

    getGroup: (id) => op(`getGroup ${id}`, () => fetchGroup(id)),
    getGroupByPath: (fullPath) => op(`getGroupByPath ${fullPath}`, () => fetchGroup(fullPath)),

    ensureGroup: (input) =>
      op(`ensureGroup ${input.path}`, async () => {
        const operation = `ensureGroup ${input.path}`;
        const parentMissing = () => new GitlabError({ operation, kind: 'not_found', status: 404, detail: `parent group ${input.parentId} does not exist` });
        // Create first, read only when GitLab says the path is taken (a re-run, or our own earlier
        // attempt whose answer was lost): a new group costs one request, an existing one two. The
        // parent's full path, when not given, is read only then (GitLab answers a create under a
        // missing parent 404 Group Not Found).
        try {
          const raw: unknown = await api.Groups.create(input.name, input.path, {
            parentId: input.parentId ?? undefined,
            visibility: input.visibility,
            description: input.description,
          });
          return { group: toGroup(raw), created: true };
        } catch (err) {
          if (input.parentId != null && is(err, 404)) throw parentMissing();
          if (!is(err, 400, TAKEN)) throw err;
          let parentPath = input.parentFullPath;
          if (input.parentId != null && parentPath === undefined) {
            const parent = await fetchGroup(input.parentId);
            if (!parent) throw parentMissing();
            parentPath = parent.fullPath;
          }
          const fullPath = parentPath ? `${parentPath}/${input.path}` : input.path;
          // Someone else (or our own earlier attempt) created it: adopt.
          const adopted = await groupAt(fullPath);
          if (adopted) return { group: adoptable(operation, fullPath, adopted), created: false };
          throw await takenButAbsent(operation, 'group', fullPath, err as GitlabError);
        }
      }),

    deleteGroup: (id) =>
      op(`deleteGroup ${id}`, async () => {
        try {
          await api.Groups.remove(id);
          return true;
        } catch (err) {
          if (is(err, 404)) return false;
          throw err;
        }
      }),

    getProject: (idOrPath) => op(`getProject ${idOrPath}`, () => fetchProject(idOrPath)),

    ensureProject: (input) =>
      op(`ensureProject ${input.namespaceFullPath}/${input.path}`, async () => {
        const operation = `ensureProject ${input.namespaceFullPath}/${input.path}`;
        const fullPath = `${input.namespaceFullPath}/${input.path}`;
        // Create first, as ensureGroup: one request for a new project, two for an existing one.
        try {
          const raw: unknown = await api.Projects.create({
            name: input.name,
            path: input.path,
            namespaceId: input.namespaceId,
            visibility: input.visibility,
            description: input.description,
            defaultBranch: input.defaultBranch ?? 'main',
            initializeWithReadme: input.initializeWithReadme ?? false,
          });
          return { project: toProject(raw), created: true };
        } catch (err) {
          if (!is(err, 400, TAKEN)) throw err;
          const adopted = await projectAt(fullPath);
          if (adopted) return { project: adoptable(operation, fullPath, adopted), created: false };
          throw await takenButAbsent(operation, 'project', fullPath, err as GitlabError);
        }
      }),

    forkProject: (input) =>
      op(`forkProject ${input.namespaceFullPath}/${input.path}`, async () => {
        const operation = `forkProject ${input.namespaceFullPath}/${input.path}`;
        const fullPath = `${input.namespaceFullPath}/${input.path}`;
        const adopt = (p: TGitlabProject) => {
          adoptable(operation, fullPath, p);
          if (p.forkedFromProjectId !== input.sourceProjectId) {
            throw conflict(
              operation,
              `${fullPath} exists but is ${p.forkedFromProjectId === null ? 'not a fork' : `a fork of project ${p.forkedFromProjectId}`}, not a fork of project ${input.sourceProjectId}`,
            );
          }
          return { project: p, created: false };
        };
        // Fork first, read only when GitLab says the path is taken: a new student costs one request,
        // a repeat two (409, then the project at the path, which is adopted only when it is ours).
        try {
          const raw: unknown = await api.Projects.fork(input.sourceProjectId, {
            namespaceId: input.namespaceId,
            path: input.path,
            name: input.name,
            visibility: input.visibility,
          });
          return { project: toProject(raw), created: true };
        } catch (err) {
          // GitLab answers 409 (older versions 400) when the name or path is taken in the namespace.
          if (!(is(err, 409, TAKEN) || is(err, 400, TAKEN))) throw err;
          const adopted = await projectAt(fullPath);
          if (adopted) return adopt(adopted);
          throw await takenButAbsent(operation, 'project', fullPath, err as GitlabError);
        }
      }),

    getImportStatus,

    waitForImport: async (projectId, o = {}) => {
      const operation = `waitForImport ${projectId}`;
      const timeoutMs = o.timeoutMs ?? 60_000;
      const maxIntervalMs = Math.max(o.intervalMs ?? 500, o.maxIntervalMs ?? 5_000);
      let intervalMs = o.intervalMs ?? 500;
      const deadline = Date.now() + timeoutMs;
      // A fork's answer says `scheduled`: polling at once would only read that again.
      for (;;) {
        try {
          await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())), undefined, { signal: o.signal });
        } catch (err) {
          throw toGitlabError(err, operation, secrets);
        }
        const status = await importPoll(projectId);
        o.onPoll?.(status);
        if (status.importStatus === 'finished' || status.importStatus === 'failed') return status;
        // Time is up: the caller sees the import still running and decides (e.g. a durable timer).
        if (Date.now() + intervalMs >= deadline) return status;
        intervalMs = Math.min(maxIntervalMs, intervalMs * 2);
      }
    },

    deleteProject: (id) =>
      op(`deleteProject ${id}`, async () => {
        try {
          await api.Projects.remove(id);
          return true;
        } catch (err) {
          if (is(err, 404)) return false;
          throw err;
        }
      }),

    protectBranch: (projectId, branch, o = {}) =>
      op(`protectBranch ${projectId} ${branch}`, async () => {
        const push = o.pushAccessLevel ?? 40;
        const merge = o.mergeAccessLevel ?? 40;
        const create = async () =>
          toProtectedBranch(
            await api.ProtectedBranches.protect(projectId, branch, {
              pushAccessLevel: push as never,
              mergeAccessLevel: merge as never,
            }),
          );
        try {
          return await create();
        } catch (err) {
          if (!is(err, 409)) throw err;
        }
        const current = toProtectedBranch(await api.ProtectedBranches.show(projectId, branch));
        if (current.pushAccessLevel === push && current.mergeAccessLevel === merge) return current;
        // Access levels of an existing rule cannot be edited on every edition: replace the rule.
        await api.ProtectedBranches.unprotect(projectId, branch);
        return create();
      }),

    unprotectBranch: (projectId, branch) =>
      op(`unprotectBranch ${projectId} ${branch}`, async () => {
        try {
          await api.ProtectedBranches.unprotect(projectId, branch);
          return true;
        } catch (err) {
          if (is(err, 404) && !projectMissing(err)) return false;
          throw err;
        }
      }),

    ensureGroupMember: (groupId, userId, accessLevel) => ensureMember('group', groupId, userId, accessLevel),
    ensureProjectMember: (projectId, userId, accessLevel) => ensureMember('project', projectId, userId, accessLevel),
    ensureProjectMemberByUsername,
    setProjectMemberAccess,
    removeGroupMember: (groupId, userId) => removeMember('group', groupId, userId),
    removeProjectMember: (projectId, userId) => removeMember('project', projectId, userId),
    listGroupMembers: (groupId) => listMembers('group', groupId),
    listProjectMembers: (projectId) => listMembers('project', projectId),

    findUserByUsername: (username) =>
      op(`findUserByUsername ${username}`, async () => {
        const raw: unknown[] = await api.Users.all({ username, perPage: PER_PAGE });
        const match = raw.map(toUser).find((u) => u.username.toLowerCase() === username.toLowerCase());
        return match ?? null;
      }),

    getTree,

    getFileContent: (projectId, path, ref) =>
      op(`getFileContent ${projectId} ${ref}:${path}`, async () => {
        try {
          const raw = (await api.RepositoryFiles.show(projectId, path, ref)) as unknown as { content?: string; encoding?: string };
          const content = raw.content ?? '';
          return raw.encoding === 'base64' ? Buffer.from(content, 'base64') : Buffer.from(content, 'utf8');
        } catch (err) {
          if (is(err, 404) && !projectMissing(err)) return null;
          throw err;
        }
      }),

    commit,

    syncFiles: (projectId, input) =>
      op(`syncFiles ${projectId} ${input.branch}`, async (): Promise<TSyncFilesResult> => {
        let tree = await getTree(projectId, { ref: input.branch, recursive: true });
        if (tree.length === 0 && input.startBranch) tree = await getTree(projectId, { ref: input.startBranch, recursive: true });
        const present = new Map(tree.filter((t) => t.type === 'blob').map((t) => [t.path, t.id]));
        const actions: TCommitAction[] = [];
        for (const f of input.files) {
          const id = present.get(f.filePath);
          if (id === undefined) actions.push({ action: 'create', filePath: f.filePath, content: f.content });
          else if (id !== gitBlobId(f.content)) actions.push({ action: 'update', filePath: f.filePath, content: f.content });
        }
        for (const p of input.deletePaths ?? []) if (present.has(p)) actions.push({ action: 'delete', filePath: p });
        const summary = actions.map((a) => ({ action: a.action, filePath: a.filePath }));
        if (actions.length === 0) return { sha: null, actions: summary };
        const sha = await commit(projectId, { branch: input.branch, message: input.message, actions, startBranch: input.startBranch, author: input.author });
        return { sha, actions: summary };
      }),

    listCommits: (projectId, ref) =>
      op(`listCommits ${projectId} ${ref}`, async () => {
        const raw: unknown[] = await api.Commits.all(projectId, { refName: ref, perPage: PER_PAGE });
        return raw.map(toCommit);
      }),

    getCommit: (projectId, ref) =>
      op(`getCommit ${projectId} ${ref}`, async () => {
        try {
          return toCommit(await api.Commits.show(projectId, ref));
        } catch (err) {
          if (is(err, 404) && !projectMissing(err)) return null;
          throw err;
        }
      }),

    repositoryArchive: (projectId, o) =>
      op(`repositoryArchive ${projectId} ${o.sha}${o.path ? `:${o.path}` : ''}`, async () => {
        const operation = `repositoryArchive ${projectId} ${o.sha}`;
        const maxBytes = o.maxBytes ?? Infinity;
        // Streamed, so an oversized archive is cut off instead of buffered whole.
        const res = (await api.Repositories.showArchive(projectId, {
          fileType: o.format ?? 'tar.gz',
          sha: o.sha,
          path: o.path,
          asStream: true,
          showExpanded: true,
        })) as unknown as { data: ReadableStream<Uint8Array>; headers: Record<string, string> };
        return readArchive(operation, res.data, res.headers['content-length'], maxBytes, o.signal);
      }),

    listProjectHooks: (projectId) => op(`listProjectHooks ${projectId}`, () => listHooks(projectId)),

    ensureProjectHook: (projectId, input) => {
      let attempted = false;
      return op(`ensureProjectHook ${projectId} ${input.url}`, async (): Promise<TEnsureProjectHookResult> => {
        const firstAttempt = !attempted;
        attempted = true;
        // The desired state in full: a missing filter means every branch, so an old filter is cleared.
        const options = {
          token: input.token,
          pushEvents: input.pushEvents ?? true,
          pushEventsBranchFilter: input.pushEventsBranchFilter ?? '',
          branchFilterStrategy: 'wildcard',
          enableSslVerification: input.enableSslVerification ?? true,
        } as Parameters<typeof api.ProjectHooks.add>[2];
        const sameUrl = async () => (await listHooks(projectId)).filter((h) => h.url === input.url).sort((a, b) => a.id - b.id);
        // Two hooks with one URL would deliver every push twice: keep the oldest.
        const dedupe = async (hooks: TGitlabProjectHook[]) => {
          for (const extra of hooks.slice(1)) await removeHook(projectId, extra.id);
          return hooks[0] as TGitlabProjectHook;
        };
        const create = async () => toProjectHook(await api.ProjectHooks.add(projectId, input.url, options));
        const adopt = async (hook: TGitlabProjectHook) => toProjectHook(await api.ProjectHooks.edit(projectId, hook.id, input.url, options));

        // A project we have just made has no hooks: create without listing. A repeat (the answer to
        // our POST may have been lost) lists and adopts, so at most one hook survives either way.
        if (input.newProject && firstAttempt) return { hook: await create(), created: true, updated: false };
        const existing = await sameUrl();
        if (existing.length === 0) {
          const made = await create();
          // A concurrent caller may have created one too; both converge on the oldest.
          const now = await sameUrl();
          if (now.length <= 1 || now[0]?.id === made.id) {
            await dedupe(now);
            return { hook: made, created: true, updated: false };
          }
          return { hook: await adopt(await dedupe(now)), created: false, updated: true };
        }
        const keep = await dedupe(existing);
        // A permanently disabled hook never delivers again (only a successful test call revives it): replace it.
        if (keep.alertStatus === 'disabled') {
          await removeHook(projectId, keep.id);
          return { hook: await create(), created: true, updated: false };
        }
        return { hook: await adopt(keep), created: false, updated: true };
      });
    },

    deleteProjectHook: (projectId, hookId) => op(`deleteProjectHook ${projectId} ${hookId}`, () => removeHook(projectId, hookId)),

    getBranch: (projectId, branch) =>
      op(`getBranch ${projectId} ${branch}`, async () => {
        try {
          return toBranch(await api.Branches.show(projectId, branch));
        } catch (err) {
          if (is(err, 404) && !projectMissing(err)) return null;
          throw err;
        }
      }),
  };
}
