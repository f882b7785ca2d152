import { COURSE_ROLES, ZGradingReport, ZHiddenChecks, ZResultProvenance, ZSummary, ZTestSummary, ZWorkflowStatusBody } from '@computor/contracts';
import { z } from 'zod';

// Response bodies the routes build by hand (no contract exists for them). Each mirrors the route's
// own view function; keep them in step, the fuzz run (`pnpm fuzz:api`) checks every answer against them.

const ZDateTime = z.iso.datetime();
const ZId = z.uuid();
const ZRole = z.enum(COURSE_ROLES);

export const ZHealthBody = z.object({ status: z.literal('ok') });

const ZProbe = z.object({ status: z.enum(['up', 'down']), latencyMs: z.number(), error: z.string().optional() });
export const ZReadyBody = z.object({
  status: z.enum(['ready', 'not_ready']),
  components: z.object({ postgres: ZProbe, temporal: ZProbe, storage: ZProbe }),
});

export const ZUserView = z.object({
  id: ZId,
  email: z.string(),
  username: z.string(),
  givenName: z.string().nullable(),
  familyName: z.string().nullable(),
  isAdmin: z.boolean(),
  createdAt: ZDateTime,
  updatedAt: ZDateTime,
});

export const ZMeView = z.object({
  id: ZId,
  email: z.string(),
  username: z.string(),
  isAdmin: z.boolean(),
  memberships: z.array(
    z.object({
      courseId: ZId,
      role: ZRole,
      /** A student's own repository: where to push hand-ins (null before it is provisioned, and for staff). */
      repository: z.object({ projectId: z.number().int(), path: z.string(), webUrl: z.string().nullable(), httpUrl: z.string().nullable() }).nullable(),
    }),
  ),
});

export const ZOrganizationView = z.object({
  id: ZId,
  path: z.string(),
  title: z.string(),
  gitlab: z.object({
    url: z.string(),
    parentGroupId: z.number().int(),
    tokenRef: z.string().nullable(),
    groupId: z.number().int().nullable(),
    fullPath: z.string().nullable(),
    webUrl: z.string().nullable(),
  }),
});

const gitlabGroupFields = {
  gitlabGroupId: z.number().int().nullable(),
  gitlabGroupFullPath: z.string().nullable(),
  gitlabGroupWebUrl: z.string().nullable(),
};

export const ZCourseFamilyView = z.object({
  id: ZId,
  organizationId: ZId,
  path: z.string(),
  title: z.string(),
  ...gitlabGroupFields,
  createdAt: ZDateTime,
  updatedAt: ZDateTime,
});

export const ZCourseView = z.object({
  id: ZId,
  courseFamilyId: ZId,
  path: z.string(),
  title: z.string(),
  ...gitlabGroupFields,
  studentTemplateProjectId: z.number().int().nullable(),
  assignmentsProjectId: z.number().int().nullable(),
  retentionDays: z.number().int().nullable(),
  createdAt: ZDateTime,
  updatedAt: ZDateTime,
  archivedAt: ZDateTime.nullable(),
});

export const ZListOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

export const ZWorkflowStartedBody = z.object({ workflow_id: z.string(), status: z.literal('started') });

export const ZMembersAddedBody = z.object({
  status: z.literal('started'),
  members: z.array(z.object({ id: ZId, userId: ZId, role: ZRole })),
  workflow_ids: z.array(z.string()),
  workflow_id: z.string().optional(),
});

export const ZDeploymentStartedBody = ZWorkflowStartedBody.extend({ course_ids: z.array(ZId) });

const ZDeploymentStatus = z.enum(['pending', 'deploying', 'deployed', 'failed']);
const ZVerificationStatus = z.enum(['unverified', 'verifying', 'verified', 'failed']);

