import type { Activities, TCollectionPlan, TGradeTarget } from '@computor/activities';
import type {
  TCollectionResult,
  THandInCommitParams,
  THandInCommitResult,
  TTestSubmissionParams,
  TTestSubmissionResult,
  TTutorTestParams,
  TTutorTestResult,
  TVerificationReport,
  TVerifyExampleParams,
} from '@computor/contracts';
import { GRADING_PRIORITY, HAND_IN_LOCAL_PATCH, HAND_IN_ONE_ACTIVITY_PATCH, HAND_IN_RUNS_TEST_PATCH, TASK_QUEUE_TESTING, TUTOR_TEST_STATE_QUERY } from '@computor/contracts/workflow-keys';
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  proxyActivities as proxyRemoteActivities,
  defineQuery,
  patched,
  proxyLocalActivities,
  setHandler,
  sleep,
  startChild,
  TimeoutFailure,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError, type Priority } from '@temporalio/common';
import { decidePatches, GITLAB_RETRY, isPatched, rootCause, runStep, validParams } from './steps';

const NON_RETRYABLE_TYPES = ['InvalidInput', 'NotFound', 'PreconditionFailed'];

// Database and storage bookkeeping is short: local activities on this worker, no task-queue round
// trip and no sandbox slot. Transient storage or database trouble is retried.
const bookkeeping = proxyLocalActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

/**
 * One proxy per budget: each collection gets its own start-to-close timeout. Heartbeats every 3 s,
 * so a lost worker is noticed within 15 s and the collection retried elsewhere (or after restart).
 * Each attempt is one server-side attempt: `gradeWithBudgets` decides about repeats, so that a lost
 * worker and a failing attempt draw on separate budgets.
 */
function graderFor(plan: TCollectionPlan, on: TGradeOn) {
  return proxyActivities<Activities>({
    startToCloseTimeout: plan.budgetMs,
    heartbeatTimeout: '15 seconds',
    retry: { maximumAttempts: 1 },
    ...(on.priority ? { taskQueue: TASK_QUEUE_TESTING, priority: on.priority } : {}),
  });
}

/**
 * Where a workflow's collections are graded: by default on its own task queue (a workflow on
 * computor-testing, whose activities then start on the same worker) with its own priority; a
 * workflow on another queue sends them to computor-testing with `priority`.
 */
interface TGradeOn {
  priority?: Priority;
}

/** Attempts that failed (the grader threw) before the collection fails. */
const FAILED_ATTEMPTS = 3;
/** Attempts lost with their worker (killed, crashed, restarted): the student's hand-in is not at fault. */
const LOST_WORKERS = 10;

function exceededBudget(error: unknown): boolean {
  return error instanceof ActivityFailure && error.cause instanceof TimeoutFailure && error.cause.timeoutType === 'START_TO_CLOSE';
}

function lostWorker(error: unknown): boolean {
  return error instanceof ActivityFailure && error.cause instanceof TimeoutFailure && error.cause.timeoutType === 'HEARTBEAT';
}

function retryable(error: unknown): boolean {
  if (!(error instanceof ActivityFailure)) return false;
  const cause = error.cause;
  if (cause instanceof ApplicationFailure) return !cause.nonRetryable && !NON_RETRYABLE_TYPES.includes(cause.type ?? '');
  return true;
}

/** A collection that did not finish within its budget costs that collection (every check `timeout`), not the submission. */
function timedOutCollection(plan: TCollectionPlan): TCollectionResult {
  const message = `the collection did not finish within its time budget of ${Math.round(plan.budgetMs / 1000)} s`;
  return {
    name: plan.name,
    type: plan.type,
    status: 'timeout',
    message,
    checks: plan.checks.map((name) => ({ name, status: 'timeout' as const, message, durationMs: 0 })),
    summary: { total: plan.checks.length, passed: 0, failed: plan.checks.length, skipped: 0 },
    durationMs: plan.budgetMs,
  };
}

async function gradeWithBudgets(plan: TCollectionPlan, input: Parameters<Activities['gradeSubmissionCollection']>[0], on: TGradeOn): Promise<TCollectionResult> {
  let failed = 0;
  let lost = 0;
  for (;;) {
    try {
      return await graderFor(plan, on).gradeSubmissionCollection(input);
    } catch (error) {
      if (isCancellation(error)) throw error;
      if (exceededBudget(error)) return timedOutCollection(plan);
      if (lostWorker(error)) {
        // The heartbeat timeout already waited; the next attempt goes to whichever worker polls.
        if (++lost > LOST_WORKERS) throw error;
        continue;
      }
      if (++failed >= FAILED_ATTEMPTS || !retryable(error)) throw error;
      await sleep(Math.min(1000 * 2 ** (failed - 1), 15_000));
    }
  }
}

