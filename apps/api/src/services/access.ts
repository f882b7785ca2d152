import { roleSatisfies, type TCourseRole } from '@computor/contracts';
import type { Db } from '@computor/db';
import type { AuthUser } from '../http/request-context';
import { forbidden, notFound } from '../http/errors';

/** The caller's role in a course (admins act as owners), or null when not a member. */
export async function courseRoleOf(db: Db, user: AuthUser, courseId: string): Promise<TCourseRole | null> {
  if (user.isAdmin) return 'owner';
  const member = await db.courseMember.findUnique({ where: { courseId_userId: { courseId, userId: user.id } } });
  return member && !member.removedAt ? member.role : null;
}

/**
 * Loads a course the caller may act on with at least `required`: 404 when the course does not
 * exist or the caller is not a member (not visible), 403 when their role is too low.
 */
export async function requireCourseRole(db: Db, user: AuthUser, courseId: string, required: TCourseRole) {
  const course = await db.course.findUnique({ where: { id: courseId } });
  if (!course) throw notFound('Course');
  const role = await courseRoleOf(db, user, courseId);
  if (!role) throw notFound('Course');
  if (!roleSatisfies(role, required)) throw forbidden(`This action requires the role ${required} or higher in the course; you are ${role}.`);
  return { course, role };
}
