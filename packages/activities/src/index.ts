import type { ActivityDeps } from './deps';
import { hierarchyActivities } from './gitlab/hierarchy';
import { memberActivities } from './gitlab/members';
import { systemActivities } from './system/check-dependencies';
import { releaseActivities } from './release/activities';
import { deadlineActivities } from './deadlines/activities';
import { gradingActivities, handInActivities, regradeActivities } from './grading';
import { provisioningStatusActivities } from './provisioning/status';
import { retentionActivities } from './retention/activities';
import { documentsActivities } from './documents/activities';
import { workflowParamActivities } from './workflow-params';

export type { ActivityDeps, GitlabResolver, GraderDeps, TTestRunStart } from './deps';
export type { TDeadlinePass } from './deadlines/activities';
export { handInTimingOf, loadEffectiveDeadline } from './deadlines/effective';
export { BURST_TRANSACTION, COUNTED_RESULT, currentResult, ensureSubmissionGroup, STUDENT_VISIBLE_RESULT, GRADER_INFRA_ERROR, lockGroupTests, type TCollectionPlan, type TEnqueued, type TGradeTarget, type TStoredHandIn, type TSubmissionTestPlan, type TTutorTestPlan } from './grading';
export { NON_RETRYABLE } from './failures';
export { exampleContentHash, exampleObjectPrefix } from './examples/content-hash';
export { computeStudentView, type TStudentViewProperties, type TViewFile } from './examples/student-view';
export { prepareExampleUpload, type TPreparedExample, type TPreparedUpload, type TUploadFile, type TUploadProblem } from './examples/prepare-upload';
export { releaseDiff, renderRootReadme } from './release/root-readme';
export { hookTokenHash } from './gitlab/hooks';
export { contentTypeOf } from './documents/content-type';
export { DOCUMENTS_SYNC_BUSY } from './documents/activities';
export { plainStepError } from './provisioning/plain-error';
export type { TStepUpdate } from './provisioning/status';
export type { TPlannedContent, TReleaseTarget } from './release/activities';

/** All activities, bound to their clients. The worker registers the whole object. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...workflowParamActivities(),
    ...systemActivities(deps),
    ...hierarchyActivities(deps),
    ...memberActivities(deps),
    ...provisioningStatusActivities(deps),
    ...releaseActivities(deps),
    ...gradingActivities(deps),
    ...handInActivities(deps),
    ...deadlineActivities(deps),
    ...regradeActivities(deps),
    ...retentionActivities(deps),
    ...documentsActivities(deps),
  };
}

/** The activity interface workflows proxy (import it with `import type`). */
export type Activities = ReturnType<typeof createActivities>;
