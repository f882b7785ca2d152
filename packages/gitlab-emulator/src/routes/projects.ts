import { basicProjectEntity, projectEntity, projectWithAccessEntity, protectedBranchEntity } from '../entities';
import { ApiError, badRequest, conflict, forbidden, notFound, paramError, recordNotFound } from '../errors';
import { keysetPaginate } from '../pagination';
import { bool, int, oneOf, str } from '../params';
import { Repository } from '../repository';
import { VISIBILITY_LEVELS, type TNamespace, type TProject, type TProtectedBranch, type TVisibility } from '../store';
import {
  accepted,
  byString,
  json,
  noContent,
  nowIso,
  paged,
  pathError,
  pathFromName,
  projectOr404,
  touch,
  type TRequestContext,
  type TRoute,
} from './common';
import { accessLevel } from './access';

const VISIBILITIES = ['private', 'internal', 'public'] as const;
const VISIBILITY_BY_LEVEL: Record<number, TVisibility> = { 0: 'private', 10: 'internal', 20: 'public' };
const PROTECT_LEVELS = [0, 30, 40, 60];

interface TProjectErrors {
  name?: string[];
  path?: string[];
  'project_namespace.name'?: string[];
  visibility_level?: string[];
}

function validateNewProject(ctx: TRequestContext, ns: TNamespace, name: string, path: string, visibility: TVisibility): TProjectErrors {
  const errors: TProjectErrors = {};
  const siblings = ctx.store.projectsIn(ns.id);
  const nameTaken = siblings.some((p) => p.name.toLowerCase() === name.toLowerCase()) || ctx.store.nameHeld('project', ns.id, name);
  if (nameTaken) errors.name = ['has already been taken'];
  if (pathError(path)) errors.path = [pathError(path) as string];
  else if (ctx.store.pathTaken(ns.id, path)) errors.path = ['has already been taken'];
  if (nameTaken) errors['project_namespace.name'] = ['has already been taken'];
  if (ns.kind === 'group' && VISIBILITY_LEVELS[visibility] > VISIBILITY_LEVELS[ns.visibility]) {
    errors.visibility_level = [`${visibility} is not allowed in a ${ns.visibility} group.`];
  }
  return errors;
}

// ActiveModel full_messages, which the fork endpoint returns in its 409 body.
function fullMessages(errors: TProjectErrors): string[] {
  const human: Record<string, string> = {
    name: 'Name',
    path: 'Path',
    'project_namespace.name': 'Project namespace name',
    visibility_level: 'Visibility level',
  };
  return Object.entries(errors).flatMap(([k, msgs]) => (msgs as string[]).map((m) => `${human[k] ?? k} ${m}`));
}

function userNamespace(ctx: TRequestContext): TNamespace {
  return ctx.store.namespace(ctx.user.namespaceId);
}

export function newProject(ctx: TRequestContext, attrs: Omit<TProject, 'id' | 'createdAt' | 'lastActivityAt' | 'members' | 'protectedBranches' | 'repo' | 'archived' | 'markedForDeletionOn' | 'creatorId'>): TProject {
  const now = nowIso(ctx);
  const ns = ctx.store.namespace(attrs.namespaceId);
  const project: TProject = {
    id: ctx.store.nextId('project'),
    ...attrs,
    createdAt: now,
    lastActivityAt: now,
    creatorId: ctx.user.id,
    archived: false,
    markedForDeletionOn: null,
    // Personal projects get their owner as a direct Owner; group projects inherit the group's members.
    members:
      ns.kind === 'user' && ns.ownerId !== null
        ? [{ userId: ns.ownerId, accessLevel: 50, createdAt: now, expiresAt: null, createdById: ctx.user.id }]
        : [],
    protectedBranches: [],
    repo: new Repository(),
  };
  ctx.store.projects.set(project.id, project);
  ctx.store.invalidatePaths();
  ctx.store.pruneRedirects();
  return project;
}

