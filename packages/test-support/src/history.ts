import type { WorkflowHandle } from '@temporalio/client';

type TEvent = { eventId?: { toString(): string } | null; [attributes: string]: unknown };

const text = (data: unknown) => (data instanceof Uint8Array ? Buffer.from(data).toString('utf8') : '');

/** What identifies one event beyond its type: the activity or child type, the marker and its patch id or local activity, a task failure's cause. */
function detail(event: TEvent): string {
  const key = Object.keys(event).find((k) => k.endsWith('EventAttributes') && event[k]);
  if (!key) return '?';
  const a = event[key] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const kind = key.replace(/EventAttributes$/, '');
  if (a.activityType?.name) return `${kind} ${a.activityType.name}`;
  if (a.workflowType?.name && kind !== 'workflowExecutionStarted') return `${kind} ${a.workflowType.name}`;
  if (kind === 'markerRecorded') {
    const details = Object.values(a.details ?? {}).map((p) => text((p as { payloads?: { data?: unknown }[] }).payloads?.[0]?.data).slice(0, 80));
    return `${kind} ${a.markerName} ${details.join(' ')}`;
  }
  if (a.failure?.message) return `${kind} ${String(a.failure.message).slice(0, 200)}`;
  return kind;
}

/**
 * A workflow's history as one line per event (id, type and what identifies it), for a test's
 * failure message: a stuck workflow then says where it stuck, e.g. a task failing on replay.
 */
export async function historyOutline(handle: WorkflowHandle, maxEvents = 80): Promise<string> {
  const events = ((await handle.fetchHistory()).events ?? []) as TEvent[];
  const lines = events.map((e) => `${e.eventId?.toString()} ${detail(e)}`);
  return lines.length > maxEvents ? [...lines.slice(0, maxEvents / 2), `… ${lines.length - maxEvents} more …`, ...lines.slice(-maxEvents / 2)].join('\n') : lines.join('\n');
}
