import type { IncomingMessage } from 'node:http';
import type { EmulatorCore } from '../emulator';
import type { TEntityContext } from '../entities';
import { forbidden, notFound } from '../errors';
import { paginate } from '../pagination';
import type { TInput } from '../params';
import type { Store, TNamespace, TProject, TUser } from '../store';

export interface TRequestContext {
  core: EmulatorCore;
  store: Store;
  user: TUser;
  params: Record<string, string>;
  input: TInput;
  req: IncomingMessage;
  entity: TEntityContext;
  // Base URL the client used, for Link headers it can follow.
  requestBaseUrl: string;
}

export interface TResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  // A non-JSON body (raw file content).
  raw?: { data: Buffer; contentType: string };
}

export type THandler = (ctx: TRequestContext) => TResult | Promise<TResult>;

export interface TRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  pattern: string;
  handler: THandler;
}

export function json(status: number, body: unknown, headers?: Record<string, string>): TResult {
  return { status, body, headers };
}

export function noContent(): TResult {
  return { status: 204 };
}

export function accepted(): TResult {
  return json(202, { message: '202 Accepted' });
}

export function paged<T>(ctx: TRequestContext, all: T[], map: (item: T) => unknown): TResult {
  const page = paginate(ctx.req, ctx.requestBaseUrl, ctx.input, all);
  return json(200, page.items.map(map), page.headers);
}

export function requireAdmin(ctx: TRequestContext): void {
  if (!ctx.user.isAdmin) throw forbidden();
}

export function groupOr404(ctx: TRequestContext, id: string | number | undefined): TNamespace {
  const g = id === undefined ? undefined : ctx.store.findGroup(id);
  if (!g) throw notFound('Group');
  return g;
}

export function projectOr404(ctx: TRequestContext, id: string | number | undefined): TProject {
  const p = id === undefined ? undefined : ctx.store.findProject(id);
  if (!p) throw notFound('Project');
  return p;
}

export function nowIso(ctx: TRequestContext): string {
  return new Date(ctx.core.now()).toISOString();
}

export function touch(ctx: TRequestContext, p: TProject): void {
  p.lastActivityAt = nowIso(ctx);
}

export function byString<T>(key: (t: T) => string | number, desc = false): (a: T, b: T) => number {
  return (a, b) => {
    const x = key(a);
    const y = key(b);
    const r = x < y ? -1 : x > y ? 1 : 0;
    return desc ? -r : r;
  };
}

// GitLab's path rules for groups and projects (Gitlab::PathRegex, and Gitlab::Regex's
// oci_repository_path_regex that new and changed paths must also match).
const PATH_REGEX = /^[a-zA-Z0-9_.][a-zA-Z0-9_\-.]*$/;
const SLUG_REGEX = /^[a-zA-Z0-9]+(?:[._-][a-zA-Z0-9]+)*$/;
export const PATH_MESSAGE =
  "can contain only letters, digits, '_', '-' and '.'. Cannot start with '-', end in '.git' or end in '.atom'";
export const SLUG_MESSAGE = 'must not start or end with a special character and must not contain consecutive special characters.';

/** The first rule a new group or project path breaks, as GitLab words it, or null when it is valid. */
export function pathError(path: string): string | null {
  if (!PATH_REGEX.test(path) || /\.(git|atom)$/i.test(path)) return PATH_MESSAGE;
  if (!SLUG_REGEX.test(path)) return SLUG_MESSAGE;
  return null;
}

export function validPath(path: string): boolean {
  return pathError(path) === null;
}

/** GitLab's `parameterize` for a path derived from a name: runs of other characters become one '-'. */
export function pathFromName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
