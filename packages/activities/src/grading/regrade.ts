import { randomUUID } from 'node:crypto';
import { gradingStorageKeys, gradingWorkflowIds, TASK_QUEUE_TESTING, WF_TEST_SUBMISSION, type TResultProvenance } from '@computor/contracts';
import type { Db, Prisma } from '@computor/db';
import type { ActivityDeps } from '../deps';
import { NON_RETRYABLE, nonRetryable } from '../failures';

/** Results students see: outside any regrade, or of a published one (a preview stays staff-only). */
export const STUDENT_VISIBLE_RESULT = { OR: [{ regradeId: null }, { regrade: { status: 'published' as const } }] } satisfies Prisma.ResultWhereInput;

/** The result a hand-in currently stands for (what students see): its newest completed result outside unpublished regrades. */
export async function currentResult(db: Db, artifactId: string): Promise<Prisma.ResultGetPayload<object> | null> {
  return db.result.findFirst({ where: { artifactId, status: 'completed', ...STUDENT_VISIBLE_RESULT }, orderBy: { finishedAt: 'desc' } });
}

/** The hand-in of each active student a regrade covers: their final one (the deadline's, else the last on-time, else the newest), or the newest. */
async function targets(db: Db, courseContentId: string, of: string): Promise<string[]> {
  const groups = await db.submissionGroup.findMany({
    where: { courseContentId, members: { some: { courseMember: { removedAt: null, role: 'student' } } } },
    include: { members: true, artifacts: { where: { purgedAt: null }, orderBy: { handedInAt: 'desc' }, select: { id: true, late: true } } },
  });
  const states = await db.deadlineState.findMany({ where: { courseContentId, closedAt: { not: null } } });
  const out: string[] = [];
  for (const g of groups) {
    if (!g.artifacts.length) continue;
    if (of === 'latest') {
      out.push(g.artifacts[0]!.id);
      continue;
    }
    const closed = states.find((s) => g.members.some((m) => m.courseMemberId === s.courseMemberId));
    const final = closed ? closed.finalArtifactId : (g.artifacts.find((a) => !a.late) ?? g.artifacts[0]!).id;
    if (final && g.artifacts.some((a) => a.id === final)) out.push(final);
  }
  return out;
}

