import { effectiveDeadline, GITLAB_ACCESS, type TEffectiveDeadline } from '@computor/contracts';
import { heartbeat } from '@temporalio/activity';
import type { ActivityDeps } from '../deps';
import { step } from '../failures';
import type { GitlabClient } from '@computor/gitlab';
import { gitlabForCourse, loadCourse, type LoadedCourse } from '../gitlab/context';
import { gitlabUserId, type LoadedMember } from '../gitlab/members';

export interface TDeadlinePass {
  /** The content is gone or archived: the workflow ends. */
  closed: boolean;
  /** The next effective due time still ahead (epoch ms), or null. */
  nextDueAt: number | null;
  /** Students whose repository was locked / unlocked in this pass. */
  locked: string[];
  unlocked: string[];
}

type TState = { dueAt: Date; closedAt: Date | null; reopenedAt: Date | null } | null;

/** Students whose repositories one pass locks or unlocks at once (GitLab requests stay under the worker's limiter). */
const LOCK_CONCURRENCY = 16;

async function forEachBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

/** The released, open contents (with an assignment) of a course, each with its extensions and states for the given students. */
async function courseDeadlines(deps: ActivityDeps, courseId: string, courseMemberIds?: string[]) {
  const members = courseMemberIds ? { courseMemberId: { in: courseMemberIds } } : {};
  return deps.db.courseContent.findMany({
    where: { courseId, archivedAt: null, exampleVersionId: { not: null }, deployment: { templateCommitSha: { not: null } } },
    include: { extensions: { where: members }, deadlineStates: { where: members } },
  });
}

/** The last on-time hand-in of a student for a content (by when it was stored). */
async function finalHandIn(deps: ActivityDeps, courseContentId: string, courseMemberId: string): Promise<string | null> {
  const artifact = await deps.db.submissionArtifact.findFirst({
    where: { late: false, submissionGroup: { courseContentId, members: { some: { courseMemberId } } } },
    orderBy: { createdAt: 'desc' },
    select: { id: true },
  });
  return artifact?.id ?? null;
}

const sameTime = (a: Date | null | undefined, b: Date | null | undefined) => (a?.getTime() ?? null) === (b?.getTime() ?? null);

/** Closed: the due time passed, unless staff reopened it for this very due time. */
function isClosed(deadline: TEffectiveDeadline, state: TState, now: Date): boolean {
  if (!deadline.dueAt || deadline.dueAt > now) return false;
  return !(state?.reopenedAt && sameTime(state.dueAt, deadline.dueAt));
}

