import { effectiveDeadline, forEachBounded, GITLAB_ACCESS, type TEffectiveDeadline } from '@computor/contracts';
import { heartbeat } from '@temporalio/activity';
import type { ActivityDeps } from '../deps';
import { step } from '../failures';
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

/** The released, open contents (with an assignment) of a course, each with its extensions and states for the given students. */
async function courseDeadlines(deps: ActivityDeps, courseId: string, courseMemberIds?: string[]) {
  const members = courseMemberIds ? { courseMemberId: { in: courseMemberIds } } : {};
  return deps.db.courseContent.findMany({
    where: { courseId, archivedAt: null, exampleVersionId: { not: null }, deployment: { templateCommitSha: { not: null } } },
    include: { extensions: { where: members }, deadlineStates: { where: members } },
  });
}

/** The last on-time hand-in (by when it was handed in) of each of the students for a content. */
async function finalHandIns(deps: ActivityDeps, courseContentId: string, courseMemberIds: string[]): Promise<Map<string, string>> {
  const finals = new Map<string, string>();
  if (!courseMemberIds.length) return finals;
  const artifacts = await deps.db.submissionArtifact.findMany({
    where: { late: false, submissionGroup: { courseContentId, members: { some: { courseMemberId: { in: courseMemberIds } } } } },
    orderBy: { handedInAt: 'desc' },
    select: { id: true, submissionGroup: { select: { members: { select: { courseMemberId: true } } } } },
  });
  const wanted = new Set(courseMemberIds);
  for (const artifact of artifacts) {
    for (const { courseMemberId } of artifact.submissionGroup.members) {
      if (wanted.has(courseMemberId) && !finals.has(courseMemberId)) finals.set(courseMemberId, artifact.id);
    }
  }
  return finals;
}

const sameTime = (a: Date | null | undefined, b: Date | null | undefined) => (a?.getTime() ?? null) === (b?.getTime() ?? null);

/** Closed: the due time passed, unless staff reopened it for this very due time. */
function isClosed(deadline: TEffectiveDeadline, state: TState, now: Date): boolean {
  if (!deadline.dueAt || deadline.dueAt > now) return false;
  return !(state?.reopenedAt && sameTime(state.dueAt, deadline.dueAt));
}

export function deadlineActivities(deps: ActivityDeps) {
  /** Push access on GitLab: Maintainer (open) or Reporter (locked: can read, cannot push). */
  async function setPushAccess(course: LoadedCourse, access: { member: LoadedMember; open: boolean }[]) {
    const locked: string[] = [];
    const unlocked: string[] = [];
    if (!access.length) return { locked, unlocked };
    const gitlab = gitlabForCourse(deps, course);
    const gitlabUrl = course.family.organization.gitlabUrl;
    const known = new Map(
      (await deps.db.gitlabIdentity.findMany({ where: { gitlabUrl, userId: { in: access.map((a) => a.member.user.id) } } })).map((i) => [i.userId, i.gitlabUserId]),
    );
    await forEachBounded(access, LOCK_CONCURRENCY, async ({ member, open }) => {
      heartbeat({ member: member.id });
      await step(`${open ? 'unlock' : 'lock'} the repository of ${member.user.username}`, async () => {
        const userId = known.get(member.user.id) ?? (await gitlabUserId(deps, gitlab, course, member));
        await gitlab.setProjectMemberAccess(member.gitlabProjectId!, userId, open ? GITLAB_ACCESS.maintainer : GITLAB_ACCESS.reporter);
      });
      await deps.db.courseMember.update({ where: { id: member.id }, data: { repositoryLockedAt: open ? null : new Date() } });
      (open ? unlocked : locked).push(member.id);
    });
    return { locked, unlocked };
  }

  /** Closes the content for students whose due time passed (with their last on-time hand-in as final) and opens it where it moved ahead. */
  async function recordDeadlineStates(courseContentId: string, closing: { member: LoadedMember; dueAt: Date }[], reopening: LoadedMember[], now: Date) {
    const finals = await finalHandIns(deps, courseContentId, closing.map((c) => c.member.id));
    await forEachBounded(closing, LOCK_CONCURRENCY, async ({ member, dueAt }) => {
      const data = { dueAt, closedAt: now, reopenedAt: null, finalArtifactId: finals.get(member.id) ?? null };
      await deps.db.deadlineState.upsert({
        where: { courseContentId_courseMemberId: { courseContentId, courseMemberId: member.id } },
        create: { courseContentId, courseMemberId: member.id, ...data },
        update: data,
      });
    });
    if (reopening.length) {
      await deps.db.deadlineState.updateMany({ where: { courseContentId, courseMemberId: { in: reopening.map((m) => m.id) } }, data: { closedAt: null } });
    }
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
      const course = await loadCourse(deps, content.courseId);
      const students = await deps.db.courseMember.findMany({ where: { courseId: content.courseId, role: 'student', removedAt: null }, include: { user: true }, orderBy: { createdAt: 'asc' } });
      const contents = await courseDeadlines(deps, content.courseId);
      let nextDueAt: number | null = null;
      const closing: { member: LoadedMember; dueAt: Date }[] = [];
      const reopening: LoadedMember[] = [];
      const access: { member: LoadedMember; open: boolean }[] = [];
      for (const member of students) {
        let open = false;
        for (const c of contents) {
          const state = c.deadlineStates.find((s) => s.courseMemberId === member.id) ?? null;
          const deadline = effectiveDeadline(c, member, c.extensions.find((e) => e.courseMemberId === member.id) ?? null);
          const closed = isClosed(deadline, state, now);
          open ||= !closed;
          if (c.id !== content.id) continue;
          if (deadline.dueAt && deadline.dueAt > now) nextDueAt = Math.min(nextDueAt ?? Infinity, deadline.dueAt.getTime());
          if (closed && !state?.closedAt) closing.push({ member, dueAt: deadline.dueAt! });
          else if (!closed && state?.closedAt) reopening.push(member);
        }
        if (open === Boolean(member.repositoryLockedAt) && member.gitlabProjectId) access.push({ member, open });
      }

      // Push access first, the bookkeeping after it: at a due time every repository of the course
      // locks at once, one GitLab request each, so that none stays open for long.
      const { locked, unlocked } = await setPushAccess(course, access);
      await recordDeadlineStates(content.id, closing, reopening, now);
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
