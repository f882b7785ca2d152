import { Router } from 'express';
import type { ApiDeps } from '../deps';

export function meRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.get('/me', async (req, res) => {
    const memberships = await deps.db.courseMember.findMany({
      where: { userId: req.user!.id, removedAt: null },
      select: { courseId: true, role: true },
    });
    res.json({ ...req.user, memberships });
  });
  return router;
}
