// Workflow ids, query names and failure types: everything workflow code needs at run time from the
// contracts, with no zod. Workflow code imports only this module (`@computor/contracts/workflow-keys`)
// and types: every module a workflow imports is evaluated again for each new workflow execution, and
// the zod schemas cost about 15 ms of worker CPU each time.

export { TASK_QUEUE_TASKS, TASK_QUEUE_TESTING } from './task-queues';
export { forEachBounded } from './bounded';

/** Workflow ids derive from business keys, so a repeated request finds the running execution. */
export const workflowIds = {
  setupCourse: (courseId: string) => `setup-course-${courseId}`,
  courseHierarchy: (courseId: string) => `course-hierarchy-${courseId}`,
  deployHierarchy: (batchId: string) => `deploy-hierarchy-${batchId}`,
  provisionStudent: (courseId: string, memberId: string) => `student-repository-${courseId}-${memberId}`,
  addStudents: (courseId: string, batchId: string) => `add-students-${courseId}-${batchId}`,
  syncMember: (courseId: string, memberId: string) => `member-permissions-${courseId}-${memberId}`,
  revokeMember: (courseId: string, memberId: string) => `member-revoke-${courseId}-${memberId}`,
  /** One retry of a course's failed students at a time. */
  provisioningRetry: (courseId: string) => `provisioning-retry-${courseId}`,
};

/** A student's provisioning steps, in the order the provisioning workflow runs them. */
export const PROVISIONING_STEPS = ['user', 'membership', 'repository', 'access'] as const;
export type TProvisioningStep = (typeof PROVISIONING_STEPS)[number];
export const PROVISIONING_STEP_STATES = ['pending', 'running', 'done', 'failed'] as const;
export type TProvisioningStepState = (typeof PROVISIONING_STEP_STATES)[number];
/** `patched()` id of the provisioning workflow that records its steps (and grants template access as its own step). */
export const PROVISIONING_STATUS_PATCH = 'provisioning-status';
/** The fork activity records its steps' running and done states itself; the workflow only a failure. */
export const PROVISIONING_STEPS_IN_ACTIVITY_PATCH = 'provisioning-steps-in-activity';
/** The course hierarchy's independent nodes ensured side by side, each told its parent. */
export const HIERARCHY_PARALLEL_PATCH = 'hierarchy-parallel';
/** The course hierarchy as one activity (`ensureCourseHierarchy`), not one activity per node. */
export const HIERARCHY_ONE_ACTIVITY_PATCH = 'hierarchy-one-activity';
/** A batch of students provisioned in the batch workflow itself (one activity each), not one child workflow each. */
export const STUDENTS_INLINE_PATCH = 'students-inline';
/** Students a batch workflow run provisions before it continues as new, so that its history stays small. */
export const STUDENTS_PER_RUN = 500;
/** Defaults of a student's provisioning (ZProvisionStudentParams), which workflows apply without zod. */
export const PROVISION_STUDENT_DEFAULTS = { pollIntervalSeconds: 1, forkTimeoutSeconds: 600 } as const;

/** Business-key workflow ids: one release per course and target at a time. */
export const releaseWorkflowIds = {
  studentTemplate: (courseId: string) => `release-template-${courseId}`,
  assignments: (courseId: string) => `release-assignments-${courseId}`,
  studentRepository: (courseId: string, memberId: string) => `release-student-${courseId}-${memberId}`,
};

/** Business-key workflow ids of grading (one test run per Result row, one verification per version at a time). */
export const gradingWorkflowIds = {
  testSubmission: (resultId: string) => `test-submission-${resultId}`,
  verifyExampleVersion: (exampleVersionId: string) => `verify-example-${exampleVersionId}`,
  /** A hand-in of a repository at a full commit id: GitLab's redelivered pushes and repeated requests meet the same id. */
  handIn: (projectId: number, sha: string, contentId: string) => `hand-in-${projectId}-${sha.toLowerCase()}-${contentId}`,
  /** A hand-in of a branch or an abbreviated commit id (resolved by the worker; the stored hand-in is unique per commit). */
  handInRef: (memberId: string, contentId: string, requestId: string) => `hand-in-${memberId}-${contentId}-${requestId}`,
  regrade: (regradeId: string) => `regrade-${regradeId}`,
  /** A tutor's test run: the workflow is its only state (no database rows). */
  tutorTest: (testRunId: string) => `tutor-test-${testRunId}`,
};

/**
 * Object keys of tutor test runs: everything under one prefix, which expires after
 * `TUTOR_TEST_STORAGE_DAYS` (an S3 lifecycle rule where the server has them, else the retention sweep).
 */
