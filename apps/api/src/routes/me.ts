import { ANY_USER, json, route } from '../http/route';
import { ZMeView } from '../openapi/responses';

export const meRoutes = [
  route({
    method: 'get',
    path: '/me',
    operationId: 'getMe',
    access: ANY_USER,
    tag: 'users',
    summary: 'The caller and their course memberships',
    responses: { 200: json('The caller.', ZMeView) },
    handler: async ({ res, deps, user }) => {
      const memberships = await deps.db.courseMember.findMany({ where: { userId: user.id, removedAt: null }, select: { courseId: true, role: true } });
      res.json({ ...user, memberships });
    },
  }),
];
