import { TASK_QUEUES } from '@computor/contracts';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** A grading worker's languages as it reported them at start (table grader_workers). */
export interface LanguageInfo {
  language: string;
  ok: boolean;
  version?: string | undefined;
  reason?: string | undefined;
  canary: string;
  canaryMs?: number | undefined;
}

export interface PollerInfo {
  identity: string;
  lastAccessTime: string | null;
  ageSeconds: number | null;
  live: boolean;
  /** Testing queue: what this worker grades; [] while it is still assessing; undefined when unknown. */
  languages?: LanguageInfo[] | undefined;
}

export interface QueueStatus {
  taskQueue: string;
  workflowPollers: PollerInfo[];
  activityPollers: PollerInfo[];
  healthy: boolean;
}

// Long polls last up to ~70 s, so a live worker's last access can be that old.
const LIVE_WITHIN_SECONDS = 90;

function toPollers(pollers: temporal.api.taskqueue.v1.IPollerInfo[] | null | undefined): PollerInfo[] {
  const now = Date.now();
  return (pollers ?? []).map((p) => {
    const seconds = p.lastAccessTime?.seconds;
    const ms = seconds != null ? Number(seconds) * 1000 + Math.floor((p.lastAccessTime?.nanos ?? 0) / 1e6) : null;
    const ageSeconds = ms === null ? null : Math.max(0, Math.round((now - ms) / 1000));
    return {
      identity: p.identity ?? '(unknown)',
      lastAccessTime: ms === null ? null : new Date(ms).toISOString(),
      ageSeconds,
      live: ageSeconds !== null && ageSeconds <= LIVE_WITHIN_SECONDS,
    };
  });
}

/** Pollers per task queue from Temporal's DescribeTaskQueue (workflow and activity task types). */
export async function describeQueues(options: { address: string; namespace: string; queues?: readonly string[] }): Promise<QueueStatus[]> {
  const connection = await Connection.connect({ address: options.address, connectTimeout: '5s' });
  try {
    const out: QueueStatus[] = [];
    for (const taskQueue of options.queues ?? TASK_QUEUES) {
      const describe = (taskQueueType: temporal.api.enums.v1.TaskQueueType) =>
        connection.workflowService.describeTaskQueue({ namespace: options.namespace, taskQueue: { name: taskQueue }, taskQueueType });
      const [wf, act] = await Promise.all([
        describe(temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
        describe(temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
      ]);
      const workflowPollers = toPollers(wf.pollers);
      const activityPollers = toPollers(act.pollers);
      out.push({
        taskQueue,
        workflowPollers,
        activityPollers,
        healthy: workflowPollers.some((p) => p.live) && activityPollers.some((p) => p.live),
      });
    }
    return out;
  } finally {
    await connection.close();
  }
}

/** Attaches each testing-queue poller's languages, from the rows the workers wrote. */
export function withLanguages(statuses: QueueStatus[], taskQueue: string, rows: ReadonlyArray<{ identity: string; languages: unknown }>): QueueStatus[] {
  const byIdentity = new Map(rows.map((row) => [row.identity, Array.isArray(row.languages) ? (row.languages as LanguageInfo[]) : []]));
  return statuses.map((s) =>
    s.taskQueue !== taskQueue ? s : { ...s, activityPollers: s.activityPollers.map((p) => ({ ...p, languages: byIdentity.get(p.identity) })) },
  );
}

function formatLanguages(languages: LanguageInfo[] | undefined): string[] {
  if (languages === undefined) return [];
  if (languages.length === 0) return ['              languages: being assessed (runtimes and canaries)'];
  const ok = languages.filter((l) => l.ok).map((l) => l.language);
  const lines = [`              grades: ${ok.join(', ') || 'nothing'}`];
  for (const l of languages.filter((x) => !x.ok)) lines.push(`              refuses ${l.language}: ${l.reason ?? 'unknown reason'}`);
  return lines;
}

export function formatQueueStatus(statuses: QueueStatus[]): string {
  const lines: string[] = [];
  for (const s of statuses) {
    lines.push(`${s.healthy ? 'OK  ' : 'DOWN'} ${s.taskQueue}`);
    const all = [...s.workflowPollers.map((p) => ({ ...p, kind: 'workflow' })), ...s.activityPollers.map((p) => ({ ...p, kind: 'activity' }))];
    if (!all.length) lines.push('     no pollers');
    for (const p of all) {
      lines.push(`     ${p.kind.padEnd(8)} ${p.identity.padEnd(32)} last access ${p.lastAccessTime ?? '-'} (${p.ageSeconds ?? '?'} s ago)${p.live ? '' : ' stale'}`);
      lines.push(...formatLanguages('languages' in p ? p.languages : undefined));
    }
  }
  return lines.join('\n');
}
