import type { Activities } from '@computor/activities';
import type { TSystemCheckParams, TSystemCheckResult } from '@computor/contracts';
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import { validParams } from './steps';

const { checkDependencies } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3 },
});

/** End-to-end check of a worker: the workflow runs, its activity reaches Postgres and storage. */
export async function systemCheckWorkflow(params: TSystemCheckParams = {}): Promise<TSystemCheckResult> {
  await validParams('systemCheckWorkflow', params);
  const result = await checkDependencies();
  const failed = result.checks.filter((c) => !c.ok);
  if (failed.length) {
    throw ApplicationFailure.nonRetryable(
      `Dependencies unreachable from ${result.worker}: ${failed.map((c) => `${c.name} (${c.error})`).join(', ')}`,
      'DependencyUnavailable',
    );
  }
  return result;
}