function createProject(ctx: TRequestContext) {
  let name = str(ctx.input, 'name');
  let path = str(ctx.input, 'path');
  if (!name && !path) throw paramError('name, path are missing, at least one parameter must be provided');
  if (!path) path = pathFromName(name as string);
  if (!name) name = path;
  const namespaceId = int(ctx.input, 'namespace_id');
  const ns = namespaceId === undefined ? userNamespace(ctx) : ctx.store.namespaces.get(namespaceId);
  if (!ns) throw badRequest({ namespace: ['is not valid'] });
  const visibility = oneOf(ctx.input, 'visibility', VISIBILITIES) ?? 'private';
  const errors = validateNewProject(ctx, ns, name, path, visibility);
  if (Object.keys(errors).length > 0) throw badRequest(errors);

  const withReadme = bool(ctx.input, 'initialize_with_readme') ?? false;
  const project = newProject(ctx, {
    name,
    path,
    namespaceId: ns.id,
    description: str(ctx.input, 'description') ?? '',
    visibility,
    defaultBranch: (withReadme ? str(ctx.input, 'default_branch') : undefined) ?? 'main',
    forkedFromId: null,
    importStatus: 'none',
    importError: null,
    forkingAccessLevel: oneOf(ctx.input, 'forking_access_level', ['enabled', 'private', 'disabled'] as const) ?? 'enabled',
  });
  if (withReadme) {
    project.repo.commit({
      branch: project.defaultBranch,
      message: 'Initial commit',
      actions: [{ action: 'create', filePath: 'README.md', content: `# ${name}\n\n${project.description}\n` }],
      authorName: ctx.user.name,
      authorEmail: ctx.user.email,
      committerName: ctx.user.name,
      committerEmail: ctx.user.email,
      now: nowIso(ctx),
    });
    ctx.store.protectDefaultBranch(project);
  }
  return json(201, projectEntity(ctx.entity, project));
}


function updateProject(ctx: TRequestContext) {
  const project = projectOr404(ctx, ctx.params.id);
  const name = str(ctx.input, 'name');
  const path = str(ctx.input, 'path');
  const visibility = oneOf(ctx.input, 'visibility', VISIBILITIES);
  const defaultBranch = str(ctx.input, 'default_branch');
  const ns = ctx.store.namespace(project.namespaceId);
  const errors: TProjectErrors = {};
  if (name !== undefined && name.toLowerCase() !== project.name.toLowerCase() && ctx.store.projectsIn(ns.id).some((p) => p.name.toLowerCase() === name.toLowerCase())) {
    errors.name = ['has already been taken'];
  }
  if (path !== undefined && path.toLowerCase() !== project.path.toLowerCase()) {
    if (pathError(path)) errors.path = [pathError(path) as string];
    else if (ctx.store.pathTaken(ns.id, path)) errors.path = ['has already been taken'];
  }
  if (visibility && ns.kind === 'group' && VISIBILITY_LEVELS[visibility] > VISIBILITY_LEVELS[ns.visibility]) {
    errors.visibility_level = [`${visibility} is not allowed in a ${ns.visibility} group.`];
  }
  if (Object.keys(errors).length > 0) throw badRequest(errors);
  if (defaultBranch !== undefined && !project.repo.isEmpty() && !project.repo.branches.has(defaultBranch)) {
    throw badRequest("Could not change HEAD: branch '" + defaultBranch + "' does not exist");
  }
  const oldPath = ctx.store.projectFullPath(project).toLowerCase();
  if (name !== undefined) project.name = name;
  if (path !== undefined) project.path = path;
  if (visibility) project.visibility = visibility;
  if (defaultBranch !== undefined) project.defaultBranch = defaultBranch;
  const description = str(ctx.input, 'description');
  if (description !== undefined) project.description = description;
  const forking = oneOf(ctx.input, 'forking_access_level', ['enabled', 'private', 'disabled'] as const);
  if (forking) project.forkingAccessLevel = forking;
  const archived = bool(ctx.input, 'archived');
  if (archived !== undefined) project.archived = archived;
  touch(ctx, project);
  ctx.store.addRedirects([[oldPath, project.id]]);
  return json(200, projectEntity(ctx.entity, project));
}

// POST /projects/:id/archive|unarchive (lib/api/projects.rb): Maintainer+, 201 with the project.
function setArchived(archived: boolean) {
  return (ctx: TRequestContext) => {
    const project = projectOr404(ctx, ctx.params.id);
    if (!ctx.user.isAdmin && accessLevel(ctx, project) < 40) throw forbidden();
    project.archived = archived;
    touch(ctx, project);
    return json(201, projectEntity(ctx.entity, project));
  };
}

