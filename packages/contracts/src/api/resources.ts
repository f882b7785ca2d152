import { z } from 'zod';
import { ZPathSegment, ZUsername, ZUuid } from '../ids';
import { ZCourseRole } from '../roles';

const ZTitle = z.string().trim().min(1).max(200);

export const ZCreateUserBody = z.strictObject({
  email: z.email().max(254).transform((s) => s.toLowerCase()),
  username: ZUsername,
  givenName: z.string().max(100).optional(),
  familyName: z.string().max(100).optional(),
  isAdmin: z.boolean().default(false),
});
export type TCreateUserBody = z.infer<typeof ZCreateUserBody>;

export const ZGitlabSettings = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  // GitLab ids are 32-bit in our schema (and in GitLab's own).
  parentGroupId: z.number().int().positive().max(2_147_483_647),
  /** Name of the worker-side secret holding the token; the token itself never goes through the API. */
  tokenRef: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/).optional(),
});

export const ZCreateOrganizationBody = z.strictObject({ path: ZPathSegment, title: ZTitle, gitlab: ZGitlabSettings });
export type TCreateOrganizationBody = z.infer<typeof ZCreateOrganizationBody>;

export const ZCreateCourseFamilyBody = z.strictObject({ organizationId: ZUuid, path: ZPathSegment, title: ZTitle });
export type TCreateCourseFamilyBody = z.infer<typeof ZCreateCourseFamilyBody>;

export const ZCreateCourseBody = z.strictObject({ courseFamilyId: ZUuid, path: ZPathSegment, title: ZTitle });
export type TCreateCourseBody = z.infer<typeof ZCreateCourseBody>;

export const ZAddMemberBody = z.strictObject({ userId: ZUuid, role: ZCourseRole });
export const ZAddMembersBatchBody = z.strictObject({ members: z.array(ZAddMemberBody).min(1).max(5000) });

/** One member, or several at once (students then provision as one batch workflow). */
export const ZAddMembersBody = z.union([ZAddMemberBody, ZAddMembersBatchBody]);
export type TAddMembersBody = z.infer<typeof ZAddMembersBody>;

/** A declarative hierarchy for POST /deployments (YAML or JSON). */
export const ZHierarchyDocument = z.strictObject({
  organizations: z
    .array(
      z.strictObject({
        path: ZPathSegment,
        title: ZTitle,
        gitlab: ZGitlabSettings,
        families: z
          .array(
            z.strictObject({
              path: ZPathSegment,
              title: ZTitle,
              courses: z.array(z.strictObject({ path: ZPathSegment, title: ZTitle })).max(500).default([]),
            }),
          )
          .max(200)
          .default([]),
      }),
    )
    .min(1)
    .max(50),
  maxConcurrent: z.number().int().min(1).max(50).default(5),
});
export type THierarchyDocument = z.infer<typeof ZHierarchyDocument>;

export const ZWorkflowStarted = z.object({ workflow_id: z.string(), status: z.literal('started') });
export type TWorkflowStarted = z.infer<typeof ZWorkflowStarted>;

export const WORKFLOW_STATUSES = ['RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'CONTINUED_AS_NEW', 'TIMED_OUT', 'UNKNOWN'] as const;
export const ZWorkflowStatusBody = z.object({
  workflow_id: z.string(),
  type: z.string(),
  status: z.enum(WORKFLOW_STATUSES),
  start_time: z.string().nullable(),
  close_time: z.string().nullable(),
  progress: z.unknown().optional(),
  failure: z.object({ message: z.string(), type: z.string().nullable() }).optional(),
  /** Running, but its workflow task has failed on every attempt so far: no progress until an operator acts. */
  stalled: z.object({ task_attempts: z.number().int(), message: z.string() }).optional(),
});
export type TWorkflowStatusBody = z.infer<typeof ZWorkflowStatusBody>;
