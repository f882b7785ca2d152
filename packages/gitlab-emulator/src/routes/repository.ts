import { branchEntity, commitDetailEntity, commitEntity, fileEntity, treeItemEntity } from '../entities';
import { ApiError, badRequest, forbidden, notFound, paramError } from '../errors';
import { bool, oneOf, requireParams, str, type TInput } from '../params';
import type { TPushInput } from '../hooks';
import type { TActionKind, TCommit, TCommitAction } from '../repository';
import type { TProject } from '../store';
import { json, noContent, nowIso, paged, projectOr404, touch, type TRequestContext, type TRoute } from './common';
import { accessLevel } from './access';

export { accessLevel };

const ACTIONS: TActionKind[] = ['create', 'update', 'delete', 'move', 'chmod'];

export function branchMatches(pattern: string, branch: string): boolean {
  if (!pattern.includes('*')) return pattern === branch;
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(branch);
}

// Admins bypass; others need Developer to push and the branch's push level when it is protected.
function authorizePush(ctx: TRequestContext, project: TProject, branch: string): void {
  // An archived project is read-only for everyone, administrators included (push_code is prohibited).
  if (project.archived) throw new ApiError(403, { message: 'You are not allowed to push into this branch' });
  if (ctx.user.isAdmin) return;
  const level = accessLevel(ctx, project);
  if (level < 30) throw forbidden();
  const rules = project.protectedBranches.filter((b) => branchMatches(b.name, branch));
  if (rules.length > 0 && !rules.some((b) => b.pushAccessLevel > 0 && level >= b.pushAccessLevel)) {
    throw new ApiError(403, { message: 'You are not allowed to push into this branch' });
  }
}

/** Push hooks for a branch change; delivery happens after the response (GitLab's post-receive worker). */
export function firePush(ctx: TRequestContext, project: TProject, input: TPushInput): void {
  const header = ctx.req.headers['x-gitlab-event-uuid'];
  ctx.core.hooks.triggerPush(ctx.entity, project, ctx.user, input, typeof header === 'string' && header ? header : undefined);
}

function refOrDefault(ctx: TRequestContext, project: TProject, key: string): string {
  return str(ctx.input, key) || project.defaultBranch;
}

function resolveCommit(project: TProject, ref: string): TCommit {
  const commit = ref === 'HEAD' ? project.repo.resolve(project.defaultBranch) : project.repo.resolve(ref);
  if (!commit) throw notFound('Commit');
  return commit;
}

function parseActions(input: TInput): TCommitAction[] {
  const raw = input.actions;
  if (raw === undefined) throw paramError('actions is missing');
  if (!Array.isArray(raw)) throw paramError('actions is invalid');
  if (raw.length === 0) throw paramError('actions is empty');
  return raw.map((a: unknown, i) => {
    if (typeof a !== 'object' || a === null) throw paramError(`actions[${i}] is invalid`);
    const action = a as TInput;
    const kind = str(action, 'action');
    if (kind === undefined) throw paramError(`actions[${i}][action] is missing`);
    if (!ACTIONS.includes(kind as TActionKind)) throw paramError(`actions[${i}][action] does not have a valid value`);
    const filePath = str(action, 'file_path');
    if (!filePath) throw paramError(`actions[${i}][file_path] is missing`);
    const encoding = oneOf(action, 'encoding', ['text', 'base64'] as const);
    return {
      action: kind as TActionKind,
      filePath,
      previousPath: str(action, 'previous_path'),
      content: str(action, 'content'),
      encoding,
      executeFilemode: bool(action, 'execute_filemode'),
    };
  });
}

function commitToProject(
  ctx: TRequestContext,
  project: TProject,
  input: { branch: string; message: string; actions: TCommitAction[]; startBranch?: string; startSha?: string },
): TCommit {
  authorizePush(ctx, project, input.branch);
  const wasEmpty = project.repo.isEmpty();
  const before = project.repo.branches.get(input.branch) ?? null;
  const commit = project.repo.commit({
    ...input,
    authorName: str(ctx.input, 'author_name') ?? ctx.user.name,
    authorEmail: str(ctx.input, 'author_email') ?? ctx.user.email,
    committerName: ctx.user.name,
    committerEmail: ctx.user.email,
    now: nowIso(ctx),
  });
  if (wasEmpty) {
    // The first pushed branch becomes HEAD, and GitLab protects the default branch on that first push.
    project.defaultBranch = input.branch;
    ctx.store.protectDefaultBranch(project);
  }
  touch(ctx, project);
  firePush(ctx, project, { branch: input.branch, before, after: commit.id });
  return commit;
}

