import { z } from 'zod';
import { ZUuid } from '../ids';

export const WF_ARCHIVE_COURSE = 'archiveCourseWorkflow';
export const WF_RETENTION_CLEANUP = 'retentionCleanupWorkflow';
/** Id of the Temporal Schedule that runs the retention cleanup. */
export const RETENTION_SCHEDULE_ID = 'computor-retention-cleanup';

export const ZArchiveCourseParams = z.object({
  courseId: ZUuid,
  /** Delete the students' repositories in GitLab (otherwise they are kept, without access). */
  removeStudentRepositories: z.boolean().default(false),
  /** Delete the course group in GitLab with everything in it. */
  removeGroups: z.boolean().default(false),
});
export type TArchiveCourseParams = z.input<typeof ZArchiveCourseParams>;

export const ZArchiveCourseBody = z.strictObject({
  remove_student_repositories: z.boolean().default(false),
  remove_groups: z.boolean().default(false),
});

export const ZArchiveCourseResult = z.object({
  courseId: ZUuid,
  revoked: z.number().int(),
  repositoriesRemoved: z.number().int(),
  groupRemoved: z.boolean(),
});
export type TArchiveCourseResult = z.infer<typeof ZArchiveCourseResult>;

export const ZRetentionParams = z.object({
  /** Default retention in days; a course's own retentionDays wins. */
  retentionDays: z.number().int().min(1).max(36_500),
  batchSize: z.number().int().min(1).max(1000).default(200),
  /** Age (seconds) past which tutor test run objects are deleted; default TUTOR_TEST_STORAGE_DAYS. Servers with lifecycle rules delete them too. */
  tutorTestMaxAgeSeconds: z.number().int().min(1).max(3_153_600_000).optional(),
});
export type TRetentionParams = z.input<typeof ZRetentionParams>;

export const ZRetentionResult = z.object({ artifactsPurged: z.number().int(), reportsPurged: z.number().int(), objectsDeleted: z.number().int() });
export type TRetentionResult = z.infer<typeof ZRetentionResult>;
