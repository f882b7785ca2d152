import { modelRow, sqlOf, type CourseFamilyModel as CourseFamily, type CourseModel as Course, type OrganizationModel as Organization } from '@computor/db';
import type { GitlabClient } from '@computor/gitlab';
import type { ActivityDeps } from '../deps';
import { NON_RETRYABLE, nonRetryable } from '../failures';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type LoadedCourse = Course & { family: CourseFamily & { organization: Organization } };

/**
 * The course with its family and organization. Every GitLab activity starts with it (a batch of
 * students starts a hundred at once), so it is one plain statement (see sqlOf), not a Prisma
 * include, which costs about ten times the CPU.
 */
export async function loadCourse(deps: ActivityDeps, courseId: string): Promise<LoadedCourse> {
  const [row] = UUID.test(courseId)
    ? await sqlOf(deps.db).tables`
        SELECT c.*, f.*, o.* FROM courses c JOIN course_families f ON f.id = c.course_family_id JOIN organizations o ON o.id = f.organization_id
         WHERE c.id = ${courseId}::uuid`
    : [];
  if (!row) throw nonRetryable(NON_RETRYABLE.notFound, `Course ${courseId} not found`);
  const [course, family, organization] = row;
  return { ...modelRow<Course>(course!), family: { ...modelRow<CourseFamily>(family!), organization: modelRow<Organization>(organization!) } };
}

export function gitlabForCourse(deps: ActivityDeps, course: LoadedCourse): GitlabClient {
  return deps.gitlab(course.family.organization);
}

/** The course's GitLab ids, which must have been provisioned before student or permission work. */
export function requireProvisioned(course: LoadedCourse) {
  const c = course;
  if (!c.gitlabGroupId || !c.gitlabStudentsGroupId || !c.gitlabStudentsGroupFullPath || !c.studentTemplateProjectId || !c.gitlabTutorsGroupId) {
    throw nonRetryable(NON_RETRYABLE.precondition, `Course ${c.id} is not set up in GitLab yet: run setup-gitlab first`);
  }
  return {
    courseGroupId: c.gitlabGroupId,
    studentsGroupId: c.gitlabStudentsGroupId,
    studentsGroupFullPath: c.gitlabStudentsGroupFullPath,
    tutorsGroupId: c.gitlabTutorsGroupId,
    templateProjectId: c.studentTemplateProjectId,
  };
}
