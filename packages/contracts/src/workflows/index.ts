export * from './system';
export * from './provisioning';
export * from './release';
export * from './grading';
export * from './retention';
export * from './documents';
export * from './params';
