import { gradingWorkflowIds, TASK_QUEUE_TESTING, WF_VERIFY_EXAMPLE_VERSION, ZVerifyExampleBody } from '@computor/contracts';
import { notFound } from '../http/errors';
import { access, errors, json, jsonBody, route, textParam } from '../http/route';
import { ZVerificationStartedBody } from '../openapi/responses';
import { requireExample } from '../services/example-access';
import { startWorkflow } from '../services/workflows';

/** Verification of example versions: grade the reference solution and every localTests hand-in. */
export const verificationRoutes = [
  route({
    method: 'post',
    path: '/examples/:id/versions/:version/verify',
    operationId: 'verifyExampleVersion',
    access: access({ student: 404, tutor: 403, lecturer: 202, otherLecturer: 404, admin: 202 }),
    limit: 'testRuns',
    tag: 'examples',
    summary: 'Start verifying an example version: grade the reference solution and every localTests hand-in (lecturer or higher of a course the example belongs to or that uses it)',
    params: { id: textParam, version: textParam },
    body: jsonBody(ZVerifyExampleBody, { required: false }),
    responses: {
      202: json('Verification workflow started.', ZVerificationStartedBody),
      ...errors({
        400: 'Body options are not accepted (the body must be `{}` or absent).',
        403: 'The caller may read the example but not change it (tutors).',
        404: 'No such example or version, or not one the caller may read.',
        413: undefined,
      }),
    },
    handler: async ({ res, deps: { db, temporal }, user, params }) => {
      // Authorised by the example's own courses (services/example-access.ts), never a role elsewhere.
      const example = await requireExample(db, user, params.id, 'write');
      const version = await db.exampleVersion.findUnique({ where: { exampleId_versionTag: { exampleId: example.id, versionTag: params.version } } });
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
    },
  }),
];
