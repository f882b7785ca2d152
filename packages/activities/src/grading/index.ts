export { GRADER_INFRA_ERROR, gradingActivities, type TCollectionPlan, type TGradeTarget, type TSubmissionTestPlan } from './activities';
export { GradingFiles, type TArtifactRef, type TExampleRef } from './local-files';