function forkProject(ctx: TRequestContext) {
  const sourceProject = projectOr404(ctx, ctx.params.id);
  // GitLab answers `not_found!` when the user may not fork (forking disabled on the project).
  if (ctx.core.config.fork.disabled || sourceProject.forkingAccessLevel === 'disabled') throw notFound();

  let ns: TNamespace | undefined;
  const namespaceId = int(ctx.input, 'namespace_id');
  const namespacePath = str(ctx.input, 'namespace_path');
  const namespaceLegacy = str(ctx.input, 'namespace');
  if (namespaceId !== undefined) ns = ctx.store.namespaces.get(namespaceId);
  else if (namespacePath) ns = ctx.store.findNamespace(namespacePath);
  else if (namespaceLegacy) ns = ctx.store.findNamespace(namespaceLegacy);
  else ns = userNamespace(ctx);
  if (!ns) throw notFound('Namespace');

  const name = str(ctx.input, 'name') ?? sourceProject.name;
  const path = str(ctx.input, 'path') ?? sourceProject.path;
  const requested = oneOf(ctx.input, 'visibility', VISIBILITIES);
  let level = Math.min(VISIBILITY_LEVELS[sourceProject.visibility], VISIBILITY_LEVELS[ns.visibility]);
  if (requested) level = Math.min(level, VISIBILITY_LEVELS[requested]);
  const visibility = VISIBILITY_BY_LEVEL[level] as TVisibility;
  const errors = validateNewProject(ctx, ns, name, path, visibility);
  if (Object.keys(errors).length > 0) throw conflict(fullMessages(errors));

  const fork = newProject(ctx, {
    name,
    path,
    namespaceId: ns.id,
    description: str(ctx.input, 'description') ?? sourceProject.description,
    visibility,
    defaultBranch: sourceProject.defaultBranch,
    forkedFromId: sourceProject.id,
    importStatus: 'scheduled',
    importError: null,
    forkingAccessLevel: sourceProject.forkingAccessLevel,
  });
  ctx.core.scheduleForkImport(fork, sourceProject);
  return json(201, projectEntity(ctx.entity, fork));
}

function listProjects(ctx: TRequestContext): TProject[] {
  const search = str(ctx.input, 'search')?.toLowerCase();
  const orderBy =
    oneOf(ctx.input, 'order_by', ['id', 'name', 'path', 'created_at', 'updated_at', 'last_activity_at', 'similarity', 'star_count'] as const) ??
    'created_at';
  const sort = oneOf(ctx.input, 'sort', ['asc', 'desc'] as const) ?? 'desc';
  const visibility = oneOf(ctx.input, 'visibility', VISIBILITIES);
  const membership = bool(ctx.input, 'membership') ?? false;
  const owned = bool(ctx.input, 'owned') ?? false;
  let out = [...ctx.store.projects.values()];
  if (search) {
    const withNs = bool(ctx.input, 'search_namespaces') ?? false;
    out = out.filter(
      (p) =>
        p.name.toLowerCase().includes(search) ||
        p.path.toLowerCase().includes(search) ||
        (withNs && ctx.store.projectFullPath(p).toLowerCase().includes(search)),
    );
  }
  if (visibility) out = out.filter((p) => p.visibility === visibility);
  if (membership || owned) {
    const level = owned ? 50 : 1;
    out = out.filter((p) => {
      if (p.members.some((m) => m.userId === ctx.user.id && m.accessLevel >= level)) return true;
      const ns = ctx.store.namespace(p.namespaceId);
      if (owned) return ns.kind === 'user' && ns.ownerId === ctx.user.id;
      return [ns, ...ctx.store.ancestors(ns)].some((g) => g.members.some((m) => m.userId === ctx.user.id));
    });
  }
  const key =
    orderBy === 'name'
      ? (p: TProject) => p.name.toLowerCase()
      : orderBy === 'path'
        ? (p: TProject) => p.path.toLowerCase()
        : orderBy === 'updated_at' || orderBy === 'last_activity_at'
          ? (p: TProject) => p.lastActivityAt
          : orderBy === 'created_at'
            ? (p: TProject) => p.createdAt
            : (p: TProject) => p.id;
  return out.sort((a, b) => byString(key, sort === 'desc')(a, b) || (sort === 'desc' ? b.id - a.id : a.id - b.id));
}

function protectedBranchOr404(project: TProject, name: string | undefined): TProtectedBranch {
  const b = project.protectedBranches.find((x) => x.name === name);
  if (!b) throw recordNotFound();
  return b;
}

function protectLevel(ctx: TRequestContext, key: string, fallback: number): number {
  const v = int(ctx.input, key);
  if (v === undefined) return fallback;
  if (!PROTECT_LEVELS.includes(v)) throw paramError(`${key} does not have a valid value`);
  return v;
}

