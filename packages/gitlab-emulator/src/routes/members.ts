import { memberEntity } from '../entities';
import { ApiError, badRequest, conflict, notFound, paramError, recordNotFound } from '../errors';
import { int, str } from '../params';
import type { TMember, TNamespace, TProject } from '../store';
import { groupOr404, json, noContent, nowIso, paged, projectOr404, type TRequestContext, type TRoute } from './common';

const HUMAN_ACCESS: Record<number, string> = { 5: 'Minimal Access', 10: 'Guest', 15: 'Planner', 20: 'Reporter', 30: 'Developer', 40: 'Maintainer', 50: 'Owner' };
const GROUP_LEVELS = [5, 10, 15, 20, 30, 40, 50];
const PROJECT_LEVELS = [10, 15, 20, 30, 40, 50];

type TSourceKind = 'groups' | 'projects';

interface TSource {
  kind: TSourceKind;
  members: TMember[];
  // Groups whose members this source inherits, nearest first.
  inheritedFrom: TNamespace[];
}

function source(ctx: TRequestContext, kind: TSourceKind): TSource {
  if (kind === 'groups') {
    const g = groupOr404(ctx, ctx.params.id);
    return { kind, members: g.members, inheritedFrom: ctx.store.ancestors(g) };
  }
  const p: TProject = projectOr404(ctx, ctx.params.id);
  const ns = ctx.store.namespace(p.namespaceId);
  return { kind, members: p.members, inheritedFrom: ns.kind === 'group' ? [ns, ...ctx.store.ancestors(ns)] : [] };
}

function allMembers(src: TSource): TMember[] {
  const best = new Map<number, TMember>();
  for (const list of [src.members, ...src.inheritedFrom.map((g) => g.members)]) {
    for (const m of list) {
      const cur = best.get(m.userId);
      if (!cur || m.accessLevel > cur.accessLevel) best.set(m.userId, m);
    }
  }
  return [...best.values()];
}

function filterMembers(ctx: TRequestContext, members: TMember[]): TMember[] {
  const query = str(ctx.input, 'query')?.toLowerCase();
  const ids = str(ctx.input, 'user_ids')?.split(',').filter(Boolean).map(Number);
  const skip = new Set(str(ctx.input, 'skip_users')?.split(',').filter(Boolean).map(Number) ?? []);
  return members
    .filter((m) => !skip.has(m.userId))
    .filter((m) => !ids || ids.includes(m.userId))
    .filter((m) => {
      if (!query) return true;
      const u = ctx.store.users.get(m.userId);
      return Boolean(u && (u.username.toLowerCase().includes(query) || u.name.toLowerCase().includes(query) || u.email.toLowerCase() === query));
    })
    .sort((a, b) => a.userId - b.userId);
}

function validateLevel(kind: TSourceKind, level: number): void {
  if (!(kind === 'groups' ? GROUP_LEVELS : PROJECT_LEVELS).includes(level)) {
    throw badRequest({ access_level: ['is not included in the list'] });
  }
}

function inheritedFloor(src: TSource, userId: number): { level: number; group: TNamespace } | undefined {
  let floor: { level: number; group: TNamespace } | undefined;
  for (const g of src.inheritedFrom) {
    const m = g.members.find((x) => x.userId === userId);
    if (m && (!floor || m.accessLevel > floor.level)) floor = { level: m.accessLevel, group: g };
  }
  return floor;
}

function checkInherited(src: TSource, userId: number, level: number): void {
  const floor = inheritedFloor(src, userId);
  if (floor && level < floor.level) {
    throw badRequest({
      access_level: [`should be greater than or equal to ${HUMAN_ACCESS[floor.level] ?? floor.level} inherited membership from group ${floor.group.name}`],
    });
  }
}

