import { toTestSummary, tutorTestStorageKeys, type TCollectionResult, type TResultProvenance, type TTutorTestParams, type TTutorTestResult } from '@computor/contracts';
import { aggregateReport, type resolveSandboxLimits, type TExample } from '@computor/grader';
import type { ActivityDeps } from '../deps';
import type { TCollectionPlan } from './activities';
import type { GradingFiles, TArtifactRef, TExampleRef } from './local-files';

/** A tutor's test run, ready to grade: the stored files, the example version and its collections. */
export interface TTutorTestPlan {
  testRunId: string;
  files: TArtifactRef;
  example: TExampleRef;
  collections: TCollectionPlan[];
  startedAt: string;
}

/** What the grading activities share with the tutor test activities (one work directory, one cache). */
interface TutorTestContext {
  deps: ActivityDeps;
  files: GradingFiles;
  operator: ReturnType<typeof resolveSandboxLimits>;
  loadVersion(exampleVersionId: string): Promise<{ id: string; contentHash: string; objectPrefix: string }>;
  exampleRef(version: { id: string; contentHash: string; objectPrefix: string }): TExampleRef;
  collectionPlans(example: TExample): TCollectionPlan[];
  provenanceOf(plan: { example: TExampleRef }, artifact: { id: string; contentHash: string; commitSha: string | null }, report: ReturnType<typeof aggregateReport>, collections: readonly TCollectionResult[]): TResultProvenance;
}

/**
 * The bookkeeping of a tutor's test run. It reads the example version and writes only to object
 * storage (under `tutor-test-runs/<id>/`): no submission, result or any other row. The collections
 * are graded by `gradeSubmissionCollection`, the hand-ins' own activity, with a `stored` target.
 */
export function tutorTestActivities(ctx: TutorTestContext) {
  const { deps, files, operator } = ctx;
  return {
    /** Downloads the example and the uploaded files into this worker's work directory and plans the collections. */
    async prepareTutorTest(input: TTutorTestParams): Promise<TTutorTestPlan> {
      const ref = ctx.exampleRef(await ctx.loadVersion(input.exampleVersionId));
      const stored: TArtifactRef = { artifactId: `tutor-test-${input.testRunId}`, contentHash: input.contentHash, objectPrefix: tutorTestStorageKeys.submissionPrefix(input.testRunId) };
      const [example] = await Promise.all([files.example(ref), files.submission(stored)]);
      return { testRunId: input.testRunId, files: stored, example: ref, collections: ctx.collectionPlans(example), startedAt: new Date().toISOString() };
    },

    /** Aggregates the collections and stores report.json beside the upload (the testSummary view is derived from it on read). Idempotent. */
    async storeTutorTestResult(input: { plan: TTutorTestPlan; collections: TCollectionResult[] }): Promise<TTutorTestResult> {
      const { plan } = input;
      const example = await files.example(plan.example);
      const durationMs = Date.now() - new Date(plan.startedAt).getTime();
      const report = aggregateReport(example, input.collections, { startedAt: plan.startedAt, durationMs, limits: operator });
      const reportKey = tutorTestStorageKeys.report(plan.testRunId);
      const testSummary = toTestSummary(report);
      await deps.storage.put(reportKey, JSON.stringify(report), 'application/json');
      await files.releaseSubmission(plan.files.artifactId);
      return {
        test_run_id: plan.testRunId,
        score: report.score,
        passed: report.passed,
        summary: report.summary,
        collectionSummary: report.collectionSummary,
        message: testSummary.resultMessage ?? null,
        reportKey,
        provenance: ctx.provenanceOf(plan, { id: plan.testRunId, contentHash: plan.files.contentHash, commitSha: null }, report, input.collections),
        startedAt: plan.startedAt,
        finishedAt: new Date().toISOString(),
      };
    },

    /** Frees the worker-local copy of a test run that will not complete. */
    async releaseTutorTest(input: { testRunId: string }): Promise<void> {
      await files.releaseSubmission(`tutor-test-${input.testRunId}`);
    },
  };
}
