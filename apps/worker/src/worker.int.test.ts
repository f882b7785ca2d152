import path from 'node:path';
import { TASK_QUEUE_TASKS } from '@computor/contracts';
import { spawnProcess, stackEnvPath, stackTemporal, TEST_WORKFLOWS_PATH, uniq, type SpawnedProcess } from '@computor/test-support';
import type { Client, Connection } from '@temporalio/client';

const CLI = path.join(__dirname, '..', 'dist', 'cli.js');
const env = (extra: Record<string, string> = {}) => ({ PATH: process.env.PATH, COMPUTOR_ENV_FILE: stackEnvPath(), LOG_FORMAT: 'json', ...extra });

async function runCli(args: string[], extra?: Record<string, string>) {
  const proc = spawnProcess(process.execPath, [CLI, ...args], { env: env(extra) });
  const exit = await proc.exited;
  return { code: exit.code, output: proc.output() };
}

let client: Client;
let connection: Connection;
let namespace: string;
let worker: SpawnedProcess;
const identity = uniq('test-worker-');

beforeAll(async () => {
  ({ client, connection, namespace } = await stackTemporal({ isolated: true }));
  worker = spawnProcess(process.execPath, [CLI, 'worker', 'start', '--queue', TASK_QUEUE_TASKS, '--workflows', TEST_WORKFLOWS_PATH], {
    env: env({ WORKER_IDENTITY: identity, TEMPORAL_NAMESPACE: namespace }),
  });
  await worker.waitFor(/workers polling/, 60_000);
}, 90_000);

afterAll(async () => {
  await worker?.kill('SIGKILL');
  await connection?.close();
});

it('runs a workflow defined in test support through the CLI-started worker', async () => {
  const result = await client.workflow.execute('echoWorkflow', {
    taskQueue: TASK_QUEUE_TASKS,
    workflowId: uniq('echo-'),
    args: [{ message: 'hello', sleepMs: 50 }],
    workflowExecutionTimeout: '60s',
  });
  expect(result).toEqual({ message: 'hello', worker: identity });
});

it('shows the worker as a live poller of its queue in `worker status`', async () => {
  const { code, output } = await runCli(['worker', 'status', '--json', '--queue', TASK_QUEUE_TASKS], { TEMPORAL_NAMESPACE: namespace });
  const [queue] = JSON.parse(output);
  expect(queue.taskQueue).toBe(TASK_QUEUE_TASKS);
  expect(queue.workflowPollers).toEqual(expect.arrayContaining([expect.objectContaining({ identity, live: true })]));
  expect(queue.activityPollers).toEqual(expect.arrayContaining([expect.objectContaining({ identity, live: true })]));
  expect(code).toBe(0);
});

it('exits 1 from `worker status` when a queue has no poller', async () => {
  const { code, output } = await runCli(['worker', 'status', '--queue', uniq('empty-queue-')]);
  expect(code).toBe(1);
  expect(output).toMatch(/DOWN .*\n\s+no pollers/);
});

it('rejects an unknown queue and a bad environment with a clear message', async () => {
  const unknown = await runCli(['worker', 'start', '--queue', 'nope']);
  expect(unknown.code).toBe(2);
  expect(unknown.output).toMatch(/unknown queue\(s\): nope/);
  const badEnv = await runCli(['worker', 'start'], { WORKER_QUEUES: 'computor-tasks', DATABASE_URL: 'mysql://x' });
  expect(badEnv.code).toBe(2);
  expect(badEnv.output).toMatch(/DATABASE_URL: must be a postgresql:\/\/ URL/);
});

it('shuts down gracefully on SIGTERM', async () => {
  const second = spawnProcess(process.execPath, [CLI, 'worker', 'start', '--queue', TASK_QUEUE_TASKS, '--workflows', TEST_WORKFLOWS_PATH], {
    env: env({ WORKER_IDENTITY: uniq('graceful-'), TEMPORAL_NAMESPACE: namespace }),
  });
  await second.waitFor(/workers polling/, 60_000);
  const exit = await second.kill('SIGTERM');
  expect(exit.code).toBe(0);
  expect(second.output()).toMatch(/worker stopped/);
}, 90_000);
