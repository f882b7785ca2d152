// Submits N hand-ins of the conformance Python examples (correct and wrong mixed) through the API
// at once, against the real worker on computor-testing, and waits for every stored result. Then
// grades the same collections directly through the sandbox (no API, Temporal, database or
// storage) with as many at once as the worker runs (the raw baseline).
//   pnpm bench grading --submissions 60
// Latency (p50/p95) runs from the test request to the Result row's finishedAt; the raw latency of
// a submission runs from the batch start to its last collection, in the same submission order.
// With 60 queued at once both p50s sit near half their wall time, so their difference is mostly
// the throughput difference; details.single_overhead_ms is the overhead with nothing queued.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const {
  createContentFixture,
  createCourseFixture,
  repoRoot,
  stackDb,
  stackStorage,
  stackTemporal,
  startWorkerProcess,
  testLogger,
  uploadExampleFixture,
} = require('@computor/test-support');
const { writeTar } = require('@computor/archive');
const { api, parseOptions, percentile, progress, upload, writeResults } = require('./common');

const ROOT = repoRoot();
const { createServer } = require(path.join(ROOT, 'apps/api/dist/app.js'));
const grader = require(path.join(ROOT, 'packages/grader/dist/index.js'));
const CORPUS = path.resolve(ROOT, '../shared/conformance/computor-examples/itpcp.pgph.py');
// dict_und_json stores the current minute, so a cached reference goes stale: left out.
const SINGLE_ROUNDS = 3;
const EXAMPLES = ['itpcp.pgph.py.datentypen', 'itpcp.pgph.py.lambda', 'itpcp.pgph.py.slogic', 'itpcp.pgph.py.vector_field', 'itpcp.pgph.py.vector_random'];

function tarGz(dir) {
  return zlib.gzipSync(writeTar(fs.readdirSync(dir).sort().map((name) => ({ name, data: fs.readFileSync(path.join(dir, name)) }))));
}

async function pool(items, limit, work) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i], i);
    }
  }));
}

