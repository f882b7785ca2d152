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
      const rows = await deps.db.courseMember.findMany({
        where: { userId: user.id, removedAt: null },
        select: { courseId: true, role: true, gitlabProjectId: true, gitlabProjectPath: true, gitlabProjectWebUrl: true, gitlabProjectHttpUrl: true },
      });
      const memberships = rows.map((m) => ({
        courseId: m.courseId,
        role: m.role,
        repository: m.gitlabProjectId && m.gitlabProjectPath ? { projectId: m.gitlabProjectId, path: m.gitlabProjectPath, webUrl: m.gitlabProjectWebUrl, httpUrl: m.gitlabProjectHttpUrl } : null,
      }));
      res.json({ ...user, memberships });
    },
  }),
];
