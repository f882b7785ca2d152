import type { Activities } from '@computor/activities';
import type { TRegradeParams, TRegradeProgress } from '@computor/contracts';
import { GRADING_PRIORITY, PROGRESS_QUERY, REGRADE_CONCURRENCY_PATCH, REGRADE_YIELDS_PATCH, TASK_QUEUE_TESTING } from '@computor/contracts/workflow-keys';
import { CancellationScope, defineQuery, executeChild, isCancellation, proxyLocalActivities, setHandler, sleep } from '@temporalio/workflow';
import { testSubmissionWorkflow } from './grading';
import { decidePatches, forEachBounded, isPatched, rootCause, validParams } from './steps';

const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['NotFound', 'InvalidInput'] } });

export const regradeProgressQuery = defineQuery<TRegradeProgress>(PROGRESS_QUERY);

/**
 * Hand-ins of a regrade graded at once. With the regrade's lower Temporal priority, a first-time
 * hand-in overtakes every queued regrade run; with one in flight, the regrade also holds at most
 * one grading slot (and core) at a time by default (API_REGRADE_CONCURRENCY), so that hand-ins
 * during it find the other free and CPU left for their hook, fetch and workflow tasks. Two before
 * the patch.
 */
const inFlight = (concurrency: number | undefined) => (isPatched(REGRADE_CONCURRENCY_PATCH) ? (concurrency ?? 1) : 2);

/** How long a regrade run waits for the course's queued first-time hand-ins before it goes ahead anyway. */
const YIELD_LIMIT_MS = 60_000;

/**
 * Before each run, a regrade waits (durable timers, a second apart) while its course is handing in
 * (a first-time hand-in queued, or one in the last seconds): at a deadline the bottleneck is CPU
 * for the pushes' fetch, workflow tasks and grading, which a regrade run takes too, whatever its
 * task priority. It waits at most a minute per run, so a regrade always progresses.
 */
async function yieldToHandIns(courseId: string): Promise<void> {
  const until = Date.now() + YIELD_LIMIT_MS;
  while (Date.now() < until && (await local.courseHandingIn({ courseId }))) await sleep(1_000);
}

/**
 * Regrades one content (the Regrade row made by the API): each student's final or latest hand-in
 * is rescored (its stored verdicts, when the example version is unchanged) or run again as a child
 * `testSubmissionWorkflow` at a lower priority than first-time hand-ins. The results stay
 * staff-only: the regrade ends in `preview`, and staff publish or discard it. Cancellable: the
 * running children are cancelled and the regrade is `cancelled`.
 */
export async function regradeWorkflow(params: TRegradeParams): Promise<TRegradeProgress> {
  decidePatches();
  // The Regrade row is closed however the run ends, even cancelled before its first step.
  const regradeId = params.regradeId;
  const progress: TRegradeProgress = { total: 0, done: 0, failed: 0, running: 0 };
  setHandler(regradeProgressQuery, () => progress);
  try {
    const { concurrency } = await validParams('regradeWorkflow', params);
    const targets = await local.listRegradeTargets({ regradeId });
    progress.total = targets.length;
    await forEachBounded(targets, inFlight(concurrency), async (artifactId) => {
      progress.running++;
      let ok = false;
      try {
        const item = await local.createRegradeResult({ regradeId, artifactId });
        if (item.workflowId) {
          if (isPatched(REGRADE_YIELDS_PATCH)) await yieldToHandIns(item.courseId);
          await executeChild(testSubmissionWorkflow, {
            workflowId: item.workflowId,
            taskQueue: TASK_QUEUE_TESTING,
            args: [{ resultId: item.resultId }],
            priority: { priorityKey: GRADING_PRIORITY.regrade, fairnessKey: item.courseId },
          });
        }
        ok = true;
      } catch (error) {
        if (isCancellation(error)) throw error;
        // One hand-in that cannot be graded does not stop the regrade: it is counted and shown.
      } finally {
        progress.running--;
        if (ok) progress.done++;
        else {
          progress.done++;
          progress.failed++;
        }
        await CancellationScope.nonCancellable(() => local.regradeItemDone({ regradeId, ok }));
      }
    });
    await local.closeRegrade({ regradeId, status: 'preview' });
    return progress;
  } catch (error) {
    const cancelled = isCancellation(error);
    await CancellationScope.nonCancellable(() => local.closeRegrade({ regradeId, status: cancelled ? 'cancelled' : 'failed', message: cancelled ? 'The regrade was cancelled.' : rootCause(error).message }));
    throw error;
  }
}
