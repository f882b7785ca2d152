import { z } from 'zod';

/** Version of the grading report shape; bump on incompatible changes. */
export const GRADING_REPORT_SCHEMA_VERSION = 1 as const;

/**
 * Outcome of one check (and, aggregated, of one collection).
 * `error`: the graded code could not be run or evaluated (exception, crash, compile failure,
 * missing file); `infra_error`: the grader itself failed (sandbox could not start), not the student.
 */
export const ZCheckStatus = z.enum([
  'passed',
  'failed',
  'error',
  'timeout',
  'memory_exceeded',
  'skipped',
  'infra_error',
]);
export type TCheckStatus = z.infer<typeof ZCheckStatus>;

export const ZCheckResult = z.object({
  name: z.string(),
  status: ZCheckStatus,
  message: z.string(),
  /** Short human-readable summary of the expected value, not the full value. */
  expected: z.string().optional(),
  /** Short human-readable summary of the observed value. */
  actual: z.string().optional(),
  durationMs: z.number().nonnegative(),
});
export type TCheckResult = z.infer<typeof ZCheckResult>;

/**
 * What one sandboxed run produced. `*Bytes` count everything the program wrote to the stream,
 * `*KeptBytes` what is kept in this record (the rest was dropped at a cap); `truncated` is true when
 * anything was dropped.
 */
export const ZRunOutput = z.object({
  stdout: z.string(),
  stderr: z.string(),
  stdoutBytes: z.number().int().nonnegative(),
  stdoutKeptBytes: z.number().int().nonnegative(),
  stderrBytes: z.number().int().nonnegative(),
  stderrKeptBytes: z.number().int().nonnegative(),
  truncated: z.boolean(),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  timedOut: z.boolean(),
  memoryExceeded: z.boolean(),
  durationMs: z.number().nonnegative(),
});
export type TRunOutput = z.infer<typeof ZRunOutput>;

export const ZSummary = z.object({
  total: z.number().int().nonnegative(),
  passed: z.number().int().nonnegative(),
  /** Everything neither passed nor skipped: failed, error, timeout, memory_exceeded, infra_error. */
  failed: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
});
export type TSummary = z.infer<typeof ZSummary>;

export const ZCollectionResult = z.object({
  name: z.string(),
  /** Collection type from test.yaml (`variable`, `stdout`, `structural`, ...). */
  type: z.string(),
  status: ZCheckStatus,
  message: z.string(),
  checks: z.array(ZCheckResult),
  summary: ZSummary,
  /** The student run that the checks were evaluated on, when the collection runs code. */
  output: ZRunOutput.optional(),
  durationMs: z.number().nonnegative(),
});
export type TCollectionResult = z.infer<typeof ZCollectionResult>;

export const ZGradingEnvironment = z.object({
  grader: z.string(),
  language: z.string(),
  executionBackend: z.string().nullable(),
  sandbox: z.string(),
  limits: z.record(z.string(), z.number()),
  node: z.string(),
  platform: z.string(),
});
export type TGradingEnvironment = z.infer<typeof ZGradingEnvironment>;

export const ZGradingReport = z.object({
  schemaVersion: z.literal(GRADING_REPORT_SCHEMA_VERSION),
  /** `infra_error` when the grader could not produce a trustworthy result (retry later). */
  status: z.enum(['completed', 'infra_error']),
  startedAt: z.string().optional(),
  collections: z.array(ZCollectionResult),
  /** Counts individual checks. */
  summary: ZSummary,
  /** Counts collections; a collection passes only when every one of its checks passed. */
  collectionSummary: ZSummary,
  /**
   * `summary.passed / summary.total`: the share of individual checks that passed (0 when there are
   * no checks). The original Python backend divided passed by total collections instead; both
   * counts are reported, the score uses checks.
   */
  score: z.number().min(0).max(1),
  /** True when every check passed (and there was at least one). */
  passed: z.boolean(),
  durationMs: z.number().nonnegative(),
  environment: ZGradingEnvironment,
});
export type TGradingReport = z.infer<typeof ZGradingReport>;

/**
 * Operator maxima for sandboxed runs. Per-assignment settings from meta.yaml
 * (`executionBackend.settings`) can lower these, never raise them.
 */
export const ZSandboxLimits = z.object({
  /** Wall-clock limit of one program run. */
  wallTimeoutMs: z.number().int().positive().default(10_000),
  /** Wall-clock limit of one compilation. */
  compileTimeoutMs: z.number().int().positive().default(30_000),
  /** CPU seconds (RLIMIT_CPU); defaults to the wall limit rounded up. */
  cpuSeconds: z.number().int().positive().optional(),
  /** Address-space limit (RLIMIT_AS) in MiB. */
  memoryMb: z.number().int().positive().default(1024),
  /** Processes and threads of one run (RLIMIT_NPROC under a run-private uid). */
  maxProcesses: z.number().int().positive().default(64),
  /** Largest file a run may write (RLIMIT_FSIZE), MiB. */
  fileSizeMb: z.number().int().positive().default(16),
  /** Open file descriptors (RLIMIT_NOFILE). */
  openFiles: z.number().int().positive().default(256),
  /** Bytes of stdout and of stderr captured per run; the rest is counted and dropped. */
  outputBytes: z.number().int().positive().default(1024 * 1024),
  /** Size of the run's private writable work directory (tmpfs), MiB. */
  workDirMb: z.number().int().positive().default(64),
});
export type TSandboxLimits = z.infer<typeof ZSandboxLimits>;
export type TSandboxLimitsInput = z.input<typeof ZSandboxLimits>;

