import type { Activities, TStepUpdate } from '@computor/activities';
import type { TAddStudentsParams, TBatchOutcome, TBatchProgress, TBatchResult, TCourseHierarchyParams, TCourseHierarchyResult, TDeployHierarchyParams, TMemberParams, TProvisionStudentParams, TProvisionStudentResult, TValidParams } from '@computor/contracts';
import { HIERARCHY_ONE_ACTIVITY_PATCH, HIERARCHY_PARALLEL_PATCH, PROGRESS_QUERY, PROVISION_STUDENT_DEFAULTS, PROVISIONING_STATUS_PATCH, PROVISIONING_STEPS, PROVISIONING_STEPS_IN_ACTIVITY_PATCH, STUDENTS_INLINE_PATCH, STUDENTS_PER_RUN, workflowIds, type TProvisioningStep } from '@computor/contracts/workflow-keys';
import { ApplicationFailure, CancellationScope, continueAsNew, defineQuery, executeChild, log, patched, proxyActivities, proxyLocalActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import { decidePatches, failedProvisioningStep, failureType, forEachBounded, GITLAB_RETRY, isPatched, rootCause, runStep, validParams } from './steps';

// GitLab activities heartbeat every 3 s while they work or wait on the rate limiter, so a lost
// worker costs ~10 s, while a slow but live activity may take minutes.
const gitlab = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '10 seconds',
  retry: GITLAB_RETRY,
});

const local = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 5 } });

// Step states are small database writes on this worker: local activities, no task round trips.
const statusRecorder = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 3 } });

/** How long the fork activity itself waits for GitLab's import before handing over to durable timers. */
const IMPORT_WAIT_IN_ACTIVITY_MS = 1_500;

export const progressQuery = defineQuery<TBatchProgress>(PROGRESS_QUERY);

/**
 * Organization -> family -> its documents project beside the course -> students, tutors,
 * student-template and assignments side by side, each created or adopted, in one activity
 * (histories from before HIERARCHY_ONE_ACTIVITY_PATCH replay an activity per node).
 */
export async function createCourseHierarchyWorkflow(params: TCourseHierarchyParams): Promise<TCourseHierarchyResult> {
  decidePatches();
  const { courseId } = await validParams('createCourseHierarchyWorkflow', params);
  if (isPatched(HIERARCHY_ONE_ACTIVITY_PATCH)) {
    // One activity ensures every node, each under the one just ensured: no task round trip per level.
    const n = await runStep('ensure course hierarchy', () => gitlab.ensureCourseHierarchy({ courseId }));
    return hierarchyResult(courseId, { ...n, template: n['student-template'] });
  }
  type TNode = Parameters<Activities['ensureHierarchyNode']>[0]['node'];
  type TEnsured = Awaited<ReturnType<Activities['ensureHierarchyNode']>>;
  // The parent each node was just ensured under goes along, so the activity does not read it again.
  const ensureUnder = (node: TNode, parent?: TEnsured) =>
    runStep(`ensure ${node}`, () => gitlab.ensureHierarchyNode({ courseId, node, ...(parent ? { parent: { id: parent.id, fullPath: parent.fullPath } } : {}) }));
  if (patched(HIERARCHY_PARALLEL_PATCH)) {
    // Whatever does not wait on another node runs beside it: four levels of requests, not six.
    const organization = await ensureUnder('organization');
    const family = await ensureUnder('family', organization);
    const [documents, below] = await Promise.all([
      ensureUnder('documents', family),
      (async () => {
        const course = await ensureUnder('course', family);
        const [students, tutors, template, assignments] = await Promise.all([
          ensureUnder('students', course),
          ensureUnder('tutors', course),
          ensureUnder('student-template', course),
          ensureUnder('assignments', course),
        ]);
        return { course, students, tutors, template, assignments };
      })(),
    ]);
    return hierarchyResult(courseId, { organization, family, documents, ...below });
  }
  const ensure = (node: TNode) => ensureUnder(node);
  const organization = await ensure('organization');
  const family = await ensure('family');
  // Executions recorded before the documents project existed replay without it.
  const documents = patched('documents-project') ? await ensure('documents') : undefined;
  const course = await ensure('course');
  const [students, tutors] = await Promise.all([ensure('students'), ensure('tutors')]);
  const [template, assignments] = await Promise.all([ensure('student-template'), ensure('assignments')]);
  return hierarchyResult(courseId, { organization, family, course, students, tutors, template, assignments, documents });
}

type TNodeRef = { id: number; fullPath: string; webUrl: string };

