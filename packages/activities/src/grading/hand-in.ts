import { randomUUID } from 'node:crypto';
import { isArchiveError, readArchive, type TArchiveFile } from '@computor/archive';
import { gradingStorageKeys, type THandInCommitParams, type THandInCommitResult } from '@computor/contracts';
import { sqlOf, type SqlQuery } from '@computor/db';
import type { ActivityDeps } from '../deps';
import { exampleContentHash } from '../examples/content-hash';
import { NON_RETRYABLE, nonRetryable, step } from '../failures';
import { handInTimingOfRow, type TDeadlineRow } from '../deadlines/effective';
import { enqueueTest, ensureSubmissionGroup, type TEnqueued, type TQueueable } from './queue';

export interface TStoredHandIn {
  artifactId: string;
  commitSha: string;
  /** false: this commit was already handed in for the content. */
  created: boolean;
  /** A new hand-in: what queueing its test needs to know of it, so that it is not read again. */
  queueable?: TQueueable;
}

/** Files of the archive under the assignment's directory, relative to it (GitLab puts every entry under one top folder). */
export function assignmentFiles(files: TArchiveFile[], directory: string): TArchiveFile[] {
  const prefix = `${directory.replace(/\/+$/, '')}/`;
  return files.flatMap((f) => {
    const inner = f.path.slice(f.path.indexOf('/') + 1);
    return f.path.includes('/') && inner.startsWith(prefix) && inner.length > prefix.length ? [{ ...f, path: inner.slice(prefix.length) }] : [];
  });
}

/**
 * When a hand-in was made, which orders a student's hand-ins: a push's commit time, never later
 * than the push arrived (hooks arrive out of order; a commit date is the student's to set, and the
 * late flag stays with the arrival); a hand-in the student asked for by commit, when they asked.
 */
export function handedInAt(source: string, committedDate: string, receivedAt: Date): Date {
  const committed = Date.parse(committedDate);
  return source === 'push' && Number.isFinite(committed) && committed < receivedAt.getTime() ? new Date(committed) : receivedAt;
}

type TFetchInput = Pick<THandInCommitParams, 'courseMemberId' | 'courseContentId' | 'commit' | 'source' | 'requestedById' | 'maxBytes' | 'receivedAt'>;

/**
 * Fetches the student's own repository at a commit (a branch is resolved to its commit) through
 * GitLab's repository archive of the assignment's directory, validates it like an upload and
 * stores it as a submission. Idempotent per (group, commit): a repeated call answers the stored one.
 */
