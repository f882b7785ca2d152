// Records one finished history per workflow type (plus a failed one where there is one) from a
// Temporal server into test/histories/, for the replay test (src/replay.int.test.ts). The test
// suite's own runs are the source: run `KEEP_STACK=1 bash scripts/test.sh`, then
//   COMPUTOR_STACK_DIR=.stack-test node apps/worker/scripts/record-histories.js [--since ISO-time] [--only type,type] [--suffix name]
// --since: only runs started after it (a stack keeps older code's runs); --only: those types;
// --suffix: written as <type>.<suffix>.<status>.json, beside the histories of earlier code paths.
// Re-record after a deliberate, patched() change; a failing replay means workflow code changed in
// a way running executions would not survive.
const fs = require('node:fs');
const path = require('node:path');
const { Connection, Client } = require('@temporalio/client');
const { historyToJSON } = require('@temporalio/common/lib/proto-utils');
const { WORKFLOW_PARAMS } = require('@computor/contracts');
const { loadStackEnv } = require('@computor/test-support');

const OUT = path.join(__dirname, '..', 'test', 'histories');
const MAX_EVENTS = 400;

function option(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  const since = option('since');
  const only = option('only')?.split(',');
  const suffix = option('suffix');
  const env = loadStackEnv();
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  // The server answers at most 100 namespaces a page: a suite's runs leave many more.
  const namespaces = [];
  let nextPageToken;
  do {
    const page = await connection.workflowService.listNamespaces({ pageSize: 100, nextPageToken });
    namespaces.push(...page.namespaces);
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  const wanted = Object.keys(WORKFLOW_PARAMS).filter((type) => !only || only.includes(type));
  const found = new Map();
  for (const ns of namespaces.map((n) => n.namespaceInfo.name)) {
    const client = new Client({ connection, namespace: ns });
    for (const type of wanted) {
      for (const status of ['Completed', 'Failed']) {
        const key = `${type}${suffix ? `.${suffix}` : ''}.${status.toLowerCase()}`;
        if (found.has(key)) continue;
        // The richest run of the first few (a failure past validation says more than invalid input).
        let best = null;
        let seen = 0;
        for await (const wf of client.workflow.list({ query: `WorkflowType = '${type}' AND ExecutionStatus = '${status}'${since ? ` AND StartTime > '${since}'` : ''}` })) {
          if (wf.historyLength <= MAX_EVENTS && (!best || wf.historyLength > best.historyLength)) best = wf;
          if (++seen >= 20) break;
        }
        if (best) found.set(key, { workflowId: best.workflowId, history: await client.workflow.getHandle(best.workflowId, best.runId).fetchHistory() });
      }
    }
  }
  fs.mkdirSync(OUT, { recursive: true });
  for (const [key, { workflowId, history }] of [...found].sort()) {
    fs.writeFileSync(path.join(OUT, `${key}.json`), `${JSON.stringify({ workflowId, history: JSON.parse(historyToJSON(history)) }, null, 1)}\n`);
  }
  const missing = wanted.filter((type) => !found.has(`${type}${suffix ? `.${suffix}` : ''}.completed`));
  process.stdout.write(`recorded ${found.size} histories in ${path.relative(process.cwd(), OUT)}${missing.length ? `; no completed run of: ${missing.join(', ')}` : ''}\n`);
  await connection.close();
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
