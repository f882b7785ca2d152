import { z } from 'zod';
import { ZResultProvenance, ZSummary } from '../grading';
import { ZUuid } from '../ids';

export const WF_TEST_SUBMISSION = 'testSubmissionWorkflow';
export const WF_VERIFY_EXAMPLE_VERSION = 'verifyExampleVersionWorkflow';
export const WF_HAND_IN_COMMIT = 'handInCommitWorkflow';
export const WF_TUTOR_TEST = 'tutorTestWorkflow';

/**
 * A git commit id (7 to 64 hex digits) or a branch name as `git check-ref-format --branch` allows
 * it (no `..`, `@{`, control characters, spaces or `~^:?*[\\`, no leading `-` or `/`, no trailing
 * `/`, `.` or `.lock`).
 */
export const ZGitRef = z
  .string()
  .min(1)
  .max(255)
  .refine(
    (s) =>
      // eslint-disable-next-line no-control-regex -- control characters are what the rule refuses
      !/[\x00-\x20\x7f~^:?*[\\]/.test(s) && !s.includes('..') && !s.includes('@{') && !s.includes('//') && !/^[-/]|[/.]$|\.lock$/.test(s) && s !== '@' && !s.split('/').some((p) => p.startsWith('.')),
    'must be a commit id or a branch name',
  );

/** Hands in the student's own repository at a commit: fetched through GitLab, stored like an upload, tested. */
export const ZHandInCommitParams = z.object({
  courseMemberId: ZUuid,
  courseContentId: ZUuid,
  /** A commit id or a branch, resolved to a commit by the worker. */
  commit: ZGitRef,
  source: z.enum(['commit', 'push']),
  requestedById: ZUuid,
  /** Start a test run once stored. */
  test: z.boolean().default(true),
  /** Largest archive fetched (the API's upload limit). */
  maxBytes: z.number().int().min(1024).max(1024 * 1024 * 1024),
  /** X-Gitlab-Event-UUID of the push that started it (logs). */
  eventUuid: z.string().max(100).optional(),
  /** When the push or request arrived (ISO 8601): the hand-in is late or on time by this, not by when it is fetched. */
  receivedAt: z.iso.datetime({ offset: true }).optional(),
});
export type THandInCommitParams = z.input<typeof ZHandInCommitParams>;

export const ZHandInCommitResult = z.object({
  submission_id: ZUuid,
  commit_sha: z.string(),
  /** false: this commit was already handed in for the content (a repeated request or redelivered push). */
  created: z.boolean(),
  /** `started`: a new test run; `joined`: took the place of a still-queued older one (superseded); `exists`: the hand-in already has one; `none`: no test run (not asked, or none left). */
  test: z.enum(['started', 'joined', 'exists', 'none']),
  result_id: ZUuid.nullable(),
  test_workflow_id: z.string().nullable(),
  superseded: z.array(ZUuid),
  reason: z.string().optional(),
});
export type THandInCommitResult = z.infer<typeof ZHandInCommitResult>;


/** Object keys of what grading stores. */
export const gradingStorageKeys = {
  submissionPrefix: (artifactId: string) => `submissions/${artifactId}/`,
  report: (resultId: string) => `results/${resultId}/report.json`,
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

/**
 * A tutor's test run: an archive graded against a content's example without a submission. Its
 * state is the workflow (no database rows); archive and report live under `tutorTestStorageKeys`.
 */
export const ZTutorTestParams = z.object({
  testRunId: ZUuid,
  courseId: ZUuid,
  courseContentId: ZUuid,
  exampleVersionId: ZUuid,
  /** Content hash of the uploaded files (provenance, worker cache key). */
  contentHash: z.string().min(1),
  requestedById: ZUuid,
});
export type TTutorTestParams = z.infer<typeof ZTutorTestParams>;

/** What the tutor test workflow returns: the staff view of the result; the full report is in object storage. */
export const ZTutorTestResult = z.object({
  test_run_id: ZUuid,
  score: z.number().min(0).max(1),
  passed: z.boolean(),
  summary: ZSummary,
  collectionSummary: ZSummary,
  message: z.string().nullable(),
  reportKey: z.string(),
  provenance: ZResultProvenance,
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type TTutorTestResult = z.infer<typeof ZTutorTestResult>;

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

export const WF_CONTENT_DEADLINE = 'contentDeadlineWorkflow';
export const ZContentDeadlineParams = z.object({ courseContentId: ZUuid });
export type TContentDeadlineParams = z.infer<typeof ZContentDeadlineParams>;
/** Signal argument of `reopen`: the students whose repositories staff reopen (null: every locked one). */
export interface TReopenSignal {
  courseMemberIds: string[] | null;
}

export const WF_REGRADE = 'regradeWorkflow';
export const ZRegradeParams = z.object({
  regradeId: ZUuid,
  /** Hand-ins graded at once, each holding one grading slot (default 1). */
  concurrency: z.number().int().min(1).max(64).optional(),
});
export type TRegradeParams = z.infer<typeof ZRegradeParams>;
/** Progress of a regrade (query `progress`, and the Regrade row). */
export interface TRegradeProgress {
  total: number;
  done: number;
  failed: number;
  running: number;
}
