export { GRADER_INFRA_ERROR, gradingActivities, type TCollectionPlan, type TGradeTarget, type TSubmissionTestPlan } from './activities';
export type { TTutorTestPlan } from './tutor-test';
export { assignmentFiles, handInActivities, type TStoredHandIn } from './hand-in';
export { GradingFiles, type TArtifactRef, type TExampleRef } from './local-files';
export { BURST_TRANSACTION, COUNTED_RESULT, ensureSubmissionGroup, headResult, lockGroupTests, type TEnqueued } from './queue';
export { currentResult, regradeActivities, STUDENT_VISIBLE_RESULT } from './regrade';
