import { z } from 'zod';
import { ZUuid } from '../ids';
import { PROVISION_STUDENT_DEFAULTS, STUDENTS_PER_RUN } from '../workflow-keys';

export const WF_CREATE_COURSE_HIERARCHY = 'createCourseHierarchyWorkflow';
export const WF_DEPLOY_HIERARCHY = 'deployHierarchyWorkflow';
export const WF_PROVISION_STUDENT_REPOSITORY = 'provisionStudentRepositoryWorkflow';
export const WF_ADD_STUDENTS = 'addStudentsWorkflow';
export const WF_SYNC_MEMBER_PERMISSIONS = 'syncMemberPermissionsWorkflow';
export const WF_REVOKE_MEMBER_ACCESS = 'revokeMemberAccessWorkflow';

export const ZCourseHierarchyParams = z.object({ courseId: ZUuid });
export type TCourseHierarchyParams = z.infer<typeof ZCourseHierarchyParams>;

const ZProjectRef = z.object({ projectId: z.number().int(), path: z.string(), webUrl: z.string() });

export const ZCourseHierarchyResult = z.object({
  courseId: ZUuid,
  organizationGroupId: z.number().int(),
  familyGroupId: z.number().int(),
  courseGroupId: z.number().int(),
  studentsGroupId: z.number().int(),
  tutorsGroupId: z.number().int(),
  studentTemplate: ZProjectRef,
  assignments: ZProjectRef,
  /** The family's documents project; absent only in executions started before it was part of the hierarchy. */
  documents: ZProjectRef.optional(),
});
export type TCourseHierarchyResult = z.infer<typeof ZCourseHierarchyResult>;

/** Progress of a batch workflow, exposed through the `progress` query. */
export const ZBatchProgress = z.object({
  total: z.number().int(),
  done: z.number().int(),
  succeeded: z.number().int(),
  failed: z.array(z.object({ id: z.string(), error: z.string() })),
  running: z.number().int(),
});
export type TBatchProgress = z.infer<typeof ZBatchProgress>;

export const ZDeployHierarchyParams = z.object({
  courseIds: z.array(ZUuid).min(1).max(1000),
  maxConcurrent: z.number().int().min(1).max(50).default(5),
});
export type TDeployHierarchyParams = z.input<typeof ZDeployHierarchyParams>;

export const ZBatchOutcome = z.object({
  id: z.string(),
  status: z.enum(['succeeded', 'failed', 'skipped']),
  error: z.string().optional(),
  workflowId: z.string().optional(),
});
export type TBatchOutcome = z.infer<typeof ZBatchOutcome>;

export const ZBatchResult = z.object({
  total: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  outcomes: z.array(ZBatchOutcome),
});
export type TBatchResult = z.infer<typeof ZBatchResult>;

export const ZProvisionStudentParams = z.object({
  courseId: ZUuid,
  courseMemberId: ZUuid,
  /** Seconds between import_status polls while a fork completes. */
  pollIntervalSeconds: z.number().min(0.1).max(60).default(PROVISION_STUDENT_DEFAULTS.pollIntervalSeconds),
  /** Give up waiting for the fork (and fall back to a copy) after this long. */
  forkTimeoutSeconds: z.number().min(1).max(3600).default(PROVISION_STUDENT_DEFAULTS.forkTimeoutSeconds),
});
export type TProvisionStudentParams = z.input<typeof ZProvisionStudentParams>;

export const ZProvisionStudentResult = z.object({
  courseMemberId: ZUuid,
  projectId: z.number().int(),
  path: z.string(),
  webUrl: z.string(),
  provisioning: z.enum(['fork', 'fallback_copy']),
});
export type TProvisionStudentResult = z.infer<typeof ZProvisionStudentResult>;

export const ZAddStudentsParams = z.object({
  courseId: ZUuid,
  courseMemberIds: z.array(ZUuid).min(1).max(5000),
  /**
   * Students in flight at once. Four per GitLab request slot at the worker's default
   * GITLAB_MAX_CONCURRENT of 10: each student is a chain of dependent requests with database and
   * Temporal work between them, and at 20 the students started together also finish together, so
   * the slots idle while their successors are scheduled (measured with `pnpm bench provisioning`).
   */
  maxConcurrent: z.number().int().min(1).max(100).default(40),
  /** Students per run before the batch continues as new (its history stays small). */
  studentsPerRun: z.number().int().min(1).max(1000).default(STUDENTS_PER_RUN),
  /** Outcomes of the batch's earlier runs. */
  previousOutcomes: z.array(ZBatchOutcome).max(5000).optional(),
});
export type TAddStudentsParams = z.input<typeof ZAddStudentsParams>;

export const ZMemberParams = z.object({ courseId: ZUuid, courseMemberId: ZUuid });
export type TMemberParams = z.infer<typeof ZMemberParams>;
