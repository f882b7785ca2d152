import { formatDuration, formatScore, toTestSummary, type TCollectionResult, type TGradingReport } from '@computor/contracts';
import {
  aggregateReport,
  ExampleValidationError,
  gradeCollection,
  GradingSession,
  loadExample,
  resolveGraderConfig,
  resolveSandboxLimits,
  type TGraderConfigInput,
} from '@computor/grader';
import { formatTable, oneLine } from '../format';

export interface TGradeCliOptions {
  example: string;
  submission: string;
  /** The full report as JSON (raw numbers) instead of the table. */
  json?: boolean;
  /** The Computor-compatible testSummary.json view instead of the table. */
  testSummary?: boolean;
  /** A line per graded collection through `progress`. */
  showProgress?: boolean;
  /** Line width of the table (the terminal's); DEFAULT_WIDTH otherwise. */
  width?: number;
  config?: TGraderConfigInput;
  signal?: AbortSignal;
  out: (line: string) => void;
  progress?: (line: string) => void;
}

/** Line width of the table when stdout is not a terminal. */
export const DEFAULT_WIDTH = 80;
const NAME_WIDTH = 30;
// However narrow the terminal, a message keeps this much (the line wraps instead).
const MIN_MESSAGE_WIDTH = 24;
const GAPS = 3 * 2;

/** A check's message cell: passed checks need none. */
function checkMessage(check: TGradingReport['collections'][number]['checks'][number]): string {
  if (check.status === 'passed') return '';
  return `${check.message}${check.detail ? ` (${check.detail})` : ''}`;
}

/**
 * The human view of a report: one row per check (collection, check, status, message; messages on
 * one line, cut to what is left of `width` columns), then the score and counts.
 */
export function formatGradeReport(report: TGradingReport, { width = DEFAULT_WIDTH }: { width?: number } = {}): string {
  const cells = report.collections.flatMap((collection) =>
    collection.checks.map((check) => [oneLine(collection.name, NAME_WIDTH), oneLine(check.name, NAME_WIDTH), check.status.replace(/_/g, ' '), checkMessage(check)] as const),
  );
  const header = ['collection', 'check', 'status', 'message'] as const;
  const used = ([0, 1, 2] as const).reduce((sum, i) => sum + Math.max(header[i].length, ...cells.map((c) => c[i].length)), GAPS);
  const messageWidth = Math.max(MIN_MESSAGE_WIDTH, width - used);
  const rows = cells.map(([collection, check, status, message]) => [collection, check, status, oneLine(message, messageWidth)]);
  const checks = report.collections.flatMap((c) => c.checks);
  // The score's denominator: checks left out for want of a runtime (scored: false) do not count.
  const scored = checks.filter((c) => c.scored !== false).length;
  const { summary, collectionSummary } = report;
  const parts = [
    `score ${formatScore(report.score, { passed: summary.passed, total: scored })}`,
    `${summary.failed} failed`,
    ...(summary.skipped ? [`${summary.skipped} skipped`] : []),
    `collections ${collectionSummary.passed}/${collectionSummary.total} passed`,
    ...(report.status === 'completed' ? [] : [report.status.replace(/_/g, ' ')]),
    formatDuration(report.durationMs),
  ];
  return [formatTable(header, rows), '', parts.join(' · ')].join('\n');
}

function progressLine(done: number, total: number, result: TCollectionResult): string {
  return `[${done}/${total}] ${result.name}: ${result.status.replace(/_/g, ' ')} ${result.summary.passed}/${result.summary.total} in ${formatDuration(result.durationMs)}`;
}

/**
 * `computor grade`: grades a hand-in locally, collection by collection (as the worker does, sharing
 * one session's runs), so progress can be shown per collection. Exit code 0 when every check
 * passed, 1 when some did not, 2 for an invalid example, 3 for an infrastructure failure.
 */
export async function gradeCommand(options: TGradeCliOptions): Promise<number> {
  const { out } = options;
  const startedAt = new Date().toISOString();
  const started = performance.now();
  let example: Awaited<ReturnType<typeof loadExample>>;
  try {
    example = await loadExample(options.example);
  } catch (error) {
    if (error instanceof ExampleValidationError) {
      out(`invalid example ${error.dir}:`);
      for (const issue of error.issues) out(`  ${issue.file} ${issue.path}: ${issue.message}`);
      return 2;
    }
    throw error;
  }
  const concurrency = Math.max(1, resolveGraderConfig(options.config).concurrency);
  const total = example.collections.length;
  const session = new GradingSession();
  const results: TCollectionResult[] = new Array<TCollectionResult>(total);
  let next = 0;
  let done = 0;
  const runner = async () => {
    while (next < total) {
      const collectionIndex = next++;
      const result = await gradeCollection({
        exampleDir: options.example,
        submissionDir: options.submission,
        example,
        collectionIndex,
        session,
        ...(options.config ? { config: options.config } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      results[collectionIndex] = result;
      done++;
      if (options.showProgress) options.progress?.(progressLine(done, total, result));
    }
  };
  let report: TGradingReport;
  try {
    // allSettled: on cancellation every run must have stopped before scratch space is removed.
    const settled = await Promise.allSettled(Array.from({ length: Math.min(concurrency, total) }, runner));
    const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (rejected) throw rejected.reason;
    report = aggregateReport(example, results, { startedAt, durationMs: performance.now() - started, limits: resolveSandboxLimits(undefined) });
  } finally {
    session.dispose();
  }
  if (options.testSummary) out(JSON.stringify(toTestSummary(report), null, 2));
  else if (options.json) out(JSON.stringify(report, null, 2));
  else out(formatGradeReport(report, options.width ? { width: options.width } : {}));
  if (report.status === 'infra_error') return 3;
  return report.passed ? 0 : 1;
}
