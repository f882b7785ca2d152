import type { Activities } from '@computor/activities';
import type { TValidParams, TWorkflowType } from '@computor/contracts';
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, proxyLocalActivities, type RetryPolicy } from '@temporalio/workflow';

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

/** Bounded concurrency for batches (deterministic: plain promises), shared with activities. */
export { forEachBounded } from '@computor/contracts/workflow-keys';