export function regradeActivities(deps: ActivityDeps) {
  async function load(regradeId: string) {
    const regrade = await deps.db.regrade.findUnique({ where: { id: regradeId }, include: { courseContent: true } });
    if (!regrade) throw nonRetryable(NON_RETRYABLE.notFound, `Regrade ${regradeId} not found`);
    return regrade;
  }

  return {
    /** The hand-ins the regrade covers (one per student); records how many. */
    async listRegradeTargets(input: { regradeId: string }): Promise<string[]> {
      const regrade = await load(input.regradeId);
      const list = await targets(deps.db, regrade.courseContentId, regrade.target);
      await deps.db.regrade.update({ where: { id: regrade.id }, data: { total: list.length } });
      return list;
    },

    /**
     * The regrade's result for one hand-in, once (a retry finds it). `rescore` keeps the stored
     * verdicts when the hand-in's current result was graded with the content's current example
     * version (a copy, nothing runs); otherwise, and always for `rerun`, a pending result whose
     * test workflow the caller runs.
     */
    async createRegradeResult(input: { regradeId: string; artifactId: string }): Promise<{ resultId: string; workflowId: string | null; method: 'rescored' | 'rerun'; courseId: string }> {
      const regrade = await load(input.regradeId);
      const existing = await deps.db.result.findFirst({ where: { regradeId: regrade.id, artifactId: input.artifactId } });
      const courseId = regrade.courseContent.courseId;
      if (existing) return { resultId: existing.id, workflowId: existing.status === 'completed' && existing.workflowId === null ? null : existing.workflowId, method: existing.workflowId ? 'rerun' : 'rescored', courseId };
      const artifact = await deps.db.submissionArtifact.findUniqueOrThrow({ where: { id: input.artifactId } });
      const resultId = randomUUID();
      const current = await currentResult(deps.db, artifact.id);
      const sameVersion = current && (current.provenance as TResultProvenance | null)?.example.versionId === regrade.courseContent.exampleVersionId;
      if (regrade.mode === 'rescore' && current && sameVersion && current.reportKey) {
        // The verdicts stand under the same test definitions: the same report under the new result.
        const report = await deps.storage.getJson<unknown>(current.reportKey);
        await deps.storage.put(gradingStorageKeys.report(resultId), JSON.stringify(report), 'application/json');
        const { id: _id, workflowId: _w, createdAt: _c, regradeId: _r, supersededById: _s, ...kept } = current;
        await deps.db.result.create({
          data: { ...kept, id: resultId, regradeId: regrade.id, workflowId: null, reportKey: gradingStorageKeys.report(resultId), summary: kept.summary ?? undefined, provenance: kept.provenance ?? undefined, queuedAt: new Date(), finishedAt: new Date() },
        });
        return { resultId, workflowId: null, method: 'rescored', courseId };
      }
      const workflowId = gradingWorkflowIds.testSubmission(resultId);
      await deps.db.$transaction([
        deps.db.result.create({ data: { id: resultId, artifactId: artifact.id, submissionGroupId: artifact.submissionGroupId, courseContentId: regrade.courseContentId, workflowId, regradeId: regrade.id, status: 'pending' } }),
        deps.db.workflowRun.upsert({
          where: { id: workflowId },
          create: { id: workflowId, type: WF_TEST_SUBMISSION, taskQueue: TASK_QUEUE_TESTING, requestedById: regrade.createdById, courseId: regrade.courseContent.courseId },
          update: {},
        }),
      ]);
      return { resultId, workflowId, method: 'rerun', courseId };
    },

    /**
     * Whether the course is handing in right now: a first-time hand-in queued for grading (in the
     * last 15 minutes: a row a lost run left pending must not hold a regrade back for ever), or
     * one queued in the last 5 seconds, so that a deadline's pushes between two empty moments of
     * the queue count too. Stored times are UTC. A regrade waits while it is.
     */
    async courseHandingIn(input: { courseId: string }): Promise<boolean> {
      const [row] = await deps.db.$queryRaw<Array<{ busy: boolean }>>`
        SELECT EXISTS (
          SELECT 1 FROM results r JOIN course_contents c ON c.id = r.course_content_id
          WHERE r.regrade_id IS NULL AND c.course_id = ${input.courseId}::uuid
            AND r.status IN ('pending', 'running', 'completed')
            AND r.queued_at > (now() AT TIME ZONE 'UTC') - CASE WHEN r.status = 'pending' THEN interval '15 minutes' ELSE interval '5 seconds' END
            AND (r.status <> 'pending' OR r.workflow_id IS NOT NULL)
        ) AS busy`;
      return row?.busy ?? false;
    },

    /** Counts one hand-in of the regrade as done or failed. */
    async regradeItemDone(input: { regradeId: string; ok: boolean }): Promise<void> {
      await deps.db.regrade.update({ where: { id: input.regradeId }, data: input.ok ? { done: { increment: 1 } } : { done: { increment: 1 }, failed: { increment: 1 } } });
    },

    /** Ends the run: `preview` (staff compare and publish or discard), `cancelled` or `failed`. */
    async closeRegrade(input: { regradeId: string; status: 'preview' | 'cancelled' | 'failed'; message?: string }): Promise<void> {
      await deps.db.regrade.updateMany({ where: { id: input.regradeId, status: 'running' }, data: { status: input.status, finishedAt: new Date(), message: input.message?.slice(0, 2000) ?? null } });
      // A run queued but never started (the regrade ended in between) will never be graded.
      if (input.status !== 'preview') {
        await deps.db.result.updateMany({ where: { regradeId: input.regradeId, status: { in: ['pending', 'running'] } }, data: { status: 'cancelled', message: 'The regrade ended before this run.', finishedAt: new Date() } });
      }
    },
  };
}
