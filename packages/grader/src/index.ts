export { DEFAULT_GRADER_VENV, REPO_ROOT, ZGraderConfig, resolveGraderConfig, type TGraderConfig, type TGraderConfigInput } from './config';
export {
  KNOWN_COLLECTION_TYPES,
  KNOWN_QUALIFICATIONS,
  ZCheck,
  ZCollection,
  ZExecutionBackend,
  ZExecutionSettings,
  ZMeta,
  ZMetaProperties,
  ZRelativePath,
  ZSuiteProperties,
  ZTestSuite,
  type TCheck,
  type TCollection,
  type TExecutionSettings,
  type TMeta,
  type TTestSuite,
} from './example/schemas';
export {
  findUnknownKeys,
  parseMetaYaml,
  parseTestYaml,
  validateExampleFiles,
  type TExampleIssue,
  type TExampleValidation,
  type TParseResult,
} from './example/validate';
export { DEFAULT_CHECK_PROPS, resolveSuite, type TCheckProps, type TResolvedCheck, type TResolvedCollection } from './example/resolve';
export { ExampleValidationError, detectLanguage, loadExample, type TExample, type TLanguage } from './example/load-example';
export { LANGUAGES, languageById, languageByName, runtimeStatus } from './languages/registry';
export type { TLanguagePlugin, TRuntimeStatus } from './languages/plugin';
export { assessLanguages, languageProblem, resetLanguageHealth, type TLanguageHealth } from './languages/health';
export { compareVariable, typesCompatible, type TCompareOptions, type TCompareOutcome } from './compare/compare-values';
export { fromYaml, render, type TPyValue } from './compare/py-value';
export { evaluateTextCheck, extractNumbers, type TTextCheck, type TTextOutcome } from './compare/text-checks';
export { checkOccurrences, countCOccurrences, countPythonOccurrences } from './compare/structural';
export { ZSandboxLimits, effectiveLimits, resolveSandboxLimits, type TEffectiveLimits, type TSandboxLimits, type TSandboxLimitsInput } from './sandbox/limits';
export { Sandbox, type TSandboxFile, type TSandboxRunRequest, type TSandboxRunResult, type TSandboxSettings } from './sandbox/sandbox';
export { cgroupsFor, detectCgroups, detectedCgroups, type TCgroupSweep, type TCgroups, type TRunCgroup } from './sandbox/cgroup';
export { privateDirIn, sweepDeadWorkerDirs } from './sandbox/private-dir';
export { seccompProgram } from './sandbox/seccomp';
export { aggregateReport, applyDependencies, collectionStatus, summarizeChecks, GRADER_VERSION, type TAggregateOptions } from './grade/aggregate';
export { gradeCollection, gradeSubmission, type TGradeCollectionOptions, type TGradeOptions } from './grade/grade';
export { GradingSession, GradingSessions } from './grade/session';
export {
  DirectoryReferenceCache,
  InMemoryReferenceCache,
  ZReferenceRun,
  referenceCacheKey,
  type TReferenceCache,
  type TReferenceRun,
} from './grade/reference-cache';
export { toStudentReport, toTestSummary, type TCheckResult, type TCollectionResult, type TGradingReport, type TRunOutput, type TTestSummary } from '@computor/contracts';
