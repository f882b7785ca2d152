import { z } from 'zod';
import { ZUuid } from '../ids';
import { ZGitRef } from '../workflows/grading';

/** The text fields of `POST /submissions` (multipart/form-data, plus exactly one archive file). */
export const ZCreateSubmissionFields = z.strictObject({
  course_content_id: ZUuid,
  commit_sha: z
    .string()
    .regex(/^[0-9a-f]{7,64}$/i, 'must be a hexadecimal git commit id (7 to 64 digits)')
    .transform((s) => s.toLowerCase())
    .optional(),
});
export type TCreateSubmissionFields = z.infer<typeof ZCreateSubmissionFields>;

/** `POST /submissions` as JSON instead of a form: hand in the student's own repository at a commit. */
export const ZCreateCommitSubmissionBody = z.strictObject({
  course_content_id: ZUuid,
  /** A commit id or a branch of the student's repository (resolved when it is fetched). */
  commit: ZGitRef,
  /** Start a test run once it is stored (default true). */
  test: z.boolean().default(true),
});
export type TCreateCommitSubmissionBody = z.infer<typeof ZCreateCommitSubmissionBody>;

/** Query of `GET /results/:id`: `view=testSummary` answers the Computor `testSummary.json` view instead of the report. */
export const ZResultQuery = z.object({ view: z.enum(['report', 'testSummary']).default('report') });
export type TResultQuery = z.infer<typeof ZResultQuery>;

/** `POST /examples/:id/versions/:version/verify` takes no body options yet; unknown keys are refused. */
export const ZVerifyExampleBody = z.strictObject({});

/** `POST /courses/:id/contents/:contentId/regrades`. */
export const ZStartRegradeBody = z.strictObject({
  /** rescore: keep the stored verdicts where the example version is unchanged, run where it changed; rerun: run every hand-in again. */
  mode: z.enum(['rescore', 'rerun']),
  /** final: each student's final hand-in (the deadline's, else the last on-time one); latest: the newest. */
  of: z.enum(['final', 'latest']).default('final'),
});
export type TStartRegradeBody = z.infer<typeof ZStartRegradeBody>;
