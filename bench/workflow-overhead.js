// What one workflow execution costs apart from the work it orders: CPU of the worker process and of
// the local Temporal server per execution, for workflows whose activities do nothing.
//   pnpm bench workflow-overhead [--workflows 1000] [--rounds 3]   (figures: the median round)
// Shapes (bench/workflows/overhead.js): one activity (a hand-in), local-remote-local (a test run),
// and both in one execution. Each round runs every shape once, so that drift in the server (its
// SQLite file grows) falls on all of them alike.
const fs = require('node:fs');
const path = require('node:path');
const { Worker, NativeConnection, Runtime, DefaultLogger } = require('@temporalio/worker');
const { Client, Connection } = require('@temporalio/client');
const { parseOptions, percentile, processTreeCpuMs, stackPids, writeResults } = require('./common');

const SHAPES = ['oneActivity', 'testRunShape', 'handInAndTestRun'];

async function main() {
  const o = parseOptions({ workflows: 1000, rounds: 3, batch: 50 });
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const env = Object.fromEntries(fs.readFileSync(path.join(process.env.COMPUTOR_STACK_DIR ?? path.join(__dirname, '..', '.stack'), 'stack.env'), 'utf8').split('\n').flatMap((l) => (/^[A-Z_]+=/.test(l) ? [[l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]] : [])));
  const address = process.env.TEMPORAL_ADDRESS ?? env.TEMPORAL_ADDRESS;
  const { temporal } = stackPids();
  if (!temporal) throw new Error('the local stack is not running (pnpm stack up)');
  const client = new Client({ connection: await Connection.connect({ address }), namespace: 'default' });
  const workerConnection = await NativeConnection.connect({ address });
  const samples = {};
  for (let round = 0; round < o.rounds; round++) {
    {
      const taskQueue = `bench-overhead-${Date.now()}`;
      const worker = await Worker.create({
        connection: workerConnection,
        taskQueue,
        workflowsPath: require.resolve('./workflows/overhead.js'),
        activities: { noop: async (n) => n },
      });
      const running = worker.run();
      for (const shape of SHAPES) {
        const many = async (count, prefix) => {
          for (let b = 0; b < count; b += o.batch) {
            await Promise.all(Array.from({ length: Math.min(o.batch, count - b) }, (_, i) => client.workflow.execute(shape, { taskQueue, workflowId: `${taskQueue}-${prefix}-${shape}-${b + i}`, args: [i] })));
          }
        };
        await many(o.batch, 'warm');
        const self = process.cpuUsage();
        const server = processTreeCpuMs(temporal);
        const started = Date.now();
        await many(o.workflows, 'measured');
        const cpu = process.cpuUsage(self);
        const key = shape;
        (samples[key] ??= []).push({
          // This process is the worker and the starting client.
          worker_and_client_ms: (cpu.user + cpu.system) / 1000 / o.workflows,
          temporal_ms: (processTreeCpuMs(temporal) - server) / o.workflows,
          wall_ms: (Date.now() - started) / o.workflows,
        });
        process.stderr.write(`round ${round + 1} ${key}: ${JSON.stringify(samples[key].at(-1))}\n`);
      }
      worker.shutdown();
      await running;
    }
  }
  const median = (list, field) => Number(percentile(list.map((s) => s[field]), 50).toFixed(2));
  const figures = Object.fromEntries(Object.entries(samples).map(([key, list]) => [key, { worker_and_client_ms: median(list, 'worker_and_client_ms'), temporal_ms: median(list, 'temporal_ms'), wall_ms: median(list, 'wall_ms') }]));
  const file = writeResults('workflow-overhead', { workflows_per_sample: o.workflows, rounds: o.rounds, per_execution: figures, samples });
  console.log(JSON.stringify(figures, null, 2));
  console.log(`written to ${file}`);
  await workerConnection.close();
  await client.connection.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
