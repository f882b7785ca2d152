import {
  formatPercent,
  gradingStorageKeys,
  tallyByVisibility,
  toTestSummary,
  type TCollectionResult,
  type TGradingReport,
  type TResultProvenance,
  type TTestSubmissionResult,
  type TVerificationHandIn,
  type TVerificationReport,
} from '@computor/contracts';
import { aggregateReport, effectiveLimits, gradeCollection, GradingSessions, languageById, resolveSandboxLimits, type TExample } from '@computor/grader';
import { sqlOf } from '@computor/db';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from '../deps';
import { HEARTBEAT_INTERVAL_MS, NON_RETRYABLE, nonRetryable } from '../failures';
import { GradingFiles, graderDefaults, type TArtifactRef, type TExampleRef } from './local-files';
import { ACTIVE_RESULT, claimResult, headResult, type THeadResult } from './queue';
import { tutorTestActivities } from './tutor-test';

/** Failure type of a grader that could not produce a trustworthy result (retried; never the student's failure). */
export const GRADER_INFRA_ERROR = 'GraderInfraError';

/**
 * What a collection activity grades: the hand-in of a result (`resultId`; the artifact is looked up
 * when the activity starts, so that a newer push that superseded the queued result is graded in its
 * place), a hand-in of the example itself (verification), or files stored under a prefix with no
 * row behind them (a tutor's test run).
 */
export type TGradeTarget = { kind: 'artifact'; resultId: string } | { kind: 'hand-in'; handIn: string } | { kind: 'stored'; files: TArtifactRef };

export interface TCollectionPlan {
  index: number;
  name: string;
  type: string;
  /** Start-to-close budget of the collection's activity: compile + student and reference runs + slack. */
  budgetMs: number;
  /** Names of its checks (to report them when the collection cannot finish in its budget). */
  checks: string[];
}

export interface TSubmissionTestPlan {
  resultId: string;
  artifact: TArtifactRef;
  example: TExampleRef;
  collections: TCollectionPlan[];
  startedAt: string;
}

const ACTIVITY_SLACK_MS = 30_000;
/** Output of all collections of one submission travels through workflow history: keep it well below the 2 MB payload limit. */
const OUTPUT_BUDGET_BYTES = 768 * 1024;
const DEFAULT_REPORT_OUTPUT_BYTES = 64 * 1024;

function collectionPlans(example: TExample, operator: ReturnType<typeof resolveSandboxLimits>): TCollectionPlan[] {
  const settings = example.meta.properties.executionBackend?.settings ?? undefined;
  const compileMs = languageById(example.language)?.compiled ? effectiveLimits(operator, settings, { kind: 'compile' }).wallTimeoutMs : 0;
  return example.collections.map((c) => {
    const runMs = effectiveLimits(operator, settings, { kind: 'run', timeoutSeconds: c.timeoutSeconds }).wallTimeoutMs;
    // A C collection may compile student and reference; every collection may run both.
    return { index: c.index, name: c.name, type: c.type, budgetMs: 2 * compileMs + 2 * runMs + ACTIVITY_SLACK_MS, checks: c.checks.map((k) => k.name) };
  });
}

function outline(report: TGradingReport, reportKey: string): TTestSubmissionResult['test_results'] {
  return {
    summary: report.summary,
    collectionSummary: report.collectionSummary,
    collections: report.collections.map((c) => ({ name: c.name, type: c.type, status: c.status, summary: c.summary })),
    reportKey,
  };
}

function notPassed(report: TGradingReport): string[] {
  return report.collections.flatMap((c) => c.checks.filter((k) => k.status !== 'passed').map((k) => `${c.name} / ${k.name}: ${k.status}: ${k.message}`));
}

/** What produced a result (TResultProvenance): hand-in, example version, grader, runtimes, workers. */
function provenanceOf(plan: { example: TExampleRef }, artifact: { id: string; contentHash: string; commitSha: string | null }, report: TGradingReport, collections: readonly TCollectionResult[]): TResultProvenance {
  const distinct = (values: Array<string | undefined>) => [...new Set(values.filter((v): v is string => typeof v === 'string'))].sort();
  return {
    submission: { id: artifact.id, contentHash: artifact.contentHash, commit: artifact.commitSha },
    example: { versionId: plan.example.exampleVersionId, contentHash: plan.example.contentHash },
    grader: report.environment.grader,
    language: report.environment.language,
    runtimes: distinct(collections.map((c) => c.provenance?.runtime)),
    workers: distinct(collections.map((c) => c.provenance?.worker)),
  };
}