async function fetchCommitHandIn(deps: ActivityDeps, input: TFetchInput): Promise<TStoredHandIn> {
  const sql = sqlOf(deps.db);
  // Every statement of a hand-in runs for each push of a deadline burst: plain SQL (see sqlOf), and
  // as few as can be. The first reads the member, the content, the student's deadline inputs (the
  // columns of TDeadlineRow, as loadDeadline reads them) and their submission group at once.
  const [row] = await sql<
    TDeadlineRow & {
      id: string;
      courseId: string;
      removedAt: Date | null;
      gitlabProjectId: number | null;
      gitlabProjectPath: string | null;
      username: string;
      organization: { id: string; gitlabUrl: string; gitlabTokenRef: string | null; gitlabTokenEncrypted: string | null };
      contentId: string | null;
      contentCourseId: string | null;
      contentPath: string | null;
      directory: string | null;
      exampleVersionId: string | null;
      maxTestRuns: number | null;
      groupId: string | null;
    }
  >`
    SELECT m.id, m.course_id AS "courseId", m.removed_at AS "removedAt", m.gitlab_project_id AS "gitlabProjectId", m.gitlab_project_path AS "gitlabProjectPath", u.username,
           json_build_object('id', o.id, 'gitlabUrl', o.gitlab_url, 'gitlabTokenRef', o.gitlab_token_ref, 'gitlabTokenEncrypted', o.gitlab_token_encrypted) AS organization,
           c.id AS "contentId", c.course_id AS "contentCourseId", c.path AS "contentPath", COALESCE(c.directory, e.identifier) AS directory,
           c.example_version_id AS "exampleVersionId", c.max_test_runs AS "maxTestRuns",
           c.release_at AS "releaseAt", c.due_at AS "dueAt", c.late_until AS "lateUntil", c.late_policy::text AS "latePolicy",
           m.time_factor AS "timeFactor", x.due_at AS "extensionDueAt", x.late_until AS "extensionLateUntil",
           s.due_at AS "stateDueAt", s.reopened_at AS "reopenedAt",
           (SELECT g.id FROM submission_groups g JOIN submission_group_members gm ON gm.submission_group_id = g.id
             WHERE g.course_content_id = c.id AND gm.course_member_id = m.id ORDER BY g.created_at ASC LIMIT 1) AS "groupId"
      FROM course_members m JOIN users u ON u.id = m.user_id JOIN courses mc ON mc.id = m.course_id
      JOIN course_families f ON f.id = mc.course_family_id JOIN organizations o ON o.id = f.organization_id
      LEFT JOIN course_contents c ON c.id = ${input.courseContentId}::uuid
      LEFT JOIN example_versions v ON v.id = c.example_version_id LEFT JOIN examples e ON e.id = v.example_id
      LEFT JOIN deadline_extensions x ON x.course_content_id = c.id AND x.course_member_id = m.id
      LEFT JOIN deadline_states s ON s.course_content_id = c.id AND s.course_member_id = m.id
     WHERE m.id = ${input.courseMemberId}::uuid`;
  if (!row || row.removedAt) throw nonRetryable(NON_RETRYABLE.notFound, `Course member ${input.courseMemberId} not found`);
  const member = row;
  if (!row.contentId || row.contentCourseId !== member.courseId) throw nonRetryable(NON_RETRYABLE.notFound, `Course content ${input.courseContentId} not found in the member's course`);
  const content = { id: row.contentId, path: row.contentPath };
  if (!row.exampleVersionId || !row.directory) throw nonRetryable(NON_RETRYABLE.precondition, `Course content ${content.path} has no assignment to hand in for`);
  const projectId = member.gitlabProjectId;
  if (!projectId) throw nonRetryable(NON_RETRYABLE.precondition, `${member.username} has no repository yet`);
  const gitlab = deps.gitlab(member.organization);
  const directory = row.directory;

  // On time or late by when the push or request arrived, not by when it is fetched.
  const receivedAt = input.receivedAt ? new Date(input.receivedAt) : new Date();
  const timing = handInTimingOfRow(row, receivedAt);
  if (timing.refused) throw nonRetryable(NON_RETRYABLE.precondition, `Not handed in: ${timing.refused}.`);
  const commit = await step(`resolve ${input.commit} in ${member.gitlabProjectPath ?? projectId}`, () => gitlab.getCommit(projectId, input.commit));
  if (!commit) throw nonRetryable(NON_RETRYABLE.notFound, `There is no commit or branch "${input.commit}" in your repository.`);
  const sha = commit.id.toLowerCase();
  // Nearly always there (every hand-in after a student's first for the content).
  const group = row.groupId ? { id: row.groupId } : await ensureSubmissionGroup(deps.db, content.id, member.id);
  const handedIn = (q: SqlQuery) => q<{ id: string }>`SELECT id FROM submission_artifacts WHERE submission_group_id = ${group.id}::uuid AND commit_sha = ${sha} AND source <> 'upload' LIMIT 1`;
  const [stored] = await handedIn(sql);
  if (stored) return { artifactId: stored.id, commitSha: sha, created: false };

  const archive = await step(`download ${directory}/ at ${sha.slice(0, 8)}`, () => gitlab.repositoryArchive(projectId, { sha, path: directory, maxBytes: input.maxBytes }));
  let files: TArchiveFile[];
  try {
    files = assignmentFiles(await readArchive(archive, { maxArchiveBytes: input.maxBytes }), directory);
  } catch (error) {
    if (isArchiveError(error)) throw nonRetryable(NON_RETRYABLE.invalidInput, `The commit ${sha.slice(0, 8)} cannot be handed in: ${error.message}`);
    throw error;
  }
  if (files.length === 0) throw nonRetryable(NON_RETRYABLE.invalidInput, `The commit ${sha.slice(0, 8)} has no files in the assignment's directory ${directory}/.`);

  const artifactId = randomUUID();
  const prefix = gradingStorageKeys.submissionPrefix(artifactId);
  const data = files.map((f) => ({ path: f.path, data: f.data }));
  await deps.storage.putFiles(prefix, data);
  // One statement: the partial unique index on (group, commit) of commit hand-ins decides a race
  // between two fetches of the same commit; the loser deletes its copy and answers the winner's.
  const handedInAtValue = handedInAt(input.source, commit.committedDate, receivedAt);
  const inserted = await sql<{ id: string }>`
    INSERT INTO submission_artifacts (id, submission_group_id, uploaded_by_id, source, late, handed_in_at, created_at, commit_sha, object_prefix, content_hash, file_count, file_paths, total_bytes)
    VALUES (${artifactId}::uuid, ${group.id}::uuid, ${input.requestedById}::uuid, ${input.source}::hand_in_source, ${timing.late}, ${handedInAtValue}, ${new Date()},
            ${sha}, ${prefix}, ${exampleContentHash(data)}, ${data.length}, ${data.map((f) => f.path)}::text[], ${data.reduce((sum, f) => sum + f.data.length, 0)})
    ON CONFLICT (submission_group_id, commit_sha) WHERE source <> 'upload' DO NOTHING
    RETURNING id`;
  const created = inserted.length === 1;
  if (!created) {
    await deps.storage.deletePrefix(prefix).catch(() => 0);
    const [winner] = await handedIn(sql);
    if (!winner) throw new Error(`The hand-in of ${sha.slice(0, 8)} vanished while it was stored`);
    return { artifactId: winner.id, commitSha: sha, created: false };
  }
  deps.logger.info('hand-in stored', { artifactId, source: input.source, commit: sha, files: data.length, courseContentId: content.id });
  return { artifactId, commitSha: sha, created: true, queueable: { groupId: group.id, contentId: content.id, courseId: member.courseId, maxTestRuns: row.maxTestRuns, commitSha: sha, handedInAt: handedInAtValue } };
}

