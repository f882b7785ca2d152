import { z } from 'zod';

/** Course roles from highest to lowest; a higher role satisfies any lower requirement. */
export const COURSE_ROLES = ['owner', 'maintainer', 'lecturer', 'tutor', 'student'] as const;
export const ZCourseRole = z.enum(COURSE_ROLES);
export type TCourseRole = z.infer<typeof ZCourseRole>;

export function roleSatisfies(actual: TCourseRole, required: TCourseRole): boolean {
  return COURSE_ROLES.indexOf(actual) <= COURSE_ROLES.indexOf(required);
}

/** GitLab access levels (members API). */
export const GITLAB_ACCESS = { guest: 10, reporter: 20, developer: 30, maintainer: 40, owner: 50 } as const;
