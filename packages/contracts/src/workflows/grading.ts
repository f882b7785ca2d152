import { z } from 'zod';
import { ZSummary } from '../grading';
import { ZUuid } from '../ids';

export const WF_TEST_SUBMISSION = 'testSubmissionWorkflow';
export const WF_VERIFY_EXAMPLE_VERSION = 'verifyExampleVersionWorkflow';


/** Object keys of what grading stores. */
export const gradingStorageKeys = {
  submissionPrefix: (artifactId: string) => `submissions/${artifactId}/`,
  report: (resultId: string) => `results/${resultId}/report.json`,
  testSummary: (resultId: string) => `results/${resultId}/testSummary.json`,
};

export const ZTestSubmissionParams = z.object({ resultId: ZUuid });
export type TTestSubmissionParams = z.infer<typeof ZTestSubmissionParams>;

const ZCollectionOutline = z.object({ name: z.string(), type: z.string(), status: z.string(), summary: ZSummary });

/** What the workflow returns; the full report is in object storage (`reportKey`). */
export const ZTestSubmissionResult = z.object({
  submission_id: ZUuid,
  result_id: ZUuid,
  test_results: z.object({
    summary: ZSummary,
    collectionSummary: ZSummary,
    collections: z.array(ZCollectionOutline),
    reportKey: z.string(),
  }),
  passed: z.boolean(),
  score: z.number().min(0).max(1),
});
export type TTestSubmissionResult = z.infer<typeof ZTestSubmissionResult>;

export const ZVerifyExampleParams = z.object({ exampleVersionId: ZUuid });
export type TVerifyExampleParams = z.infer<typeof ZVerifyExampleParams>;

export const ZVerificationHandIn = z.object({
  /** `reference` (the solution at the example root) or `localTests/<name>`. */
  handIn: z.string(),
  status: z.enum(['completed', 'infra_error']),
  score: z.number(),
  passed: z.boolean(),
  summary: ZSummary,
  /** `collection / check: status: message` of every check that did not pass. */
  notPassed: z.array(z.string()),
});
export type TVerificationHandIn = z.infer<typeof ZVerificationHandIn>;

/**
 * Stored in `ExampleVersion.verificationReport`; `verified` only when the reference scores 1.0.
 * `error`: the verification itself could not finish (infrastructure); the version stays unverified.
 */
export const ZVerificationReport = z.object({
  exampleVersionId: ZUuid,
  status: z.enum(['verified', 'failed', 'error']),
  message: z.string(),
  handIns: z.array(ZVerificationHandIn),
  verifiedAt: z.string(),
});
export type TVerificationReport = z.infer<typeof ZVerificationReport>;