export function handInActivities(deps: ActivityDeps) {
  return {
    /** Fetches and stores a commit hand-in (see above); histories from before HAND_IN_ONE_ACTIVITY_PATCH. */
    async fetchCommitHandIn(input: TFetchInput): Promise<TStoredHandIn> {
      const { queueable: _queueable, ...stored } = await fetchCommitHandIn(deps, input);
      return stored;
    },

    /**
     * A commit hand-in in one attempt: fetches and stores the commit, queues its test run (once per
     * hand-in; a push supersedes a still-queued older run) and starts that run's workflow. A retry
     * redoes none of it twice: the stored hand-in and its queued run are answered again, and a run
     * still queued is started again, which is a no-op when it was.
     */
    async handInCommit(input: TFetchInput & { test?: boolean; runIn?: string }): Promise<THandInCommitResult & { runHere?: { courseId: string } }> {
      const { runIn, ...fetch } = input;
      const stored = await fetchCommitHandIn(deps, fetch);
      const base = { submission_id: stored.artifactId, commit_sha: stored.commitSha, created: stored.created };
      if (input.test === false) return { ...base, test: 'none', result_id: null, test_workflow_id: null, superseded: [], reason: 'No test run was asked for.' };
      const queued = await enqueueTest(deps.db, {
        artifactId: stored.artifactId,
        requestedById: input.requestedById,
        supersede: input.source === 'push',
        ...(stored.queueable ? { known: stored.queueable } : {}),
        ...(runIn ? { workflowId: runIn } : {}),
      });
      const result = {
        ...base,
        test: queued.test,
        result_id: queued.resultId,
        test_workflow_id: queued.workflowId,
        superseded: queued.superseded,
        ...(queued.test === 'none' ? { reason: queued.reason } : {}),
      };
      // runIn: the calling workflow grades the run itself (HAND_IN_RUNS_TEST_PATCH); nothing to start.
      if (runIn) return queued.start ? { ...result, runHere: { courseId: queued.courseId } } : result;
      if (queued.start && queued.workflowId && queued.resultId) {
        if (!deps.startTestRun) throw new Error('This worker cannot start test runs (no Temporal client in its activity deps).');
        await deps.startTestRun({ workflowId: queued.workflowId, resultId: queued.resultId, courseId: queued.courseId });
      }
      return result;
    },

    /** Queues the test run of a stored hand-in (see `enqueueTest`); pushes supersede a still-queued older run. */
    async enqueueHandInTest(input: { artifactId: string; requestedById: string; supersede: boolean }): Promise<TEnqueued> {
      return enqueueTest(deps.db, input);
    },
  };
}