export function deadlineActivities(deps: ActivityDeps) {
  /** Push access on GitLab: Maintainer (open) or Reporter (locked: can read, cannot push). */
  async function setPushAccess(course: LoadedCourse, gitlab: GitlabClient, member: LoadedMember, open: boolean): Promise<boolean> {
    if (!member.gitlabProjectId) return false;
    return step(`${open ? 'unlock' : 'lock'} the repository of ${member.user.username}`, async () => {
      const userId = await gitlabUserId(deps, gitlab, course, member);
      await gitlab.ensureProjectMember(member.gitlabProjectId!, userId, open ? GITLAB_ACCESS.maintainer : GITLAB_ACCESS.reporter);
      return true;
    });
  }

  return {
    /**
     * Applies the content's deadline now, for every active student: where their effective due time
     * passed it closes (hand-ins follow the late policy from then on; the last on-time one is
     * recorded as final), where it moved into the future (an extension) or staff reopened it, it is
     * open again. A student's repository is locked (push access removed) once none of the course's
     * released assignments is open for them, and unlocked when one is again. Idempotent; answers the
     * next due time still ahead.
     */
    async applyDeadlines(input: { courseContentId: string }): Promise<TDeadlinePass> {
      const content = await deps.db.courseContent.findUnique({ where: { id: input.courseContentId }, include: { course: true } });
      if (!content || content.archivedAt || content.course.archivedAt) return { closed: true, nextDueAt: null, locked: [], unlocked: [] };
      const now = new Date();
      // The course and its GitLab client once per pass, not once per repository.
      const course = await loadCourse(deps, content.courseId);
      const gitlab = gitlabForCourse(deps, course);
      const students = await deps.db.courseMember.findMany({ where: { courseId: content.courseId, role: 'student', removedAt: null }, include: { user: true }, orderBy: { createdAt: 'asc' } });
      const contents = await courseDeadlines(deps, content.courseId);
      let nextDueAt: number | null = null;
      const locked: string[] = [];
      const unlocked: string[] = [];
      // Students in parallel (bounded): at a due time every repository of the course locks at once.
      await forEachBounded(students, LOCK_CONCURRENCY, async (member) => {
        heartbeat({ member: member.id });
        let open = false;
        for (const c of contents) {
          const state = c.deadlineStates.find((s) => s.courseMemberId === member.id) ?? null;
          const deadline = effectiveDeadline(c, member, c.extensions.find((e) => e.courseMemberId === member.id) ?? null);
          const closed = isClosed(deadline, state, now);
          open ||= !closed;
          if (c.id !== content.id) continue;
          if (deadline.dueAt && deadline.dueAt > now) nextDueAt = Math.min(nextDueAt ?? Infinity, deadline.dueAt.getTime());
          const key = { courseContentId_courseMemberId: { courseContentId: c.id, courseMemberId: member.id } };
          if (closed && !state?.closedAt) {
            const data = { dueAt: deadline.dueAt!, closedAt: now, reopenedAt: null, finalArtifactId: await finalHandIn(deps, c.id, member.id) };
            await deps.db.deadlineState.upsert({ where: key, create: { courseContentId: c.id, courseMemberId: member.id, ...data }, update: data });
          } else if (!closed && state?.closedAt) {
            await deps.db.deadlineState.update({ where: key, data: { closedAt: null } });
          }
        }
        if (!open && !member.repositoryLockedAt) {
          if (await setPushAccess(course, gitlab, member, false)) {
            await deps.db.courseMember.update({ where: { id: member.id }, data: { repositoryLockedAt: new Date() } });
            locked.push(member.id);
          }
        } else if (open && member.repositoryLockedAt) {
          await setPushAccess(course, gitlab, member, true);
          await deps.db.courseMember.update({ where: { id: member.id }, data: { repositoryLockedAt: null } });
          unlocked.push(member.id);
        }
      });
      if (locked.length || unlocked.length) deps.logger.info('deadlines applied', { courseContentId: input.courseContentId, locked: locked.length, unlocked: unlocked.length });
      return { closed: false, nextDueAt, locked, unlocked };
    },

    /** Staff reopen the content after its due time (for every student, or the given ones): open until its due time changes. */
    async reopenRepositories(input: { courseContentId: string; courseMemberIds: string[] | null }): Promise<number> {
      const content = await deps.db.courseContent.findUnique({ where: { id: input.courseContentId } });
      if (!content) return 0;
      const students = await deps.db.courseMember.findMany({
        where: { courseId: content.courseId, role: 'student', removedAt: null, ...(input.courseMemberIds ? { id: { in: input.courseMemberIds } } : {}) },
        include: { extensions: { where: { courseContentId: content.id } } },
      });
      let count = 0;
      for (const member of students) {
        const deadline = effectiveDeadline(content, member, member.extensions[0] ?? null);
        if (!deadline.dueAt) continue;
        const key = { courseContentId_courseMemberId: { courseContentId: content.id, courseMemberId: member.id } };
        await deps.db.deadlineState.upsert({ where: key, create: { courseContentId: content.id, courseMemberId: member.id, dueAt: deadline.dueAt, reopenedAt: new Date() }, update: { dueAt: deadline.dueAt, reopenedAt: new Date() } });
        count++;
      }
      return count;
    },
  };
}