/** Staff see every field; students see the base fields and the deployment's status only. */
export const ZContentView = z.object({
  id: ZId,
  courseId: ZId,
  path: z.string(),
  title: z.string(),
  position: z.number(),
  directory: z.string().nullable(),
  maxTestRuns: z.number().int().nullable(),
  /** The content's deadline (UTC); a student's own may differ (extension, accommodation): GET .../deadline. */
  releaseAt: ZDateTime.nullable(),
  dueAt: ZDateTime.nullable(),
  lateUntil: ZDateTime.nullable(),
  latePolicy: z.enum(['accept', 'reject']),
  exampleVersionId: ZId.nullable().optional().describe('staff only'),
  example: z
    .object({ id: ZId, identifier: z.string(), versionTag: z.string(), verificationStatus: ZVerificationStatus })
    .nullable()
    .optional()
    .describe('staff only'),
  deployment: z
    .object({
      id: ZId.optional(),
      status: ZDeploymentStatus,
      exampleVersionId: ZId.optional(),
      templateCommitSha: z.string().nullable().optional(),
      assignmentsCommitSha: z.string().nullable().optional(),
      message: z.string().nullable().optional(),
      deployedAt: ZDateTime.nullable(),
    })
    .nullable(),
});

export const ZReleaseStartedBody = ZWorkflowStartedBody.extend({ contents: z.array(ZContentView) });

export const ZExampleVersionView = z.object({
  id: ZId,
  exampleId: ZId,
  versionTag: z.string(),
  contentHash: z.string(),
  objectPrefix: z.string(),
  fileCount: z.number().int(),
  totalBytes: z.number().int(),
  verificationStatus: ZVerificationStatus,
  verifiedAt: ZDateTime.nullable(),
  createdAt: ZDateTime,
});

export const ZExampleUploadBody = z.object({
  examples: z.array(z.object({ id: ZId, identifier: z.string(), title: z.string(), created: z.boolean(), version: ZExampleVersionView })),
});

export const ZExampleListBody = ZListOf(
  z.object({ id: ZId, identifier: z.string(), title: z.string(), description: z.string().nullable(), versions: z.array(ZExampleVersionView) }),
);

export const ZExampleVersionsBody = z.object({
  example: z.object({ id: ZId, identifier: z.string(), title: z.string() }),
  items: z.array(ZExampleVersionView),
});

export const ZExampleFilesBody = z.object({
  example: z.object({ id: ZId, identifier: z.string() }),
  version: ZExampleVersionView,
  files: z.array(z.object({ path: z.string(), size: z.number().int(), encoding: z.enum(['utf8', 'base64']), content: z.string() })),
});

export const ZVerificationStartedBody = ZWorkflowStartedBody.extend({ example_version_id: ZId });

const ZResultStatus = z.enum(['pending', 'running', 'completed', 'failed', 'cancelled', 'superseded']);

const artifactFields = {
  id: ZId,
  submission_group_id: ZId,
  course_content_id: ZId,
  /** upload: an archive; commit: the own repository named through the API; push: a push to it. */
  source: z.enum(['upload', 'commit', 'push']),
  /** Handed in after the student's effective due time, accepted by the content's late policy. */
  late: z.boolean(),
  commit_sha: z.string().nullable(),
  content_hash: z.string(),
  file_count: z.number().int(),
  total_bytes: z.number().int(),
  created_at: ZDateTime,
  purged_at: ZDateTime.nullable(),
  files: z.array(z.string()),
};

export const ZSubmissionCreatedBody = z.object(artifactFields);

/** Where a test run stands (services/queue.ts). */
export const ZQueueView = z.object({
  state: z.enum(['queued', 'running', 'done', 'failed', 'cancelled', 'superseded']),
  position: z.number().int().min(1).nullable(),
  estimate_seconds: z.number().int().min(0).nullable(),
  queued_at: ZDateTime,
  superseded_by: ZId.nullable(),
});

const ZResultLine = z.object({
  /** Students: checks of collections they do not see yet (afterDue) or ever (never), left out of score and summary. */
  hidden: ZHiddenChecks.nullable().optional(),
  id: ZId,
  /** null once superseded: the newer result took its workflow over. */
  workflow_id: z.string().nullable(),
  status: ZResultStatus,
  score: z.number().nullable(),
  passed: z.boolean().nullable(),
  created_at: ZDateTime,
  finished_at: ZDateTime.nullable(),
  queue: ZQueueView,
});

export const ZSubmissionBody = z.object({ ...artifactFields, results: z.array(ZResultLine) });

