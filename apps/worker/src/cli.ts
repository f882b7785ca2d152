#!/usr/bin/env node
// Each command loads what it needs when it runs (Temporal's worker, Prisma, ...): `computor grade`
// starts in a fraction of the time the worker's modules take to load.
import { ConfigError } from '@computor/config';
import { TASK_QUEUE_TASKS, TASK_QUEUE_TESTING, TASK_QUEUES, type TTaskQueue } from '@computor/contracts';
import { createLogger } from '@computor/logger';
import { flag, parseArgs, UsageError } from './commands/args';
import { graderSettingsFrom, loadDbEnv, loadGraderEnv, loadSecretsEnv, loadSeedEnv, loadTemporalEnv, loadWorkerEnv } from './env';

const USAGE = `computor <command>

  worker start [--queue <name>]...   run a Temporal worker (queues: ${TASK_QUEUES.join(', ')}; default WORKER_QUEUES)
               [--workflows <path>]  load workflows from a module instead of the prebuilt bundle
  worker status [--json]             pollers per task queue; exit 1 when a queue has no live poller
  user create --email <e> --username <u> [--given <g>] [--family <f>] [--admin]
  token create --user <email> [--name <n>] [--expires-days <d>]
                                     print a new API token for the user (shown once)
  org set-token --org <path>         store the organization's GitLab token (read from stdin) encrypted with TOKEN_SECRET
  demo --api <url> --credentials <file>
                                     drive the whole journey through a running system (scripts/run.sh)
  dev seed --out <file>              local development: seed users, write their tokens to <file>
  grade --example <dir> --submission <dir> [--json] [--test-summary] [--progress]
                                     grade a hand-in locally through the sandbox; exit 0 all passed,
                                     1 not all passed, 2 invalid example, 3 infrastructure failure;
                                     a line per collection on stderr with --progress or on a terminal

Configuration comes from the environment (see .env.example); COMPUTOR_ENV_FILE names an env file
to read underneath it (the local stack writes .stack/stack.env).`;

const BOOLEAN_FLAGS = new Set(['json', 'admin', 'help', 'test-summary', 'progress']);
const out = (line: string) => process.stdout.write(`${line}\n`);

async function workerStart(argv: string[]): Promise<number> {
  const args = parseArgs(argv, BOOLEAN_FLAGS);
  const env = loadWorkerEnv();
  const requested = args.flags.get('queue') ?? env.WORKER_QUEUES;
  const unknown = requested.filter((q) => !(TASK_QUEUES as readonly string[]).includes(q));
  if (unknown.length) throw new UsageError(`unknown queue(s): ${unknown.join(', ')}; known: ${TASK_QUEUES.join(', ')}`);
  const logger = createLogger({ service: 'worker', level: env.LOG_LEVEL, format: env.LOG_FORMAT });
  const [{ ensureRetentionSchedule, ensureTutorTestExpiry }, { startWorkers }] = await Promise.all([import('./schedules'), import('./worker')]);
  if (requested.includes(TASK_QUEUE_TASKS)) {
    await ensureRetentionSchedule(env, logger);
    await ensureTutorTestExpiry(env, logger);
  }
  const running = await startWorkers({ env, logger, queues: [...new Set(requested)] as TTaskQueue[], workflowsPath: flag(args, 'workflows') });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn('second signal: exiting without waiting for running tasks', { signal });
      process.exit(130);
    }
    logger.info('shutting down: finishing running tasks', { signal, graceSeconds: env.WORKER_SHUTDOWN_GRACE_SECONDS });
    void running.shutdown();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await running.done;
  logger.info('worker stopped', { identity: running.identity });
  return 0;
}

