export * from './task-queues';
export * from './grading';
