import { randomUUID } from 'node:crypto';
import { gradingWorkflowIds, TASK_QUEUE_TESTING, WF_TEST_SUBMISSION } from '@computor/contracts';
import type { Db, Prisma } from '@computor/db';

/** Hand-ins and test runs arrive in bursts at deadlines: a transaction waits this long for a pooled connection. */
export const BURST_TRANSACTION = { maxWait: 15_000, timeout: 15_000 };

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];
/** A result with its artifact. */
export type TResultRow = Prisma.ResultGetPayload<{ include: { artifact: true } }>;

/** The submission group of one student and content (teams are formed elsewhere): created once, under a lock. */
export async function ensureSubmissionGroup(db: Db, courseContentId: string, courseMemberId: string) {
  // Nearly always there already (every hand-in after the first): one read, no transaction.
  const found = await db.submissionGroup.findFirst({ where: { courseContentId, members: { some: { courseMemberId } } }, orderBy: { createdAt: 'asc' } });
  if (found) return found;
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`submission-group:${courseContentId}:${courseMemberId}`}))`;
    const existing = await tx.submissionGroup.findFirst({ where: { courseContentId, members: { some: { courseMemberId } } }, orderBy: { createdAt: 'asc' } });
    return existing ?? tx.submissionGroup.create({ data: { courseContentId, members: { create: { courseMemberId } } } });
  }, BURST_TRANSACTION);
}

/** Serialises the test requests of one group, so that two at once cannot both take the last run or both supersede. */
export async function lockGroupTests(tx: Tx, submissionGroupId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`test-runs:${submissionGroupId}`}))`;
}

/** Test runs that count against `maxTestRuns`: failed (infrastructure), cancelled and superseded ones do not. */
export const COUNTED_RESULT = ['pending', 'running', 'completed'] as const;

/**
 * The result a (possibly superseded) result stands for now: superseded results point to the one
 * graded in their place, which took over their workflow.
 */
export async function headResult(db: Db | Tx, resultId: string): Promise<TResultRow | null> {
  let current = await db.result.findUnique({ where: { id: resultId }, include: { artifact: true } });
  for (let hops = 0; current?.status === 'superseded' && current.supersededById && hops < 1000; hops++) {
    current = await db.result.findUnique({ where: { id: current.supersededById }, include: { artifact: true } });
  }
  return current;
}

export type TEnqueued = { courseId: string } & (
  | { test: 'started' | 'joined' | 'exists'; resultId: string; workflowId: string | null; superseded: string[]; start: boolean }
  | { test: 'none'; resultId: null; workflowId: null; superseded: string[]; start: false; reason: string }
);

/**
 * Queues a test run of a stored hand-in, once: a second call for the same hand-in answers the first
 * result. With `supersede`, a still-queued run of the same group (no collection started) is
 * superseded: it is marked so and never graded, and the new run takes over its workflow and its
 * place in the queue (`queuedAt`). Otherwise a new result row (and its workflow_runs row) is
 * created and the caller starts `testSubmissionWorkflow` (`start: true`).
 */