async function main() {
  const o = parseOptions({ submissions: 60, concurrency: 0 });
  const concurrency = o.concurrency || os.availableParallelism();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-bench-grading-'));
  const db = stackDb();
  const storage = stackStorage();
  const { client, connection, namespace } = await stackTemporal({ isolated: true });
  const workerEnv = { GRADER_WORK_DIR: path.join(workDir, 'worker'), ...(o.concurrency ? { WORKER_MAX_CONCURRENT_GRADING: String(o.concurrency) } : {}) };
  const worker = await startWorkerProcess({ namespace, queues: ['computor-testing'], env: workerEnv });
  const app = createServer({ db, temporal: client, storage, logger: testLogger('bench-api'), config: { maxUploadBytes: 5 * 1024 * 1024, resultWaitSeconds: 2, temporalNamespace: namespace } });
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    const course = await createCourseFixture(db, { gitlabUrl: 'http://127.0.0.1:9', parentGroupId: 1, roles: ['student'] });
    const token = course.users.student.token;
    const handIns = [];
    const contentOf = new Map();
    for (const name of EXAMPLES) {
      const dir = path.join(CORPUS, name);
      const fixture = await uploadExampleFixture(db, storage, dir);
      contentOf.set(name, (await createContentFixture(db, { courseId: course.courseId, exampleVersionId: fixture.exampleVersionId })).id);
      for (const handIn of fs.readdirSync(path.join(dir, 'localTests')).sort()) handIns.push({ name, dir, submissionDir: path.join(dir, 'localTests', handIn), handIn });
    }
    const plan = Array.from({ length: o.submissions }, (_, i) => handIns[i % handIns.length]);

    // Warm-up (not measured): each example's download and reference values, as in steady state.
    process.stderr.write(`warming up ${EXAMPLES.length} examples...\n`);
    await Promise.all(EXAMPLES.map(async (name) => {
      const h = handIns.find((x) => x.name === name);
      const a = await upload(base, token, contentOf.get(name), tarGz(h.submissionDir));
      const t = await api(base, token, 'POST', `/submissions/${a.id}/test`);
      await client.workflow.getHandle(t.workflow_id).result();
    }));

    const artifacts = await Promise.all(plan.map((h) => upload(base, token, contentOf.get(h.name), tarGz(h.submissionDir))));
    process.stderr.write(`${o.submissions} hand-ins uploaded; requesting ${o.submissions} test runs at once\n`);
    const started = Date.now();
    const runs = await Promise.all(artifacts.map(async (a) => {
      const requestedAt = Date.now();
      const t = await api(base, token, 'POST', `/submissions/${a.id}/test`);
      return { ...t, requestedAt };
    }));
    const graded = progress(runs.length, 'graded');
    const outcomes = await Promise.all(runs.map(async (r) => {
      const outcome = await client.workflow.getHandle(r.workflow_id).result();
      graded.tick();
      return outcome;
    }));
    const wallMs = Date.now() - started;
    const rows = await db.result.findMany({ where: { id: { in: runs.map((r) => r.result_id) } } });
    const finished = new Map(rows.map((r) => [r.id, r]));
    const latencies = runs.map((r) => finished.get(r.result_id).finishedAt.getTime() - r.requestedAt);
    const notCompleted = rows.filter((r) => r.status !== 'completed').length;
    const scores = outcomes.map((x) => x.score);

    // Raw baseline: the same collections through the sandbox, `concurrency` at once, warm reference cache.
    process.stderr.write(`raw baseline: ${o.submissions} submissions, ${concurrency} sandboxes at once\n`);
    const cache = new grader.DirectoryReferenceCache(path.join(workDir, 'raw-reference-cache'));
    const loaded = new Map();
    for (const name of EXAMPLES) {
      const example = await grader.loadExample(path.join(CORPUS, name));
      loaded.set(name, example);
      await grader.gradeSubmission({ exampleDir: example.dir, example, submissionDir: example.dir, referenceCache: cache });
    }
    const tasks = plan.flatMap((h, s) => loaded.get(h.name).collections.map((c) => ({ s, h, index: c.index })));
    const remaining = plan.map((h) => loaded.get(h.name).collections.length);
    const rawLatencies = new Array(plan.length);
    const rawGraded = progress(plan.length, 'graded raw');
    const rawStarted = Date.now();
    await pool(tasks, concurrency, async (t) => {
      const example = loaded.get(t.h.name);
      await grader.gradeCollection({ exampleDir: example.dir, example, submissionDir: t.h.submissionDir, collectionIndex: t.index, referenceCache: cache });
      if (--remaining[t.s] === 0) {
        rawLatencies[t.s] = Date.now() - rawStarted;
        rawGraded.tick();
      }
    });
    const rawWallMs = Date.now() - rawStarted;

    // One submission at a time (nothing queued): what the API, Temporal, the database and storage
    // add to a single hand-in's latency, example by example, against the same collections run raw.
    process.stderr.write(`single submissions: ${EXAMPLES.length} examples x ${SINGLE_ROUNDS}, through the API and raw\n`);
    const single = [];
    for (const name of EXAMPLES) {
      const h = handIns.find((x) => x.name === name);
      const example = loaded.get(name);
      const apiMs = [];
      const rawMs = [];
      for (let round = 0; round < SINGLE_ROUNDS; round++) {
        const a = await upload(base, token, contentOf.get(name), tarGz(h.submissionDir));
        const requestedAt = Date.now();
        const t = await api(base, token, 'POST', `/submissions/${a.id}/test`);
        await client.workflow.getHandle(t.workflow_id).result();
        const row = await db.result.findUniqueOrThrow({ where: { id: t.result_id } });
        apiMs.push(row.finishedAt.getTime() - requestedAt);
        const rawStart = Date.now();
        await pool(example.collections, concurrency, (c) => grader.gradeCollection({ exampleDir: example.dir, example, submissionDir: h.submissionDir, collectionIndex: c.index, referenceCache: cache }));
        rawMs.push(Date.now() - rawStart);
      }
      single.push({ example: name, api_ms: percentile(apiMs, 50), raw_ms: percentile(rawMs, 50) });
    }

    const perMin = o.submissions / (wallMs / 60_000);
    const rawPerMin = o.submissions / (rawWallMs / 60_000);
    const figures = {
      submissions: o.submissions,
      wall_s: Number((wallMs / 1000).toFixed(2)),
      per_min: Number(perMin.toFixed(1)),
      raw_per_min: Number(rawPerMin.toFixed(1)),
      ratio: Number((perMin / rawPerMin).toFixed(3)),
      p50_ms: percentile(latencies, 50),
      p95_ms: percentile(latencies, 95),
      raw_p50_ms: percentile(rawLatencies, 50),
    };
    const details = {
      raw_wall_s: Number((rawWallMs / 1000).toFixed(2)),
      raw_p95_ms: percentile(rawLatencies, 95),
      concurrency,
      collections: tasks.length,
      not_completed: notCompleted,
      passed: scores.filter((s) => s === 1).length,
      single_overhead_ms: percentile(single.map((x) => x.api_ms - x.raw_ms), 50),
      single,
    };
    const file = writeResults('grading', figures);
    console.log(JSON.stringify({ ...figures, details }, null, 2));
    console.log(`written to ${file}`);
    if (notCompleted) process.exitCode = 1;
  } finally {
    server.close();
    await worker.kill('SIGTERM');
    await db.$disconnect();
    storage.destroy();
    await connection.close();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
