// Workflows of the shapes the hand-in path uses, with activities that do nothing: what a workflow
// costs the worker and Temporal apart from the work it orders (bench/workflow-overhead.js).
const { proxyActivities, proxyLocalActivities } = require('@temporalio/workflow');

const remote = proxyActivities({ startToCloseTimeout: '1 minute' });
const local = proxyLocalActivities({ startToCloseTimeout: '1 minute' });

/** One activity: the shape of a hand-in workflow. */
async function oneActivity(n) {
  return remote.noop(n);
}

/** Local, remote, local: the shape of a test run (prepare, grade, store). */
async function testRunShape(n) {
  return local.noop(await remote.noop(await local.noop(n)));
}

/** A hand-in and its test run in one execution: remote, then the test run's shape. */
async function handInAndTestRun(n) {
  return testRunShape(await remote.noop(n));
}

module.exports = { oneActivity, testRunShape, handInAndTestRun };