function hierarchyResult(
  courseId: string,
  { organization, family, course, students, tutors, template, assignments, documents }: Record<'organization' | 'family' | 'course' | 'students' | 'tutors' | 'template' | 'assignments', TNodeRef> & { documents: TNodeRef | undefined },
): TCourseHierarchyResult {
  return {
    courseId,
    organizationGroupId: organization.id,
    familyGroupId: family.id,
    courseGroupId: course.id,
    studentsGroupId: students.id,
    tutorsGroupId: tutors.id,
    studentTemplate: { projectId: template.id, path: template.fullPath, webUrl: template.webUrl },
    assignments: { projectId: assignments.id, path: assignments.fullPath, webUrl: assignments.webUrl },
    ...(documents ? { documents: { projectId: documents.id, path: documents.fullPath, webUrl: documents.webUrl } } : {}),
  };
}

function newProgress(total: number): TBatchProgress {
  return { total, done: 0, succeeded: 0, failed: [], running: 0 };
}

async function runBatch(
  ids: readonly string[],
  maxConcurrent: number,
  progress: TBatchProgress,
  run: (id: string) => Promise<{ workflowId: string }>,
): Promise<TBatchOutcome[]> {
  const outcomes: TBatchOutcome[] = [];
  await forEachBounded(ids, maxConcurrent, async (id) => {
    progress.running++;
    try {
      const { workflowId } = await run(id);
      outcomes.push({ id, status: 'succeeded', workflowId });
      progress.succeeded++;
    } catch (error) {
      const cause = rootCause(error);
      outcomes.push({ id, status: 'failed', error: cause.message });
      progress.failed.push({ id, error: cause.message });
    } finally {
      progress.running--;
      progress.done++;
    }
  });
  return outcomes;
}

function batchResult(total: number, outcomes: TBatchOutcome[]): TBatchResult {
  const count = (s: TBatchOutcome['status']) => outcomes.filter((o) => o.status === s).length;
  return { total, succeeded: count('succeeded'), failed: count('failed'), skipped: count('skipped'), outcomes };
}

/**
 * Provisions many courses, one child workflow each, at most `maxConcurrent` at once. Courses
 * already fully provisioned are skipped, so a re-run redoes only what failed. Fails (after
 * every course had its turn) when any course failed, listing them.
 */
export async function deployHierarchyWorkflow(params: TDeployHierarchyParams): Promise<TBatchResult> {
  const { courseIds, maxConcurrent } = await validParams('deployHierarchyWorkflow', params);
  const todo = await local.listUnprovisionedCourses({ courseIds });
  const progress = newProgress(courseIds.length);
  const skipped: TBatchOutcome[] = courseIds.filter((id) => !todo.includes(id)).map((id) => ({ id, status: 'skipped' }));
  progress.done = skipped.length;
  setHandler(progressQuery, () => progress);
  const outcomes = await runBatch(todo, maxConcurrent, progress, async (courseId) => {
    const workflowId = workflowIds.courseHierarchy(courseId);
    await executeChild(createCourseHierarchyWorkflow, { workflowId, args: [{ courseId }] });
    return { workflowId };
  });
  const result = batchResult(courseIds.length, [...skipped, ...outcomes]);
  if (result.failed) {
    throw ApplicationFailure.create({
      type: 'BatchPartiallyFailed',
      message: `${result.failed} of ${result.total} courses failed: ${progress.failed.map((f) => `${f.id} (${f.error})`).join('; ')}`,
      nonRetryable: true,
      details: [result],
    });
  }
  return result;
}

const isForkUnavailable = (error: unknown) =>
  error instanceof ApplicationFailure ? error.type === 'ForkUnavailable' : failureType(error) === 'ForkUnavailable';

type TProvisionInput = TValidParams<'provisionStudentRepositoryWorkflow'>;

// Histories from before the membership step leave the activity input as it was (the key absent).
const templateAccess = (grant: boolean) => (grant ? {} : { grantTemplateAccess: false });

/** How a run provisions: the template access granted by the fork activity first, step states recorded by the activities. */
interface TProvisionMode {
  grantTemplateAccess: boolean;
  templateAccessFirst?: boolean;
  recordSteps?: boolean;
}
// Histories from before activities recorded steps leave their inputs as they were (the key absent).
const stepsByActivity = (mode: TProvisionMode) => (mode.recordSteps ? { recordSteps: true } : {});

