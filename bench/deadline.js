// A deadline burst, compressed in time: N students (default 200) push 3 times each within a window
// through the GitLab emulator's push delivery, once while a regrade of another content runs and
// once without; then the due time passes and every repository must lock.
//   pnpm bench deadline --students 200 --window-s 30
// Time to feedback of every first-time push (not a regrade): its hook delivery to the stored result
// that answers it (its own, or that of a newer push that superseded it while queued). The ideal is
// the raw sandbox queue for the same runs: (graded runs x raw grading time of one hand-in) / slots.
/* global fetch */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { commitFiles, createContentFixture, createCourseFixture, repoRoot, stackDb, stackStorage, stackTemporal, startWorkerProcess, testLogger, uniq, until, uploadExampleFixture } = require('@computor/test-support');
const { writeTar } = require('@computor/archive');
const { startGitlabEmulator } = require('@computor/gitlab-emulator');
const { api, cpuMeter, machineBusyMs, parseOptions, percentile, progress, stackPids, upload, writeResults } = require('./common');

const ROOT = repoRoot();
const { createServer } = require(path.join(ROOT, 'apps/api/dist/app.js'));
const { createApiToken } = require(path.join(ROOT, 'packages/db/dist/index.js'));
const grader = require(path.join(ROOT, 'packages/grader/dist/index.js'));

const META = `slug: burst\nversion: '1.0'\ntitle: Burst\nproperties:\n  studentSubmissionFiles: [main.py]\n  executionBackend:\n    slug: itpcp.exec.py\n`;
const TEST_YAML = 'type: python\nname: burst\nproperties:\n  tests:\n  - name: Variables\n    type: variable\n    entryPoint: main.py\n    tests:\n    - name: x\n    - name: y\n';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));


