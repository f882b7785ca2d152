import { roleSatisfies } from '@computor/contracts';
import type { Db } from '@computor/db';
import type { AuthUser } from '../http/request-context';
import { courseRoleOf } from './access';

/**
 * Who may see a workflow: admins, whoever started it, and tutors or higher of its course.
 * Unrecorded workflows (not started through the API) are visible to admins only.
 */
export async function canSeeWorkflow(db: Db, user: AuthUser, workflowId: string) {
  const run = await db.workflowRun.findUnique({ where: { id: workflowId } });
  if (user.isAdmin) return { visible: true, run };
  if (!run) return { visible: false, run };
  if (run.requestedById === user.id) return { visible: true, run };
  if (run.courseId) {
    const role = await courseRoleOf(db, user, run.courseId);
    if (role && roleSatisfies(role, 'tutor')) return { visible: true, run };
  }
  return { visible: false, run };
}
