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
