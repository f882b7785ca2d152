import { effectiveDeadline, handInTiming, type TEffectiveDeadline } from '@computor/contracts';
import { sqlOf, type Db } from '@computor/db';

/** A student's deadline inputs for one content, as `loadDeadline` selects them (and the hand-in's first statement, with more). */
export type TDeadlineRow = {
  releaseAt: Date | null;
  dueAt: Date | null;
  lateUntil: Date | null;
  latePolicy: 'accept' | 'reject';
  timeFactor: number | null;
  extensionDueAt: Date | null;
  extensionLateUntil: Date | null;
  stateDueAt: Date | null;
  reopenedAt: Date | null;
};

function deadlineOfRow(row: TDeadlineRow) {
  const extension = row.extensionDueAt ? { dueAt: row.extensionDueAt, lateUntil: row.extensionLateUntil } : null;
  return {
    deadline: effectiveDeadline(row, { timeFactor: row.timeFactor }, extension),
    state: row.stateDueAt ? { dueAt: row.stateDueAt, reopenedAt: row.reopenedAt } : undefined,
  };
}

/**
 * A student's effective deadline for a content (extension, accommodation, or the content's own) and
 * the content's deadline state for them, in one plain statement: every hand-in asks, twice.
 */
async function loadDeadline(db: Db, courseContentId: string, courseMemberId: string) {
  const [row] = await sqlOf(db)<TDeadlineRow>`
    SELECT c.release_at AS "releaseAt", c.due_at AS "dueAt", c.late_until AS "lateUntil", c.late_policy::text AS "latePolicy",
           m.time_factor AS "timeFactor", x.due_at AS "extensionDueAt", x.late_until AS "extensionLateUntil",
           s.due_at AS "stateDueAt", s.reopened_at AS "reopenedAt"
      FROM course_contents c
      JOIN course_members m ON m.id = ${courseMemberId}::uuid
      LEFT JOIN deadline_extensions x ON x.course_content_id = c.id AND x.course_member_id = m.id
      LEFT JOIN deadline_states s ON s.course_content_id = c.id AND s.course_member_id = m.id
     WHERE c.id = ${courseContentId}::uuid`;
  if (!row) throw new Error(`No course content ${courseContentId} with course member ${courseMemberId}`);
  return deadlineOfRow(row);
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
  return timingOf(await loadDeadline(db, courseContentId, courseMemberId), at);
}

/** `handInTimingOf` from a `TDeadlineRow` read with other things. */
export function handInTimingOfRow(row: TDeadlineRow, at: Date) {
  return timingOf(deadlineOfRow(row), at);
}

function timingOf({ deadline, state }: ReturnType<typeof deadlineOfRow>, at: Date) {
  const timing = handInTiming(deadline, at);
  const reopened = state?.reopenedAt && deadline.dueAt && state.dueAt.getTime() === deadline.dueAt.getTime();
  return { deadline, ...(timing.refused && reopened ? { late: true, refused: null } : timing) };
}
