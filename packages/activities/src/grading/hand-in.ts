import { randomUUID } from 'node:crypto';
import { isArchiveError, readArchive, type TArchiveFile } from '@computor/archive';
import { gradingStorageKeys, type THandInCommitParams } from '@computor/contracts';
import type { ActivityDeps } from '../deps';
import { exampleContentHash } from '../examples/content-hash';
import { NON_RETRYABLE, nonRetryable, step } from '../failures';
import { gitlabForCourse } from '../gitlab/context';
import { handInTimingOf } from '../deadlines/effective';
import { BURST_TRANSACTION, enqueueTest, ensureSubmissionGroup, type TEnqueued } from './queue';

export interface TStoredHandIn {
  artifactId: string;
  commitSha: string;
  /** false: this commit was already handed in for the content. */
  created: boolean;
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

export function handInActivities(deps: ActivityDeps) {
  return {
    /**
     * Fetches the student's own repository at a commit (a branch is resolved to its commit) through
     * GitLab's repository archive of the assignment's directory, validates it like an upload and
     * stores it as a submission. Idempotent per (group, commit): a repeated call answers the stored one.
     */
    async fetchCommitHandIn(input: Pick<THandInCommitParams, 'courseMemberId' | 'courseContentId' | 'commit' | 'source' | 'requestedById' | 'maxBytes' | 'receivedAt'>): Promise<TStoredHandIn> {
      const member = await deps.db.courseMember.findUnique({ where: { id: input.courseMemberId }, include: { user: true, course: { include: { family: { include: { organization: true } } } } } });
      if (!member || member.removedAt) throw nonRetryable(NON_RETRYABLE.notFound, `Course member ${input.courseMemberId} not found`);
      const content = await deps.db.courseContent.findUnique({ where: { id: input.courseContentId }, include: { exampleVersion: { include: { example: true } } } });
      if (!content || content.courseId !== member.courseId) throw nonRetryable(NON_RETRYABLE.notFound, `Course content ${input.courseContentId} not found in the member's course`);
      if (!content.exampleVersion) throw nonRetryable(NON_RETRYABLE.precondition, `Course content ${content.path} has no assignment to hand in for`);
      const projectId = member.gitlabProjectId;
      if (!projectId) throw nonRetryable(NON_RETRYABLE.precondition, `${member.user.username} has no repository yet`);
      const gitlab = gitlabForCourse(deps, member.course);
      const directory = content.directory ?? content.exampleVersion.example.identifier;

      // On time or late by when the push or request arrived, not by when it is fetched.
      const receivedAt = input.receivedAt ? new Date(input.receivedAt) : new Date();
      const timing = await handInTimingOf(deps.db, content.id, member.id, receivedAt);
      if (timing.refused) throw nonRetryable(NON_RETRYABLE.precondition, `Not handed in: ${timing.refused}.`);
      const commit = await step(`resolve ${input.commit} in ${member.gitlabProjectPath ?? projectId}`, () => gitlab.getCommit(projectId, input.commit));
      if (!commit) throw nonRetryable(NON_RETRYABLE.notFound, `There is no commit or branch "${input.commit}" in your repository.`);
      const sha = commit.id.toLowerCase();
      const group = await ensureSubmissionGroup(deps.db, content.id, member.id);
      const stored = await deps.db.submissionArtifact.findFirst({ where: { submissionGroupId: group.id, commitSha: sha, source: { not: 'upload' } } });
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
      const created = await deps.db.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`hand-in:${group.id}:${sha}`}))`;
        const raced = await tx.submissionArtifact.findFirst({ where: { submissionGroupId: group.id, commitSha: sha, source: { not: 'upload' } } });
        if (raced) return null;
        return tx.submissionArtifact.create({
          data: {
            id: artifactId,
            submissionGroupId: group.id,
            uploadedById: input.requestedById,
            source: input.source,
            late: timing.late,
            handedInAt: handedInAt(input.source, commit.committedDate, receivedAt),
            commitSha: sha,
            objectPrefix: prefix,
            contentHash: exampleContentHash(data),
            fileCount: data.length,
            totalBytes: data.reduce((sum, f) => sum + f.data.length, 0),
          },
        });
      }, BURST_TRANSACTION);
      if (!created) {
        await deps.storage.deletePrefix(prefix).catch(() => 0);
        const winner = await deps.db.submissionArtifact.findFirstOrThrow({ where: { submissionGroupId: group.id, commitSha: sha, source: { not: 'upload' } } });
        return { artifactId: winner.id, commitSha: sha, created: false };
      }
      deps.logger.info('hand-in stored', { artifactId, source: input.source, commit: sha, files: data.length, courseContentId: content.id });
      return { artifactId, commitSha: sha, created: true };
    },

    /** Queues the test run of a stored hand-in (see `enqueueTest`); pushes supersede a still-queued older run. */
    async enqueueHandInTest(input: { artifactId: string; requestedById: string; supersede: boolean }): Promise<TEnqueued> {
      return enqueueTest(deps.db, input);
    },
  };
}
