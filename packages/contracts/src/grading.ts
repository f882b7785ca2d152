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
  /** The run wrote more than a cap allows (output streams, reported values) and was stopped: the student's. */
  'output_limit',
  'skipped',
  'infra_error',
]);
export type TCheckStatus = z.infer<typeof ZCheckStatus>;

export const ZCheckResult = z.object({
  name: z.string(),
  status: ZCheckStatus,
  /** The full message (staff): may name the expected value. */
  message: z.string(),
  /**
   * The message without the expected value (or the rule's bound) and without internal detail: what
   * a student sees when the collection hides expected values, and always for `infra_error`.
   * Absent in reports written before it existed (readers then show a plain message by status).
   */
  publicMessage: z.string().optional(),
  /** Short human-readable summary of the expected value, not the full value. */
  expected: z.string().optional(),
  /** Short human-readable summary of the observed value. */
  actual: z.string().optional(),
  /** Internal detail of a grader failure (an exception's text): staff and logs only. */
  detail: z.string().optional(),
  /**
   * `false`: the check could not be run for a reason that is nobody's in the course (the worker
   * has no runtime for it, e.g. Julia): skipped, and left out of the score. Absent means scored.
   */
  scored: z.literal(false).optional(),
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
  /** Everything neither passed nor skipped: failed, error, timeout, memory_exceeded, output_limit, infra_error. */
  failed: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
});
export type TSummary = z.infer<typeof ZSummary>;

/**
 * Whether students see the expected values of a collection's checks (field and message), set per
 * example in meta.yaml `executionBackend.settings` (`expected`, `expectedByCollection`). Staff of
 * the course always see them. Room for `afterDue` once contents have deadlines.
 */
export const EXPECTED_VISIBILITIES = ['always', 'never'] as const;
export const ZExpectedVisibility = z.enum(EXPECTED_VISIBILITIES);
export type TExpectedVisibility = z.infer<typeof ZExpectedVisibility>;

/**
 * Whether students see a collection at all, set per example in meta.yaml `executionBackend.settings`
 * (`visibility`, `visibilityByCollection`): `always` (the default), `afterDue` (once the student's
 * effective due time has passed; without a due time like `always`), `never` (staff only, and not in
 * the score students see). Staff of the course always see every collection.
 */
export const COLLECTION_VISIBILITIES = ['always', 'afterDue', 'never'] as const;
export const ZCollectionVisibility = z.enum(COLLECTION_VISIBILITIES);
export type TCollectionVisibility = z.infer<typeof ZCollectionVisibility>;

export const ZCollectionResult = z.object({
  name: z.string(),
  /** Collection type from test.yaml (`variable`, `stdout`, `structural`, ...). */
  type: z.string(),
  status: ZCheckStatus,
  message: z.string(),
  /** `message` built from the checks' public messages (see ZCheckResult.publicMessage). */
  publicMessage: z.string().optional(),
  /** What students may see of expected values; absent (reports before it existed) reads as `never`. */
  expectedVisibility: ZExpectedVisibility.optional(),
  /** Whether students see the collection (see ZCollectionVisibility); absent (reports before it existed) reads as `always`. */
  visibility: ZCollectionVisibility.optional(),
  checks: z.array(ZCheckResult),
  summary: ZSummary,
  /** The student run that the checks were evaluated on, when the collection runs code. */
  output: ZRunOutput.optional(),
  /** What graded it: the language runtime's version, the worker's identity (staff only). */
  provenance: z.object({ runtime: z.string().optional(), worker: z.string().optional() }).optional(),
  durationMs: z.number().nonnegative(),
});
export type TCollectionResult = z.infer<typeof ZCollectionResult>;

/**
 * What produced a stored result, so that any score can be explained and replayed: the hand-in
 * (its content hash, and the commit once hand-ins come from repositories), the example version
 * and its content hash, the grader's version, the language and the runtime versions, and the
 * workers that graded its collections.
 */
export const ZResultProvenance = z.object({
  submission: z.object({ id: z.string(), contentHash: z.string(), commit: z.string().nullable() }),
  example: z.object({ versionId: z.string(), contentHash: z.string() }),
  grader: z.string(),
  language: z.string(),
  runtimes: z.array(z.string()),
  workers: z.array(z.string()),
});
export type TResultProvenance = z.infer<typeof ZResultProvenance>;

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

/** Checks of one visibility: the counts of ZSummary and `scored`, the checks that count in the score. */
export const ZVisibilityTally = ZSummary.extend({ scored: z.number().int().nonnegative() });
export type TVisibilityTally = z.infer<typeof ZVisibilityTally>;

