import { toTestSummary, type TGradingReport } from '@computor/contracts';
import type { TGraderConfigInput } from './config';
import { ExampleValidationError } from './example/load-example';
import { gradeSubmission } from './grade/grade';
import type { TReferenceCache } from './grade/reference-cache';

export interface TGradeCommandOptions {
  example: string;
  submission: string;
  /** Print the JSON report instead of the table. */
  json?: boolean;
  /** Print the Computor-compatible testSummary.json view instead. */
  testSummary?: boolean;
  config?: TGraderConfigInput;
  referenceCache?: TReferenceCache;
  signal?: AbortSignal;
  write?: (text: string) => void;
}

const MARK: Record<string, string> = {
  passed: 'PASS',
  failed: 'FAIL',
  error: 'ERR ',
  timeout: 'TIME',
  memory_exceeded: 'MEM ',
  output_limit: 'OUT ',
  skipped: 'SKIP',
  infra_error: 'INFR',
};

export function formatReport(report: TGradingReport): string {
  const lines: string[] = [];
  for (const collection of report.collections) {
    lines.push(`${MARK[collection.status]}  ${collection.name} [${collection.type}] ${collection.summary.passed}/${collection.summary.total}`);
    for (const check of collection.checks) {
      const detail = check.status === 'passed' ? '' : `  ${check.message}${check.detail ? ` (${check.detail})` : ''}`;
      lines.push(`  ${MARK[check.status]}  ${check.name}${detail}`);
    }
  }
  const { summary, collectionSummary } = report;
  lines.push('');
  lines.push(`checks: ${summary.passed}/${summary.total} passed, ${summary.failed} failed, ${summary.skipped} skipped`);
  lines.push(`collections: ${collectionSummary.passed}/${collectionSummary.total} passed`);
  lines.push(`score: ${report.score.toFixed(3)} (passed checks / all checks)  status: ${report.status}  ${(report.durationMs / 1000).toFixed(2)} s`);
  return lines.join('\n');
}

/**
 * `computor grade <example> <submission>`: grades and prints the result. Exit code 0 when every
 * check passed, 1 when some did not, 2 for an invalid example, 3 for an infrastructure failure.
 */
export async function runGradeCommand(options: TGradeCommandOptions): Promise<number> {
  const write = options.write ?? ((text: string) => process.stdout.write(`${text}\n`));
  let report: TGradingReport;
  try {
    report = await gradeSubmission({
      exampleDir: options.example,
      submissionDir: options.submission,
      ...(options.config ? { config: options.config } : {}),
      ...(options.referenceCache ? { referenceCache: options.referenceCache } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (error instanceof ExampleValidationError) {
      write(`invalid example ${error.dir}:`);
      for (const issue of error.issues) write(`  ${issue.file} ${issue.path}: ${issue.message}`);
      return 2;
    }
    throw error;
  }
  if (options.testSummary) write(JSON.stringify(toTestSummary(report), null, 2));
  else if (options.json) write(JSON.stringify(report, null, 2));
  else write(formatReport(report));
  if (report.status === 'infra_error') return 3;
  return report.passed ? 0 : 1;
}