async function workerStatus(argv: string[]): Promise<number> {
  const args = parseArgs(argv, BOOLEAN_FLAGS);
  const env = loadTemporalEnv();
  const { describeQueues, formatQueueStatus, withLanguages } = await import('./commands/worker-status');
  let statuses = await describeQueues({ address: env.TEMPORAL_ADDRESS, namespace: env.TEMPORAL_NAMESPACE, queues: args.flags.get('queue') });
  // The languages grading workers reported at start, when the database is configured here.
  if (statuses.some((s) => s.taskQueue === TASK_QUEUE_TESTING && s.activityPollers.length > 0)) {
    let dbEnv: ReturnType<typeof loadDbEnv> | undefined;
    try {
      dbEnv = loadDbEnv();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
    }
    if (dbEnv) {
      const { createDb } = await import('@computor/db');
      const db = createDb({ databaseUrl: dbEnv.DATABASE_URL, maxConnections: 1 });
      try {
        const identities = statuses.flatMap((s) => s.activityPollers.map((p) => p.identity));
        statuses = withLanguages(statuses, TASK_QUEUE_TESTING, await db.graderWorker.findMany({ where: { identity: { in: identities } } }));
      } finally {
        await db.$disconnect();
      }
    }
  }
  out(flag(args, 'json') ? JSON.stringify(statuses, null, 2) : formatQueueStatus(statuses));
  return statuses.every((s) => s.healthy) ? 0 : 1;
}

async function grade(argv: string[]): Promise<number> {
  const args = parseArgs(argv, BOOLEAN_FLAGS);
  const example = flag(args, 'example');
  const submission = flag(args, 'submission');
  if (!example || !submission) throw new UsageError('grade needs --example <dir> and --submission <dir>');
  const settings = graderSettingsFrom(loadGraderEnv());
  const controller = new AbortController();
  // Ctrl-C kills the running sandboxes instead of leaving them to their timers.
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const { gradeCommand } = await import('./commands/grade');
  try {
    return await gradeCommand({
      example,
      submission,
      json: flag(args, 'json') === 'true',
      testSummary: flag(args, 'test-summary') === 'true',
      // Progress goes to stderr so stdout stays the report, also when piped.
      showProgress: flag(args, 'progress') === 'true' || process.stdout.isTTY === true,
      ...(process.stdout.isTTY && process.stdout.columns ? { width: process.stdout.columns } : {}),
      config: settings.config,
      signal: controller.signal,
      out,
      progress: (line) => process.stderr.write(`${line}\n`),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export async function runCli(argv: string[]): Promise<number> {
  const [group, command, ...rest] = argv;
  if (group === 'grade') return grade(argv.slice(1));
  if (group === 'demo') return (await import('./commands/demo')).demoCommand(parseArgs(argv.slice(1), BOOLEAN_FLAGS), out);
  const key = `${group ?? ''} ${command ?? ''}`.trim();
  switch (key) {
    case 'worker start':
      return workerStart(rest);
    case 'worker status':
      return workerStatus(rest);
    case 'user create':
      return (await import('./commands/users')).createUserCommand(loadDbEnv(), parseArgs(rest, BOOLEAN_FLAGS), out);
    case 'token create':
      return (await import('./commands/users')).createTokenCommand(loadDbEnv(), parseArgs(rest, BOOLEAN_FLAGS), out);
    case 'org set-token':
      return (await import('./commands/org-token')).setOrganizationTokenCommand(loadSecretsEnv(), parseArgs(rest, BOOLEAN_FLAGS), out);
    case 'dev seed':
      return (await import('./commands/seed')).devSeedCommand(loadSeedEnv(), parseArgs(rest, BOOLEAN_FLAGS), out);
    default:
      if (group && !['help', '--help', '-h'].includes(group)) process.stderr.write(`Unknown command: ${argv.join(' ')}\n\n`);
      out(USAGE);
      return group && !['help', '--help', '-h'].includes(group) ? 2 : 0;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      if (error instanceof ConfigError || error instanceof UsageError) {
        process.stderr.write(`computor: ${error.message}\n`);
        process.exit(2);
      }
      process.stderr.write(`computor: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
