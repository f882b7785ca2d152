import { groupDetailEntity, groupEntity, basicProjectEntity, projectEntity } from '../entities';
import { badRequest, notFound } from '../errors';
import { bool, int, oneOf, requireParams, str } from '../params';
import { VISIBILITY_LEVELS, type TNamespace, type TProject, type TVisibility } from '../store';
import {
  accepted,
  byString,
  groupOr404,
  json,
  nowIso,
  paged,
  pathError,
  type TRequestContext,
  type TRoute,
} from './common';

const VISIBILITIES = ['private', 'internal', 'public'] as const;

/** Ruby's Hash#inspect of ActiveModel errors, as GitLab embeds it in "Failed to save group ..." messages. */
export function rubyErrorsInspect(errors: Record<string, string[]>): string {
  const key = (k: string) => (/^[a-z_][a-z0-9_]*$/i.test(k) ? `:${k}` : `:${JSON.stringify(k)}`);
  return `{${Object.entries(errors)
    .map(([k, v]) => `${key(k)}=>[${v.map((s) => JSON.stringify(s)).join(', ')}]`)
    .join(', ')}}`;
}

function addError(errors: Record<string, string[]>, key: string, message: string): void {
  (errors[key] ??= []).push(message);
}

export function visibilityError(child: TVisibility, parent: TNamespace): string | undefined {
  if (VISIBILITY_LEVELS[child] <= VISIBILITY_LEVELS[parent.visibility]) return undefined;
  return parent.kind === 'group'
    ? `${child} is not allowed since the parent group has a ${parent.visibility} visibility.`
    : undefined;
}

function listGroups(ctx: TRequestContext, groups: TNamespace[]): TNamespace[] {
  const search = str(ctx.input, 'search')?.toLowerCase();
  const visibility = oneOf(ctx.input, 'visibility', VISIBILITIES);
  const orderBy = oneOf(ctx.input, 'order_by', ['name', 'path', 'id', 'similarity'] as const) ?? 'name';
  const sort = oneOf(ctx.input, 'sort', ['asc', 'desc'] as const) ?? 'asc';
  const skip = new Set(
    (str(ctx.input, 'skip_groups') ?? '')
      .split(',')
      .filter(Boolean)
      .map(Number),
  );
  const owned = bool(ctx.input, 'owned') ?? false;
  const minAccess = int(ctx.input, 'min_access_level');
  let out = groups.filter((g) => !skip.has(g.id));
  if (search) {
    out = out.filter(
      (g) =>
        g.name.toLowerCase().includes(search) ||
        g.path.toLowerCase().includes(search) ||
        ctx.store.namespaceFullPath(g).toLowerCase().includes(search),
    );
  }
  if (visibility) out = out.filter((g) => g.visibility === visibility);
  if (owned || minAccess !== undefined) {
    const level = owned ? 50 : (minAccess as number);
    out = out.filter((g) => [g, ...ctx.store.ancestors(g)].some((a) => a.members.some((m) => m.userId === ctx.user.id && m.accessLevel >= level)));
  }
  const key = orderBy === 'id' ? (g: TNamespace) => g.id : orderBy === 'path' ? (g: TNamespace) => g.path.toLowerCase() : (g: TNamespace) => g.name.toLowerCase();
  return out.sort((a, b) => byString(key, sort === 'desc')(a, b) || a.id - b.id);
}

