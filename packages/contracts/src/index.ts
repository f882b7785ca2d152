export * from './task-queues';
export * from './ids';
export * from './workflow-keys';
export * from './roles';
export * from './api-errors';
export * from './grading';
export * from './workflows';
export * from './api';
