import { existsSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { createActivities, type TTestRunStart } from '@computor/activities';
import { storageConfigFrom } from '@computor/config';
import { GRADING_PRIORITY, TASK_QUEUE_TESTING, WF_TEST_SUBMISSION, type TTaskQueue } from '@computor/contracts';
import { createDb, openPool } from '@computor/db';
import { assessLanguages, cgroupsFor, detectedCgroups, privateDirIn, resolveGraderConfig, type TLanguageHealth } from '@computor/grader';
import { toTemporalLogger, type Logger } from '@computor/logger';
import { Storage } from '@computor/storage';
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { WORKFLOW_BUNDLE_PATH } from './bundle-workflows';
import { createGitlabResolver } from './gitlab';
import { graderSettingsFrom, type TWorkerEnv } from './env';
import { createWorkerMetrics, freeLoopbackPort, serveMetrics } from './metrics';

export interface StartWorkersOptions {
  env: TWorkerEnv;
  logger: Logger;
  queues: TTaskQueue[];
  /** Load workflows from this module instead of the prebuilt bundle (development and tests). */
  workflowsPath?: string;
}

export interface RunningWorkers {
  identity: string;
  workers: Worker[];
  /** Resolves when every worker has stopped. */
  done: Promise<void>;
  /** Resolves when the languages are assessed and reported (testing queue; at once otherwise). */
  languagesAssessed: Promise<void>;
  shutdown(): Promise<void>;
}

let runtimeInstalled = false;

/**
 * Starts a queued result's test run on the testing queue, as first-time hand-ins go (priority, and
 * the course as fairness key). Its workflow id is the result's, never reused: a run already started
 * (a retried hand-in) is left as it is.
 */
async function startTestRun(temporal: Client, run: TTestRunStart): Promise<void> {
  try {
    await temporal.workflow.start(WF_TEST_SUBMISSION, {
      workflowId: run.workflowId,
      taskQueue: TASK_QUEUE_TESTING,
      args: [{ resultId: run.resultId }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      priority: { priorityKey: GRADING_PRIORITY.handIn, fairnessKey: run.courseId },
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}

/** One Temporal worker per task queue, sharing one connection and one set of clients. */
export async function startWorkers(options: StartWorkersOptions): Promise<RunningWorkers> {
  const { env, logger } = options;
  const metrics = createWorkerMetrics();
  let metricsServer: { close(): void } | undefined;
  if (!runtimeInstalled) {
    // With WORKER_METRICS_PORT, the SDK's Prometheus exporter runs on a private loopback port and
    // its series are served together with ours on /metrics.
    const sdkPort = env.WORKER_METRICS_PORT !== undefined ? await freeLoopbackPort() : undefined;
    Runtime.install({
      logger: toTemporalLogger(logger),
      ...(sdkPort ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${sdkPort}` } } } } : {}),
    });
    runtimeInstalled = true;
    if (sdkPort && env.WORKER_METRICS_PORT !== undefined) metricsServer = serveMetrics({ port: env.WORKER_METRICS_PORT, metrics, sdkPort, logger });
  }
  const identity = env.WORKER_IDENTITY ?? `${process.pid}@${hostname()}`;
  let graderSettings = graderSettingsFrom(env);
  let assessment: (() => Promise<void>) | undefined;
  if (options.queues.includes(TASK_QUEUE_TESTING)) {
    // Everything grading writes goes into this process's private (0700, mkdtemp) directory under
    // GRADER_WORK_DIR; making it removes those of dead workers.
    const privateDir = privateDirIn(graderSettings.workDir);
    graderSettings = { ...graderSettings, workDir: privateDir, config: { ...graderSettings.config, tmpDir: privateDir } };
    // GRADER_CGROUPS=required without usable cgroups stops the worker here, before it takes work.
    const graderConfig = resolveGraderConfig(graderSettings.config);
    let confinement: 'cgroup-v1' | 'cgroup-v2' | 'rlimit' = 'rlimit';
    if (graderConfig.cgroups === 'off') logger.warn('sandbox runs bounded per process only: GRADER_CGROUPS=off');
    else {
      const cgroups = cgroupsFor(graderConfig.cgroups, graderConfig.cgroupRoot);
      const found = detectedCgroups(graderConfig.cgroupRoot);
      if (cgroups) {
        confinement = cgroups.kind === 'v2' ? 'cgroup-v2' : 'cgroup-v1';
        // Whatever a dead worker's runs left running is killed before this one takes work.
        const swept = await cgroups.sweep();
        logger.info('sandbox runs confined in cgroups', { kind: cgroups.kind, root: graderConfig.cgroupRoot, sweptRunCgroups: swept.removed, killedProcesses: swept.killed });
        if (swept.failed.length) logger.error('run cgroups of dead workers could not be emptied', { cgroups: swept.failed });
        if (!cgroups.cpuBound) logger.warn('sandbox runs have no CPU bound of their own: the cgroup v1 cpu controller is not writable', { root: graderConfig.cgroupRoot });
      } else if ('unavailable' in found) logger.warn('sandbox runs bounded per process only: no usable cgroups', { reason: found.unavailable });
    }
    metrics.setSandboxConfinement(confinement);
    // Started once the database is there; hand-ins of a language wait for its assessment.
    assessment = async () => {
      const startedAt = new Date();
      const report = (languages: TLanguageHealth[]) =>
        db.graderWorker.upsert({ where: { identity }, create: { identity, languages: languages as object[], startedAt }, update: { languages: languages as object[], startedAt } });
      await report([]);
      const health = await assessLanguages(graderConfig, { canary: env.GRADER_CANARY === 'on', limits: graderSettings.limits });
      for (const h of health) metrics.setLanguageOk(h.language, h.ok);
      const ok = health.filter((h) => h.ok).map((h) => h.language);
      const refused = health.filter((h) => !h.ok).map((h) => ({ language: h.language, reason: h.reason }));
      logger.info('languages this worker grades', { identity, languages: ok, canaries: Object.fromEntries(health.map((h) => [h.language, `${h.canary}${h.canaryMs !== undefined ? ` ${h.canaryMs} ms` : ''}`])) });
      if (refused.length) logger.warn('languages this worker refuses (their hand-ins fail as infrastructure errors and are retried elsewhere)', { identity, refused });
      await report(health);
    };
  }
  const db = createDb({ databaseUrl: env.DATABASE_URL, maxConnections: env.DATABASE_POOL_SIZE, keepOpen: true });
  // The database is reached, Prisma's query compiler loaded and the whole pool opened before any task
  // is taken: a worker that cannot reach it stops here saying so, the first activity does not pay the
  // ~50 ms start, and the first burst does not open connections while it runs.
  await Promise.all([db.$queryRaw`SELECT 1`, openPool(db)]).catch(async (error: unknown) => {
    await db.$disconnect().catch(() => undefined);
    throw new Error(`the worker cannot reach its database (DATABASE_URL): ${error instanceof Error ? error.message : String(error)}`);
  });
  const assessed = assessment?.().catch((error: unknown) => {
    logger.error('language assessment failed', { error: error instanceof Error ? error.message : String(error) });
  });
  const storage = new Storage(storageConfigFrom(env));
  const gitlab = createGitlabResolver(env, logger, metrics.onGitlabRequest);
  const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
  const activities = metrics.instrument(
    createActivities({
      db,
      storage,
      logger,
      gitlab: gitlab.resolve,
      workerIdentity: identity,
      grader: graderSettings,
      startTestRun: (run) => startTestRun(temporal, run),
      ...(env.COMPUTOR_HOOK_URL && env.TOKEN_SECRET ? { hooks: { url: env.COMPUTOR_HOOK_URL, tokenSecret: env.TOKEN_SECRET } } : {}),
    }),
  );

  const workflowSource: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> =
    options.workflowsPath || !existsSync(WORKFLOW_BUNDLE_PATH)
      ? { workflowsPath: options.workflowsPath ?? require.resolve('@computor/workflows') }
      : { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } };

  const workers = await Promise.all(
    options.queues.map((taskQueue) =>
      Worker.create({
        connection,
        namespace: env.TEMPORAL_NAMESPACE,
        taskQueue,
        identity,
        activities,
        ...workflowSource,
        // Grading activities each hold a sandbox: bound them by CPUs, not by the general limit.
        maxConcurrentActivityTaskExecutions:
          taskQueue === TASK_QUEUE_TESTING ? (env.WORKER_MAX_CONCURRENT_GRADING ?? availableParallelism()) : env.WORKER_MAX_CONCURRENT_ACTIVITIES,
        maxConcurrentWorkflowTaskExecutions: env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
        shutdownGraceTime: `${env.WORKER_SHUTDOWN_GRACE_SECONDS}s`,
      }),
    ),
  );
  logger.info('workers polling', { identity, queues: options.queues, workflows: 'workflowBundle' in workflowSource ? 'prebuilt bundle' : workflowSource.workflowsPath });

  const done = Promise.all(workers.map((w) => w.run())).then(async () => {
    await assessed;
    await connection.close();
    await db.$disconnect();
    storage.destroy();
    metricsServer?.close();
  });
  return {
    identity,
    workers,
    done,
    languagesAssessed: assessed ?? Promise.resolve(),
    async shutdown() {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