function protectBranch(ctx: TRequestContext) {
  const project = projectOr404(ctx, ctx.params.id);
  const name = str(ctx.input, 'name');
  if (!name) throw paramError('name is missing');
  if (project.protectedBranches.some((b) => b.name === name)) throw conflict(`Protected branch '${name}' already exists`);
  const branch: TProtectedBranch = {
    id: ctx.store.nextId('protectedBranch'),
    name,
    pushAccessLevel: protectLevel(ctx, 'push_access_level', 40),
    mergeAccessLevel: protectLevel(ctx, 'merge_access_level', 40),
    unprotectAccessLevel: int(ctx.input, 'unprotect_access_level') === undefined ? null : protectLevel(ctx, 'unprotect_access_level', 40),
    allowForcePush: bool(ctx.input, 'allow_force_push') ?? false,
    codeOwnerApprovalRequired: bool(ctx.input, 'code_owner_approval_required') ?? false,
  };
  project.protectedBranches.push(branch);
  return json(201, protectedBranchEntity(branch));
}

export const projectRoutes: TRoute[] = [
  {
    method: 'GET',
    pattern: '/projects',
    handler: (ctx) => {
      const simple = bool(ctx.input, 'simple') ?? false;
      const map = (p: TProject) => (simple ? basicProjectEntity(ctx.entity, p) : projectEntity(ctx.entity, p));
      if (str(ctx.input, 'pagination') === 'keyset') {
        // GitLab supports keyset pagination of projects only for some orders; the emulator for id.
        if ((str(ctx.input, 'order_by') ?? 'id') !== 'id') throw new ApiError(405, { message: '405 Method Not Allowed - Keyset pagination is not supported for this order' });
        const desc = (str(ctx.input, 'sort') ?? 'desc') === 'desc';
        const page = keysetPaginate(ctx.req, ctx.requestBaseUrl, ctx.input, listProjects({ ...ctx, input: { ...ctx.input, order_by: 'id' } }), desc);
        return json(200, page.items.map(map), page.headers);
      }
      return paged(ctx, listProjects(ctx), map);
    },
  },
  { method: 'POST', pattern: '/projects', handler: createProject },
  { method: 'GET', pattern: '/projects/:id', handler: (ctx) => json(200, projectWithAccessEntity(ctx.entity, projectOr404(ctx, ctx.params.id))) },
  { method: 'PUT', pattern: '/projects/:id', handler: updateProject },
  {
    method: 'DELETE',
    pattern: '/projects/:id',
    handler: (ctx) => {
      const project = projectOr404(ctx, ctx.params.id);
      ctx.core.scheduleDeletion('project', project.id);
      return accepted();
    },
  },
  { method: 'POST', pattern: '/projects/:id/fork', handler: forkProject },
  { method: 'POST', pattern: '/projects/:id/archive', handler: setArchived(true) },
  { method: 'POST', pattern: '/projects/:id/unarchive', handler: setArchived(false) },
  {
    method: 'GET',
    pattern: '/projects/:id/forks',
    handler: (ctx) => {
      const project = projectOr404(ctx, ctx.params.id);
      const forks = [...ctx.store.projects.values()].filter((p) => p.forkedFromId === project.id).sort((a, b) => b.id - a.id);
      return paged(ctx, forks, (p) => projectEntity(ctx.entity, p));
    },
  },
  {
    method: 'GET',
    pattern: '/projects/:id/protected_branches',
    handler: (ctx) => {
      const project = projectOr404(ctx, ctx.params.id);
      const search = str(ctx.input, 'search');
      const list = project.protectedBranches.filter((b) => !search || b.name.includes(search));
      return paged(ctx, list, protectedBranchEntity);
    },
  },
  {
    method: 'GET',
    pattern: '/projects/:id/protected_branches/:name',
    handler: (ctx) => json(200, protectedBranchEntity(protectedBranchOr404(projectOr404(ctx, ctx.params.id), ctx.params.name))),
  },
  { method: 'POST', pattern: '/projects/:id/protected_branches', handler: protectBranch },
  {
    method: 'PATCH',
    pattern: '/projects/:id/protected_branches/:name',
    handler: (ctx) => {
      const branch = protectedBranchOr404(projectOr404(ctx, ctx.params.id), ctx.params.name);
      const force = bool(ctx.input, 'allow_force_push');
      if (force !== undefined) branch.allowForcePush = force;
      const owners = bool(ctx.input, 'code_owner_approval_required');
      if (owners !== undefined) branch.codeOwnerApprovalRequired = owners;
      return json(200, protectedBranchEntity(branch));
    },
  },
  {
    method: 'DELETE',
    pattern: '/projects/:id/protected_branches/:name',
    handler: (ctx) => {
      const project = projectOr404(ctx, ctx.params.id);
      const branch = protectedBranchOr404(project, ctx.params.name);
      project.protectedBranches = project.protectedBranches.filter((b) => b !== branch);
      return noContent();
    },
  },
];
