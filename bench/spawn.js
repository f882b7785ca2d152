// What starting a sandboxed run costs the process that asks for it, by that process's size: runs of
// /bin/true from the spawn helper (the default) and from the process itself (`spawnHelper: false`),
// with 0 and N MB of ballast held (a grading worker is 225-320 MB during a deadline burst). Per run:
// this process's CPU (main thread and threadpool) and the longest stall of its event loop.
//   pnpm bench spawn --runs 40 --ballast-mb 300
// Needs a build (`pnpm --filter @computor/grader build`) and root; no stack.
const path = require('node:path');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { parseOptions, percentile, writeResults } = require('./common');

const ROOT = path.resolve(__dirname, '..');
const grader = require(path.join(ROOT, 'packages/grader/dist/index.js'));

async function measure(sandbox, runs, limits) {
  for (let i = 0; i < 3; i++) await sandbox.run({ argv: ['/bin/true'], limits });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const stalls = [];
  const cpuBefore = process.cpuUsage();
  const wall = [];
  for (let i = 0; i < runs; i++) {
    delay.reset();
    delay.enable();
    const started = process.hrtime.bigint();
    const r = await sandbox.run({ argv: ['/bin/true'], limits });
    wall.push(Number(process.hrtime.bigint() - started) / 1e6);
    delay.disable();
    if (r.outcome !== 'exited') throw new Error(`run ended ${r.outcome}: ${r.infraMessage ?? ''}`);
    stalls.push(delay.max / 1e6);
  }
  const cpu = process.cpuUsage(cpuBefore);
  return {
    cpu_ms_per_run: Number(((cpu.user + cpu.system) / 1000 / runs).toFixed(2)),
    max_stall_ms: { p50: Number(percentile(stalls, 50).toFixed(1)), p95: Number(percentile(stalls, 95).toFixed(1)), max: Number(Math.max(...stalls).toFixed(1)) },
    wall_ms: { p50: Number(percentile(wall, 50).toFixed(1)), p95: Number(percentile(wall, 95).toFixed(1)) },
  };
}

async function main() {
  const o = parseOptions({ runs: 40, ballastMb: 300 });
  const config = grader.resolveGraderConfig({ uidBase: 63800, uidCount: 2 });
  const cgroups = grader.cgroupsFor(config.cgroups, config.cgroupRoot);
  const limits = grader.effectiveLimits(grader.resolveSandboxLimits({ wallTimeoutMs: 10_000 }), undefined, { kind: 'run' });
  const modes = { helper: new grader.Sandbox({ ...config, cgroups }), in_process: new grader.Sandbox({ ...config, cgroups, spawnHelper: false }) };
  const ballast = [];
  const figures = {};
  for (const mb of [0, o.ballastMb]) {
    // Touched pages, as a worker's heap is: what a fork has to copy the page tables of.
    while (ballast.length < mb) {
      const b = Buffer.allocUnsafe(1 << 20);
      for (let i = 0; i < b.length; i += 4096) b[i] = 1;
      ballast.push(b);
    }
    const rssMb = Math.round(process.memoryUsage().rss / 1e6);
    for (const [mode, sandbox] of Object.entries(modes)) {
      figures[`${mode}_at_${rssMb}mb`] = await measure(sandbox, o.runs, limits);
      process.stderr.write(`${mode} at ${rssMb} MB: ${JSON.stringify(figures[`${mode}_at_${rssMb}mb`])}\n`);
    }
  }
  const file = writeResults('spawn', { runs: o.runs, ...figures });
  console.log(JSON.stringify(figures, null, 2));
  console.log(`written to ${file}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
