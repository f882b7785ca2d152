export { startWorkers, type RunningWorkers, type StartWorkersOptions } from './worker';
export { loadWorkerEnv, type TWorkerEnv } from './env';
export { describeQueues, type QueueStatus } from './commands/worker-status';
export { runCli } from './cli';