/** The forked, finalized repository; null when GitLab will not fork (disabled, or the import failed or timed out). */
async function forkRepository(params: TProvisionInput, mode: TProvisionMode) {
  const { grantTemplateAccess, templateAccessFirst } = mode;
  const { courseId, courseMemberId, pollIntervalSeconds, forkTimeoutSeconds } = params;
  const deadline = Date.now() + forkTimeoutSeconds * 1000;
  let projectId: number;
  try {
    const fork = await gitlab.forkStudentRepository({ courseId, courseMemberId, importWaitMs: Math.min(IMPORT_WAIT_IN_ACTIVITY_MS, forkTimeoutSeconds * 1000), ...templateAccess(grantTemplateAccess), ...(templateAccessFirst ? { templateAccessFirst } : {}), ...stepsByActivity(mode) });
    if (fork.state === 'finalized') return fork.project;
    projectId = fork.project.projectId;
    // Durable timers from here on: soon at first, then backing off to the interval.
    for (let poll = 0; ; poll++) {
      if (Date.now() >= deadline) throw ApplicationFailure.nonRetryable(`The fork did not finish within ${forkTimeoutSeconds} s`, 'ForkUnavailable');
      await sleep(Math.min(pollIntervalSeconds * 1000, 250 * 2 ** poll));
      const { importStatus, importError } = await gitlab.getImportStatus({ courseId, projectId });
      if (importStatus === 'failed') throw ApplicationFailure.nonRetryable(`GitLab could not complete the fork: ${importError ?? 'import failed'}`, 'ForkUnavailable');
      if (importStatus === 'finished' || importStatus === 'none' || importStatus === null) break;
    }
  } catch (error) {
    if (isForkUnavailable(error)) return null;
    throw ApplicationFailure.create({ type: failureType(error) ?? 'StepFailed', message: `fork student-template failed: ${rootCause(error).message}`, nonRetryable: true, cause: error as Error });
  }
  return runStep('finalize repository', () => gitlab.finalizeStudentRepository({ courseId, courseMemberId, projectId, provisioning: 'fork', ...templateAccess(grantTemplateAccess), ...stepsByActivity(mode) }));
}

async function provisionRepository(input: TProvisionInput, mode: TProvisionMode): Promise<TProvisionStudentResult> {
  const { courseId, courseMemberId } = input;
  const { grantTemplateAccess } = mode;
  const forked = await forkRepository(input, mode);
  if (forked) return { courseMemberId, projectId: forked.projectId, path: forked.path, webUrl: forked.webUrl, provisioning: 'fork' };
  const provisioning = 'fallback_copy';
  const copy = await runStep('copy student-template (fallback)', () => gitlab.copyTemplateRepository({ courseId, courseMemberId }));
  const project = await runStep('finalize repository', () => gitlab.finalizeStudentRepository({ courseId, courseMemberId, projectId: copy.projectId, provisioning, ...templateAccess(grantTemplateAccess), ...stepsByActivity(mode) }));
  return { courseMemberId, projectId: project.projectId, path: project.path, webUrl: project.webUrl, provisioning };
}

async function recordSteps(courseMemberId: string, updates: TStepUpdate[]): Promise<void> {
  try {
    // Not cancellable: a cancelled run still records where it stopped.
    await CancellationScope.nonCancellable(() => statusRecorder.recordProvisioningSteps({ courseMemberId, workflowId: workflowInfo().workflowId, updates }));
  } catch (error) {
    // The status view is secondary: a database hiccup must not fail the provisioning itself.
    log.warn('could not record provisioning steps', { courseMemberId, error: rootCause(error).message });
  }
}

/**
 * Runs `fn`, which does the work of `steps`, recording them running, then done, or, when it failed
 * for good, the failed one (marked by the activity, else `untagged`) with its error, those before it
 * done and those after it pending again (their attempt taken back).
 */
async function trackSteps<T>(courseMemberId: string, steps: readonly TProvisioningStep[], untagged: TProvisioningStep, fn: () => Promise<T>, o: { byActivity?: boolean } = {}): Promise<T> {
  // byActivity: the activities record running and done themselves (no local activity on the happy path).
  if (!o.byActivity) await recordSteps(courseMemberId, steps.map((step) => ({ step, state: 'running' as const })));
  try {
    const result = await fn();
    if (!o.byActivity) await recordSteps(courseMemberId, steps.map((step) => ({ step, state: 'done' })));
    return result;
  } catch (error) {
    const tagged = failedProvisioningStep(error);
    const failed = steps.indexOf(steps.find((s) => s === tagged) ?? untagged);
    const failure = rootCause(error);
    await recordSteps(courseMemberId, steps.map((step, i) => (i < failed ? { step, state: 'done' } : i === failed ? { step, state: 'failed', failure } : { step, state: 'pending', notReached: true })));
    throw error;
  }
}

