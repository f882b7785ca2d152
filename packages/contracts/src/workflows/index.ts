export * from './system';
export * from './provisioning';
