// Per language of the conformance corpus: the median wall time per hand-in of `computor grade`
// (a fresh CLI process per hand-in, reference run included, as the original engine grades), the
// original engine's median for the same hand-ins (original-engine-verdicts.json, `wall_s`), and
// the median through the API (upload, test request to the stored result, real worker on
// computor-testing, warm worker: reference cached) for one example per language.
//   pnpm bench languages --rounds 3
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const {
  createContentFixture,
  createCourseFixture,
  repoRoot,
  stackDb,
  stackEnvPath,
  stackStorage,
  stackTemporal,
  startWorkerProcess,
  testLogger,
  uploadExampleFixture,
} = require('@computor/test-support');
const { writeTar } = require('@computor/archive');
const { api, parseOptions, percentile, upload, writeResults } = require('./common');

const ROOT = repoRoot();
const { createServer } = require(path.join(ROOT, 'apps/api/dist/app.js'));
const CLI = path.join(ROOT, 'apps/worker/dist/cli.js');
const CONFORMANCE = path.resolve(ROOT, '../shared/conformance');
const verdicts = JSON.parse(fs.readFileSync(path.join(CONFORMANCE, 'original-engine-verdicts.json'), 'utf8'));

/** Group of an example by its name (itpcp.pgph.<group>.<name>): C++ is its own row though the C plug-in grades it. */
const GROUPS = { py: 'python', c: 'c', cpp: 'c++', oct: 'octave', r: 'r', f: 'fortran', doc: 'document', jl: 'julia' };
/** The example graded through the API per language (a warm worker: its reference is cached). */
const API_EXAMPLES = {
  python: 'itpcp.pgph.py.vector_field',
  c: 'itpcp.pgph.c.calculator',
  'c++': 'itpcp.synthetic.cpp.hello',
  octave: 'itpcp.pgph.oct.vector_operations',
  r: 'itpcp.pgph.r.matrix_operations',
  fortran: 'itpcp.pgph.f.calculator',
  document: 'itpcp.pgph.doc.essay_requirements',
  julia: 'itpcp.pgph.jl.functions',
};

function examples() {
  const corpus = path.join(CONFORMANCE, 'computor-examples');
  const own = path.join(CONFORMANCE, 'own-examples');
  return [
    ...fs.readdirSync(corpus).filter((g) => fs.statSync(path.join(corpus, g)).isDirectory()).flatMap((g) => fs.readdirSync(path.join(corpus, g)).map((name) => ({ name, dir: path.join(corpus, g, name) }))),
    ...fs.readdirSync(own).map((name) => ({ name, dir: path.join(own, name) })),
  ].map((e) => ({ ...e, language: GROUPS[e.name.split('.')[2]] }));
}

function handIns(example) {
  const local = fs.readdirSync(path.join(example.dir, 'localTests')).sort().map((h) => ({ handIn: h, verdictKey: h, dir: path.join(example.dir, 'localTests', h) }));
  // The document example has no essay at its root (conformance README): its localTests only.
  return example.language === 'document' ? local : [{ handIn: 'root', verdictKey: 'reference', dir: example.dir }, ...local];
}

function tarGz(dir) {
  const files = [];
  const walk = (rel) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (child !== 'localTests') walk(child);
      } else files.push({ name: child, data: fs.readFileSync(path.join(dir, child)) });
    }
  };
  walk('');
  return zlib.gzipSync(writeTar(files.sort((a, b) => a.name.localeCompare(b.name))));
}

const median = (values) => percentile(values, 50);
const round = (n, digits = 3) => (n === null || n === undefined ? null : Number(n.toFixed(digits)));

