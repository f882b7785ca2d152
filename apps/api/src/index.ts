export { createServer } from './app';
export type { ApiDeps, ApiConfig } from './deps';
export { loadApiEnv, type TApiEnv } from './env';
