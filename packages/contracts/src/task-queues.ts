/** Task queue for provisioning, release and other general work. */
export const TASK_QUEUE_TASKS = 'computor-tasks';
/** Task queue for grading student submissions (sandboxed, CPU bound). */
export const TASK_QUEUE_TESTING = 'computor-testing';
export const TASK_QUEUES = [TASK_QUEUE_TASKS, TASK_QUEUE_TESTING] as const;
export type TTaskQueue = (typeof TASK_QUEUES)[number];
