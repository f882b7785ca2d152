import { randomUUID } from 'node:crypto';
import { gradingWorkflowIds, TASK_QUEUE_TESTING, WF_TEST_SUBMISSION } from '@computor/contracts';
import { sqlOf, type Db, type ResultStatus, type SqlQuery } from '@computor/db';

/** Hand-ins and test runs arrive in bursts at deadlines: a transaction waits this long for a pooled connection. */
export const BURST_TRANSACTION = { maxWait: 15_000, timeout: 15_000 };

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

// The statements of this file run for every hand-in of a deadline burst: plain SQL (see sqlOf).

/** The submission group of one student and content (teams are formed elsewhere): created once, under a lock. */
export async function ensureSubmissionGroup(db: Db, courseContentId: string, courseMemberId: string): Promise<{ id: string }> {
  const sql = sqlOf(db);
  const find = (q: SqlQuery) => q<{ id: string }>`
    SELECT g.id FROM submission_groups g JOIN submission_group_members gm ON gm.submission_group_id = g.id
     WHERE g.course_content_id = ${courseContentId}::uuid AND gm.course_member_id = ${courseMemberId}::uuid
     ORDER BY g.created_at ASC LIMIT 1`;
  // Nearly always there already (every hand-in after the first): one read, no transaction.
  const [found] = await find(sql);
  if (found) return found;
  return sql.transaction(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtext(${`submission-group:${courseContentId}:${courseMemberId}`}))`;
    const [existing] = await find(tx);
    if (existing) return existing;
    const id = randomUUID();
    await tx`INSERT INTO submission_groups (id, course_content_id, created_at) VALUES (${id}::uuid, ${courseContentId}::uuid, ${new Date()})`;
    await tx`INSERT INTO submission_group_members (id, submission_group_id, course_member_id) VALUES (${randomUUID()}::uuid, ${id}::uuid, ${courseMemberId}::uuid)`;
    return { id };
  });
}

/** Serialises the test requests of one group, so that two at once cannot both take the last run or both supersede. */
export async function lockGroupTests(tx: Tx | SqlQuery, submissionGroupId: string): Promise<void> {
  const key = `test-runs:${submissionGroupId}`;
  if (typeof tx === 'function') await tx`SELECT pg_advisory_xact_lock(hashtext(${key}))`;
  else await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${key}))`;
}

/** Test runs that count against `maxTestRuns`: failed (infrastructure), cancelled and superseded ones do not. */
export const COUNTED_RESULT = ['pending', 'running', 'completed'] as const;
/** Results still to be graded: queued or running. */
export const ACTIVE_RESULT = ['pending', 'running'] as const;

/** A result as grading reads it: with its artifact and its content's example version. */
export interface THeadResult {
  id: string;
  status: ResultStatus;
  artifactId: string;
  courseContentId: string;
  startedAt: Date | null;
  artifact: { id: string; contentHash: string; objectPrefix: string; filePaths: string[]; commitSha: string | null; purgedAt: Date | null };
  exampleVersion: { id: string; contentHash: string; objectPrefix: string } | null;
}

/**
 * The result a (possibly superseded) result stands for now: superseded results point to the one
 * graded in their place, which took over their workflow. One statement, however long the chain.
 */
export async function headResult(db: Db | SqlQuery, resultId: string): Promise<THeadResult | null> {
  const sql = typeof db === 'function' ? db : sqlOf(db);
  const [row] = await sql<Omit<THeadResult, 'artifact' | 'exampleVersion'> & { artifactHash: string; artifactPrefix: string; filePaths: string[] | null; commitSha: string | null; purgedAt: Date | null; versionId: string | null; versionHash: string; versionPrefix: string }>`
    WITH RECURSIVE chain AS (
      SELECT id, status, superseded_by_id, 0 AS hops FROM results WHERE id = ${resultId}::uuid
      UNION ALL
      SELECT r.id, r.status, r.superseded_by_id, c.hops + 1 FROM results r JOIN chain c ON r.id = c.superseded_by_id
       WHERE c.status = 'superseded' AND c.hops < 1000
    )
    SELECT r.id, r.status::text AS status, r.artifact_id AS "artifactId", r.course_content_id AS "courseContentId", r.started_at AS "startedAt",
           a.content_hash AS "artifactHash", a.object_prefix AS "artifactPrefix", a.file_paths AS "filePaths", a.commit_sha AS "commitSha", a.purged_at AS "purgedAt",
           v.id AS "versionId", v.content_hash AS "versionHash", v.object_prefix AS "versionPrefix"
      FROM chain c
      JOIN results r ON r.id = c.id
      JOIN submission_artifacts a ON a.id = r.artifact_id
      JOIN course_contents cc ON cc.id = r.course_content_id
      LEFT JOIN example_versions v ON v.id = cc.example_version_id
     ORDER BY c.hops DESC LIMIT 1`;
  if (!row) return null;
  const { artifactHash, artifactPrefix, filePaths, commitSha, purgedAt, versionId, versionHash, versionPrefix, ...result } = row;
  return {
    ...result,
    artifact: { id: row.artifactId, contentHash: artifactHash, objectPrefix: artifactPrefix, filePaths: filePaths ?? [], commitSha, purgedAt },
    exampleVersion: versionId ? { id: versionId, contentHash: versionHash, objectPrefix: versionPrefix } : null,
  };
}

