// What one workflow execution costs apart from the work it orders: CPU of the worker process and of
// the local Temporal server per execution, for workflows whose activities do nothing.
//   pnpm bench workflow-overhead [--workflows 1000] [--rounds 3]   (figures: the median round)
// Shapes (bench/workflows/overhead.js): one activity (a hand-in), local-remote-local (a test run),
// and both in one execution. Each round runs every shape once, so that drift in the server (its
// SQLite file grows) falls on all of them alike.
const { Worker, NativeConnection, Runtime, DefaultLogger } = require('@temporalio/worker');
const { loadStackEnv, stackTemporal } = require('@computor/test-support');
const { parseOptions, percentile, processTreeCpuMs, stackPids, writeResults } = require('./common');

const SHAPES = ['oneActivity', 'testRunShape', 'handInAndTestRun'];

async function main() {
  const o = parseOptions({ workflows: 1000, rounds: 3, batch: 50 });
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const { temporal } = stackPids();
  if (!temporal) throw new Error('the local stack is not running (pnpm stack up)');
  const { client, connection, namespace } = await stackTemporal();
  const workerConnection = await NativeConnection.connect({ address: loadStackEnv().TEMPORAL_ADDRESS });
  const taskQueue = `bench-overhead-${Date.now()}`;
  const worker = await Worker.create({ connection: workerConnection, namespace, taskQueue, workflowsPath: require.resolve('./workflows/overhead.js'), activities: { noop: async (n) => n } });
  const running = worker.run();
  // `count` workflows of one shape, `batch` at a time.
  const many = async (shape, count, prefix) => {
    for (let b = 0; b < count; b += o.batch) {
      await Promise.all(Array.from({ length: Math.min(o.batch, count - b) }, (_, i) => client.workflow.execute(shape, { taskQueue, workflowId: `${taskQueue}-${prefix}-${shape}-${b + i}`, args: [i] })));
    }
  };
  const samples = {};
  try {
    for (let round = 0; round < o.rounds; round++) {
      for (const shape of SHAPES) {
        await many(shape, o.batch, `warm${round}`);
        const self = process.cpuUsage();
        const server = processTreeCpuMs(temporal);
        const started = Date.now();
        await many(shape, o.workflows, `measured${round}`);
        const cpu = process.cpuUsage(self);
        (samples[shape] ??= []).push({
          // This process is the worker and the starting client.
          worker_and_client_ms: (cpu.user + cpu.system) / 1000 / o.workflows,
          temporal_ms: (processTreeCpuMs(temporal) - server) / o.workflows,
          wall_ms: (Date.now() - started) / o.workflows,
        });
        process.stderr.write(`round ${round + 1} ${shape}: ${JSON.stringify(samples[shape].at(-1))}\n`);
      }
    }
  } finally {
    worker.shutdown();
    await running;
    await workerConnection.close();
    await connection.close();
  }
  const median = (list, field) => Number(percentile(list.map((s) => s[field]), 50).toFixed(2));
  const figures = Object.fromEntries(Object.entries(samples).map(([shape, list]) => [shape, { worker_and_client_ms: median(list, 'worker_and_client_ms'), temporal_ms: median(list, 'temporal_ms'), wall_ms: median(list, 'wall_ms') }]));
  const file = writeResults('workflow-overhead', { workflows_per_sample: o.workflows, rounds: o.rounds, per_execution: figures, samples });
  console.log(JSON.stringify(figures, null, 2));
  console.log(`written to ${file}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
