import { gradingWorkflowIds, TASK_QUEUE_TESTING, WF_VERIFY_EXAMPLE_VERSION, ZVerifyExampleBody } from '@computor/contracts';
import { Router } from 'express';
import type { ApiDeps } from '../deps';
import { notFound } from '../http/errors';
import { parse } from '../http/validate';
import { requireExample } from '../services/example-access';
import { startWorkflow } from '../services/workflows';

/** Verification of example versions: grade the reference solution and every localTests hand-in. */
export function verificationRoutes(deps: ApiDeps): Router {
  const { db, temporal } = deps;
  const router = Router();

  router.post('/examples/:id/versions/:version/verify', async (req, res) => {
    parse(ZVerifyExampleBody, req.body ?? {});
    const user = req.user!;
    // Authorised by the example's own courses (services/example-access.ts), never a role elsewhere.
    const example = await requireExample(db, user, String(req.params.id), 'write');
    const version = await db.exampleVersion.findUnique({ where: { exampleId_versionTag: { exampleId: example.id, versionTag: String(req.params.version) } } });
    if (!version) throw notFound('Example version');
    const { workflowId } = await startWorkflow(db, temporal, {
      type: WF_VERIFY_EXAMPLE_VERSION,
      workflowId: gradingWorkflowIds.verifyExampleVersion(version.id),
      taskQueue: TASK_QUEUE_TESTING,
      args: [{ exampleVersionId: version.id }],
      requestedById: user.id,
      // Staff of the example's course see its verification among their workflows.
      courseId: example.courseId ?? undefined,
    });
    res.status(202).json({ workflow_id: workflowId, status: 'started', example_version_id: version.id });
  });

  return router;
}