function createCommit(ctx: TRequestContext) {
  const project = projectOr404(ctx, ctx.params.id);
  requireParams(ctx.input, ['branch', 'commit_message']);
  const actions = parseActions(ctx.input);
  const startBranch = str(ctx.input, 'start_branch');
  const startSha = str(ctx.input, 'start_sha');
  if (startBranch && startSha) throw paramError('start_branch, start_sha are mutually exclusive');
  const commit = commitToProject(ctx, project, {
    branch: str(ctx.input, 'branch') as string,
    message: str(ctx.input, 'commit_message') as string,
    actions,
    startBranch,
    startSha,
  });
  return json(201, commitDetailEntity(ctx.entity, project, commit, bool(ctx.input, 'stats') ?? true));
}

function fileCommit(ctx: TRequestContext, action: TActionKind, status: number) {
  const project = projectOr404(ctx, ctx.params.id);
  const keys = action === 'delete' ? ['branch', 'commit_message'] : ['branch', 'content', 'commit_message'];
  const missing = keys.filter((k) => ctx.input[k] === undefined || ctx.input[k] === null);
  if (missing.length > 0) throw paramError(missing.map((k) => `${k} is missing`).join(', '));
  const branch = str(ctx.input, 'branch') as string;
  const filePath = ctx.params.file_path as string;
  commitToProject(ctx, project, {
    branch,
    message: str(ctx.input, 'commit_message') as string,
    startBranch: str(ctx.input, 'start_branch'),
    actions: [
      {
        action,
        filePath,
        content: str(ctx.input, 'content'),
        encoding: oneOf(ctx.input, 'encoding', ['text', 'base64'] as const),
        executeFilemode: bool(ctx.input, 'execute_filemode'),
      },
    ],
  });
  return status === 204 ? noContent() : json(status, { file_path: filePath, branch });
}

function listCommits(ctx: TRequestContext, project: TProject): TCommit[] {
  if (project.repo.isEmpty()) return [];
  let heads: TCommit[];
  if (bool(ctx.input, 'all')) {
    heads = [...project.repo.branches.values()].map((id) => project.repo.commits.get(id) as TCommit);
  } else {
    const head = project.repo.resolve(refOrDefault(ctx, project, 'ref_name'));
    if (!head) return [];
    heads = [head];
  }
  const seen = new Map<string, TCommit>();
  for (const h of heads) for (const c of project.repo.history(h)) seen.set(c.id, c);
  let commits = [...seen.values()].sort((a, b) => Date.parse(b.committedDate) - Date.parse(a.committedDate));
  const path = str(ctx.input, 'path');
  if (path) commits = commits.filter((c) => project.repo.touches(c, path));
  const since = str(ctx.input, 'since');
  const until = str(ctx.input, 'until');
  if (since) commits = commits.filter((c) => Date.parse(c.committedDate) >= Date.parse(since));
  if (until) commits = commits.filter((c) => Date.parse(c.committedDate) <= Date.parse(until));
  return commits;
}

function rawFile(ctx: TRequestContext) {
  const project = projectOr404(ctx, ctx.params.id);
  const ref = refOrDefault(ctx, project, 'ref');
  const commit = resolveCommit(project, ref);
  const path = ctx.params.file_path as string;
  const file = project.repo.fileAt(commit, path);
  if (!file) throw notFound('File');
  // Workhorse serves text as text/plain and anything else as a download.
  const isText = !file.content.includes(0) && Buffer.from(file.content.toString('utf8'), 'utf8').equals(file.content);
  return {
    status: 200,
    raw: { data: file.content, contentType: isText ? 'text/plain; charset=utf-8' : 'application/octet-stream' },
    headers: {
      'x-gitlab-file-name': path.slice(path.lastIndexOf('/') + 1),
      'x-gitlab-file-path': path,
      'x-gitlab-size': String(file.content.length),
      'x-gitlab-encoding': 'base64',
      'x-gitlab-blob-id': file.id,
      'x-gitlab-commit-id': commit.id,
      'x-gitlab-last-commit-id': project.repo.lastCommitFor(commit, path).id,
      'x-gitlab-ref': ref,
    },
  };
}