async function main() {
  const o = parseOptions({ rounds: 3, only: '', api: '' });
  // --api python=itpcp.pgph.py.lambda,r=...: another example through the API for those languages.
  for (const pair of o.api ? o.api.split(',') : []) {
    const [language, example] = pair.split('=');
    API_EXAMPLES[language] = example;
  }
  const only = o.only ? new Set(o.only.split(',')) : undefined;
  const all = examples().filter((e) => !only || only.has(e.language));
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-bench-languages-'));
  const rows = {};
  const row = (language) => (rows[language] ??= { language, cli_s: [], cli_paired_s: [], original_s: [], api_s: [], api_original_s: null, hand_ins: 0 });

  // 1. `computor grade`, one process per hand-in, each hand-in `rounds` times.
  for (const example of all) {
    for (const h of handIns(example)) {
      const times = [];
      for (let i = 0; i < o.rounds; i++) {
        const started = process.hrtime.bigint();
        const run = spawnSync(process.execPath, [CLI, 'grade', '--example', example.dir, '--submission', h.dir, '--json'], {
          env: { PATH: process.env.PATH, COMPUTOR_ENV_FILE: stackEnvPath(), GRADER_WORK_DIR: path.join(workDir, 'cli'), LOG_LEVEL: 'warn' },
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        });
        times.push(Number(process.hrtime.bigint() - started) / 1e9);
        if (run.status !== 0 && run.status !== 1) throw new Error(`computor grade ${example.name} ${h.handIn}: exit ${run.status}\n${run.stderr}`);
      }
      const r = row(example.language);
      r.cli_s.push(median(times));
      r.hand_ins += 1;
      const wall = verdicts[example.name]?.[h.verdictKey]?.wall_s;
      if (typeof wall === 'number') {
        r.original_s.push(wall);
        r.cli_paired_s.push(median(times));
      }
      process.stderr.write(`${example.name} ${h.handIn}: computor grade ${median(times).toFixed(2)} s${typeof wall === 'number' ? `, original ${wall} s` : ''}\n`);
    }
  }

  // 2. Through the API, one example per language, a warm worker (canaries off: not measured here).
  const db = stackDb();
  const storage = stackStorage();
  const { client, connection, namespace } = await stackTemporal({ isolated: true });
  const worker = await startWorkerProcess({ namespace, queues: ['computor-testing'], env: { GRADER_WORK_DIR: path.join(workDir, 'worker') } });
  const app = createServer({ db, temporal: client, storage, logger: testLogger('bench-api'), config: { maxUploadBytes: 5 * 1024 * 1024, resultWaitSeconds: 2, temporalNamespace: namespace } });
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    const course = await createCourseFixture(db, { gitlabUrl: 'http://127.0.0.1:9', parentGroupId: 1, roles: ['student'] });
    const token = course.users.student.token;
    for (const [language, name] of Object.entries(API_EXAMPLES)) {
      const example = all.find((e) => e.name === name);
      if (!example) continue;
      const fixture = await uploadExampleFixture(db, storage, example.dir);
      const contentId = (await createContentFixture(db, { courseId: course.courseId, exampleVersionId: fixture.exampleVersionId })).id;
      const h = handIns(example).find((x) => x.handIn === 'correctSolution') ?? handIns(example)[0];
      const wall = verdicts[name]?.[h.verdictKey]?.wall_s;
      if (typeof wall === 'number') row(language).api_original_s = wall;
      const archive = tarGz(h.dir);
      const once = async () => {
        const a = await upload(base, token, contentId, archive);
        const requestedAt = Date.now();
        const t = await api(base, token, 'POST', `/submissions/${a.id}/test`);
        await client.workflow.getHandle(t.workflow_id).result();
        const stored = await db.result.findUniqueOrThrow({ where: { id: t.result_id } });
        if (stored.status !== 'completed') throw new Error(`${name}: result ${stored.status}`);
        return (stored.finishedAt.getTime() - requestedAt) / 1000;
      };
      await once(); // warm-up: downloads and the reference run, as on a worker in steady state
      for (let i = 0; i < o.rounds; i++) row(language).api_s.push(await once());
      process.stderr.write(`${name} ${h.handIn} through the API: ${row(language).api_s.map((s) => s.toFixed(2)).join(', ')} s\n`);
    }
  } finally {
    server.close();
    await worker.kill('SIGTERM');
    await db.$disconnect();
    storage.destroy();
    await connection.close();
    fs.rmSync(workDir, { recursive: true, force: true });
  }

  const languages = Object.values(rows).map((r) => {
    // Ours against the original on the same hand-ins: those the verdicts file has a wall time for.
    const paired = median(r.cli_paired_s);
    const original = median(r.original_s);
    const viaApi = median(r.api_s);
    return {
      language: r.language,
      hand_ins: r.hand_ins,
      cli_median_s: round(median(r.cli_s)),
      timed_by_original: r.original_s.length,
      cli_median_same_s: round(paired),
      original_median_s: round(original),
      speedup_cli: original && paired ? round(original / paired, 1) : null,
      api_example: API_EXAMPLES[r.language],
      api_median_s: round(viaApi),
      api_original_s: r.api_original_s,
      speedup_api: r.api_original_s && viaApi ? round(r.api_original_s / viaApi, 1) : null,
    };
  });
  const figures = { rounds: o.rounds, cpus: os.availableParallelism(), load_average: os.loadavg().map((x) => round(x, 2)), languages };
  const file = writeResults('languages', figures);
  console.log(JSON.stringify(figures, null, 2));
  console.log(`written to ${file}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
