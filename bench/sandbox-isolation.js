// How much a normal hand-in suffers from hostile ones graded at the same time on the same worker:
// R rounds, each grading the same hand-in once alone and once while a fork bomb, a memory bomb and
// a 64-process CPU hog run concurrently in sandboxes of their own (each restarted as soon as its
// run ends). Alternating rounds let other load on the machine weigh on both sides alike. Also the
// wall time of a sandboxed /bin/true (the sandbox's fixed cost per run).
//   pnpm bench sandbox-isolation --rounds 10
// Needs a build (`pnpm --filter @computor/grader build`) and root; no stack.
const os = require('node:os');
const path = require('node:path');
const { parseOptions, percentile, writeResults } = require('./common');

const ROOT = path.resolve(__dirname, '..');
const grader = require(path.join(ROOT, 'packages/grader/dist/index.js'));
const CORPUS = path.resolve(ROOT, '../shared/conformance/computor-examples/itpcp.pgph.py');

const HOSTILE = {
  fork_bomb: { argv: ['/bin/sh', '-c', 'b() { b | b & }; b; sleep 30'], limits: {} },
  memory_bomb: {
    // Eight processes, each under its own 1 GiB address space, together far beyond the run's memory.
    argv: ['/usr/bin/python3', '-c', 'import os, time\nfor _ in range(8):\n    if os.fork() == 0:\n        b = []\n        try:\n            while True: b.append(bytearray(64 << 20))\n        except MemoryError:\n            time.sleep(30)\ntime.sleep(30)\n'],
    limits: {},
  },
  cpu_hog: { argv: ['/usr/bin/python3', '-c', 'import os\nfor _ in range(63):\n    if os.fork() == 0:\n        break\nwhile True: pass\n'], limits: {} },
};

async function timeRuns(n, fn) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const started = process.hrtime.bigint();
    await fn(i);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return times;
}

async function main() {
  const o = parseOptions({ rounds: 10, example: 'itpcp.pgph.py.lambda', trueRuns: 50, wallSeconds: 3, bombs: Object.keys(HOSTILE).join(',') });
  const bombs = Object.entries(HOSTILE).filter(([name]) => o.bombs.split(',').includes(name));
  const config = grader.resolveGraderConfig({ uidBase: 63100, uidCount: 8 });
  const cgroups = grader.cgroupsFor(config.cgroups, config.cgroupRoot);
  const sandbox = new grader.Sandbox({ ...config, cgroups });
  const runLimits = (overrides = {}) => ({ ...grader.effectiveLimits(grader.resolveSandboxLimits({ wallTimeoutMs: o.wallSeconds * 1000 }), undefined, { kind: 'run' }), ...overrides });

  process.stderr.write(`confinement: ${cgroups ? `cgroup ${cgroups.kind}` : 'rlimit only'}; ${os.availableParallelism()} CPUs\n`);
  for (let i = 0; i < 5; i++) await sandbox.run({ argv: ['/bin/true'], limits: runLimits() });
  const trueMs = await timeRuns(o.trueRuns, async () => {
    const r = await sandbox.run({ argv: ['/bin/true'], limits: runLimits() });
    if (r.outcome !== 'exited' || r.exitCode !== 0) throw new Error(`/bin/true: ${JSON.stringify(r.infraMessage ?? r.outcome)}`);
  });

  const example = await grader.loadExample(path.join(CORPUS, o.example));
  const cache = new grader.InMemoryReferenceCache();
  const gradeOnce = async () => {
    // A generous wall limit: the figure is the time a normal hand-in takes, not whether it times out.
    const report = await grader.gradeSubmission({ exampleDir: example.dir, example, submissionDir: example.dir, referenceCache: cache, limits: { wallTimeoutMs: 60_000 }, config: { uidBase: 63000, uidCount: 8 } });
    const statuses = report.collections.flatMap((c) => c.checks.map((k) => k.status)).filter((s) => s !== 'passed');
    if (statuses.length) throw new Error(`the normal hand-in did not pass: ${statuses.join(', ')}`);
  };
  await gradeOnce(); // fills the reference cache: later rounds run the hand-in only, as a warm worker does
  const outcomes = Object.fromEntries(bombs.map(([name]) => [name, {}]));
  const aloneMs = [];
  const besideMs = [];
  for (let round = 0; round < o.rounds; round++) {
    process.stderr.write(`round ${round + 1}/${o.rounds}: ${o.example} alone, then beside ${bombs.map(([name]) => name).join(', ')}\n`);
    aloneMs.push(...(await timeRuns(1, gradeOnce)));
    let stop = false;
    const loops = bombs.map(async ([name, h]) => {
      while (!stop) {
        const r = await sandbox.run({ argv: h.argv, limits: runLimits(h.limits) });
        outcomes[name][r.outcome] = (outcomes[name][r.outcome] ?? 0) + 1;
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 1000)); // let all three get going
    besideMs.push(...(await timeRuns(1, gradeOnce)));
    stop = true;
    await Promise.all(loops);
  }
  const after = await timeRuns(3, gradeOnce);

  const alone = percentile(aloneMs, 50);
  const beside = percentile(besideMs, 50);
  const figures = {
    confinement: cgroups ? `cgroup-${cgroups.kind}` : 'rlimit',
    cpus: os.availableParallelism(),
    example: o.example,
    rounds: o.rounds,
    alone_p50_ms: Math.round(alone),
    beside_p50_ms: Math.round(beside),
    slowdown: Number((beside / alone - 1).toFixed(3)),
    beside_max_ms: Math.round(Math.max(...besideMs)),
    alone_ms: aloneMs.map(Math.round),
    beside_ms: besideMs.map(Math.round),
    after_p50_ms: Math.round(percentile(after, 50)),
    hostile_outcomes: outcomes,
    true_run_p50_ms: Number(percentile(trueMs, 50).toFixed(1)),
    true_run_p90_ms: Number(percentile(trueMs, 90).toFixed(1)),
    true_runs: o.trueRuns,
    load_average: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
  console.log(JSON.stringify(figures, null, 2));
  process.stderr.write(`wrote ${writeResults('sandbox-isolation', figures)}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
