import { storageConfigFrom } from '@computor/config';
import { RETENTION_SCHEDULE_ID, TASK_QUEUE_TASKS, TUTOR_TEST_PREFIX, TUTOR_TEST_STORAGE_DAYS, WF_RETENTION_CLEANUP } from '@computor/contracts';
import type { Logger } from '@computor/logger';
import { Storage } from '@computor/storage';
import { Client, Connection, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { TWorkerEnv } from './env';

/**
 * Creates or updates the retention Schedule (idempotent; every tasks worker calls it at start, so
 * a deployment needs no separate step). An interval of 0 deletes it.
 */
export async function ensureRetentionSchedule(env: TWorkerEnv, logger: Logger): Promise<void> {
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  try {
    const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
    const handle = client.schedule.getHandle(RETENTION_SCHEDULE_ID);
    if (env.RETENTION_INTERVAL_HOURS === 0) {
      await handle.delete().catch(() => undefined);
      return;
    }
    const action = {
      type: 'startWorkflow' as const,
      workflowType: WF_RETENTION_CLEANUP,
      taskQueue: TASK_QUEUE_TASKS,
      args: [{ retentionDays: env.RETENTION_DAYS }],
      workflowExecutionTimeout: '6 hours' as const,
    };
    const spec = { intervals: [{ every: `${env.RETENTION_INTERVAL_HOURS} hours` as const }] };
    try {
      await client.schedule.create({ scheduleId: RETENTION_SCHEDULE_ID, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP } });
      logger.info('retention schedule created', { everyHours: env.RETENTION_INTERVAL_HOURS, retentionDays: env.RETENTION_DAYS });
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      await handle.update((previous) => ({ ...previous, spec, action }));
    }
  } finally {
    await connection.close();
  }
}

/**
 * Tutor test runs expire from object storage after a day: by a lifecycle rule on their prefix where
 * the S3 server has them (idempotent; every tasks worker sets it at start), else by the retention
 * cleanup, which sweeps the prefix on every run. Failing to set the rule does not stop the worker.
 */
export async function ensureTutorTestExpiry(env: TWorkerEnv, logger: Logger): Promise<void> {
  const storage = new Storage(storageConfigFrom(env));
  try {
    const outcome = await storage.ensurePrefixExpiry(TUTOR_TEST_PREFIX, TUTOR_TEST_STORAGE_DAYS);
    logger.info('tutor test run expiry', { prefix: TUTOR_TEST_PREFIX, days: TUTOR_TEST_STORAGE_DAYS, by: outcome === 'applied' ? 'lifecycle rule' : 'retention cleanup (no lifecycle rules on this server)' });
  } catch (error) {
    logger.warn('tutor test run expiry: could not set the lifecycle rule; the retention cleanup deletes them', { error: (error as Error).message });
  } finally {
    storage.destroy();
  }
}
