import fs from 'node:fs';
import path from 'node:path';
import { WORKFLOW_PARAMS } from '@computor/contracts';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
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