const { files: _files, ...listedFields } = artifactFields;
export const ZSubmissionListBody = z.object({ items: z.array(z.object({ ...listedFields, results: z.array(ZResultLine) })) });

export const ZHandInStartedBody = z.object({
  workflow_id: z.string(),
  /** fetching: the workflow started; handed_in: this commit's hand-in ran before (see its submission). */
  status: z.enum(['fetching', 'handed_in']),
  course_content_id: ZId,
  commit: z.string(),
});

export const ZTestStartedBody = z.object({ workflow_id: z.string(), result_id: ZId, status: z.literal('pending') });

const ZNullableCount = z.number().int().nullable();

/** `view=report` adds `collectionSummary` and `report`; `view=testSummary` adds `testSummary`. */
export const ZResultBody = z.object({
  id: ZId,
  submission_id: ZId,
  submission_group_id: ZId,
  course_content_id: ZId,
  workflow_id: z.string().nullable(),
  status: ZResultStatus,
  queue: ZQueueView,
  /** Students: checks of collections they do not see yet (afterDue) or ever (never), left out of score and summary. */
  hidden: ZHiddenChecks.nullable().optional(),
  score: z.number().nullable(),
  passed: z.boolean().nullable(),
  summary: z.object({ total: z.number().int(), passed: ZNullableCount, failed: ZNullableCount, skipped: ZNullableCount }).nullable(),
  message: z.string().nullable(),
  report_key: z.string().nullable(),
  created_at: ZDateTime,
  started_at: ZDateTime.nullable(),
  finished_at: ZDateTime.nullable(),
  /** Staff of the course: what produced the result (hand-in and example hashes, grader, runtimes, workers); null for students and before grading. */
  provenance: ZResultProvenance.nullable(),
  collectionSummary: ZSummary.nullable().optional(),
  report: ZGradingReport.nullable().optional(),
  testSummary: ZTestSummary.nullable().optional(),
});

export const RUN_STATUSES = ['running', 'completed', 'failed', 'cancelled', 'terminated', 'timed_out'] as const;

export const ZWorkflowListBody = z.object({
  items: z.array(
    z.object({
      workflow_id: z.string(),
      type: z.string(),
      status: z.enum(RUN_STATUSES),
      course_id: ZId.nullable(),
      requested_by: ZId.nullable(),
      task_queue: z.string(),
      started_at: ZDateTime,
      closed_at: ZDateTime.nullable(),
      failure_message: z.string().nullable(),
    }),
  ),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  next_offset: z.number().int().nullable(),
});

export const ZWorkflowResultBody = ZWorkflowStatusBody.extend({ result: z.unknown().optional() });

export const ZCancelRequestedBody = z.object({ workflow_id: z.string(), status: z.literal('cancel_requested') });

export { ZWorkflowStatusBody };

export const ZTutorTestStartedBody = z.object({
  test_run_id: ZId,
  workflow_id: z.string(),
  course_content_id: ZId,
  status: z.literal('pending'),
  /** Until then `GET /tutors/test-runs/:id` serves the run; after it 410. */
  expires_at: ZDateTime,
});

/** The staff view of a result (as `GET /results/:id` gives staff), for a run that has no submission. */
export const ZTutorTestRunBody = z.object({
  id: ZId,
  workflow_id: z.string(),
  course_content_id: ZId,
  status: z.enum(['pending', 'running', 'completed', 'failed', 'cancelled']),
  score: z.number().nullable(),
  passed: z.boolean().nullable(),
  summary: z.object({ total: z.number().int(), passed: ZNullableCount, failed: ZNullableCount, skipped: ZNullableCount }).nullable(),
  message: z.string().nullable(),
  report_key: z.string().nullable(),
  provenance: ZResultProvenance.nullable(),
  created_at: ZDateTime,
  started_at: ZDateTime.nullable(),
  finished_at: ZDateTime.nullable(),
  expires_at: ZDateTime,
  collectionSummary: ZSummary.nullable().optional(),
  report: ZGradingReport.nullable().optional(),
  testSummary: ZTestSummary.nullable().optional(),
});
