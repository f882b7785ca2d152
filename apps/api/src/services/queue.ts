import type { Db } from '@computor/db';

/** Completed runs the estimate averages over. */
const RECENT_RUNS = 50;

export interface TQueueView {
  /** queued: waiting for a grading worker; running: a collection started; done / failed / cancelled; superseded: a newer hand-in took its place. */
  state: 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'superseded';
  /** Queued only: 1 = next to be graded (over every course: the grading workers are shared). */
  position: number | null;
  /** Queued only: seconds until its result, from the mean run time of recent runs and how many run at once; null without recent runs. */
  estimate_seconds: number | null;
  queued_at: Date;
  superseded_by: string | null;
}

type TRow = { id: string; status: string; queuedAt: Date; supersededById: string | null };

const STATE: Record<string, TQueueView['state']> = { pending: 'queued', running: 'running', completed: 'done', failed: 'failed', cancelled: 'cancelled', superseded: 'superseded' };

/**
 * Where each result stands. A queued result's position counts the queued results ahead of it (by
 * queue time; a result that superseded an older one has the older one's time; regrade runs queue
 * behind hand-ins by their Temporal priority, so they are not counted); the estimate is
 * ceil(position / runs at once) x the mean duration of the last completed runs.
 */
export async function queueViews(db: Db, rows: readonly TRow[]): Promise<Map<string, TQueueView>> {
  const out = new Map<string, TQueueView>();
  const queued = rows.filter((r) => r.status === 'pending');
  let meanSeconds: number | null = null;
  let parallel = 1;
  if (queued.length) {
    const [stats] = await db.$queryRaw<Array<{ mean: number | null; running: bigint }>>`
      SELECT (SELECT avg(EXTRACT(EPOCH FROM finished_at - started_at))::float8 FROM (
                SELECT finished_at, started_at FROM results WHERE status = 'completed' AND started_at IS NOT NULL AND finished_at IS NOT NULL
                ORDER BY finished_at DESC LIMIT ${RECENT_RUNS}) recent) AS mean,
             (SELECT count(*) FROM results WHERE status = 'running') AS running`;
    meanSeconds = stats?.mean ?? null;
    parallel = Math.max(1, Number(stats?.running ?? 0));
  }
  for (const r of rows) {
    let position: number | null = null;
    if (r.status === 'pending') {
      const [ahead] = await db.$queryRaw<Array<{ n: bigint }>>`
        SELECT count(*) AS n FROM results
        WHERE status = 'pending' AND workflow_id IS NOT NULL AND regrade_id IS NULL AND (queued_at, id) < (${r.queuedAt}, ${r.id}::uuid)`;
      position = Number(ahead?.n ?? 0) + 1;
    }
    out.set(r.id, {
      state: STATE[r.status] ?? 'queued',
      position,
      estimate_seconds: position !== null && meanSeconds !== null ? Math.round(Math.ceil(position / parallel) * meanSeconds) : null,
      queued_at: r.queuedAt,
      superseded_by: r.supersededById,
    });
  }
  return out;
}