async function gradeAll(example: Parameters<Activities['gradeSubmissionCollection']>[0]['example'], target: TGradeTarget, plans: TCollectionPlan[], on: TGradeOn = {}): Promise<TCollectionResult[]> {
  return Promise.all(plans.map((plan) => gradeWithBudgets(plan, { example, target, collectionIndex: plan.index }, on)));
}

/**
 * Tests one submission artifact (the Result row created by the API): prepare -> one activity per
 * collection in parallel -> aggregate and store. Fails for real (Result `failed`) when grading
 * cannot finish; a cancelled run leaves the Result `cancelled` with no report.
 */
export async function testSubmissionWorkflow(params: TTestSubmissionParams): Promise<TTestSubmissionResult> {
  const { resultId } = await validParams('testSubmissionWorkflow', params);
  return testResult(resultId, {});
}

/** testSubmissionWorkflow's steps, also run by a push's hand-in workflow (on computor-tasks, `on.priority` given). */
async function testResult(resultId: string, on: TGradeOn): Promise<TTestSubmissionResult> {
  let artifactId: string | undefined;
  try {
    // Graded elsewhere: this worker reads the example for the plan and does not fetch the files.
    const plan = await bookkeeping.prepareSubmissionTest({ resultId, ...(on.priority ? { prefetch: false } : {}) });
    artifactId = plan.artifact.artifactId;
    const collections = await gradeAll(plan.example, { kind: 'artifact', resultId }, plan.collections, on);
    return await bookkeeping.storeSubmissionResult({ plan, collections });
  } catch (error) {
    if (isCancellation(error)) {
      await CancellationScope.nonCancellable(() => bookkeeping.closeResult({ resultId, artifactId, status: 'cancelled', message: 'The test run was cancelled.' }));
      throw error;
    }
    const cause = rootCause(error);
    const message = `Grading failed: ${cause.message}`;
    await CancellationScope.nonCancellable(() => bookkeeping.closeResult({ resultId, artifactId, status: 'failed', message }));
    throw ApplicationFailure.create({ type: cause.type ?? 'GradingFailed', message, nonRetryable: true, cause: error instanceof Error ? error : undefined });
  }
}

export const tutorTestStateQuery = defineQuery<'queued' | 'running' | 'storing'>(TUTOR_TEST_STATE_QUERY);

/**
 * A tutor's test run: the uploaded files (in object storage under `tutor-test-runs/<id>/`) graded
 * like a hand-in, by the same collection activity in the same sandbox, without any database row.
 * The workflow is the run's state: its result (the staff view with a report key) or its failure.
 */
export async function tutorTestWorkflow(params: TTutorTestParams): Promise<TTutorTestResult> {
  const input = await validParams('tutorTestWorkflow', params);
  let state: 'queued' | 'running' | 'storing' = 'queued';
  setHandler(tutorTestStateQuery, () => state);
  try {
    const plan = await bookkeeping.prepareTutorTest(input);
    state = 'running';
    const collections = await gradeAll(plan.example, { kind: 'stored', files: plan.files }, plan.collections);
    state = 'storing';
    return await bookkeeping.storeTutorTestResult({ plan, collections });
  } catch (error) {
    await CancellationScope.nonCancellable(() => bookkeeping.releaseTutorTest({ testRunId: input.testRunId }));
    if (isCancellation(error)) throw error;
    const cause = rootCause(error);
    throw ApplicationFailure.create({ type: cause.type ?? 'GradingFailed', message: `Grading failed: ${cause.message}`, nonRetryable: true, cause: error instanceof Error ? error : undefined });
  }
}

/**
 * Grades the example's reference solution and every `localTests/*` hand-in and stores the
 * outcome on the version: `verified` only when the reference scores 1.0.
 */