/** What queueing a hand-in's test needs to know of the hand-in. */
export interface TQueueable {
  groupId: string;
  contentId: string;
  courseId: string;
  maxTestRuns: number | null;
  commitSha: string | null;
  handedInAt: Date;
}

export type TEnqueued = { courseId: string } & (
  | { test: 'started' | 'joined' | 'exists'; resultId: string; workflowId: string | null; superseded: string[]; start: boolean }
  | { test: 'none'; resultId: null; workflowId: null; superseded: string[]; start: false; reason: string }
);

/**
 * Queues a test run of a stored hand-in, once: a second call for the same hand-in answers the first
 * result. With `supersede`, a still-queued run of the same group (no collection started) is
 * superseded: it is marked so and never graded, and the new run takes over its workflow and its
 * place in the queue (`queuedAt`). Otherwise a new result row is created (`start: true`): with
 * `workflowId`, queued under that workflow, which grades it itself (a push's hand-in); without,
 * with its own workflow_runs row, and the caller starts its `testSubmissionWorkflow`. `known`: the
 * hand-in was stored by this very call, so it is not read back and has no result yet.
 */
export async function enqueueTest(db: Db, input: { artifactId: string; requestedById: string; supersede: boolean; known?: TQueueable; workflowId?: string }): Promise<TEnqueued> {
  const sql = sqlOf(db);
  const [artifact] = input.known
    ? [{ id: input.artifactId, ...input.known }]
    : await sql<{ id: string } & TQueueable>`
    SELECT a.id, a.submission_group_id AS "groupId", g.course_content_id AS "contentId", cc.course_id AS "courseId", cc.max_test_runs AS "maxTestRuns",
           a.commit_sha AS "commitSha", a.handed_in_at AS "handedInAt"
      FROM submission_artifacts a JOIN submission_groups g ON g.id = a.submission_group_id JOIN course_contents cc ON cc.id = g.course_content_id
     WHERE a.id = ${input.artifactId}::uuid`;
  if (!artifact) throw new Error(`Submission ${input.artifactId} not found`);
  const { groupId, contentId, courseId } = artifact;
  return sql.transaction(async (tx): Promise<TEnqueued> => {
    await lockGroupTests(tx, groupId);
    // A hand-in stored by this very call (`known`) has no result yet.
    const [existing] = input.known
      ? []
      : await tx<{ id: string; status: ResultStatus; workflowId: string | null }>`
      SELECT id, status::text AS status, workflow_id AS "workflowId" FROM results
       WHERE artifact_id = ${artifact.id}::uuid AND status <> 'superseded' ORDER BY created_at ASC LIMIT 1`;
    if (existing) {
      // Not yet started: the caller (a retried hand-in) starts it; starting twice is a no-op.
      const start = existing.status === 'pending' && existing.workflowId === (input.workflowId ?? gradingWorkflowIds.testSubmission(existing.id));
      return { courseId, test: 'exists', resultId: existing.id, workflowId: existing.workflowId, superseded: [], start };
    }
    // The oldest queued run of the group: the one a push supersedes. FOR UPDATE: the grading
    // activity marks a result running under the same row lock, so a run that started is never superseded.
    const [queued] = input.supersede
      ? await tx<{ id: string; workflowId: string; queuedAt: Date; handedInAt: Date }>`
          SELECT r.id, r.workflow_id AS "workflowId", r.queued_at AS "queuedAt", a.handed_in_at AS "handedInAt"
            FROM results r JOIN submission_artifacts a ON a.id = r.artifact_id
           WHERE r.submission_group_id = ${groupId}::uuid AND r.course_content_id = ${contentId}::uuid AND r.status = 'pending' AND r.workflow_id IS NOT NULL
           ORDER BY r.queued_at ASC LIMIT 1 FOR UPDATE OF r`
      : [];
    if (artifact.maxTestRuns !== null) {
      const [counted] = await tx<{ used: number }>`
        SELECT count(*)::int AS used FROM results
         WHERE submission_group_id = ${groupId}::uuid AND course_content_id = ${contentId}::uuid AND status = ANY(${COUNTED_RESULT}::result_status[])`;
      // The run a new one would supersede does not count: it will not be graded.
      if ((counted?.used ?? 0) - (queued ? 1 : 0) >= artifact.maxTestRuns) {
        return { courseId, test: 'none', resultId: null, workflowId: null, superseded: [], start: false, reason: `The maximum number of test runs for this assignment (${artifact.maxTestRuns}) is used up.` };
      }
    }
    const resultId = randomUUID();
    const now = new Date();
    if (queued && queued.handedInAt > artifact.handedInAt) {
      // A newer push got to the queue first (fetches finish out of order): this older one is
      // superseded by it at once and never graded.
      await tx`
        INSERT INTO results (id, artifact_id, submission_group_id, course_content_id, status, superseded_by_id, queued_at, created_at, finished_at, message)
        VALUES (${resultId}::uuid, ${artifact.id}::uuid, ${groupId}::uuid, ${contentId}::uuid, 'superseded', ${queued.id}::uuid, ${now}, ${now}, ${now}, 'Superseded by a newer hand-in before it was graded.')`;
      return { courseId, test: 'joined', resultId, workflowId: queued.workflowId, superseded: [resultId], start: false };
    }
    if (queued) {
      const message = `Superseded by a newer hand-in${artifact.commitSha ? ` (commit ${artifact.commitSha.slice(0, 8)})` : ''} before it was graded; that one took its place in the queue.`;
      // The workflow id moves from the old row to the new one (unique): cleared first.
      await tx`UPDATE results SET status = 'superseded', superseded_by_id = ${resultId}::uuid, workflow_id = NULL, finished_at = ${now}, message = ${message} WHERE id = ${queued.id}::uuid`;
      await tx`
        INSERT INTO results (id, artifact_id, submission_group_id, course_content_id, workflow_id, queued_at, created_at, status)
        VALUES (${resultId}::uuid, ${artifact.id}::uuid, ${groupId}::uuid, ${contentId}::uuid, ${queued.workflowId}, ${queued.queuedAt}, ${now}, 'pending')`;
      return { courseId, test: 'joined', resultId, workflowId: queued.workflowId, superseded: [queued.id], start: false };
    }
    if (input.workflowId) {
      // Graded by the calling workflow (a push's hand-in), which has its own workflow_runs row.
      await tx`
        INSERT INTO results (id, artifact_id, submission_group_id, course_content_id, workflow_id, queued_at, created_at, status)
        VALUES (${resultId}::uuid, ${artifact.id}::uuid, ${groupId}::uuid, ${contentId}::uuid, ${input.workflowId}, ${now}, ${now}, 'pending')`;
      return { courseId, test: 'started', resultId, workflowId: input.workflowId, superseded: [], start: true };
    }
    const workflowId = gradingWorkflowIds.testSubmission(resultId);
    await tx`
      WITH result AS (
        INSERT INTO results (id, artifact_id, submission_group_id, course_content_id, workflow_id, queued_at, created_at, status)
        VALUES (${resultId}::uuid, ${artifact.id}::uuid, ${groupId}::uuid, ${contentId}::uuid, ${workflowId}, ${now}, ${now}, 'pending')
      )
      INSERT INTO workflow_runs (id, type, task_queue, requested_by_id, course_id, status, started_at)
      VALUES (${workflowId}, ${WF_TEST_SUBMISSION}, ${TASK_QUEUE_TESTING}, ${input.requestedById}::uuid, ${courseId}::uuid, 'running', ${now})
      ON CONFLICT (id) DO NOTHING`;
    return { courseId, test: 'started', resultId, workflowId, superseded: [], start: true };
  });
}

/**
 * Marks the result a grading activity of `resultId` works for as running (following superseding)
 * and answers it with its artifact. Lock-free: the update only succeeds on a result still pending
 * or running, so a superseding that slipped in between is followed on the next round.
 */
export async function claimResult(db: Db, resultId: string): Promise<THeadResult | null> {
  const sql = sqlOf(db);
  for (let round = 0; round < 100; round++) {
    const head = await headResult(sql, resultId);
    if (!head) return null;
    if (!ACTIVE_RESULT.includes(head.status as (typeof ACTIVE_RESULT)[number])) return head;
    const startedAt = head.startedAt ?? new Date();
    const claimed = await sql`UPDATE results SET status = 'running', started_at = ${startedAt} WHERE id = ${head.id}::uuid AND status = ANY(${ACTIVE_RESULT}::result_status[]) RETURNING id`;
    if (claimed.length === 1) return { ...head, status: 'running', startedAt };
  }
  throw new Error(`Result ${resultId} kept changing while it was claimed`);
}
