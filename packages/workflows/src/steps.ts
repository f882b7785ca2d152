import type { Activities } from '@computor/activities';
import type { TValidParams, TWorkflowType } from '@computor/contracts';
import { PATCHES_DECIDED_FIRST_PATCH, type TCurrentPatch } from '@computor/contracts/workflow-keys';
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, patched, proxyLocalActivities, type RetryPolicy } from '@temporalio/workflow';

/** Transient GitLab trouble (5xx, 429, resets) is retried with backoff; the activities mark what is not. */
export const GITLAB_RETRY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  maximumAttempts: 10,
};

/** The innermost application failure of an activity or child failure. */
export function rootCause(error: unknown): { message: string; type: string | null } {
  let current: unknown = error;
  while ((current instanceof ActivityFailure || current instanceof ChildWorkflowFailure) && current.cause) current = current.cause;
  if (current instanceof ApplicationFailure) return { message: current.message, type: current.type ?? null };
  return { message: current instanceof Error ? current.message : String(current), type: null };
}

/** The provisioning step an activity marked its failure with (`inProvisioningStep`), if any, looking through runStep's wrapping. */
export function failedProvisioningStep(error: unknown): string | null {
  let current: unknown = error;
  while (current instanceof Error) {
    const step = current instanceof ApplicationFailure ? (current.details?.[0] as { provisioningStep?: unknown } | undefined)?.provisioningStep : undefined;
    if (typeof step === 'string') return step;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

export function failureType(error: unknown): string | null {
  return rootCause(error).type;
}

/**
 * Runs a step; when it fails for good the workflow fails with an ApplicationFailure naming the
 * step and carrying the cause's type and message (e.g. GitLab's answer).
 */
export async function runStep<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ActivityFailure || error instanceof ChildWorkflowFailure) {
      const cause = rootCause(error);
      throw ApplicationFailure.create({ type: cause.type ?? 'StepFailed', message: `${name} failed: ${cause.message}`, nonRetryable: true, cause: error });
    }
    throw error;
  }
}

// Validation runs zod, which stays out of the workflow sandbox: a local activity on this worker.
const validation = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['InvalidInput'] },
});

/**
 * The workflow's params validated against its contract schema, defaults applied. Invalid input
 * fails the workflow with a non-retryable InvalidInput (a thrown ZodError in workflow code would
 * instead retry the workflow task forever).
 */
export async function validParams<K extends TWorkflowType>(workflowType: K, params: unknown): Promise<TValidParams<K>> {
  try {
    return await validation.validateWorkflowParams({ workflowType, params });
  } catch (error) {
    const cause = rootCause(error);
    if (cause.type === 'InvalidInput') throw ApplicationFailure.nonRetryable(cause.message, 'InvalidInput');
    throw error;
  }
}

// Per execution: the SDK evaluates workflow modules again for each one.
let startedOnCurrentCode: boolean | undefined;

/**
 * The first statement of a workflow that has patches, before any activity. A `patched()` asked
 * after a local activity can read false on replay although its marker is in the history: when the
 * worker answers a query while the activity's result is pending, the SDK completes the task with
 * the activity's marker, the patch marker lands in the next task, and replay has not reached that
 * task when the workflow asks (TMPRL1100 "Non-deprecated patch marker encountered ... no
 * corresponding change command"; an addStudentsWorkflow stuck so in CI). So a new execution records
 * one marker here, before any activity, and asks none of CURRENT_PATCHES later.
 */
export function decidePatches(): void {
  startedOnCurrentCode = patched(PATCHES_DECIDED_FIRST_PATCH);
}

/** Whether this execution takes the new branch of `patchId`: always when it started on current code, else as its history says. */
export function isPatched(patchId: TCurrentPatch): boolean {
  if (startedOnCurrentCode === undefined) throw new Error(`isPatched('${patchId}') before decidePatches(): call it first in the workflow`);
  return startedOnCurrentCode || patched(patchId);
}

/** Bounded concurrency for batches (deterministic: plain promises), shared with activities. */
export { forEachBounded } from '@computor/contracts/workflow-keys';