export async function verifyExampleVersionWorkflow(params: TVerifyExampleParams): Promise<TVerificationReport> {
  const { exampleVersionId } = await validParams('verifyExampleVersionWorkflow', params);
  try {
    const plan = await bookkeeping.prepareVerification({ exampleVersionId });
    const handIns = await Promise.all(
      plan.handIns.map(async (handIn) => {
        const collections = await gradeAll(plan.example, { kind: 'hand-in', handIn }, plan.collections);
        // The verification report keeps verdicts, not program output: history stays small.
        return { handIn, collections: collections.map(({ output: _output, ...rest }) => rest) };
      }),
    );
    return await bookkeeping.storeVerification({ example: plan.example, handIns });
  } catch (error) {
    const cause = rootCause(error);
    const message = isCancellation(error) ? 'The verification was cancelled.' : `Verification failed: ${cause.message}`;
    await CancellationScope.nonCancellable(() => bookkeeping.abandonVerification({ exampleVersionId, message }));
    if (isCancellation(error)) throw error;
    throw ApplicationFailure.create({ type: cause.type ?? 'VerificationFailed', message, nonRetryable: true, cause: error instanceof Error ? error : undefined });
  }
}

// Fetching a commit talks to GitLab (rate-limited). Histories from before HAND_IN_LOCAL_PATCH: a
// regular, heartbeating activity on this queue.
const repository = proxyRemoteActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '15 seconds',
  retry: { ...GITLAB_RETRY, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});
// Now a local activity: a few GitLab requests and a few statements, well under a second. The
// workflow task is extended while it runs (a wait on GitLab's rate limit included); a lost worker
// costs the workflow task timeout, then another worker runs it again (it is idempotent per commit).
const handInLocally = proxyLocalActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { ...GITLAB_RETRY, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

/**
 * Hands in the student's own repository at a commit (named through the API, or pushed): fetches the
 * assignment's directory at that commit through GitLab, stores it like an upload (once per commit),
 * then queues its test run under this workflow's id and grades it (testSubmissionWorkflow's steps,
 * the collections on computor-testing at hand-in priority); or, for a push while an older hand-in
 * of the same content is still queued, takes the older one's place (that one is superseded, never
 * graded, and the older workflow grades this one) and ends. The hand-in step is one local activity.
 * Histories from before HAND_IN_RUNS_TEST_PATCH: the activity started a testSubmissionWorkflow.
 */
export async function handInCommitWorkflow(params: THandInCommitParams): Promise<THandInCommitResult> {
  decidePatches();
  const local = patched(HAND_IN_LOCAL_PATCH);
  const runsTest = local && patched(HAND_IN_RUNS_TEST_PATCH);
  const input = await validParams('handInCommitWorkflow', params);
  if (runsTest) {
    // The run is queued under this workflow's id; this workflow grades it unless a newer push took
    // the place of an older queued run (`joined`: that one's workflow grades it) or one exists.
    const { runHere, ...handedIn } = await runStep('hand in the commit', () => handInLocally.handInCommit({ ...input, runIn: workflowInfo().workflowId }));
    if (runHere && handedIn.result_id) await testResult(handedIn.result_id, { priority: { priorityKey: GRADING_PRIORITY.handIn, fairnessKey: runHere.courseId } });
    return handedIn;
  }
  if (local) return runStep('hand in the commit', () => handInLocally.handInCommit(input));
  if (isPatched(HAND_IN_ONE_ACTIVITY_PATCH)) return runStep('hand in the commit', () => repository.handInCommit(input));
  // Histories from before: a queueing local activity, then the test run as a child workflow.
  const stored = await runStep('fetch the commit', () => repository.fetchCommitHandIn(input));
  const base = { submission_id: stored.artifactId, commit_sha: stored.commitSha, created: stored.created };
  if (!input.test) return { ...base, test: 'none', result_id: null, test_workflow_id: null, superseded: [], reason: 'No test run was asked for.' };
  const queued = await runStep('queue the test run', () =>
    bookkeeping.enqueueHandInTest({ artifactId: stored.artifactId, requestedById: input.requestedById, supersede: input.source === 'push' }),
  );
  if (queued.start && queued.workflowId && queued.resultId) {
    try {
      await startChild(testSubmissionWorkflow, {
        workflowId: queued.workflowId,
        taskQueue: TASK_QUEUE_TESTING,
        args: [{ resultId: queued.resultId }],
        parentClosePolicy: 'ABANDON',
        priority: { priorityKey: GRADING_PRIORITY.handIn, fairnessKey: queued.courseId },
      });
    } catch (error) {
      // A retried hand-in whose run was already started.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }
  return {
    ...base,
    test: queued.test,
    result_id: queued.resultId,
    test_workflow_id: queued.workflowId,
    superseded: queued.superseded,
    ...(queued.test === 'none' ? { reason: queued.reason } : {}),
  };
}