async function main() {
  const o = parseOptions({ students: 200, windowS: 30, regrade: 60, warmupS: 10 });
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-bench-deadline-'));
  const exampleDir = path.join(workDir, 'example');
  fs.mkdirSync(exampleDir);
  fs.writeFileSync(path.join(exampleDir, 'meta.yaml'), META);
  fs.writeFileSync(path.join(exampleDir, 'test.yaml'), TEST_YAML);
  fs.writeFileSync(path.join(exampleDir, 'main.py'), 'x = 1\ny = 2\n');
  const db = stackDb();
  const storage = stackStorage();
  const { client, connection, namespace } = await stackTemporal({ isolated: true });
  const gitlab = await startGitlabEmulator({ port: 0, host: '127.0.0.1', token: uniq('glpat-'), config: { fork: { importDelayMs: 0 } } });
  const parentGroupId = gitlab.seed({ parentGroup: { name: 'Computor', path: uniq('bench-') } }).parentGroup.id;
  const app = createServer({ db, temporal: client, storage, logger: testLogger('bench-api'), config: { maxUploadBytes: 5 * 1024 * 1024, resultWaitSeconds: 2, temporalNamespace: namespace } });
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${server.address().port}`;
  const workers = [];
  try {
    // BENCH_WORKER_NODE_OPTIONS (e.g. --require of a profiler) goes to both workers.
    const nodeOptions = process.env.BENCH_WORKER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_WORKER_NODE_OPTIONS } : {};
    workers.push(await startWorkerProcess({ namespace, env: { GITLAB_TOKEN: gitlab.token, GITLAB_REQUESTS_PER_SECOND: '500', GITLAB_MAX_CONCURRENT: '20', COMPUTOR_HOOK_URL: `${base}/hooks/gitlab`, WORKER_METRICS_PORT: '0', ...nodeOptions } }));
    workers.push(await startWorkerProcess({ namespace, queues: ['computor-testing'], env: { GRADER_WORK_DIR: path.join(workDir, 'worker'), WORKER_METRICS_PORT: '0', ...nodeOptions } }));
    const slots = os.availableParallelism();
    const { postgres, temporal, s3 } = stackPids();
    const parts = { postgres, temporal, s3, tasks_worker: workers[0].child.pid, testing_worker: workers[1].child.pid };

    const course = await createCourseFixture(db, { gitlabUrl: gitlab.url, parentGroupId, roles: ['lecturer'] });
    const lecturer = course.users.lecturer.token;
    const students = [];
    for (let i = 0; i < o.students; i++) {
      const username = `d${i}-${uniq('')}`;
      const user = await db.user.create({ data: { email: `${username}@example.test`, username } });
      const member = await db.courseMember.create({ data: { courseId: course.courseId, userId: user.id, role: 'student' } });
      students.push({ username, memberId: member.id, token: (await createApiToken(db, { userId: user.id, name: 'bench' })).token, files: new Set() });
    }
    gitlab.seed({ users: students.map((s) => ({ username: s.username })) });
    await client.workflow.execute('createCourseHierarchyWorkflow', { workflowId: uniq('hierarchy-'), taskQueue: 'computor-tasks', args: [{ courseId: course.courseId }] });
    process.stderr.write(`provisioning ${o.students} student repositories...\n`);
    await client.workflow.execute('addStudentsWorkflow', { workflowId: uniq('students-'), taskQueue: 'computor-tasks', args: [{ courseId: course.courseId, courseMemberIds: students.map((s) => s.memberId), maxConcurrent: 20 }] });
    for (const s of students) s.projectId = (await db.courseMember.findUniqueOrThrow({ where: { id: s.memberId } })).gitlabProjectId;

    const content = async () => {
      const identifier = uniq('burst.');
      const example = await uploadExampleFixture(db, storage, exampleDir, { identifier, courseId: course.courseId });
      return { identifier, id: (await createContentFixture(db, { courseId: course.courseId, exampleVersionId: example.exampleVersionId })).id };
    };
    const commit = async (s, dir, text) => {
      const file = `${dir}/main.py`;
      const sha = await commitFiles(gitlab, s.projectId, { [file]: text }, { existing: s.files });
      s.files.add(file);
      return sha;
    };

    // The regrade's content: hand-ins already graded, uploaded through the API.
    const regraded = await content();
    const archive = zlib.gzipSync(writeTar([{ name: 'main.py', data: Buffer.from('x = 1\ny = 3\n') }]));
    process.stderr.write(`grading ${o.regrade} hand-ins of the content to regrade...\n`);
    const tests = await Promise.all(students.slice(0, o.regrade).map(async (s) => {
      const a = await upload(base, s.token, regraded.id, archive);
      return api(base, s.token, 'POST', `/submissions/${a.id}/test`);
    }));
    const warmGraded = progress(tests.length, 'graded');
    await Promise.all(tests.map((t) => client.workflow.getHandle(t.workflow_id).result().then(() => warmGraded.tick())));
    // Its due time long past: a repository locks once the burst's content closes too.
    await db.courseContent.update({ where: { id: regraded.id }, data: { dueAt: new Date(Date.now() - 3_600_000) } });

    const openRuns = (contentId) => db.result.count({ where: { courseContentId: contentId, status: { in: ['pending', 'running'] } } });
    // Every push stored and every run ended (a run that never ends is counted, not waited for).
    // One query per poll, not one per student: the probe must not load the PostgreSQL it measures.
    const settled = (contentId, pushes) =>
      until('every push stored and settled', async () => (await db.submissionArtifact.count({ where: { submissionGroup: { courseContentId: contentId } } })) >= pushes && (await openRuns(contentId)) === 0, 300_000, 500).catch(() => undefined);

    const burst = async (withRegrade) => {
      const target = await content();
      const dueAt = new Date(Date.now() + (o.windowS + 20) * 1000);
      const res = await fetch(`${base}/courses/${course.courseId}/contents/${target.id}/deadline`, { method: 'PUT', headers: { Authorization: `Bearer ${lecturer}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ dueAt: dueAt.toISOString() }) });
      if (res.status !== 200) throw new Error(`deadline answered ${res.status}`);
      let regrade = null;
      if (withRegrade) {
        const r = await fetch(`${base}/courses/${course.courseId}/contents/${regraded.id}/regrades`, { method: 'POST', headers: { Authorization: `Bearer ${lecturer}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ mode: 'rerun', of: 'latest' }) });
        regrade = await r.json();
      }
      const started = Date.now();
      // CPU of each part over the burst; `bench` is this process: the API and the GitLab emulator.
      const cpu = cpuMeter(parts);
      cpu.start();
      const machineBefore = machineBusyMs();
      const selfBefore = process.cpuUsage();
      const pushes = [];
      await Promise.all(students.map(async (s, i) => {
        for (let k = 0; k < 3; k++) {
          // Pushes spread over the window, the later ones more often (students push at the deadline);
          // a student's second and third push come later in it (push, fix, push again).
          const at = started + o.windowS * 1000 * Math.sqrt((k * students.length + i + Math.random()) / (students.length * 3));
          await sleep(Math.max(0, at - Date.now()));
          pushes.push({ s, k, sha: await commit(s, target.identifier, `x = 1\ny = 2\n# ${k}\n`) });
        }
      }));
      await settled(target.id, pushes.length);
      const stuck = await openRuns(target.id);
      const artifacts = await db.submissionArtifact.findMany({
        where: { submissionGroup: { courseContentId: target.id } },
        select: { commitSha: true, submissionGroup: { select: { members: { select: { courseMemberId: true } } } }, results: { orderBy: { createdAt: 'asc' }, select: { id: true, status: true, supersededById: true, finishedAt: true, queuedAt: true, startedAt: true, gradingMs: true } } },
      });
      // Forks of one template can share a commit id for identical work: always by student.
      const keyOf = (memberId, sha) => `${memberId}:${sha}`;
      const byPush = new Map();
      const perPush = new Map();
      for (const a of artifacts) {
        const key = keyOf(a.submissionGroup.members[0].courseMemberId, a.commitSha);
        byPush.set(key, a);
        perPush.set(key, (perPush.get(key) ?? 0) + 1);
      }
      // Every push handed in once (or superseded): no push lost, none duplicated.
      const lost = pushes.filter((p) => !perPush.has(keyOf(p.s.memberId, p.sha))).length;
      const duplicate = [...perPush.values()].filter((n) => n > 1).length;
      const results = new Map(artifacts.flatMap((a) => a.results).map((r) => [r.id, r]));
      const failed = [...results.values()].filter((r) => r.status === 'failed').length;
      const superseded = [...results.values()].filter((r) => r.status === 'superseded').length;
      // A push's feedback is the result that graded it: its own, or that of the newer push that
      // superseded it while it waited (what the student sees for it).
      const answer = (r) => {
        for (let hops = 0; r && hops < 10; hops++) {
          if (r.status === 'completed') return r;
          r = r.supersededById ? results.get(r.supersededById) : null;
        }
        return null;
      };
      const deliveries = gitlab.deliveries();
      const deliveredAt = (p) => new Date(deliveries.find((d) => d.after === p.sha && d.projectId === p.s.projectId && !d.resend).startedAt).getTime();
      const latencies = [];
      for (const p of pushes) {
        const r = answer(byPush.get(keyOf(p.s.memberId, p.sha))?.results[0]);
        if (r) latencies.push(r.finishedAt.getTime() - deliveredAt(p));
      }
      // Where the time to feedback goes: the hook to the queued run (API, hand-in workflow, fetch),
      // waiting for a grading slot (a joined run keeps the place of the one it superseded), and
      // grading to the stored result; the sandbox time is the part of grading spent in the sandbox.
      const spread = (values) => ({ p50: percentile(values, 50), p95: percentile(values, 95) });
      const graded = [...results.values()].filter((r) => r.status === 'completed' && r.startedAt);
      const phases = {
        hook_to_queued_ms: spread(pushes.flatMap((p) => {
          const own = byPush.get(keyOf(p.s.memberId, p.sha))?.results[0];
          return own?.queuedAt ? [own.queuedAt.getTime() - deliveredAt(p)] : [];
        })),
        queued_to_started_ms: spread(graded.map((r) => r.startedAt.getTime() - r.queuedAt.getTime())),
        started_to_stored_ms: spread(graded.map((r) => r.finishedAt.getTime() - r.startedAt.getTime())),
        sandbox_ms: spread(graded.flatMap((r) => (r.gradingMs === null ? [] : [r.gradingMs]))),
      };
      // Each student's last push must end graded: a failed or never-ending run of it is a lost hand-in.
      const lastPushes = new Map(pushes.map((p) => [p.s.memberId, p]));
      const lastUngraded = [...lastPushes.values()].filter((p) => !byPush.get(keyOf(p.s.memberId, p.sha))?.results.some((r) => r.status === 'completed')).length;
      const gradedRuns = await db.result.count({ where: { courseContentId: target.id, status: 'completed' } });
      const self = process.cpuUsage(selfBefore);
      const cpuMs = { ...cpu.stop(), bench: Math.round((self.user + self.system) / 1000) };
      // The whole machine over the same span, and what the parts above leave of it.
      const machineMs = Math.round(machineBusyMs() - machineBefore);
      cpuMs.unaccounted = machineMs - Object.values(cpuMs).reduce((sum, ms) => sum + ms, 0);
      cpuMs.machine = machineMs;
      const settledS = (Date.now() - started) / 1000;
      await sleep(Math.max(0, dueAt.getTime() - Date.now()) + 6000);
      const members = await db.courseMember.findMany({ where: { id: { in: students.map((s) => s.memberId) } } });
      const lockDelays = members.map((m) => (m.repositoryLockedAt ? m.repositoryLockedAt.getTime() - dueAt.getTime() : Infinity));
      if (regrade) await client.workflow.getHandle(regrade.workflow_id).result().catch(() => undefined);
      // Unlock for the next round: the content's deadline is removed.
      await fetch(`${base}/courses/${course.courseId}/contents/${target.id}/deadline`, { method: 'DELETE', headers: { Authorization: `Bearer ${lecturer}` } });
      await db.courseContent.update({ where: { id: target.id }, data: { archivedAt: new Date() } });
      return { latencies, phases, gradedRuns, superseded, answered: latencies.length, lost: lost + lastUngraded, lastUngraded, failed, stuck, duplicate, lockMaxMs: Math.max(...lockDelays), windowWallS: (Date.now() - started) / 1000, settledS, cpuMs };
    };

    // Without it the round run first came out about 10 % slower than the second, even with the
    // regrade waiting until after the burst (cold code paths and caches): one push per student, not
    // measured, so that both rounds are warm.
    if (o.warmupS > 0) {
      process.stderr.write(`warm-up: one push per student over ${o.warmupS} s...\n`);
      const warm = await content();
      const started = Date.now();
      await Promise.all(students.map(async (s, i) => {
        await sleep(Math.max(0, started + (o.warmupS * 1000 * i) / students.length - Date.now()));
        await commit(s, warm.identifier, 'x = 1\ny = 2\n');
      }));
      await settled(warm.id, students.length);
      await db.courseContent.update({ where: { id: warm.id }, data: { archivedAt: new Date() } });
    }

    // The raw sandbox time of one hand-in of this example (warm), for the ideal: measured here,
    // before the bursts, with nothing else running, as the median of 11 (the median of 5 taken
    // after the bursts came out 46-66 ms from run to run; single samples here still vary that much).
    const example = await grader.loadExample(exampleDir);
    const cache = new grader.InMemoryReferenceCache();
    await grader.gradeSubmission({ exampleDir, example, submissionDir: exampleDir, referenceCache: cache });
    await sleep(2000);
    const rawMs = [];
    for (let i = 0; i < 11; i++) {
      const t = Date.now();
      await grader.gradeSubmission({ exampleDir, example, submissionDir: exampleDir, referenceCache: cache });
      rawMs.push(Date.now() - t);
    }
    const raw = percentile(rawMs, 50);

    // --regrade 0: the burst without a regrade only (its figures stand for both).
    process.stderr.write(o.regrade ? `burst with a regrade of ${o.regrade} hand-ins running...\n` : '');
    const quietOnly = o.regrade === 0;
    const loaded = quietOnly ? null : await burst(true);
    // Let the repositories unlock (the first content's deadline is gone, the next one opens them).
    process.stderr.write('burst without a regrade...\n');
    const quiet = await burst(false);
    const first = loaded ?? quiet;

    const ideal = (runs) => Math.round((runs * raw) / slots);
    const figures = {
      students: o.students,
      pushes: o.students * 3,
      window_s: o.windowS,
      first_p50_ms: percentile(first.latencies, 50),
      first_p95_ms: percentile(first.latencies, 95),
      first_p99_ms: percentile(first.latencies, 99),
      quiet_p50_ms: percentile(quiet.latencies, 50),
      quiet_p95_ms: percentile(quiet.latencies, 95),
      quiet_p99_ms: percentile(quiet.latencies, 99),
      ideal_ms: ideal(first.gradedRuns),
      regrade_p95_increase: quietOnly ? null : Number((percentile(first.latencies, 95) / percentile(quiet.latencies, 95) - 1).toFixed(3)),
      lost: (loaded?.lost ?? 0) + quiet.lost,
      failed: (loaded?.failed ?? 0) + quiet.failed,
      duplicate: (loaded?.duplicate ?? 0) + quiet.duplicate,
      lock_max_ms: Math.max(loaded?.lockMaxMs ?? 0, quiet.lockMaxMs),
    };
    const details = { raw_hand_in_ms: raw, raw_samples_ms: rawMs, slots, regrade_hand_ins: o.regrade, loaded: loaded && { ...loaded, latencies: undefined }, quiet: { ...quiet, latencies: undefined }, ideal_quiet_ms: ideal(quiet.gradedRuns) };
    const file = writeResults('deadline', { ...figures, details });
    console.log(JSON.stringify({ ...figures, details }, null, 2));
    console.log(`written to ${file}`);
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
