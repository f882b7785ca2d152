import fs from 'node:fs';
import path from 'node:path';
import { WORKFLOW_PARAMS } from '@computor/contracts';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker, type ReplayResult } from '@temporalio/worker';

// Recorded histories (scripts/record-histories.js) replayed against the bundle the worker ships:
// a change to workflow code that running executions would not survive fails here, in CI.

const DIR = path.join(__dirname, '..', 'test', 'histories');
const WORKFLOW_BUNDLE_PATH = path.join(__dirname, '..', 'dist', 'workflow-bundle.js');
const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

Runtime.install({ logger: new DefaultLogger('WARN') });

function load(file: string, workflowType?: string) {
  const { workflowId, history } = JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8'));
  if (workflowType) history.events[0].workflowExecutionStartedEventAttributes.workflowType.name = workflowType;
  return { workflowId: workflowId as string, history: historyFromJSON(history) };
}

async function replay(histories: Array<ReturnType<typeof load>>): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } }, histories)) results.push(result);
  return results;
}

it('has a recorded, completed history of every workflow type', () => {
  const missing = Object.keys(WORKFLOW_PARAMS).filter((type) => !files.includes(`${type}.completed.json`));
  expect(missing).toEqual([]);
});

it('replays every recorded history without nondeterminism', async () => {
  const results = await replay(files.map((f) => load(f)));
  expect(results.filter((r) => r.error).map((r) => `${r.workflowId}: ${r.error!.message}`)).toEqual([]);
  expect(results).toHaveLength(files.length);
}, 120_000);

it('detects a workflow whose commands differ from its history', async () => {
  // The same params, but another workflow's code: it schedules a different activity.
  const [result] = await replay([load('syncMemberPermissionsWorkflow.completed.json', 'revokeMemberAccessWorkflow')]);
  expect(result!.error?.name).toBe('DeterminismViolationError');
}, 60_000);

/**
 * The history as the SDK writes it when the worker answers a query while a local activity's result
 * is pending: the task completes with the activity's marker alone and what the workflow did next
 * lands in a further task (three events inserted after the marker, later ids shifted).
 */
function splitAfterLocalActivity({ workflowId, history }: ReturnType<typeof load>): ReturnType<typeof load> {
  const json = JSON.parse(historyToJSON(history)) as { events: Array<Record<string, any>> };
  const events = json.events;
  const i = events.findIndex((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
  if (i < 0 || i === events.length - 1) throw new Error(`${workflowId}: no local activity marker with events after it`);
  const at = Number(events[i + 1]!.eventId);
  const shift = (o: unknown): void => {
    if (Array.isArray(o)) return o.forEach(shift);
    if (!o || typeof o !== 'object') return;
    for (const [k, v] of Object.entries(o)) {
      if (/(^e|E)ventId$/.test(k) && Number(v) >= at) (o as Record<string, unknown>)[k] = String(Number(v) + 3);
      else shift(v);
    }
  };
  const tail = events.slice(i + 1);
  shift(tail);
  const eventTime = events[i + 1]!.eventTime;
  const { taskQueue } = events[0]!.workflowExecutionStartedEventAttributes;
  const sdkMetadata = events.slice(0, i).reverse().find((e) => e.workflowTaskCompletedEventAttributes)?.workflowTaskCompletedEventAttributes.sdkMetadata;
  const inserted = [
    { eventId: String(at), eventTime, eventType: 'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED', workflowTaskScheduledEventAttributes: { taskQueue, startToCloseTimeout: '10s', attempt: 1 } },
    { eventId: String(at + 1), eventTime, eventType: 'EVENT_TYPE_WORKFLOW_TASK_STARTED', workflowTaskStartedEventAttributes: { scheduledEventId: String(at), identity: 'split' } },
    { eventId: String(at + 2), eventTime, eventType: 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED', workflowTaskCompletedEventAttributes: { scheduledEventId: String(at), startedEventId: String(at + 1), identity: 'split', sdkMetadata } },
  ];
  json.events = [...events.slice(0, i + 1), ...inserted, ...tail];
  return { workflowId, history: historyFromJSON(json) };
}

// Each workflow with patches, its recorded paths since decidePatches (patches asked first) and the one before.
const PATCHED = [
  ...['addStudentsWorkflow', 'createCourseHierarchyWorkflow', 'handInCommitWorkflow', 'provisionStudentRepositoryWorkflow', 'regradeWorkflow'].map((type) => `${type}.patches-first`),
  'handInCommitWorkflow.local',
  'handInCommitWorkflow.runs-test',
];
const BEFORE = ['addStudentsWorkflow.inline', 'createCourseHierarchyWorkflow.one-activity', 'handInCommitWorkflow.one-activity', 'provisionStudentRepositoryWorkflow.status-steps'];

it('replays a patched workflow whose task was completed with its params marker alone (a query answered meanwhile)', async () => {
  const results = await replay(PATCHED.map((name) => splitAfterLocalActivity(load(`${name}.completed.json`))));
  expect(results.filter((r) => r.error).map((r) => `${r.workflowId}: ${r.error!.message}`)).toEqual([]);
  expect(results).toHaveLength(PATCHED.length);
}, 120_000);

it('shows why: the same split fails the histories recorded before decidePatches (their patch read false on replay)', async () => {
  const results = await replay(BEFORE.map((name) => splitAfterLocalActivity(load(`${name}.completed.json`))));
  expect(results.map((r) => r.error?.message.match(/Non-deprecated patch marker encountered for change [\w-]+/)?.[0])).toEqual([
    'Non-deprecated patch marker encountered for change students-inline',
    'Non-deprecated patch marker encountered for change hierarchy-one-activity',
    'Non-deprecated patch marker encountered for change hand-in-one-activity',
    'Non-deprecated patch marker encountered for change provisioning-status',
  ]);
}, 60_000);
