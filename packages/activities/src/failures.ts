import { isGitlabError, toApplicationFailureInfo } from '@computor/gitlab';
import { Context, heartbeat } from '@temporalio/activity';
import type { TProvisioningStep } from '@computor/contracts';
import { ApplicationFailure } from '@temporalio/common';

/** Failure types that retrying cannot fix; workflows list them in their retry policies too. */
export const NON_RETRYABLE = {
  invalidInput: 'InvalidInput',
  notFound: 'NotFound',
  precondition: 'PreconditionFailed',
  gitlabUserNotFound: 'GitlabUserNotFound',
  gitlabTokenMissing: 'GitlabTokenMissing',
  forkUnavailable: 'ForkUnavailable',
} as const;

/** Workflows set heartbeatTimeout to a few of these. */
export const HEARTBEAT_INTERVAL_MS = 3_000;

/**
 * Awaits every promise, so that none is still running when one has failed, and answers their values
 * or throws the first failure in the order given (not the first to happen).
 */
export async function settleAll<T extends readonly unknown[] | []>(promises: T): Promise<{ -readonly [P in keyof T]: Awaited<T[P]> }> {
  const settled = await Promise.allSettled(promises);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as { -readonly [P in keyof T]: Awaited<T[P]> };
}

export function nonRetryable(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

/**
 * Runs one step; GitLab errors become ApplicationFailures whose message names the step and
 * GitLab's answer, whose type says why, and whose retry hint honours Retry-After.
 */
export async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  // Heartbeats while the step waits on GitLab (or on the shared rate limiter), so a lost worker is
  // noticed within the heartbeat timeout instead of the whole start-to-close timeout.
  const beat = setInterval(() => heartbeat({ step: name }), HEARTBEAT_INTERVAL_MS);
  try {
    // A cancellation (delivered with a heartbeat response) ends the step at once; the request in
    // flight is abandoned, and every step is safe to repeat.
    return await Promise.race([fn(), Context.current().cancelled]);
  } catch (error) {
    if (error instanceof ApplicationFailure) throw error;
    if (isGitlabError(error)) {
      const info = toApplicationFailureInfo(error);
      throw ApplicationFailure.create({
        type: info.type,
        message: `${name}: ${info.message}`,
        nonRetryable: info.nonRetryable,
        nextRetryDelay: info.nextRetryDelayMs,
      });
    }
    throw error;
  } finally {
    clearInterval(beat);
  }
}

/**
 * Marks the failures of `fn` with the provisioning step they belong to (`details[0].provisioningStep`),
 * so that the workflow records the right step as failed when one activity does the work of two.
 */
export async function inProvisioningStep<T>(provisioningStep: TProvisioningStep, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (!(error instanceof ApplicationFailure) || error.details?.length) throw error;
    throw ApplicationFailure.create({
      type: error.type ?? undefined,
      message: error.message,
      nonRetryable: error.nonRetryable ?? undefined,
      nextRetryDelay: error.nextRetryDelay ?? undefined,
      details: [{ provisioningStep }],
    });
  }
}
