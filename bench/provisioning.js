// Provisions one course with N students against the GitLab emulator, through the real worker
// process on the local stack (warmed up by another course's hierarchy first), and compares the
// wall time with the ideal requests x L / C.
//   pnpm bench provisioning --students 200 --latency-ms 25 --concurrency 10 --fault-rate 0.1
const { startGitlabEmulator } = require('@computor/gitlab-emulator');
const { createCourseFixture, stackDb, stackTemporal, startWorkerProcess, uniq } = require('@computor/test-support');
const { cpuMeter, parseOptions, stackPids, writeResults } = require('./common');

/** Requests per student by route, the course hierarchy's requests taken out. */
function perStudent(byRoute, hierarchy, students) {
  const out = {};
  for (const [route, n] of Object.entries(byRoute)) {
    const v = (n - (hierarchy[route] ?? 0)) / students;
    if (v > 0) out[route] = Number(v.toFixed(2));
  }
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
}

async function main() {
  const o = parseOptions({ students: 200, latencyMs: 25, concurrency: 10, faultRate: 0, faultKinds: '500,502,503,reset', workflowConcurrency: 0, seed: 1, rateLimit: 0, projectGetLimit: 0, workerRateLimit: -1, workerRequestsPerSecond: 100000 });
  const gitlab = await startGitlabEmulator({ port: 0, host: '127.0.0.1', token: uniq('glpat-') });
  const parentGroupId = gitlab.seed({ parentGroup: { name: 'Bench', path: uniq('bench-') } }).parentGroup.id;
  const db = stackDb();
  const { client, connection, namespace } = await stackTemporal({ isolated: true });
  const worker = await startWorkerProcess({
    namespace,
    env: { GITLAB_TOKEN: gitlab.token, GITLAB_MAX_CONCURRENT: String(o.concurrency), GITLAB_REQUESTS_PER_SECOND: String(o.workerRequestsPerSecond),
      // Told the emulator's limit unless --worker-rate-limit says otherwise (0: learn it from RateLimit-* headers).
      GITLAB_RATE_LIMIT_PER_MINUTE: String(o.workerRateLimit >= 0 ? o.workerRateLimit : o.rateLimit),
      GITLAB_PROJECT_READS_PER_MINUTE: String(o.projectGetLimit), WORKER_MAX_CONCURRENT_ACTIVITIES: '200', ...(process.env.BENCH_WORKER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_WORKER_NODE_OPTIONS } : {}) },
  });
  try {
    const course = await createCourseFixture(db, { gitlabUrl: gitlab.url, parentGroupId, roles: ['lecturer'] });
    const students = [];
    for (let i = 0; i < o.students; i++) {
      const username = uniq(`s${i}-`);
      students.push({ username });
    }
    const rows = await db.$transaction(students.map((s) => db.user.create({ data: { email: `${s.username}@bench.test`, username: s.username } })));
    const members = await db.$transaction(rows.map((u) => db.courseMember.create({ data: { courseId: course.courseId, userId: u.id, role: 'student' } })));
    gitlab.seed({ users: rows.map((u) => ({ username: u.username })) });
    // Warm-up, untimed and before latency and faults: another course's hierarchy, so that the
    // figures are the running system's, not the fresh worker process's first workflow task,
    // first statements and first connections to GitLab (together ~0.15 s, once per process).
    const warmUp = await createCourseFixture(db, { gitlabUrl: gitlab.url, parentGroupId, roles: [] });
    await client.workflow.execute('createCourseHierarchyWorkflow', { taskQueue: 'computor-tasks', workflowId: uniq('bench-warm-up-'), args: [{ courseId: warmUp.courseId }] });

    gitlab.configure({ latencyMs: o.latencyMs, seed: o.seed, faults: { rate: o.faultRate, kinds: o.faultKinds.split(','), mutatingOnly: false }, rateLimits: { authenticatedApi: o.rateLimit, projectGet: o.projectGetLimit, groupGet: o.projectGetLimit } });
    gitlab.resetStats();
    const cpu = cpuMeter({ worker: worker.child.pid, ...stackPids() });
    const started = process.hrtime.bigint();
    await client.workflow.execute('createCourseHierarchyWorkflow', { taskQueue: 'computor-tasks', workflowId: uniq('bench-course-'), args: [{ courseId: course.courseId }] });
    const hierarchyByRoute = { ...gitlab.stats().byRoute };
    const hierarchyRequests = gitlab.stats().total;
    cpu.start();
    const studentsStarted = process.hrtime.bigint();
    const benchCpuStudents = process.cpuUsage();
    const handle = await client.workflow.start('addStudentsWorkflow', {
      taskQueue: 'computor-tasks',
      workflowId: uniq('bench-students-'),
      args: [{ courseId: course.courseId, courseMemberIds: members.map((m) => m.id), ...(o.workflowConcurrency > 0 ? { maxConcurrent: o.workflowConcurrency } : {}) }],
    });
    // GitLab requests answered per second while the students are provisioned: where the limiter idles (ramp, tail).
    const answered = [];
    const sampler = setInterval(() => answered.push(gitlab.stats().total), 1000);
    const ticker = setInterval(async () => {
      const p = await handle.query('progress').catch(() => null);
      if (p) process.stderr.write(`  progress ${p.done}/${p.total} (${p.failed.length} failed, ${p.running} running)\n`);
    }, 2000);
    let outcome;
    try {
      outcome = await handle.result();
    } finally {
      clearInterval(ticker);
      clearInterval(sampler);
    }
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    const studentsWall = Number(process.hrtime.bigint() - studentsStarted) / 1e9;
    const cpuMs = cpu.stop();
    const benchCpu = process.cpuUsage(benchCpuStudents);
    cpuMs.bench_process = Math.round((benchCpu.user + benchCpu.system) / 1000);
    const stats = JSON.parse(JSON.stringify(gitlab.stats()));
    gitlab.configure({ latencyMs: 0, faults: { rate: 0 }, rateLimits: { authenticatedApi: 0, projectGet: 0, groupGet: 0 } });

    const state = gitlab.state();
    const courseRow = await db.course.findUniqueOrThrow({ where: { id: course.courseId } });
    const inStudents = state.projects.filter((p) => p.namespace_id === courseRow.gitlabStudentsGroupId);
    const byPath = new Map();
    for (const p of inStudents) byPath.set(p.path, (byPath.get(p.path) ?? 0) + 1);
    const userIds = new Map(state.users.map((u) => [u.username, u.id]));
    let duplicates = [...byPath.values()].filter((n) => n > 1).length;
    let missing = 0;
    for (const s of rows) {
      const project = inStudents.find((p) => p.path === s.username);
      if (!project) missing++;
      else {
        const maint = project.members.filter((m) => m.user_id === userIds.get(s.username) && m.access_level === 40).length;
        if (maint === 0) missing++;
        if (maint > 1) duplicates++;
      }
    }
    const ideal = (stats.total * o.latencyMs) / o.concurrency / 1000;
    // Under a rate limit the floor is the limit itself: requests / (limit per second).
    const rateFloor = o.rateLimit > 0 ? stats.total / (o.rateLimit / 60) : null;
    const studentRequests = stats.total - hierarchyRequests;
    const figures = {
      students: o.students,
      latency_ms: o.latencyMs,
      concurrency: o.concurrency,
      // Students in flight at once: the workflow's default (what the API starts) unless --workflow-concurrency.
      workflow_concurrency: o.workflowConcurrency > 0 ? o.workflowConcurrency : 'default',
      fault_rate: o.faultRate,
      fault_kinds: o.faultKinds.split(','),
      requests: stats.total,
      faults_injected: stats.faults.total,
      // The latency the emulator delivered (arrival to answer), which the ideal takes as latency_ms.
      emulator_latency_ms: stats.latency.answers ? Number((stats.latency.totalMs / stats.latency.answers).toFixed(2)) : null,
      wall_s: Number(wall.toFixed(2)),
      ideal_s: Number(ideal.toFixed(2)),
      ratio: Number((wall / ideal).toFixed(3)),
      rate_limit_per_minute: o.rateLimit,
      project_get_limit_per_minute: o.projectGetLimit,
      rate_floor_s: rateFloor === null ? null : Number(rateFloor.toFixed(2)),
      rate_ratio: rateFloor === null ? null : Number((wall / rateFloor).toFixed(3)),
      // The students alone (the course hierarchy's ~20 mostly sequential requests left out).
      students_ratio: o.latencyMs > 0 ? Number((studentsWall / ((studentRequests * o.latencyMs) / o.concurrency / 1000)).toFixed(3)) : null,
      requests_per_student: Number(((stats.total - hierarchyRequests) / o.students).toFixed(2)),
      requests_per_student_by_route: perStudent(stats.byRoute, hierarchyByRoute, o.students),
      hierarchy_requests: hierarchyRequests,
      status_429: stats.byStatus['429'] ?? 0,
      students_wall_s: Number(studentsWall.toFixed(2)),
      requests_per_second: answered.map((n, i) => n - (i ? answered[i - 1] : hierarchyRequests)),
      // CPU of each process (tree) while the students were provisioned; bench_process holds the in-process emulator.
      cpu_ms: cpuMs,
      cpu_ms_per_student: Object.fromEntries(Object.entries(cpuMs).map(([k, v]) => [k, Number((v / o.students).toFixed(1))])),
      cpu_ms_per_student_system: Number(((cpuMs.worker + cpuMs.temporal + cpuMs.postgres) / o.students).toFixed(1)),
      load_average: require('node:os').loadavg().map((x) => Number(x.toFixed(2))),
      duplicates,
      missing,
      succeeded: outcome.succeeded,
    };
    console.log(JSON.stringify(figures, null, 2));
    console.log(`written ${writeResults('provisioning', figures)}`);
    if (duplicates || missing) process.exitCode = 1;
  } finally {
    await worker.kill('SIGTERM');
    await gitlab.close();
    await db.$disconnect();
    await connection.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
