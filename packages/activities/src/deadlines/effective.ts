import { effectiveDeadline, handInTiming, type TEffectiveDeadline } from '@computor/contracts';
import type { Db } from '@computor/db';

/**
 * A student's effective deadline for a content (extension, accommodation, or the content's own) and
 * the content's deadline state for them, in two statements: every hand-in asks, twice.
 */
async function loadDeadline(db: Db, courseContentId: string, courseMemberId: string) {
  const [content, member] = await Promise.all([
    db.courseContent.findUniqueOrThrow({ where: { id: courseContentId }, select: { releaseAt: true, dueAt: true, lateUntil: true, latePolicy: true } }),
    db.courseMember.findUniqueOrThrow({
      where: { id: courseMemberId },
      select: {
        timeFactor: true,
        extensions: { where: { courseContentId }, select: { dueAt: true, lateUntil: true }, take: 1 },
        deadlineStates: { where: { courseContentId }, select: { dueAt: true, reopenedAt: true }, take: 1 },
      },
    }),
  ]);
  return { deadline: effectiveDeadline(content, member, member.extensions[0] ?? null), state: member.deadlineStates[0] };
}

/** A student's effective deadline for a content (extension, accommodation, or the content's own). */
export async function loadEffectiveDeadline(db: Db, courseContentId: string, courseMemberId: string): Promise<TEffectiveDeadline> {
  return (await loadDeadline(db, courseContentId, courseMemberId)).deadline;
}

/**
 * How a hand-in received at `at` stands: on time, late (accepted, flagged), or refused with the
 * reason. A content staff reopened after its due time takes hand-ins again, flagged late.
 */
export async function handInTimingOf(db: Db, courseContentId: string, courseMemberId: string, at: Date) {
  const { deadline, state } = await loadDeadline(db, courseContentId, courseMemberId);
  const timing = handInTiming(deadline, at);
  const reopened = state?.reopenedAt && deadline.dueAt && state.dueAt.getTime() === deadline.dueAt.getTime();
  return { deadline, ...(timing.refused && reopened ? { late: true, refused: null } : timing) };
}
