import type { z } from 'zod';
import { ZSyncFamilyDocumentsParams } from './documents';
import { ZContentDeadlineParams, ZHandInCommitParams, ZRegradeParams, ZTestSubmissionParams, ZTutorTestParams, ZVerifyExampleParams } from './grading';
import { ZAddStudentsParams, ZCourseHierarchyParams, ZDeployHierarchyParams, ZMemberParams, ZProvisionStudentParams } from './provisioning';
import { ZReleaseAssignmentsParams, ZReleaseStudentTemplateParams, ZUpdateStudentRepositoryParams } from './release';
import { ZArchiveCourseParams, ZRetentionParams } from './retention';
import { ZSystemCheckParams } from './system';

/**
 * The params schema of every workflow, by workflow type. Workflows validate their input against it
 * through the `validateWorkflowParams` local activity, so zod never runs inside the workflow sandbox.
 */
export const WORKFLOW_PARAMS = {
  createCourseHierarchyWorkflow: ZCourseHierarchyParams,
  deployHierarchyWorkflow: ZDeployHierarchyParams,
  provisionStudentRepositoryWorkflow: ZProvisionStudentParams,
  addStudentsWorkflow: ZAddStudentsParams,
  syncMemberPermissionsWorkflow: ZMemberParams,
  revokeMemberAccessWorkflow: ZMemberParams,
  releaseStudentTemplateWorkflow: ZReleaseStudentTemplateParams,
  releaseAssignmentsWorkflow: ZReleaseAssignmentsParams,
  updateStudentRepositoryWorkflow: ZUpdateStudentRepositoryParams,
  archiveCourseWorkflow: ZArchiveCourseParams,
  retentionCleanupWorkflow: ZRetentionParams,
  testSubmissionWorkflow: ZTestSubmissionParams,
  handInCommitWorkflow: ZHandInCommitParams,
  contentDeadlineWorkflow: ZContentDeadlineParams,
  regradeWorkflow: ZRegradeParams,
  verifyExampleVersionWorkflow: ZVerifyExampleParams,
  tutorTestWorkflow: ZTutorTestParams,
  systemCheckWorkflow: ZSystemCheckParams,
  syncFamilyDocumentsWorkflow: ZSyncFamilyDocumentsParams,
} as const;

export type TWorkflowType = keyof typeof WORKFLOW_PARAMS;
/** A workflow's params after validation (defaults applied). */
export type TValidParams<K extends TWorkflowType> = z.output<(typeof WORKFLOW_PARAMS)[K]>;
