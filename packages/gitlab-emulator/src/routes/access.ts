import { forbidden, notFound } from '../errors';
import type { TProject } from '../store';
import type { TRequestContext } from './common';

// GitLab's project permissions, for the routes that model them (archive, hooks); most older
// routes still let any token through (README: Known differences).

/** The caller's effective access level on a project: direct or inherited from its groups. */
export function accessLevel(ctx: TRequestContext, project: TProject): number {
  let level = project.members.find((m) => m.userId === ctx.user.id)?.accessLevel ?? 0;
  const ns = ctx.store.namespace(project.namespaceId);
  if (ns.kind === 'user' && ns.ownerId === ctx.user.id) level = Math.max(level, 50);
  for (const g of [ns, ...ctx.store.ancestors(ns)]) {
    const m = g.members.find((x) => x.userId === ctx.user.id);
    if (m) level = Math.max(level, m.accessLevel);
  }
  return level;
}

/** `find_project!`: the project when the caller may see it, else 404 (GitLab hides what you cannot read). */
export function readableProjectOr404(ctx: TRequestContext, id: string | undefined): TProject {
  const project = id === undefined ? undefined : ctx.store.findProject(id);
  if (!project) throw notFound('Project');
  if (ctx.user.isAdmin || project.visibility !== 'private' || accessLevel(ctx, project) >= 10) return project;
  throw notFound('Project');
}

/** `authorize_read_code!`: Reporter or more in private projects, any signed-in user in internal and public ones. */
export function authorizeReadCode(ctx: TRequestContext, project: TProject): void {
  if (ctx.user.isAdmin || project.visibility !== 'private' || accessLevel(ctx, project) >= 20) return;
  throw forbidden();
}

/** `authorize_admin_project`: Maintainer or more (hooks, settings). */
export function authorizeAdminProject(ctx: TRequestContext, project: TProject): void {
  if (ctx.user.isAdmin || accessLevel(ctx, project) >= 40) return;
  throw forbidden();
}