export const TUTOR_TEST_PREFIX = 'tutor-test-runs/';
export const TUTOR_TEST_STORAGE_DAYS = 1;
export const tutorTestStorageKeys = {
  runPrefix: (testRunId: string) => `${TUTOR_TEST_PREFIX}${testRunId}/`,
  submissionPrefix: (testRunId: string) => `${TUTOR_TEST_PREFIX}${testRunId}/submission/`,
  report: (testRunId: string) => `${TUTOR_TEST_PREFIX}${testRunId}/report.json`,
};
/** Query of a tutor test workflow: `queued`, `running` (grading) or `storing`. */
export const TUTOR_TEST_STATE_QUERY = 'tutorTestState';

/**
 * Temporal task priorities (1 = first, default 3): regrades queue behind first-time hand-ins, so a
 * student handing in during a regrade waits for running tests only.
 */
export const GRADING_PRIORITY = { handIn: 3, regrade: 5 } as const;
/**
 * A commit hand-in is one activity: it fetches and stores the commit, queues its test run and starts
 * that run's workflow itself, instead of a queueing local activity and a child workflow started by
 * the hand-in workflow (a workflow task, a child start and its events fewer per push).
 */
export const HAND_IN_ONE_ACTIVITY_PATCH = 'hand-in-one-activity';
/**
 * A commit hand-in's one step is a local activity: the workflow's first task runs it and completes,
 * with no activity task and no second workflow task (three history writes per push fewer). Asked
 * right after `decidePatches`, before any activity.
 */
export const HAND_IN_LOCAL_PATCH = 'hand-in-local';
/**
 * A push's test run is graded by its own hand-in workflow (prepare, grade on computor-testing,
 * store), not by a second workflow it starts: one execution per graded push instead of two. The
 * result's workflow id is the hand-in's. Asked right after HAND_IN_LOCAL_PATCH, before any activity.
 */
export const HAND_IN_RUNS_TEST_PATCH = 'hand-in-runs-test';
/** A regrade waits for its course's queued first-time hand-ins before each run (at most a minute). */
export const REGRADE_YIELDS_PATCH = 'regrade-yields';
/** A regrade holds API_REGRADE_CONCURRENCY grading slots (before: two). */
export const REGRADE_CONCURRENCY_PATCH = 'regrade-concurrency';
/**
 * Recorded first by every workflow that has patches, before any activity (`decidePatches` in
 * @computor/workflows): an execution that carries it started on code that takes the new branch of
 * each of CURRENT_PATCHES, so it asks none of them later. New patches after these are asked before
 * any activity too (see the workflows package README).
 */
export const PATCHES_DECIDED_FIRST_PATCH = 'patches-decided-first';
/** The patches an execution carrying PATCHES_DECIDED_FIRST_PATCH takes without asking. */
export const CURRENT_PATCHES = [
  HIERARCHY_ONE_ACTIVITY_PATCH,
  PROVISIONING_STATUS_PATCH,
  PROVISIONING_STEPS_IN_ACTIVITY_PATCH,
  STUDENTS_INLINE_PATCH,
  HAND_IN_ONE_ACTIVITY_PATCH,
  REGRADE_YIELDS_PATCH,
  REGRADE_CONCURRENCY_PATCH,
] as const;
export type TCurrentPatch = (typeof CURRENT_PATCHES)[number];
/** The deadline pass (locking repositories at the due time) goes ahead of the hand-ins a deadline brings on the same queue. */
export const DEADLINE_PRIORITY = 1;

/** One deadline workflow per course content: locks each student's repository at their effective due time. */
export const deadlineWorkflowIds = {
  content: (courseContentId: string) => `deadline-${courseContentId}`,
};
/** Signals of the deadline workflow: the due times changed (content, extension, accommodation); staff reopen repositories. */
export const DEADLINE_CHANGED_SIGNAL = 'deadlineChanged';
export const DEADLINE_REOPEN_SIGNAL = 'reopen';

/**
 * The documents sync of a course family. On demand: one per family at a time (a repeat meets the
 * running one). On push: per family and commit, so GitLab's redeliveries meet the same execution;
 * the sync activity itself holds a per-family lock, so two syncs of one family never overlap.
 */
export const documentsWorkflowIds = {
  sync: (courseFamilyId: string) => `documents-sync-${courseFamilyId}`,
  push: (courseFamilyId: string, sha: string) => `documents-sync-${courseFamilyId}-${sha.toLowerCase()}`,
};

/** Progress of a batch workflow is read with this query. */
export const PROGRESS_QUERY = 'progress';

/** Failure types of the release workflows (besides the GitLab and activity ones). */
export const RELEASE_FAILURE = {
  notVerified: 'ExampleNotVerified',
  studentUpdatesFailed: 'StudentUpdatesFailed',
} as const;