export async function enqueueTest(db: Db, input: { artifactId: string; requestedById: string; supersede: boolean }): Promise<TEnqueued> {
  const artifact = await db.submissionArtifact.findUniqueOrThrow({ where: { id: input.artifactId }, include: { submissionGroup: { include: { courseContent: true } } } });
  const group = artifact.submissionGroup;
  const content = group.courseContent;
  const courseId = content.courseId;
  return db.$transaction(async (tx): Promise<TEnqueued> => {
    await lockGroupTests(tx, group.id);
    const existing = await tx.result.findFirst({ where: { artifactId: artifact.id, status: { not: 'superseded' } }, orderBy: { createdAt: 'asc' } });
    if (existing) {
      // Not yet started: the caller (a retried hand-in) starts it; starting twice is a no-op.
      const start = existing.status === 'pending' && existing.workflowId === gradingWorkflowIds.testSubmission(existing.id);
      return { courseId, test: 'exists', resultId: existing.id, workflowId: existing.workflowId, superseded: [], start };
    }
    if (content.maxTestRuns !== null) {
      const used = await tx.result.count({ where: { submissionGroupId: group.id, courseContentId: content.id, status: { in: [...COUNTED_RESULT] } } });
      // The run a new one would supersede does not count: it will not be graded.
      const queued = input.supersede ? await tx.result.count({ where: { submissionGroupId: group.id, courseContentId: content.id, status: 'pending', workflowId: { not: null } } }) : 0;
      if (used - Math.min(queued, 1) >= content.maxTestRuns) {
        return { courseId, test: 'none', resultId: null, workflowId: null, superseded: [], start: false, reason: `The maximum number of test runs for this assignment (${content.maxTestRuns}) is used up.` };
      }
    }
    const resultId = randomUUID();
    if (input.supersede) {
      const queued = await tx.result.findFirst({
        where: { submissionGroupId: group.id, courseContentId: content.id, status: 'pending', workflowId: { not: null } },
        orderBy: { queuedAt: 'asc' },
        include: { artifact: { select: { handedInAt: true } } },
      });
      // The grading activity marks a result running under the same row lock: a run that started is never superseded.
      const locked = queued && (await tx.$queryRaw<Array<{ status: string }>>`SELECT status::text FROM results WHERE id = ${queued.id}::uuid FOR UPDATE`);
      if (queued && locked?.[0]?.status === 'pending' && queued.artifact.handedInAt > artifact.handedInAt) {
        // A newer push got to the queue first (fetches finish out of order): this older one is
        // superseded by it at once and never graded.
        await tx.result.create({
          data: {
            id: resultId,
            artifactId: artifact.id,
            submissionGroupId: group.id,
            courseContentId: content.id,
            status: 'superseded',
            supersededById: queued.id,
            finishedAt: new Date(),
            message: 'Superseded by a newer hand-in before it was graded.',
          },
        });
        return { courseId, test: 'joined', resultId, workflowId: queued.workflowId, superseded: [resultId], start: false };
      }
      if (queued && locked?.[0]?.status === 'pending') {
        await tx.result.update({
          where: { id: queued.id },
          data: {
            status: 'superseded',
            supersededById: resultId,
            workflowId: null,
            finishedAt: new Date(),
            message: `Superseded by a newer hand-in${artifact.commitSha ? ` (commit ${artifact.commitSha.slice(0, 8)})` : ''} before it was graded; that one took its place in the queue.`,
          },
        });
        await tx.result.create({
          data: { id: resultId, artifactId: artifact.id, submissionGroupId: group.id, courseContentId: content.id, workflowId: queued.workflowId, queuedAt: queued.queuedAt, status: 'pending' },
        });
        return { courseId, test: 'joined', resultId, workflowId: queued.workflowId, superseded: [queued.id], start: false };
      }
    }
    const workflowId = gradingWorkflowIds.testSubmission(resultId);
    await tx.result.create({ data: { id: resultId, artifactId: artifact.id, submissionGroupId: group.id, courseContentId: content.id, workflowId, status: 'pending' } });
    await tx.workflowRun.upsert({
      where: { id: workflowId },
      create: { id: workflowId, type: WF_TEST_SUBMISSION, taskQueue: TASK_QUEUE_TESTING, requestedById: input.requestedById, courseId: content.courseId },
      update: {},
    });
    return { courseId, test: 'started', resultId, workflowId, superseded: [], start: true };
  }, BURST_TRANSACTION);
}

/**
 * Marks the result a grading activity of `resultId` works for as running (following superseding)
 * and answers it with its artifact. Lock-free: the update only succeeds on a result still pending
 * or running, so a superseding that slipped in between is followed on the next round.
 */
export async function claimResult(db: Db, resultId: string): Promise<TResultRow | null> {
  for (let round = 0; round < 100; round++) {
    const head = await headResult(db, resultId);
    if (!head) return null;
    if (head.status !== 'pending' && head.status !== 'running') return head;
    const claimed = await db.result.updateMany({ where: { id: head.id, status: { in: ['pending', 'running'] } }, data: { status: 'running', startedAt: head.startedAt ?? new Date() } });
    if (claimed.count === 1) return { ...head, status: 'running' };
  }
  throw new Error(`Result ${resultId} kept changing while it was claimed`);
}
