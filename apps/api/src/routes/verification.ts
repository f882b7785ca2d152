import { gradingWorkflowIds, roleSatisfies, TASK_QUEUE_TESTING, WF_VERIFY_EXAMPLE_VERSION, ZUuid, ZVerifyExampleBody } from '@computor/contracts';
import { Router } from 'express';
import type { ApiDeps } from '../deps';
import { forbidden, notFound } from '../http/errors';
import { parse } from '../http/validate';
import { startWorkflow } from '../services/workflows';

/** Verification of example versions: grade the reference solution and every localTests hand-in. */
export function verificationRoutes(deps: ApiDeps): Router {
  const { db, temporal } = deps;
  const router = Router();

  router.post('/examples/:id/versions/:version/verify', async (req, res) => {
    parse(ZVerifyExampleBody, req.body ?? {});
    const user = req.user!;
    // The example library is shared between courses: lecturers and above of any course may verify.
    if (!user.isAdmin) {
      const roles = await db.courseMember.findMany({ where: { userId: user.id, removedAt: null }, select: { role: true } });
      if (!roles.some((r) => roleSatisfies(r.role, 'lecturer'))) throw forbidden('Verifying an example requires the role lecturer or higher in some course.');
    }
    const idOrIdentifier = String(req.params.id);
    const example = ZUuid.safeParse(idOrIdentifier).success
      ? await db.example.findUnique({ where: { id: idOrIdentifier } })
      : await db.example.findUnique({ where: { identifier: idOrIdentifier } });
    if (!example) throw notFound('Example');
    const version = await db.exampleVersion.findUnique({ where: { exampleId_versionTag: { exampleId: example.id, versionTag: String(req.params.version) } } });
    if (!version) throw notFound('Example version');
    const { workflowId } = await startWorkflow(db, temporal, {
      type: WF_VERIFY_EXAMPLE_VERSION,
      workflowId: gradingWorkflowIds.verifyExampleVersion(version.id),
      taskQueue: TASK_QUEUE_TESTING,
      args: [{ exampleVersionId: version.id }],
      requestedById: user.id,
    });
    res.status(202).json({ workflow_id: workflowId, status: 'started', example_version_id: version.id });
  });

  return router;
}