/**
 * Forks student-template into the students group, unprotects main and makes the student
 * Maintainer. The fork activity waits a few seconds for GitLab's asynchronous import itself (small
 * forks finish in well under a second) and then finalizes in the same attempt; a longer import is
 * polled here with durable timers before finalizing. When GitLab will not fork, creates the
 * project and copies the template's files instead, and records that. Each step's state (user,
 * membership, repository, access) is recorded for the status view, a failure with its error.
 */
export async function provisionStudentRepositoryWorkflow(params: TProvisionStudentParams): Promise<TProvisionStudentResult> {
  decidePatches();
  const input = await validParams('provisionStudentRepositoryWorkflow', params);
  if (!isPatched(PROVISIONING_STATUS_PATCH)) return provisionRepository(input, { grantTemplateAccess: true });
  return provisionStudent(input, isPatched(PROVISIONING_STEPS_IN_ACTIVITY_PATCH));
}

/**
 * A student's steps in order, each recorded (GET /courses/:id/provisioning): the fork activity
 * grants the student-template access first (by username: an unknown user fails before a fork is
 * made for nobody), then forks and finalizes; its failures name their step. One activity, no extra
 * one; `byActivity`: the activities record running and done, this workflow only a failure.
 */
function provisionStudent(input: TProvisionInput, byActivity: boolean): Promise<TProvisionStudentResult> {
  const mode: TProvisionMode = { grantTemplateAccess: false, templateAccessFirst: true, ...(byActivity ? { recordSteps: true } : {}) };
  return trackSteps(input.courseMemberId, PROVISIONING_STEPS, 'repository', () => provisionRepository(input, mode), { byActivity });
}

/** Many students at once: one activity each (earlier runs: one child workflow each), bounded concurrency, progress by query. */
export async function addStudentsWorkflow(params: TAddStudentsParams): Promise<TBatchResult> {
  decidePatches();
  // Histories validated before `studentsPerRun` existed carry none: the default then.
  const { courseId, courseMemberIds, maxConcurrent, studentsPerRun = STUDENTS_PER_RUN, previousOutcomes = [] } = await validParams('addStudentsWorkflow', params);
  const total = previousOutcomes.length + courseMemberIds.length;
  const progress = newProgress(total);
  for (const o of previousOutcomes) {
    progress.done++;
    if (o.status === 'succeeded') progress.succeeded++;
    if (o.status === 'failed') progress.failed.push({ id: o.id, error: o.error ?? 'failed' });
  }
  setHandler(progressQuery, () => progress);
  let outcomes: TBatchOutcome[];
  if (isPatched(STUDENTS_INLINE_PATCH)) {
    // Each student is one activity of this workflow (its steps recorded by the activity), not a child
    // workflow: a third of the Temporal tasks per student. Every `studentsPerRun` students the
    // batch continues as new, so that its history stays small; the progress query follows it.
    const { workflowId } = workflowInfo();
    const thisRun = courseMemberIds.slice(0, studentsPerRun);
    const ran = await runBatch(thisRun, maxConcurrent, progress, async (courseMemberId) => {
      await provisionStudent({ courseId, courseMemberId, ...PROVISION_STUDENT_DEFAULTS }, true);
      return { workflowId };
    });
    outcomes = [...previousOutcomes, ...ran];
    const rest = courseMemberIds.slice(studentsPerRun);
    if (rest.length) await continueAsNew<typeof addStudentsWorkflow>({ courseId, courseMemberIds: rest, maxConcurrent, studentsPerRun, previousOutcomes: outcomes });
  } else {
    outcomes = await runBatch(courseMemberIds, maxConcurrent, progress, async (courseMemberId) => {
      const workflowId = workflowIds.provisionStudent(courseId, courseMemberId);
      await executeChild(provisionStudentRepositoryWorkflow, { workflowId, args: [{ courseId, courseMemberId }] });
      return { workflowId };
    });
  }
  const result = batchResult(total, outcomes);
  if (result.failed) {
    throw ApplicationFailure.create({
      type: 'BatchPartiallyFailed',
      message: `${result.failed} of ${result.total} student repositories failed in ${workflowInfo().workflowId}: ${progress.failed.map((f) => `${f.id} (${f.error})`).join('; ')}`,
      nonRetryable: true,
      details: [result],
    });
  }
  return result;
}

export async function syncMemberPermissionsWorkflow(params: TMemberParams) {
  const input = await validParams('syncMemberPermissionsWorkflow', params);
  return runStep('grant permissions', () => gitlab.syncMemberPermissions(input));
}

export async function revokeMemberAccessWorkflow(params: TMemberParams) {
  const input = await validParams('revokeMemberAccessWorkflow', params);
  return runStep('revoke access', () => gitlab.revokeMemberAccess(input));
}
