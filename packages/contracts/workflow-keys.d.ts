export * from './dist/workflow-keys';
