// Workflows used only by tests, loaded by a worker started with `--workflows <this module>`.
import type { Activities } from '@computor/activities';
import { proxyActivities, sleep } from '@temporalio/workflow';

const { checkDependencies } = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds' });

/** Echoes its input after a durable timer and one real activity round trip. */
export async function echoWorkflow(input: { message: string; sleepMs?: number }): Promise<{ message: string; worker: string }> {
  if (input.sleepMs) await sleep(input.sleepMs);
  const { worker } = await checkDependencies();
  return { message: input.message, worker };
}

/** Fails its workflow task on every attempt (a plain Error in workflow code), as code that cannot replay its history does. */
export async function stuckWorkflow(): Promise<never> {
  throw new Error('this workflow task always fails');
}
