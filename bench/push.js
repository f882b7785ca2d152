// Grade on push vs upload: N students (default 50) push a hand-in at once to their repositories in
// the GitLab emulator, which delivers the push hooks to the API; the worker fetches each commit,
// stores and grades it. Latency runs from the emulator's hook delivery (the push received) to the
// Result row's finishedAt. Then the same hand-ins are uploaded through the API (POST /submissions
// + /test) at once, from the upload request to finishedAt.
//   pnpm bench push --students 50
// Two worker processes as deployed: computor-tasks (GitLab, hand-ins) and computor-testing (sandbox).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { commitFiles, createContentFixture, createCourseFixture, repoRoot, stackDb, stackStorage, stackTemporal, startWorkerProcess, testLogger, uniq, until, uploadExampleFixture } = require('@computor/test-support');
const { writeTar } = require('@computor/archive');
const { startGitlabEmulator } = require('@computor/gitlab-emulator');
const { api, parseOptions, percentile, progress, upload, writeResults } = require('./common');

const ROOT = repoRoot();
const { createServer } = require(path.join(ROOT, 'apps/api/dist/app.js'));
const { createApiToken } = require(path.join(ROOT, 'packages/db/dist/index.js'));
const LAMBDA = path.resolve(ROOT, '../shared/conformance/computor-examples/itpcp.pgph.py/itpcp.pgph.py.lambda');

const SINGLE_ROUNDS = 3;

/** Benchmarks wait long: the whole burst. */
const wait = (what, probe) => until(what, probe, 600_000);

