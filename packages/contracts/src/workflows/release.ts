import { z } from 'zod';
import { ZUuid } from '../ids';

export const WF_RELEASE_STUDENT_TEMPLATE = 'releaseStudentTemplateWorkflow';
export const WF_RELEASE_ASSIGNMENTS = 'releaseAssignmentsWorkflow';
export const WF_UPDATE_STUDENT_REPOSITORY = 'updateStudentRepositoryWorkflow';



export const ZReleaseStudentTemplateParams = z.object({
  courseId: ZUuid,
  courseContentIds: z.array(ZUuid).min(1).max(1000),
  /** Release example versions that are not verified (unverified or failed verification). */
  force: z.boolean().default(false),
  /** Carry the release into existing student repositories (child workflow per student). */
  updateStudentRepositories: z.boolean().default(false),
  maxConcurrent: z.number().int().min(1).max(50).default(5),
  /** Attempts per GitLab step before the release fails (transient faults are retried with backoff). */
  gitlabMaxAttempts: z.number().int().min(1).max(20).default(10),
});
export type TReleaseStudentTemplateParams = z.input<typeof ZReleaseStudentTemplateParams>;

export const ZReleaseAssignmentsParams = z.object({
  courseId: ZUuid,
  courseContentIds: z.array(ZUuid).min(1).max(1000),
});
export type TReleaseAssignmentsParams = z.input<typeof ZReleaseAssignmentsParams>;

export const ZStudentUpdateOutcome = z.object({
  courseMemberId: ZUuid,
  status: z.enum(['updated', 'unchanged', 'failed']),
  created: z.array(z.string()).default([]),
  workflowId: z.string(),
  error: z.string().optional(),
});
export type TStudentUpdateOutcome = z.infer<typeof ZStudentUpdateOutcome>;

export const ZReleaseResult = z.object({
  courseId: ZUuid,
  projectId: z.number().int(),
  /** The commit made by this release, or null when the repository already had the content. */
  commitSha: z.string().nullable(),
  /** The branch head the released contents are in (the new commit or the existing head). */
  headSha: z.string(),
  actions: z.array(z.object({ action: z.enum(['create', 'update', 'delete']), filePath: z.string() })),
  contents: z.array(z.object({ courseContentId: ZUuid, directory: z.string(), exampleVersionId: ZUuid })),
  studentRepositories: z.array(ZStudentUpdateOutcome).optional(),
});
export type TReleaseResult = z.infer<typeof ZReleaseResult>;

export const ZUpdateStudentRepositoryParams = z.object({
  courseId: ZUuid,
  courseMemberId: ZUuid,
  courseContentIds: z.array(ZUuid).min(1).max(1000),
});
export type TUpdateStudentRepositoryParams = z.input<typeof ZUpdateStudentRepositoryParams>;

export const ZUpdateStudentRepositoryResult = z.object({
  courseMemberId: ZUuid,
  projectId: z.number().int(),
  commitSha: z.string().nullable(),
  created: z.array(z.string()),
});
export type TUpdateStudentRepositoryResult = z.infer<typeof ZUpdateStudentRepositoryResult>;