function exampleRef(version: { id: string; contentHash: string; objectPrefix: string }): TExampleRef {
  return { exampleVersionId: version.id, contentHash: version.contentHash, objectPrefix: version.objectPrefix };
}

export function gradingActivities(deps: ActivityDeps) {
  const grader = graderDefaults(deps);
  const files = new GradingFiles(deps.storage, grader.workDir);
  const operator = resolveSandboxLimits(grader.limits);
  // The collections of one hand-in arrive as separate activities: their session lets them share
  // runs (one compile, one interpreter run where the run parameters agree), kept 60 s after the last.
  const sessions = new GradingSessions({ idleMs: 60_000, max: 16 });

  async function loadVersion(exampleVersionId: string) {
    const version = await deps.db.exampleVersion.findUnique({ where: { id: exampleVersionId } });
    if (!version) throw nonRetryable(NON_RETRYABLE.notFound, `Example version ${exampleVersionId} not found`);
    return version;
  }

  /** The result a run grades now, with its artifact and example version (one statement: one snapshot of the chain). */
  /** The hand-in a result grades, as the files cache fetches it (by name when its paths are recorded). */
  const submissionRef = (head: THeadResult): TArtifactRef => ({ artifactId: head.artifactId, contentHash: head.artifact.contentHash, objectPrefix: head.artifact.objectPrefix, filePaths: head.artifact.filePaths });

  async function activeHead(resultId: string) {
    const head = await headResult(deps.db, resultId);
    if (!head) throw nonRetryable(NON_RETRYABLE.notFound, `Result ${resultId} not found`);
    return head;
  }

  return {
    ...tutorTestActivities({ deps, files, operator, loadVersion, exampleRef, collectionPlans: (example) => collectionPlans(example, operator), provenanceOf }),

    /**
     * Loads the result's artifact and example version and downloads both into this worker's work
     * directory (warming the cache the collection activities use). The result stays `pending`
     * (queued) until its first collection starts on a grading worker. `prefetch: false`: the
     * collections are graded on another worker; only the example is read here, for the plan.
     */
    async prepareSubmissionTest(input: { resultId: string; prefetch?: boolean }): Promise<TSubmissionTestPlan> {
      const result = await activeHead(input.resultId);
      if (!ACTIVE_RESULT.includes(result.status as (typeof ACTIVE_RESULT)[number])) {
        throw nonRetryable(NON_RETRYABLE.precondition, `Result ${result.id} is ${result.status}; only pending or running results are graded`);
      }
      if (result.artifact.purgedAt) throw nonRetryable(NON_RETRYABLE.precondition, `Submission ${result.artifactId} was purged by retention`);
      const version = result.exampleVersion;
      if (!version) throw nonRetryable(NON_RETRYABLE.precondition, `Course content ${result.courseContentId} has no example assigned`);
      // The plan (workflow history) carries no file list: the collection activities read the head again.
      const { filePaths: _filePaths, ...artifact } = submissionRef(result);
      const ref = exampleRef(version);
      const [example] = await Promise.all([files.example(ref), input.prefetch === false ? undefined : files.submission(submissionRef(result))]);
      return { resultId: input.resultId, artifact, example: ref, collections: collectionPlans(example, operator), startedAt: new Date().toISOString() };
    },

    /**
     * Grades one collection in the sandbox. Heartbeats; cancellation kills the running sandbox.
     * A collection the grader could not grade (sandbox failed to start) fails the attempt so that
     * Temporal retries it: an infrastructure failure is never recorded as the student's.
     */
    async gradeSubmissionCollection(input: { example: TExampleRef; target: TGradeTarget; collectionIndex: number }): Promise<TCollectionResult> {
      const context = Context.current();
      const beat = setInterval(() => context.heartbeat({ collection: input.collectionIndex }), HEARTBEAT_INTERVAL_MS);
      try {
        const example = await files.example(input.example);
        let submissionDir: string;
        if (input.target.kind === 'artifact') {
          // The queued result may have been superseded since the plan was made: grade what it stands for now.
          const head = await claimResult(deps.db, input.target.resultId);
          if (!head) throw nonRetryable(NON_RETRYABLE.notFound, `Result ${input.target.resultId} not found`);
          if (head.status !== 'running') throw nonRetryable(NON_RETRYABLE.precondition, `Result ${head.id} is ${head.status}; not grading it`);
          if (head.artifact.purgedAt) throw nonRetryable(NON_RETRYABLE.precondition, `Submission ${head.artifactId} was purged by retention`);
          submissionDir = await files.submission(submissionRef(head));
        } else if (input.target.kind === 'stored') {
          submissionDir = await files.submission(input.target.files);
        } else {
          submissionDir = await files.handIn(example, input.target.handIn);
        }
        const session = sessions.acquire(`${example.contentHash}:${submissionDir}`);
        const result = await gradeCollection({
          session,
          exampleDir: example.dir,
          example,
          submissionDir,
          collectionIndex: input.collectionIndex,
          limits: grader.limits,
          config: {
            ...grader.config,
            reportOutputBytes: Math.min(
              grader.config.reportOutputBytes ?? DEFAULT_REPORT_OUTPUT_BYTES,
              Math.floor(OUTPUT_BUDGET_BYTES / (2 * Math.max(1, example.collections.length))),
            ),
          },
          referenceCache: files.referenceCache,
          signal: context.cancellationSignal,
        }).finally(() => sessions.release(session));
        result.provenance = { ...result.provenance, worker: deps.workerIdentity };
        if (result.status === 'infra_error' || result.checks.some((c) => c.status === 'infra_error')) {
          // The retry must run afresh, not reuse a run that failed for infrastructure reasons.
          sessions.discard(session);
          const failed = result.checks.find((c) => c.status === 'infra_error');
          // The failure's message reaches the student (workflow status, result): it says what
          // happened in plain terms; the grader's own text (host paths, exceptions) goes to the log and details.
          const detail = [failed?.message ?? result.message, failed?.detail].filter(Boolean).join(': ');
          context.log.error('grader failure', { collection: input.collectionIndex, name: result.name, detail });
          throw ApplicationFailure.create({
            type: GRADER_INFRA_ERROR,
            message: `collection ${input.collectionIndex} (${result.name}): ${failed?.publicMessage ?? result.publicMessage ?? 'the grader could not evaluate it'}`,
            details: [detail],
          });
        }
        return result;
      } finally {
        clearInterval(beat);
      }
    },

    /**
     * Aggregates, stores report.json (the API derives the testSummary.json view from it), completes
     * the Result row: the one the plan's result stands for (itself, or the newer hand-in that
     * superseded it while queued). Idempotent.
     */
    async storeSubmissionResult(input: { plan: TSubmissionTestPlan; collections: TCollectionResult[] }): Promise<TTestSubmissionResult> {
      const { plan } = input;
      const head = await headResult(deps.db, plan.resultId);
      if (!head) throw nonRetryable(NON_RETRYABLE.notFound, `Result ${plan.resultId} not found`);
      const example = await files.example(plan.example);
      const startedAt = (head.startedAt ?? new Date(plan.startedAt)).toISOString();
      const durationMs = Date.now() - new Date(startedAt).getTime();
      const report = aggregateReport(example, input.collections, { startedAt, durationMs, limits: operator });
      const reportKey = gradingStorageKeys.report(head.id);
      const testSummary = toTestSummary(report);
      await deps.storage.put(reportKey, JSON.stringify(report), 'application/json');
      const summary = { summary: report.summary, collectionSummary: report.collectionSummary, status: testSummary.status, result: testSummary.result, byVisibility: tallyByVisibility(report.collections) };
      const provenance = provenanceOf(plan, head.artifact, report, input.collections);
      const gradingMs = Math.round(input.collections.reduce((sum, c) => sum + (c.durationMs ?? 0), 0));
      // One plain statement per hand-in graded (see sqlOf).
      const updated = await sqlOf(deps.db)`
        UPDATE results SET status = 'completed', score = ${report.score}, passed = ${report.passed},
               checks_total = ${report.summary.total}, checks_passed = ${report.summary.passed}, checks_failed = ${report.summary.failed}, checks_skipped = ${report.summary.skipped},
               report_key = ${reportKey}, summary = ${JSON.stringify(summary)}::jsonb, message = ${testSummary.resultMessage ?? null},
               provenance = ${JSON.stringify(provenance)}::jsonb, grading_ms = ${gradingMs}, finished_at = ${new Date()}
         WHERE id = ${head.id}::uuid AND status = ANY(${ACTIVE_RESULT}::result_status[]) RETURNING id`;
      if (updated.length === 0) {
        const row = await deps.db.result.findUnique({ where: { id: head.id } });
        // A retry after a successful update finds it completed: same report, same key, nothing to do.
        if (row?.status !== 'completed') throw nonRetryable(NON_RETRYABLE.precondition, `Result ${head.id} is ${row?.status ?? 'gone'}; not storing a report`);
      }
      await files.releaseSubmission(plan.artifact.artifactId);
      if (head.artifactId !== plan.artifact.artifactId) await files.releaseSubmission(head.artifactId);
      return { submission_id: head.artifactId, result_id: head.id, test_results: outline(report, reportKey), passed: report.passed, score: report.score };
    },

    /** Ends a result that will not complete (or the one that superseded it): `failed` (infrastructure, for good) or `cancelled`; stores no report. */
    async closeResult(input: { resultId: string; artifactId?: string; status: 'failed' | 'cancelled'; message: string }): Promise<void> {
      // A newer push may take this run's place between reading the head and closing it: closing
      // follows it, or that hand-in would wait for a run that has ended (pending for ever).
      let head: { id: string; artifactId?: string } = { id: input.resultId };
      for (let round = 0; round < 100; round++) {
        const current = await headResult(deps.db, input.resultId);
        if (!current) break;
        head = current;
        if (!ACTIVE_RESULT.includes(current.status as (typeof ACTIVE_RESULT)[number])) break;
        const closed = await deps.db.result.updateMany({
          where: { id: current.id, status: { in: [...ACTIVE_RESULT] } },
          data: { status: input.status, message: input.message.slice(0, 2000), finishedAt: new Date() },
        });
        if (closed.count === 1) break;
      }
      for (const id of new Set([input.artifactId, head.artifactId])) if (id) await files.releaseSubmission(id);
    },

    /** Marks the version `verifying` and lists what to grade: the reference and every `localTests/*` hand-in. */
    async prepareVerification(input: { exampleVersionId: string }): Promise<{ example: TExampleRef; handIns: string[]; collections: TCollectionPlan[] }> {
      const version = await loadVersion(input.exampleVersionId);
      const ref = exampleRef(version);
      const example = await files.example(ref);
      await deps.db.exampleVersion.update({ where: { id: version.id }, data: { verificationStatus: 'verifying' } });
      return { example: ref, handIns: ['reference', ...(await files.listHandIns(example))], collections: collectionPlans(example, operator) };
    },

    /** Stores the outcome: `verified` when the reference solution scores 1.0, else `failed`. */
    async storeVerification(input: { example: TExampleRef; handIns: Array<{ handIn: string; collections: TCollectionResult[] }> }): Promise<TVerificationReport> {
      const example = await files.example(input.example);
      const handIns: TVerificationHandIn[] = input.handIns.map(({ handIn, collections }) => {
        const report = aggregateReport(example, collections, { limits: operator });
        return { handIn, status: report.status, score: report.score, passed: report.passed, summary: report.summary, notPassed: notPassed(report) };
      });
      const reference = handIns.find((h) => h.handIn === 'reference');
      // Every check must have passed: a check that could not run (a runtime this worker lacks) verifies nothing.
      const ok = reference !== undefined && reference.status === 'completed' && reference.score === 1 && reference.passed;
      const verifiedAt = new Date();
      const report: TVerificationReport = {
        exampleVersionId: input.example.exampleVersionId,
        status: ok ? 'verified' : 'failed',
        message: ok
          ? 'The reference solution passes every check.'
          : `The reference solution scores ${formatPercent(reference?.score ?? 0)} (${reference?.notPassed.length ?? 0} checks not passed${reference?.summary.skipped ? `, ${reference.summary.skipped} of them skipped` : ''}).`,
        handIns,
        verifiedAt: verifiedAt.toISOString(),
      };
      await deps.db.exampleVersion.update({
        where: { id: input.example.exampleVersionId },
        data: { verificationStatus: report.status === 'verified' ? 'verified' : 'failed', verificationReport: report, verifiedAt },
      });
      return report;
    },

    /** A verification that could not finish leaves the version unverified, saying why. */
    async abandonVerification(input: { exampleVersionId: string; message: string }): Promise<void> {
      const report: TVerificationReport = {
        exampleVersionId: input.exampleVersionId,
        status: 'error',
        message: input.message.slice(0, 2000),
        handIns: [],
        verifiedAt: new Date().toISOString(),
      };
      await deps.db.exampleVersion.updateMany({
        where: { id: input.exampleVersionId, verificationStatus: 'verifying' },
        data: { verificationStatus: 'unverified', verificationReport: report },
      });
    },
  };
}