/** Per visibility, what its collections' checks did; stored with each result so that list views need no report. */
export const ZVisibilityTallies = z.object({ always: ZVisibilityTally, afterDue: ZVisibilityTally, never: ZVisibilityTally });
export type TVisibilityTallies = z.infer<typeof ZVisibilityTallies>;

/**
 * What a student's view leaves out (checks, not collections): `afterDue`, checks graded and shown
 * after the student's due time (0 once it passed); `never`, checks for the course staff only, never
 * in the student's score. `message` says so in words when anything is left out.
 */
export const ZHiddenChecks = z.object({
  afterDue: z.number().int().nonnegative(),
  never: z.number().int().nonnegative(),
  message: z.string().optional(),
});
export type THiddenChecks = z.infer<typeof ZHiddenChecks>;

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
   * `summary.passed` divided by the checks that count (all but those with `scored: false`): the
   * share of individual checks that passed (0 when none count). The original Python backend
   * divided passed by total collections instead; both counts are reported, the score uses checks.
   */
  score: z.number().min(0).max(1),
  /** True when every check passed (and there was at least one). */
  passed: z.boolean(),
  durationMs: z.number().nonnegative(),
  environment: ZGradingEnvironment,
  /** Students' view only: the checks it leaves out (summary, collectionSummary, score and passed count the rest). */
  hidden: ZHiddenChecks.optional(),
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
  /** Bytes of values one run may report to the grader (the driver's result channel); more is `output_limit`. */
  valueBytes: z.number().int().positive().default(16 * 1024 * 1024),
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
    case 'output_limit':
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

/** The one-line outcome of a summary ("All tests passed", "3 of 5 tests passed"), as stored with a result. */
export function resultMessage(summary: TSummary): string {
  return summaryResult(summary) === 'PASSED' ? 'All tests passed' : `${summary.passed} of ${summary.total} tests passed`;
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
        ? { details: [check.expected !== undefined ? `expected: ${check.expected}` : undefined, `actual: ${check.actual ?? '-'}`].filter(Boolean).join('; ') }
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
    resultMessage: resultMessage(report.summary),
    duration: report.durationMs / 1000,
    environment: report.environment,
    properties: { score: report.score, scoreBasis: 'checks', collectionSummary: report.collectionSummary },
    tests,
  };
}

/** What a student sees for a check whose grader failed; the detail stays in the stored report. */
export const PLAIN_INFRA_MESSAGE = 'the grader could not evaluate this check';

const PLAIN_BY_STATUS: Partial<Record<string, string>> = {
  passed: 'passed',
  failed: 'failed',
  error: 'the code could not be run or evaluated',
  timeout: 'did not finish in time',
  memory_exceeded: 'exceeded the memory limit',
  output_limit: 'wrote more output than a run may',
  skipped: 'skipped',
  infra_error: PLAIN_INFRA_MESSAGE,
};

/** Status words for reports written before public messages existed. */
function plainMessage(status: TCheckStatus): string {
  return PLAIN_BY_STATUS[status] ?? status.replace(/_/g, ' ');
}

function studentCheck(check: TCheckResult, showExpected: boolean): TCheckResult {
  const full = showExpected && check.status !== 'infra_error';
  return {
    name: check.name,
    status: check.status,
    message: full ? check.message : (check.publicMessage ?? plainMessage(check.status)),
    ...(full && check.expected !== undefined ? { expected: check.expected } : {}),
    ...(check.actual !== undefined ? { actual: check.actual } : {}),
    durationMs: check.durationMs,
  };
}

function studentCollection(collection: TCollectionResult): TCollectionResult {
  const showExpected = collection.expectedVisibility === 'always';
  const full = showExpected && collection.status !== 'infra_error';
  return {
    name: collection.name,
    type: collection.type,
    status: collection.status,
    message: full ? collection.message : (collection.publicMessage ?? plainMessage(collection.status)),
    expectedVisibility: collection.expectedVisibility ?? 'never',
    visibility: collection.visibility ?? 'always',
    checks: collection.checks.map((check) => studentCheck(check, showExpected)),
    summary: collection.summary,
    ...(collection.output !== undefined ? { output: collection.output } : {}),
    durationMs: collection.durationMs,
  };
}

const emptyTally = (): TVisibilityTally => ({ total: 0, passed: 0, failed: 0, skipped: 0, scored: 0 });