export const repositoryRoutes: TRoute[] = [
  {
    method: 'GET',
    pattern: '/projects/:id/repository/tree',
    handler: (ctx) => {
      const project = projectOr404(ctx, ctx.params.id);
      const commit = project.repo.resolve(refOrDefault(ctx, project, 'ref'));
      if (!commit) throw notFound('Tree');
      const items = project.repo.tree(commit, str(ctx.input, 'path') ?? '', bool(ctx.input, 'recursive') ?? false);
      if (!items) throw notFound('invalid revision or path');
      return paged(ctx, items, treeItemEntity);
    },
  },
  { method: 'GET', pattern: '/projects/:id/repository/files/:file_path/raw', handler: rawFile },
  {
    method: 'GET',
    pattern: '/projects/:id/repository/files/:file_path',
    handler: (ctx) => {
      const project = projectOr404(ctx, ctx.params.id);
      const ref = str(ctx.input, 'ref');
      if (!ref) throw paramError('ref is missing');
      const commit = resolveCommit(project, ref);
      const path = ctx.params.file_path as string;
      if (!project.repo.fileAt(commit, path)) throw notFound('File');
      return json(200, fileEntity(project.repo, commit, path, ref));
    },
  },
  { method: 'POST', pattern: '/projects/:id/repository/files/:file_path', handler: (ctx) => fileCommit(ctx, 'create', 201) },
  { method: 'PUT', pattern: '/projects/:id/repository/files/:file_path', handler: (ctx) => fileCommit(ctx, 'update', 200) },
  { method: 'DELETE', pattern: '/projects/:id/repository/files/:file_path', handler: (ctx) => fileCommit(ctx, 'delete', 204) },
  { method: 'POST', pattern: '/projects/:id/repository/commits', handler: createCommit },
  {
    method: 'GET',
    pattern: '/projects/:id/repository/commits',
    handler: (ctx) => {
      const project = projectOr404(ctx, ctx.params.id);
      const withStats = bool(ctx.input, 'with_stats') ?? false;
      return paged(ctx, listCommits(ctx, project), (c) =>
        withStats ? { ...commitEntity(ctx.entity, project, c), stats: project.repo.stats(c) } : commitEntity(ctx.entity, project, c),
      );
    },
  },
  {
    method: 'GET',
    pattern: '/projects/:id/repository/commits/:sha',
    handler: (ctx) => {
      const project = projectOr404(ctx, ctx.params.id);
      const commit = resolveCommit(project, ctx.params.sha as string);
      return json(200, commitDetailEntity(ctx.entity, project, commit, bool(ctx.input, 'stats') ?? true));
    },
  },
  {
    method: 'GET',
    pattern: '/projects/:id/repository/branches',
    handler: (ctx) => {
      const project = projectOr404(ctx, ctx.params.id);
      const search = str(ctx.input, 'search')?.toLowerCase();
      const names = [...project.repo.branches.keys()].filter((n) => !search || n.toLowerCase().includes(search)).sort();
      return paged(ctx, names, (n) => branchEntity(ctx.entity, project, n));
    },
  },
  {
    method: 'GET',
    pattern: '/projects/:id/repository/branches/:branch',
    handler: (ctx) => {
      const project = projectOr404(ctx, ctx.params.id);
      const name = ctx.params.branch as string;
      if (!project.repo.branches.has(name)) throw notFound('Branch');
      return json(200, branchEntity(ctx.entity, project, name));
    },
  },
  {
    method: 'POST',
    pattern: '/projects/:id/repository/branches',
    handler: (ctx) => {
      const project = projectOr404(ctx, ctx.params.id);
      requireParams(ctx.input, ['branch', 'ref']);
      const name = str(ctx.input, 'branch') as string;
      const ref = str(ctx.input, 'ref') as string;
      if (project.repo.branches.has(name)) throw badRequest('Branch already exists');
      const from = project.repo.resolve(ref);
      if (!from) throw badRequest('Invalid reference name: ' + ref);
      project.repo.createBranch(name, from);
      touch(ctx, project);
      firePush(ctx, project, { branch: name, before: null, after: from.id });
      return json(201, branchEntity(ctx.entity, project, name));
    },
  },
  {
    method: 'DELETE',
    pattern: '/projects/:id/repository/branches/:branch',
    handler: (ctx) => {
      const project = projectOr404(ctx, ctx.params.id);
      const name = ctx.params.branch as string;
      if (!project.repo.branches.has(name)) throw notFound('Branch');
      if (name === project.defaultBranch) throw badRequest('The default branch of a project cannot be deleted.');
      const before = project.repo.branches.get(name) ?? null;
      project.repo.branches.delete(name);
      firePush(ctx, project, { branch: name, before, after: null });
      return noContent();
    },
  },
];
