export { startGitlabEmulator, DEFAULT_TOKEN, EMULATOR_NOTICE, type TGitlabEmulator, type TGitlabEmulatorOptions } from './server';
export {
  DEFAULT_CONFIG,
  DELETION_MODES,
  FAULT_KINDS,
  mergeConfig,
  type TDeletionMode,
  type TFaultConfig,
  type TFaultKind,
  type TForkConfig,
  type TRuntimeConfig,
  type TRuntimeConfigPatch,
  type TSeedInput,
  type TSeedResult,
  type TStateSnapshot,
  type TStats,
  type TTokenConfig,
} from './emulator';
export { parseCliOptions, CLI_USAGE } from './options';
export { DEFAULT_RATE_LIMITS, type TRateLimitConfig } from './rate-limits';