function addMember(ctx: TRequestContext, kind: TSourceKind) {
  const src = source(ctx, kind);
  if (ctx.input.access_level === undefined || ctx.input.access_level === '') throw paramError('access_level is missing');
  const level = int(ctx.input, 'access_level') as number;
  const userIdRaw = str(ctx.input, 'user_id');
  const username = str(ctx.input, 'username');
  if (userIdRaw !== undefined && username !== undefined) throw paramError('user_id, username are mutually exclusive');
  if (userIdRaw === undefined && username === undefined) throw paramError('user_id, username are missing, at least one parameter must be provided');

  const refs = (userIdRaw ?? username ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (refs.length > 1) {
    // Bulk adds answer with a status object instead of a member, as GitLab does.
    const errors: Record<string, string> = {};
    for (const ref of refs) {
      const user = ctx.store.findUser(ref);
      if (!user) {
        errors[ref] = 'User not found.';
        continue;
      }
      try {
        validateLevel(kind, level);
        checkInherited(src, user.id, level);
      } catch (e) {
        errors[ref] = e instanceof ApiError ? JSON.stringify(e.body.message) : String(e);
        continue;
      }
      const existing = src.members.find((m) => m.userId === user.id);
      if (existing) existing.accessLevel = level;
      else src.members.push({ userId: user.id, accessLevel: level, createdAt: nowIso(ctx), expiresAt: null, createdById: ctx.user.id });
    }
    return json(201, Object.keys(errors).length > 0 ? { status: 'error', message: errors } : { status: 'success' });
  }

  const user = ctx.store.findUser(refs[0] ?? '');
  if (!user) throw notFound('User');
  if (src.members.some((m) => m.userId === user.id)) throw conflict('Member already exists');
  validateLevel(kind, level);
  checkInherited(src, user.id, level);
  const member: TMember = {
    userId: user.id,
    accessLevel: level,
    createdAt: nowIso(ctx),
    expiresAt: str(ctx.input, 'expires_at') ?? null,
    createdById: ctx.user.id,
  };
  src.members.push(member);
  return json(201, memberEntity(ctx.entity, member));
}

function editMember(ctx: TRequestContext, kind: TSourceKind) {
  const src = source(ctx, kind);
  const userId = int(ctx.params, 'user_id') as number;
  if (ctx.input.access_level === undefined || ctx.input.access_level === '') throw paramError('access_level is missing');
  const member = src.members.find((m) => m.userId === userId);
  if (!member) throw recordNotFound();
  const level = int(ctx.input, 'access_level') as number;
  validateLevel(kind, level);
  checkInherited(src, userId, level);
  member.accessLevel = level;
  const expires = str(ctx.input, 'expires_at');
  if (expires !== undefined) member.expiresAt = expires;
  return json(200, memberEntity(ctx.entity, member));
}

function routesFor(kind: TSourceKind): TRoute[] {
  const base = `/${kind}/:id/members`;
  return [
    { method: 'GET', pattern: base, handler: (ctx) => paged(ctx, filterMembers(ctx, source(ctx, kind).members), (m) => memberEntity(ctx.entity, m)) },
    { method: 'GET', pattern: `${base}/all`, handler: (ctx) => paged(ctx, filterMembers(ctx, allMembers(source(ctx, kind))), (m) => memberEntity(ctx.entity, m)) },
    {
      method: 'GET',
      pattern: `${base}/all/:user_id`,
      handler: (ctx) => {
        const userId = int(ctx.params, 'user_id');
        const m = allMembers(source(ctx, kind)).find((x) => x.userId === userId);
        if (!m) throw recordNotFound();
        return json(200, memberEntity(ctx.entity, m));
      },
    },
    {
      method: 'GET',
      pattern: `${base}/:user_id`,
      handler: (ctx) => {
        const userId = int(ctx.params, 'user_id');
        const m = source(ctx, kind).members.find((x) => x.userId === userId);
        if (!m) throw recordNotFound();
        return json(200, memberEntity(ctx.entity, m));
      },
    },
    { method: 'POST', pattern: base, handler: (ctx) => addMember(ctx, kind) },
    { method: 'PUT', pattern: `${base}/:user_id`, handler: (ctx) => editMember(ctx, kind) },
    {
      method: 'DELETE',
      pattern: `${base}/:user_id`,
      handler: (ctx) => {
        const src = source(ctx, kind);
        const userId = int(ctx.params, 'user_id');
        const i = src.members.findIndex((m) => m.userId === userId);
        if (i < 0) throw recordNotFound();
        src.members.splice(i, 1);
        return noContent();
      },
    },
  ];
}

export const memberRoutes: TRoute[] = [...routesFor('groups'), ...routesFor('projects')];
