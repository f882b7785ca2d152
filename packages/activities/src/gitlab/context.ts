import type { GitlabClient } from '@computor/gitlab';
import type { ActivityDeps } from '../deps';
import { NON_RETRYABLE, nonRetryable } from '../failures';

export async function loadCourse(deps: ActivityDeps, courseId: string) {
  const course = await deps.db.course.findUnique({ where: { id: courseId }, include: { family: { include: { organization: true } } } });
  if (!course) throw nonRetryable(NON_RETRYABLE.notFound, `Course ${courseId} not found`);
  return course;
}

export type LoadedCourse = Awaited<ReturnType<typeof loadCourse>>;

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
