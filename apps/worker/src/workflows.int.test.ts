import fs from 'node:fs';
import path from 'node:path';
import { TASK_QUEUE_TASKS, TASK_QUEUE_TESTING, WORKFLOW_PARAMS, type TWorkflowType } from '@computor/contracts';
import { stackTemporal, startWorkerProcess, uniq, type SpawnedProcess } from '@computor/test-support';
import { WorkflowFailedError, type Client, type Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';

// The real worker with the prebuilt bundle: every workflow validates its params (in a local
// activity, so zod stays out of the workflow sandbox) and fails for good on invalid input.

let client: Client;
let connection: Connection;
let worker: SpawnedProcess;

beforeAll(async () => {
  let namespace: string;
  ({ client, connection, namespace } = await stackTemporal({ isolated: true }));
  worker = await startWorkerProcess({ namespace, queues: [TASK_QUEUE_TASKS, TASK_QUEUE_TESTING] });
}, 90_000);

afterAll(async () => {
  await worker?.kill('SIGKILL');
  await connection?.close();
});

// Invalid for every schema: a bad courseId, note or retentionDays, or required fields missing.
const INVALID = { courseId: 'not-a-uuid', note: 5, retentionDays: 0 };

it.each(Object.keys(WORKFLOW_PARAMS) as TWorkflowType[])('%s fails with InvalidInput on invalid params and runs no activity', async (type) => {
  const taskQueue = type === 'testSubmissionWorkflow' || type === 'verifyExampleVersionWorkflow' ? TASK_QUEUE_TESTING : TASK_QUEUE_TASKS;
  const handle = await client.workflow.start(type, { taskQueue, workflowId: uniq(`invalid-${type}-`), args: [INVALID], workflowExecutionTimeout: '60s' });
  const error = await handle.result().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect((cause as ApplicationFailure).type).toBe('InvalidInput');
  expect((cause as ApplicationFailure).message).toMatch(/Invalid workflow input/);
  const events = (await handle.fetchHistory()).events ?? [];
  expect(events.filter((e) => e.activityTaskScheduledEventAttributes || e.startChildWorkflowExecutionInitiatedEventAttributes)).toHaveLength(0);
  expect((await handle.describe()).status.name).toBe('FAILED');
});

it('keeps zod out of the workflow bundle (each execution would evaluate it again)', () => {
  const bundle = fs.readFileSync(path.join(__dirname, '..', 'dist', 'workflow-bundle.js'), 'utf8');
  expect(bundle).not.toMatch(/node_modules\/zod\//);
  expect(bundle).toMatch(/validateWorkflowParams/);
});

it('runs the system check: the workflow reaches PostgreSQL and object storage through its activity', async () => {
  const result = await client.workflow.execute('systemCheckWorkflow', { taskQueue: TASK_QUEUE_TASKS, workflowId: uniq('system-check-'), args: [{ note: 'test' }], workflowExecutionTimeout: '60s' });
  expect(result.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok])).toEqual([
    ['postgres', true],
    ['storage', true],
  ]);
});
