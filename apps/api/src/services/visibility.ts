import { roleSatisfies } from '@computor/contracts';
import type { Db } from '@computor/db';
import type { AuthUser } from '../http/request-context';
import { courseRoleOf } from './access';

/**
 * Who may see a workflow: admins, whoever started it, and tutors or higher of its course.
 * Unrecorded workflows (not started through the API) are visible to admins only. `staff`: the
 * caller may also read its internal detail (failure causes).
 */
export async function canSeeWorkflow(db: Db, user: AuthUser, workflowId: string) {
  const run = await db.workflowRun.findUnique({ where: { id: workflowId } });
  if (user.isAdmin) return { visible: true, staff: true, run };
  if (!run) return { visible: false, staff: false, run };
  const role = run.courseId ? await courseRoleOf(db, user, run.courseId) : null;
  const staff = role !== null && roleSatisfies(role, 'tutor');
  return { visible: staff || run.requestedById === user.id, staff, run };
}
