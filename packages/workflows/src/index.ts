// Every workflow exported here is registered by the worker; nothing else to wire.
export { systemCheckWorkflow } from './system-check';
export {
  addStudentsWorkflow,
  createCourseHierarchyWorkflow,
  deployHierarchyWorkflow,
  provisionStudentRepositoryWorkflow,
  revokeMemberAccessWorkflow,
  syncMemberPermissionsWorkflow,
} from './provisioning';
export { releaseAssignmentsWorkflow, releaseStudentTemplateWorkflow, updateStudentRepositoryWorkflow } from './release';
export { handInCommitWorkflow, testSubmissionWorkflow, tutorTestWorkflow, verifyExampleVersionWorkflow } from './grading';
export { archiveCourseWorkflow, retentionCleanupWorkflow } from './retention';
export { contentDeadlineWorkflow } from './deadlines';
export { regradeWorkflow } from './regrade';
export { syncFamilyDocumentsWorkflow } from './documents';
