import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TASK_QUEUE_TASKS, TASK_QUEUE_TESTING } from '@computor/contracts';
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

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

it('a testing worker starts by killing what dead workers left (processes in their run cgroups, their private dirs), reports its confinement and the languages it grades', async () => {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-sweep-'));
  const ns = /\[(\d+)\]/.exec(fs.readlinkSync('/proc/self/ns/pid'))?.[1] as string;
  const dead = spawnSync('/bin/true').pid as number;
  const deadDir = path.join(workDir, `w-${ns}-${dead}-AbCdEf`);
  fs.mkdirSync(path.join(deadDir, 'run-x'), { recursive: true, mode: 0o700 });
  // The project's machines are cgroup v1 (memory, pids, cpu); a survivor of a dead worker's run.
  const cgroupDirs = ['memory', 'pids', 'cpu'].map((c) => path.join('/sys/fs/cgroup', c, 'computor-sandbox', `run-${ns}-${dead}-61999-1`));
  for (const dir of cgroupDirs) fs.mkdirSync(dir, { recursive: true });
  const survivor = spawn('/bin/sleep', ['300'], { detached: true, stdio: 'ignore' });
  const survivorExit = new Promise((resolve) => survivor.on('exit', (_code, signal) => resolve(signal)));
  for (const dir of cgroupDirs) fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(survivor.pid));
  const port = await freePort();
  const testingIdentity = uniq('sweep-');
  const testing = spawnProcess(process.execPath, [CLI, 'worker', 'start', '--queue', TASK_QUEUE_TESTING, '--workflows', TEST_WORKFLOWS_PATH], {
    env: env({ WORKER_IDENTITY: testingIdentity, TEMPORAL_NAMESPACE: namespace, GRADER_WORK_DIR: workDir, WORKER_METRICS_PORT: String(port) }),
  });
  try {
    await testing.waitFor(/workers polling/, 60_000);
    const line = JSON.parse(await testing.waitFor(/sandbox runs confined in cgroups/)) as { killedProcesses: number; sweptRunCgroups: number };
    expect(line.killedProcesses).toBeGreaterThanOrEqual(1);
    expect(line.sweptRunCgroups).toBeGreaterThanOrEqual(1);
    expect(await survivorExit).toBe('SIGKILL');
    for (const dir of cgroupDirs) expect(fs.existsSync(dir)).toBe(false);
    const left = fs.readdirSync(workDir);
    expect(left).toEqual([expect.stringMatching(new RegExp(`^w-${ns}-${testing.child.pid}-`))]);
    expect(fs.statSync(path.join(workDir, left[0] as string)).mode & 0o777).toBe(0o700);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^computor_sandbox_confinement\{mode="cgroup-v1"\} 1$/m);
    expect(metrics).toMatch(/^computor_sandbox_confinement\{mode="rlimit"\} 0$/m);

    // It reports which languages it grades: every installed runtime passed its canary; Julia has none here.
    const graded = JSON.parse(await testing.waitFor(/languages this worker grades/, 120_000)) as { languages: string[]; canaries: Record<string, string> };
    expect([...graded.languages].sort()).toEqual(['c', 'document', 'fortran', 'octave', 'python', 'r']);
    expect(graded.canaries.python).toMatch(/^passed \d+ ms$/);
    const refused = JSON.parse(await testing.waitFor(/languages this worker refuses/)) as { refused: Array<{ language: string; reason: string }> };
    expect(refused.refused).toEqual([{ language: 'julia', reason: 'julia not found on PATH' }]);
    const after = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(after).toMatch(/^computor_grader_language_ok\{language="octave"\} 1$/m);
    expect(after).toMatch(/^computor_grader_language_ok\{language="julia"\} 0$/m);
    const status = await runCli(['worker', 'status', '--queue', TASK_QUEUE_TESTING], { TEMPORAL_NAMESPACE: namespace });
    expect(status.output).toMatch(/grades: python, c, octave, r, fortran, document\n\s+refuses julia: julia not found on PATH/);
    const json = JSON.parse((await runCli(['worker', 'status', '--json', '--queue', TASK_QUEUE_TESTING], { TEMPORAL_NAMESPACE: namespace })).output) as Array<{ activityPollers: Array<{ identity: string; languages?: Array<{ language: string; ok: boolean }> }> }>;
    const poller = json[0]?.activityPollers.find((p) => p.identity === testingIdentity);
    expect(poller?.languages?.find((l) => l.language === 'r')).toMatchObject({ ok: true });
  } finally {
    await testing.kill('SIGKILL');
    survivor.kill('SIGKILL');
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}, 240_000);