function listGroupProjects(ctx: TRequestContext, group: TNamespace): TProject[] {
  const ids = new Set([group.id]);
  if (bool(ctx.input, 'include_subgroups')) for (const id of ctx.store.descendantGroupIds(group.id)) ids.add(id);
  const search = str(ctx.input, 'search')?.toLowerCase();
  const archived = bool(ctx.input, 'archived');
  const visibility = oneOf(ctx.input, 'visibility', VISIBILITIES);
  const orderBy =
    oneOf(ctx.input, 'order_by', ['id', 'name', 'path', 'created_at', 'updated_at', 'last_activity_at', 'similarity', 'star_count'] as const) ??
    'created_at';
  const sort = oneOf(ctx.input, 'sort', ['asc', 'desc'] as const) ?? 'desc';
  let out = [...ctx.store.projects.values()].filter((p) => ids.has(p.namespaceId));
  if (search) out = out.filter((p) => p.name.toLowerCase().includes(search) || p.path.toLowerCase().includes(search));
  if (archived !== undefined) out = out.filter((p) => p.archived === archived);
  if (visibility) out = out.filter((p) => p.visibility === visibility);
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

function createGroup(ctx: TRequestContext) {
  requireParams(ctx.input, ['name', 'path']);
  const name = str(ctx.input, 'name') as string;
  const path = str(ctx.input, 'path') as string;
  const parentId = int(ctx.input, 'parent_id');
  const visibilityParam = oneOf(ctx.input, 'visibility', VISIBILITIES);
  const parent = parentId === undefined ? undefined : ctx.store.findGroup(parentId);
  if (parentId !== undefined && !parent) throw notFound('Group');

  const visibility: TVisibility = visibilityParam ?? 'private';
  const errors: Record<string, string[]> = {};
  const siblings = [...ctx.store.namespaces.values()].filter((n) => n.kind === 'group' && n.parentId === (parent?.id ?? null));
  if (parent && (siblings.some((s) => s.name.toLowerCase() === name.toLowerCase()) || ctx.store.nameHeld('group', parent.id, name))) addError(errors, 'name', 'has already been taken');
  if (pathError(path)) addError(errors, 'path', pathError(path) as string);
  else if (ctx.store.pathTaken(parent?.id ?? null, path)) addError(errors, 'path', 'has already been taken');
  if (parent) {
    const vErr = visibilityError(visibility, parent);
    if (vErr) addError(errors, 'visibility_level', vErr);
  }
  if (Object.keys(errors).length > 0) throw badRequest(`Failed to save group ${rubyErrorsInspect(errors)}`);

  const now = nowIso(ctx);
  const group: TNamespace = {
    id: ctx.store.nextId('namespace'),
    kind: 'group',
    name,
    path,
    parentId: parent?.id ?? null,
    description: str(ctx.input, 'description') ?? '',
    visibility,
    createdAt: now,
    // GitLab makes the creator an Owner of the new group.
    members: [{ userId: ctx.user.id, accessLevel: 50, createdAt: now, expiresAt: null, createdById: ctx.user.id }],
    ownerId: null,
    markedForDeletionOn: null,
  };
  ctx.store.namespaces.set(group.id, group);
  ctx.store.invalidatePaths();
  ctx.store.pruneRedirects();
  return json(201, groupDetailEntity(ctx.entity, group, true));
}

function updateGroup(ctx: TRequestContext) {
  const group = groupOr404(ctx, ctx.params.id);
  const errors: Record<string, string[]> = {};
  const name = str(ctx.input, 'name');
  const path = str(ctx.input, 'path');
  const visibility = oneOf(ctx.input, 'visibility', VISIBILITIES);
  if (path !== undefined && path !== group.path) {
    if (pathError(path)) addError(errors, 'path', pathError(path) as string);
    else if (ctx.store.pathTaken(group.parentId, path)) addError(errors, 'path', 'has already been taken');
  }
  if (visibility && group.parentId !== null) {
    const vErr = visibilityError(visibility, ctx.store.namespace(group.parentId));
    if (vErr) addError(errors, 'visibility_level', vErr);
  }
  if (Object.keys(errors).length > 0) throw badRequest(errors);
  // The group's own old path does not redirect in the API; its projects' old paths do.
  const oldProjectPaths = ctx.store.projectPathsBelow(group.id);
  if (name !== undefined) group.name = name;
  if (path !== undefined) group.path = path;
  if (visibility) group.visibility = visibility;
  const description = str(ctx.input, 'description');
  if (description !== undefined) group.description = description;
  ctx.store.addRedirects(oldProjectPaths);
  return json(200, groupDetailEntity(ctx.entity, group, true));
}

export const groupRoutes: TRoute[] = [
  {
    method: 'GET',
    pattern: '/groups',
    handler: (ctx) => {
      let groups = [...ctx.store.namespaces.values()].filter((n) => n.kind === 'group');
      if (bool(ctx.input, 'top_level_only')) groups = groups.filter((g) => g.parentId === null);
      return paged(ctx, listGroups(ctx, groups), (g) => groupEntity(ctx.entity, g));
    },
  },
  { method: 'POST', pattern: '/groups', handler: createGroup },
  {
    method: 'GET',
    pattern: '/groups/:id',
    handler: (ctx) => json(200, groupDetailEntity(ctx.entity, groupOr404(ctx, ctx.params.id), bool(ctx.input, 'with_projects') ?? true)),
  },
  { method: 'PUT', pattern: '/groups/:id', handler: updateGroup },
  {
    method: 'DELETE',
    pattern: '/groups/:id',
    handler: (ctx) => {
      const group = groupOr404(ctx, ctx.params.id);
      ctx.core.scheduleDeletion('group', group.id);
      return accepted();
    },
  },
  {
    method: 'GET',
    pattern: '/groups/:id/subgroups',
    handler: (ctx) => {
      const group = groupOr404(ctx, ctx.params.id);
      return paged(ctx, listGroups(ctx, ctx.store.subgroups(group.id)), (g) => groupEntity(ctx.entity, g));
    },
  },
  {
    method: 'GET',
    pattern: '/groups/:id/descendant_groups',
    handler: (ctx) => {
      const group = groupOr404(ctx, ctx.params.id);
      const all = ctx.store.descendantGroupIds(group.id).map((id) => ctx.store.namespace(id));
      return paged(ctx, listGroups(ctx, all), (g) => groupEntity(ctx.entity, g));
    },
  },
  {
    method: 'GET',
    pattern: '/groups/:id/projects',
    handler: (ctx) => {
      const group = groupOr404(ctx, ctx.params.id);
      const simple = bool(ctx.input, 'simple') ?? false;
      return paged(ctx, listGroupProjects(ctx, group), (p) => (simple ? basicProjectEntity(ctx.entity, p) : projectEntity(ctx.entity, p)));
    },
  },
];