async function main() {
  const o = parseOptions({ students: 50, latencyMs: 0 });
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-bench-push-'));
  const db = stackDb();
  const storage = stackStorage();
  const { client, connection, namespace } = await stackTemporal({ isolated: true });
  const gitlab = await startGitlabEmulator({ port: 0, host: '127.0.0.1', token: uniq('glpat-'), config: { latencyMs: o.latencyMs, fork: { importDelayMs: 0 } } });
  const parentGroupId = gitlab.seed({ parentGroup: { name: 'Computor', path: uniq('bench-') } }).parentGroup.id;
  const app = createServer({ db, temporal: client, storage, logger: testLogger('bench-api'), config: { maxUploadBytes: 5 * 1024 * 1024, resultWaitSeconds: 2, temporalNamespace: namespace } });
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${server.address().port}`;
  const workers = [];
  try {
    workers.push(await startWorkerProcess({ namespace, env: { GITLAB_TOKEN: gitlab.token, GITLAB_REQUESTS_PER_SECOND: '500', GITLAB_MAX_CONCURRENT: '20', COMPUTOR_HOOK_URL: `${base}/hooks/gitlab`, WORKER_METRICS_PORT: '0' } }));
    workers.push(await startWorkerProcess({ namespace, queues: ['computor-testing'], env: { GRADER_WORK_DIR: path.join(workDir, 'worker'), WORKER_METRICS_PORT: '0' } }));

    // A course in GitLab with N provisioned students (each repository with its push hook).
    const course = await createCourseFixture(db, { gitlabUrl: gitlab.url, parentGroupId, roles: [] });
    const students = [];
    for (let i = 0; i < o.students; i++) {
      const username = `s${i}-${uniq('')}`;
      const user = await db.user.create({ data: { email: `${username}@example.test`, username } });
      const member = await db.courseMember.create({ data: { courseId: course.courseId, userId: user.id, role: 'student' } });
      students.push({ username, memberId: member.id, token: (await createApiToken(db, { userId: user.id, name: 'bench' })).token });
    }
    gitlab.seed({ users: students.map((s) => ({ username: s.username })) });
    await client.workflow.execute('createCourseHierarchyWorkflow', { workflowId: uniq('hierarchy-'), taskQueue: 'computor-tasks', args: [{ courseId: course.courseId }] });
    process.stderr.write(`provisioning ${o.students} student repositories...\n`);
    await client.workflow.execute('addStudentsWorkflow', { workflowId: uniq('students-'), taskQueue: 'computor-tasks', args: [{ courseId: course.courseId, courseMemberIds: students.map((s) => s.memberId) }] });
    for (const s of students) s.projectId = (await db.courseMember.findUniqueOrThrow({ where: { id: s.memberId } })).gitlabProjectId;

    const identifier = uniq('bench.lambda.');
    const example = await uploadExampleFixture(db, storage, LAMBDA, { identifier });
    const contentId = (await createContentFixture(db, { courseId: course.courseId, exampleVersionId: example.exampleVersionId })).id;
    const solution = fs.readFileSync(path.join(LAMBDA, 'localTests/correctSolution/lambda.py'), 'utf8');

    const commit = async (s, text) => {
      const file = `${identifier}/lambda.py`;
      const sha = await commitFiles(gitlab, s.projectId, { [file]: text }, { existing: s.pushed ? [file] : [] });
      s.pushed = true;
      return sha;
    };
    const resultOf = async (sha) => {
      const artifact = await db.submissionArtifact.findFirst({ where: { commitSha: sha }, include: { results: true } });
      return artifact?.results.find((r) => r.status !== 'superseded') ?? null;
    };
    const graded = (r) => r && ['completed', 'failed', 'cancelled'].includes(r.status) && r;

    // Warm-up (not measured): the example's download and reference values, as in steady state.
    process.stderr.write('warming up...\n');
    const warm = await commit(students[0], `${solution}\n# warm-up\n`);
    await wait('the warm-up graded', async () => graded(await resultOf(warm)));

    process.stderr.write(`${o.students} students push at once\n`);
    const pushStarted = Date.now();
    const shas = await Promise.all(students.map((s, i) => commit(s, `${solution}\n# push ${i}\n`)));
    const pushesGraded = progress(shas.length, 'pushes graded');
    const pushRows = await wait('every push graded', async () => {
      const rows = await Promise.all(shas.map(resultOf));
      pushesGraded.set(rows.filter(graded).length);
      return rows.every(graded) && rows;
    });
    const pushWallMs = Date.now() - pushStarted;
    const deliveries = gitlab.deliveries();
    const deliveredAt = (sha) => {
      const d = deliveries.find((x) => x.after === sha && !x.resend);
      return new Date(d.startedAt).getTime();
    };
    const pushLatencies = pushRows.map((r, i) => r.finishedAt.getTime() - deliveredAt(shas[i]));
    const deliveryDelays = shas.map((sha) => deliveries.find((x) => x.after === sha).delayMs);

    process.stderr.write(`the same ${o.students} hand-ins uploaded through the API at once\n`);
    const uploadStarted = Date.now();
    const uploads = await Promise.all(students.map(async (s, i) => {
      const requestedAt = Date.now();
      const archive = zlib.gzipSync(writeTar([{ name: 'lambda.py', data: Buffer.from(`${solution}\n# push ${i}\n`) }]));
      const a = await upload(base, s.token, contentId, archive);
      const t = await api(base, s.token, 'POST', `/submissions/${a.id}/test`);
      return { requestedAt, resultId: t.result_id };
    }));
    const uploadsGraded = progress(uploads.length, 'uploads graded');
    const uploadRows = await wait('every upload graded', async () => {
      const rows = await db.result.findMany({ where: { id: { in: uploads.map((u) => u.resultId) } } });
      uploadsGraded.set(rows.filter(graded).length);
      return rows.length === uploads.length && rows.every(graded) && new Map(rows.map((r) => [r.id, r]));
    });
    const uploadWallMs = Date.now() - uploadStarted;
    const uploadLatencies = uploads.map((u) => uploadRows.get(u.resultId).finishedAt.getTime() - u.requestedAt);

    // One at a time (nothing queued): what the push path (hook, fetch through GitLab, store) adds.
    process.stderr.write(`single hand-ins: ${SINGLE_ROUNDS} pushes and ${SINGLE_ROUNDS} uploads, nothing queued\n`);
    const singlePush = [];
    const singleUpload = [];
    for (let round = 0; round < SINGLE_ROUNDS; round++) {
      const s = students[round % students.length];
      const sha = await commit(s, `${solution}\n# single ${round}\n`);
      const row = await wait('the single push graded', async () => graded(await resultOf(sha)));
      const d = gitlab.deliveries().find((x) => x.after === sha);
      singlePush.push(row.finishedAt.getTime() - new Date(d.startedAt).getTime());
      const requestedAt = Date.now();
      const a = await upload(base, s.token, contentId, zlib.gzipSync(writeTar([{ name: 'lambda.py', data: Buffer.from(`${solution}\n# single upload ${round}\n`) }])));
      const t = await api(base, s.token, 'POST', `/submissions/${a.id}/test`);
      const up = await wait('the single upload graded', async () => graded(await db.result.findUnique({ where: { id: t.result_id } })));
      singleUpload.push(up.finishedAt.getTime() - requestedAt);
    }

    const notCompleted = [...pushRows, ...uploadRows.values()].filter((r) => r.status !== 'completed').length;
    const figures = {
      students: o.students,
      push_p50_ms: percentile(pushLatencies, 50),
      push_p95_ms: percentile(pushLatencies, 95),
      upload_p50_ms: percentile(uploadLatencies, 50),
      upload_p95_ms: percentile(uploadLatencies, 95),
      push_wall_s: Number((pushWallMs / 1000).toFixed(2)),
      upload_wall_s: Number((uploadWallMs / 1000).toFixed(2)),
    };
    const details = {
      gitlab_latency_ms: o.latencyMs,
      hook_delivery_delay_p95_ms: percentile(deliveryDelays, 95),
      single_push_p50_ms: percentile(singlePush, 50),
      single_upload_p50_ms: percentile(singleUpload, 50),
      not_completed: notCompleted,
      passed: [...pushRows, ...uploadRows.values()].filter((r) => r.score === 1).length,
      cpus: os.availableParallelism(),
    };
    const file = writeResults('push', { ...figures, details });
    console.log(JSON.stringify({ ...figures, details }, null, 2));
    console.log(`written to ${file}`);
    if (notCompleted) process.exitCode = 1;
  } finally {
    server.close();
    for (const w of workers) await w.kill('SIGTERM');
    await gitlab.close();
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
