import { userBasicEntity, userEntity } from '../entities';
import { conflict, notFound, paramError } from '../errors';
import { bool, int, oneOf, requireParams, str } from '../params';
import type { TUser } from '../store';
import { byString, json, paged, requireAdmin, type TRequestContext, type TRoute } from './common';

function listUsers(ctx: TRequestContext): TUser[] {
  const username = str(ctx.input, 'username')?.toLowerCase();
  const search = str(ctx.input, 'search')?.toLowerCase();
  const orderBy = oneOf(ctx.input, 'order_by', ['id', 'name', 'username', 'created_at', 'updated_at'] as const) ?? 'id';
  const sort = oneOf(ctx.input, 'sort', ['asc', 'desc'] as const) ?? 'desc';
  let users = [...ctx.store.users.values()];
  if (username) users = users.filter((u) => u.username.toLowerCase() === username);
  if (search) {
    // Non-admins only match e-mail addresses exactly; admins match them partially.
    users = users.filter(
      (u) =>
        u.username.toLowerCase().includes(search) ||
        u.name.toLowerCase().includes(search) ||
        (ctx.user.isAdmin ? u.email.toLowerCase().includes(search) : u.email.toLowerCase() === search),
    );
  }
  if (bool(ctx.input, 'active')) users = users.filter((u) => u.state === 'active');
  if (bool(ctx.input, 'blocked')) users = users.filter((u) => u.state === 'blocked');
  const key = orderBy === 'name' ? (u: TUser) => u.name.toLowerCase() : orderBy === 'username' ? (u: TUser) => u.username.toLowerCase() : orderBy === 'id' ? (u: TUser) => u.id : (u: TUser) => u.createdAt;
  return users.sort((a, b) => byString(key, sort === 'desc')(a, b) || a.id - b.id);
}

function createUser(ctx: TRequestContext) {
  requireAdmin(ctx);
  requireParams(ctx.input, ['email', 'name', 'username']);
  if (ctx.input.password === undefined && !bool(ctx.input, 'reset_password') && !bool(ctx.input, 'force_random_password')) {
    throw paramError('password, reset_password, force_random_password are missing, at least one parameter must be provided');
  }
  const email = str(ctx.input, 'email') as string;
  const username = str(ctx.input, 'username') as string;
  if ([...ctx.store.users.values()].some((u) => u.email.toLowerCase() === email.toLowerCase())) throw conflict('Email has already been taken');
  if (ctx.store.findUser(username) || ctx.store.pathTaken(null, username)) throw conflict('Username has already been taken');
  const user = ctx.core.createUser({ username, name: str(ctx.input, 'name') as string, email, isAdmin: bool(ctx.input, 'admin') ?? false });
  return json(201, userEntity(ctx.entity, user, false));
}

export const userRoutes: TRoute[] = [
  {
    method: 'GET',
    pattern: '/users',
    handler: (ctx) => paged(ctx, listUsers(ctx), (u) => (ctx.user.isAdmin ? userEntity(ctx.entity, u, false) : userBasicEntity(ctx.entity, u))),
  },
  { method: 'POST', pattern: '/users', handler: createUser },
  {
    method: 'GET',
    pattern: '/users/:id',
    handler: (ctx) => {
      const id = int(ctx.params, 'id');
      const user = id === undefined ? undefined : ctx.store.users.get(id);
      if (!user) throw notFound('User');
      return json(200, userEntity(ctx.entity, user, user.id === ctx.user.id));
    },
  },
  { method: 'GET', pattern: '/user', handler: (ctx) => json(200, userEntity(ctx.entity, ctx.user, true)) },
];