/** Per visibility, the checks of the report's collections (a collection without the setting counts as `always`). Pure. */
export function tallyByVisibility(collections: readonly TCollectionResult[]): TVisibilityTallies {
  const tallies: TVisibilityTallies = { always: emptyTally(), afterDue: emptyTally(), never: emptyTally() };
  for (const collection of collections) {
    const tally = tallies[collection.visibility ?? 'always'];
    for (const check of collection.checks) {
      tally.total += 1;
      if (check.status === 'passed') tally.passed += 1;
      else if (check.status === 'skipped') tally.skipped += 1;
      else tally.failed += 1;
      if (check.scored !== false) tally.scored += 1;
    }
  }
  return tallies;
}

/** Whether a student sees collections of this visibility; `afterDue`: whether their effective due time has passed (or there is none). */
export function studentSees(visibility: TCollectionVisibility | undefined, afterDue: boolean): boolean {
  const v = visibility ?? 'always';
  return v === 'always' || (v === 'afterDue' && afterDue);
}

export interface TStudentTotals {
  summary: TSummary;
  score: number;
  passed: boolean;
  hidden: THiddenChecks;
}

function hiddenMessage(afterDue: number, never: number): string | undefined {
  const checks = (n: number) => `${n} ${n === 1 ? 'check' : 'checks'}`;
  const parts = [
    afterDue > 0 ? `${checks(afterDue)} will be graded and shown after the due time and count in the score then` : undefined,
    never > 0 ? `${checks(never)} ${never === 1 ? 'is' : 'are'} for the course staff only and not part of this score` : undefined,
  ].filter(Boolean);
  return parts.length > 0 ? `${parts.join('; ')}.` : undefined;
}

/**
 * The summary, score and passed a student sees: over the `always` checks, and the `afterDue` ones
 * once `afterDue` holds; never over `never` checks. Score and passed are defined as in the report
 * (passed / scored checks; every check passed, at least one). Pure.
 */
export function studentTotals(tallies: TVisibilityTallies, afterDue: boolean): TStudentTotals {
  const shown = afterDue ? [tallies.always, tallies.afterDue] : [tallies.always];
  const sum = (key: keyof TVisibilityTally) => shown.reduce((n, t) => n + t[key], 0);
  const summary: TSummary = { total: sum('total'), passed: sum('passed'), failed: sum('failed'), skipped: sum('skipped') };
  const scored = sum('scored');
  const hiddenAfterDue = afterDue ? 0 : tallies.afterDue.total;
  const message = hiddenMessage(hiddenAfterDue, tallies.never.total);
  return {
    summary,
    score: scored > 0 ? summary.passed / scored : 0,
    passed: summary.total > 0 && summary.passed === summary.total,
    hidden: { afterDue: hiddenAfterDue, never: tallies.never.total, ...(message !== undefined ? { message } : {}) },
  };
}

/** The tallies stored with a result (`byVisibility` of its `summary` JSON); undefined for results stored before them (read them as all `always`). */
export function storedTallies(summary: unknown): TVisibilityTallies | undefined {
  const parsed = ZVisibilityTallies.safeParse((summary as { byVisibility?: unknown } | null)?.byVisibility);
  return parsed.success ? parsed.data : undefined;
}

export interface TStudentReportOptions {
  /** The student's effective due time has passed, or the content has none: `afterDue` collections are shown. Default false. */
  afterDue?: boolean;
}

/**
 * The report as a student of the course may see it: only the collections their visibility shows
 * them (`always`; `afterDue` once `options.afterDue`; never `never`), with summary, collection
 * summary, score and passed recomputed over those and `hidden` counting the rest; per check its
 * name, status, own value and a message; the expected value (field and message) only where the
 * collection's `expectedVisibility` is `always`; never internal detail. Built from an allowlist,
 * so a field added to the stored report stays staff-only until it is added here. Staff read the
 * stored report unchanged. Pure.
 */
export function toStudentReport(report: TGradingReport, options: TStudentReportOptions = {}): TGradingReport {
  const afterDue = options.afterDue ?? false;
  const shown = report.collections.filter((c) => studentSees(c.visibility, afterDue));
  const totals = studentTotals(tallyByVisibility(report.collections), afterDue);
  const collectionSummary: TSummary = {
    total: shown.length,
    passed: shown.filter((c) => c.status === 'passed').length,
    skipped: shown.filter((c) => c.status === 'skipped').length,
    failed: shown.filter((c) => c.status !== 'passed' && c.status !== 'skipped').length,
  };
  return {
    schemaVersion: report.schemaVersion,
    status: report.status,
    ...(report.startedAt !== undefined ? { startedAt: report.startedAt } : {}),
    collections: shown.map(studentCollection),
    summary: totals.summary,
    collectionSummary,
    score: totals.score,
    passed: totals.passed,
    durationMs: report.durationMs,
    environment: report.environment,
    hidden: totals.hidden,
  };
}