const ZSummaryStatus = z.enum(['SCHEDULED', 'COMPLETED', 'TIMEDOUT', 'CRASHED', 'CANCELLED', 'SKIPPED', 'FAILED']);
const ZSummaryResult = z.enum(['PASSED', 'FAILED', 'SKIPPED']);

export const ZTestSummaryCheck = z.object({
  name: z.string(),
  status: ZSummaryStatus,
  result: ZSummaryResult,
  resultMessage: z.string().optional(),
  details: z.string().optional(),
  duration: z.number().optional(),
});
export type TTestSummaryCheck = z.infer<typeof ZTestSummaryCheck>;

export const ZTestSummaryCollection = z.object({
  name: z.string(),
  type: z.string(),
  status: ZSummaryStatus,
  result: ZSummaryResult,
  summary: ZSummary,
  statusMessage: z.string().optional(),
  resultMessage: z.string().optional(),
  duration: z.number().optional(),
  tests: z.array(ZTestSummaryCheck),
});
export type TTestSummaryCollection = z.infer<typeof ZTestSummaryCollection>;

/**
 * The original engine's `testSummary.json`, which Computor clients read. Durations are seconds.
 * `summary` counts checks (what `score` divides); `properties.collectionSummary` counts collections.
 */
export const ZTestSummary = z.object({
  timestamp: z.string().optional(),
  type: z.string().optional(),
  version: z.string().optional(),
  status: ZSummaryStatus,
  result: ZSummaryResult,
  summary: ZSummary,
  statusMessage: z.string().optional(),
  resultMessage: z.string().optional(),
  duration: z.number(),
  environment: z.record(z.string(), z.unknown()).optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
  tests: z.array(ZTestSummaryCollection),
});
export type TTestSummary = z.infer<typeof ZTestSummary>;

function checkStatusToSummary(status: TCheckStatus): z.infer<typeof ZSummaryStatus> {
  switch (status) {
    case 'passed':
    case 'failed':
      return 'COMPLETED';
    case 'timeout':
      return 'TIMEDOUT';
    case 'error':
    case 'memory_exceeded':
      return 'CRASHED';
    case 'skipped':
      return 'SKIPPED';
    case 'infra_error':
      return 'FAILED';
  }
}

function checkStatusToResult(status: TCheckStatus): z.infer<typeof ZSummaryResult> {
  if (status === 'passed') return 'PASSED';
  if (status === 'skipped') return 'SKIPPED';
  return 'FAILED';
}

function summaryResult(summary: TSummary): z.infer<typeof ZSummaryResult> {
  if (summary.total > 0 && summary.passed === summary.total) return 'PASSED';
  if (summary.total === summary.skipped) return 'SKIPPED';
  return 'FAILED';
}

/** Converts a grading report to the Computor-compatible `testSummary.json` view. Pure. */
export function toTestSummary(report: TGradingReport): TTestSummary {
  const tests = report.collections.map((collection): TTestSummaryCollection => ({
    name: collection.name,
    type: collection.type,
    status: checkStatusToSummary(collection.status),
    result: summaryResult(collection.summary),
    summary: collection.summary,
    statusMessage: collection.message,
    resultMessage: collection.message,
    duration: collection.durationMs / 1000,
    tests: collection.checks.map((check) => ({
      name: check.name,
      status: checkStatusToSummary(check.status),
      result: checkStatusToResult(check.status),
      resultMessage: check.message,
      ...(check.expected !== undefined || check.actual !== undefined
        ? { details: `expected: ${check.expected ?? '-'}; actual: ${check.actual ?? '-'}` }
        : {}),
      duration: check.durationMs / 1000,
    })),
  }));
  const result = summaryResult(report.summary);
  return {
    ...(report.startedAt !== undefined ? { timestamp: report.startedAt } : {}),
    type: report.environment.language,
    version: String(report.schemaVersion),
    status: report.status === 'completed' ? 'COMPLETED' : 'FAILED',
    result,
    summary: report.summary,
    statusMessage: report.status === 'completed' ? 'Grading completed' : 'Grading failed for infrastructure reasons',
    resultMessage: result === 'PASSED' ? 'All tests passed' : `${report.summary.passed} of ${report.summary.total} tests passed`,
    duration: report.durationMs / 1000,
    environment: report.environment,
    properties: { score: report.score, scoreBasis: 'checks', collectionSummary: report.collectionSummary },
    tests,
  };
}
