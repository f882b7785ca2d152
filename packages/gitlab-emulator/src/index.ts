export { startGitlabEmulator, DEFAULT_TOKEN, EMULATOR_NOTICE, type TGitlabEmulator, type TGitlabEmulatorOptions } from './server';
export {
  DEFAULT_CONFIG,
  FAULT_KINDS,
  mergeConfig,
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
