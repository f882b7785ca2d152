import type { Activities } from '@computor/activities';
import type { TContentDeadlineParams, TReopenSignal } from '@computor/contracts';
import { DEADLINE_CHANGED_SIGNAL, DEADLINE_PRIORITY, DEADLINE_REOPEN_SIGNAL } from '@computor/contracts/workflow-keys';
import { condition, continueAsNew, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import { GITLAB_RETRY, validParams } from './steps';

export const deadlineChangedSignal = defineSignal(DEADLINE_CHANGED_SIGNAL);
export const reopenSignal = defineSignal<[TReopenSignal]>(DEADLINE_REOPEN_SIGNAL);

// Locking many repositories is GitLab work: heartbeating, retried with backoff. At a due time the
// task queue fills with the pushes of the last minutes: the pass goes first.
const gitlab = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: GITLAB_RETRY,
  priority: { priorityKey: DEADLINE_PRIORITY },
});

/** Passes before the history is handed to a fresh run (continue-as-new). */
const PASSES_PER_RUN = 200;

/**
 * The deadline of one course content (business id `deadline-<content>`): sleeps on a durable timer
 * until the next student's effective due time, then removes push access of every student whose
 * time has come and records their final hand-in. A changed due time, extension or accommodation
 * is a signal to this same workflow (it recomputes at once, unlocking a repository whose due time
 * moved into the future); staff reopen repositories with the `reopen` signal. Ends when the
 * content is archived or deleted.
 */
export async function contentDeadlineWorkflow(params: TContentDeadlineParams): Promise<{ closed: true }> {
  const { courseContentId } = await validParams('contentDeadlineWorkflow', params);
  let changed = true;
  const reopens: TReopenSignal[] = [];
  setHandler(deadlineChangedSignal, () => {
    changed = true;
  });
  setHandler(reopenSignal, (r) => {
    reopens.push(r);
  });
  for (let pass = 0; pass < PASSES_PER_RUN; pass++) {
    while (reopens.length) await gitlab.reopenRepositories({ courseContentId, courseMemberIds: reopens.shift()!.courseMemberIds });
    changed = false;
    const result = await gitlab.applyDeadlines({ courseContentId });
    if (result.closed) return { closed: true };
    const wait = result.nextDueAt === null ? undefined : Math.max(0, result.nextDueAt - Date.now());
    if (wait === undefined) await condition(() => changed || reopens.length > 0);
    else await condition(() => changed || reopens.length > 0, wait);
  }
  // Signals that arrive during the hand-over are delivered to the next run.
  await continueAsNew<typeof contentDeadlineWorkflow>({ courseContentId });
  return { closed: true };
}
