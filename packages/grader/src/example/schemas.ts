import { COLLECTION_VISIBILITIES, EXPECTED_VISIBILITIES } from '@computor/contracts';
import { z } from 'zod';

// Schemas of the original Computor assignment format (meta.yaml, test.yaml). They are lenient
// where the original was (empty lists mean "unset", numbers accepted where text is meant) and
// strict about types; unknown keys are stripped here and reported as warnings by `findUnknownKeys`.

/** Collection types of the original format; anything else is accepted and reported as skipped. */
export const KNOWN_COLLECTION_TYPES = [
  'variable',
  'graphics',
  'structural',
  'linting',
  'exist',
  'error',
  'warning',
  'help',
  'stdout',
  'stderr',
  'stdio',
  'exitcode',
  'compile',
  'runtime',
  'wordcount',
  'paragraphcount',
  'section',
  'linkcount',
  'keyword',
  'uniquewords',
  'linecount',
  'charcount',
  'sentencecount',
  'headingcount',
  'imagecount',
  'codeblockcount',
  'listitemcount',
  'pattern',
  // Document checks the original coded but its schema rejected (defect D5): accepted here.
  'avgwordlength',
  'avgsentencelength',
] as const;

export const KNOWN_QUALIFICATIONS = [
  'verifyEqual',
  'matches',
  'contains',
  'startsWith',
  'endsWith',
  'count',
  'regexp',
  'matchesLine',
  'containsLine',
  'lineCount',
  'regexpMultiline',
  'numericOutput',
  'exitCode',
] as const;

/** The original's models are Optional throughout: an empty string or list, or null, means unset. */
const emptyToUndefined = (value: unknown): unknown =>
  value === '' || value === null || (Array.isArray(value) && value.length === 0) ? undefined : value;

/** Text that YAML may have typed as a number (`version: 1.0`, `name: 42`). */
const ZText = z.union([z.string(), z.number()]).transform((value) => String(value));

/** A path inside the example or submission: relative, no `..`, no backslashes. */
export const ZRelativePath = z
  .string()
  .min(1)
  .refine((value) => !value.startsWith('/') && !value.includes('\\') && !value.split('/').includes('..'), {
    message: 'must be a relative path inside the example (no leading "/", no "..")',
  });

const ZOptionalPath = z.preprocess(emptyToUndefined, ZRelativePath.optional());

/** One string or a list of strings (numbers allowed), normalised to a list. */
const ZStringList = z
  .union([ZText, z.array(ZText)])
  .transform((value) => (Array.isArray(value) ? value : [value]));

const ZPathList = z.preprocess((value) => (value === null ? [] : value), z.array(ZRelativePath).default([]));

const ZPerson = z.object({
  name: ZText.optional(),
  email: z.string().optional(),
  affiliation: z.string().optional(),
});

const ZMaterial = z.object({ name: ZText, url: z.string() });

/**
 * Whether students see expected values (field and message) of failed checks: `never` (the default,
 * a deviation from the original, which always showed them) or `always`. `afterDue` is reserved
 * for when contents have deadlines.
 */
const ZExpectedSetting = z.enum(EXPECTED_VISIBILITIES, {
  error: (issue) =>
    issue.input === 'afterDue' ? '"afterDue" is not supported yet (contents have no deadlines)' : `must be one of ${EXPECTED_VISIBILITIES.join(', ')}`,
});

/**
 * Whether students see a collection: `always` (the default), `afterDue` (after their effective due
 * time, or always when the content has none) or `never` (staff only, not in the students' score).
 */
const ZVisibilitySetting = z.enum(COLLECTION_VISIBILITIES, { error: () => `must be one of ${COLLECTION_VISIBILITIES.join(', ')}` });

export const ZExecutionSettings = z.object({
  timeout: z.number().nonnegative().optional(),
  compileTimeout: z.number().nonnegative().optional(),
  memoryLimitMB: z.number().int().nonnegative().optional(),
  cpuLimit: z.number().nonnegative().optional(),
  maxProcesses: z.number().int().min(1).optional(),
  env: z.array(z.string()).nullish(),
  compiler: z.string().nullish(),
  flags: z.array(z.string()).nullish(),
  /** Example-wide default of expected-value visibility for students. */
  expected: ZExpectedSetting.nullish(),
  /** Per collection, by its name or id in test.yaml (like successDependency); overrides `expected`. */
  expectedByCollection: z.record(z.string(), ZExpectedSetting).nullish(),
  /** Example-wide default of whether students see a collection (and its checks in their score). */
  visibility: ZVisibilitySetting.nullish(),
  /** Per collection, by its name or id in test.yaml, like expectedByCollection; overrides `visibility`. */
  visibilityByCollection: z.record(z.string(), ZVisibilitySetting).nullish(),
});
export type TExecutionSettings = z.infer<typeof ZExecutionSettings>;

export const ZExecutionBackend = z.object({
  slug: z.string().min(1),
  version: ZText.nullish(),
  settings: ZExecutionSettings.nullish(),
});

export const ZMetaProperties = z.object({
  studentSubmissionFiles: ZPathList,
  additionalFiles: ZPathList,
  testFiles: ZPathList,
  studentTemplates: ZPathList,
  testDependencies: z.preprocess((value) => (value === null ? [] : value), z.array(z.unknown()).default([])),
  executionBackend: ZExecutionBackend.nullish(),
  /** Older spelling of the backend's slug in the original's Octave examples (e.g. `octave-itp`); the language comes from test.yaml there. */
  executionBackendSlug: z.string().nullish(),
});

export const ZMeta = z.object({
  identifier: z.string().min(1).optional(),
  slug: z.string().optional(),
  version: ZText.optional(),
  title: ZText.optional(),
  description: ZText.nullish(),
  license: z.string().nullish(),
  language: z.string().nullish(),
  kind: z.string().nullish(),
  type: z.string().nullish(),
  keywords: z.array(ZText).nullish(),
  links: z.array(z.unknown()).nullish(),
  authors: z.array(ZPerson).nullish(),
  maintainers: z.array(ZPerson).nullish(),
  courseMaterials: z.array(ZMaterial).nullish(),
  supportingMaterials: z.array(ZMaterial).nullish(),
  content: z
    .object({
      types: z.array(ZText).nullish(),
      disciplines: z.array(ZText).nullish(),
      topics: z.array(ZText).nullish(),
      tools: z.array(ZText).nullish(),
      tags: z.array(ZText).nullish(),
    })
    .nullish(),
  properties: z.preprocess((value) => value ?? {}, ZMetaProperties),
});
export type TMeta = z.infer<typeof ZMeta>;

const ZOccurrenceRange = z.preprocess(
  emptyToUndefined,
  z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]).optional(),
);

/** Properties that suite, collection and check share and that inherit downwards. */
const commonShape = {
  failureMessage: z.preprocess(emptyToUndefined, z.string().optional()),
  successMessage: z.preprocess(emptyToUndefined, z.string().optional()),
  qualification: z.preprocess(emptyToUndefined, z.string().optional()),
  relativeTolerance: z.preprocess(emptyToUndefined, z.number().nonnegative().optional()),
  absoluteTolerance: z.preprocess(emptyToUndefined, z.number().nonnegative().optional()),
  allowedOccuranceRange: ZOccurrenceRange,
  occuranceType: z.preprocess(emptyToUndefined, z.string().optional()),
  typeCheck: z.boolean().nullish(),
  shapeCheck: z.boolean().nullish(),
  equalNaN: z.boolean().nullish(),
  ignoreClass: z.boolean().nullish(),
  verbosity: z.number().int().min(0).max(3).nullish(),
};

/** The original accepted the correct spelling too; both map to the misspelt canonical key. */
function canonicalKeys(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const record = { ...(value as Record<string, unknown>) };
  for (const [alias, canonical] of [
    ['allowedOccurrenceRange', 'allowedOccuranceRange'],
    ['occurrenceType', 'occuranceType'],
  ] as const) {
    if (alias in record && !(canonical in record)) record[canonical] = record[alias];
    delete record[alias];
  }
  return record;
}

const ZCheckObject = z.object({
  ...commonShape,
  name: ZText,
  description: ZText.nullish(),
  value: z.unknown().optional(),
  evalString: z.preprocess(emptyToUndefined, z.string().optional()),
  pattern: z.preprocess(emptyToUndefined, ZText.optional()),
  countRequirement: z.number().int().nonnegative().nullish(),
  stdin: ZStringList.nullish(),
  expectedStdout: ZStringList.nullish(),
  expectedStderr: ZStringList.nullish(),
  expectedExitCode: z.number().int().nullish(),
  lineNumber: z.union([z.number().int(), z.array(z.number().int())]).nullish(),
  ignoreWhitespace: z.boolean().nullish(),
  ignoreCase: z.boolean().nullish(),
  trimOutput: z.boolean().nullish(),
  normalizeNewlines: z.boolean().nullish(),
  numericTolerance: z.number().nonnegative().nullish(),
  allowEmpty: z.boolean().nullish(),
});
export const ZCheck = z.preprocess(canonicalKeys, ZCheckObject);
export type TCheck = z.infer<typeof ZCheckObject>;

const ZCollectionObject = z.object({
  ...commonShape,
  type: z.preprocess(emptyToUndefined, z.string().default('variable')),
  name: ZText,
  description: ZText.nullish(),
  id: z.preprocess(emptyToUndefined, ZText.optional()),
  successDependency: z.preprocess(emptyToUndefined, ZStringList.optional()),
  setUpCodeDependency: z.preprocess(emptyToUndefined, ZText.optional()),
  entryPoint: ZOptionalPath,
  file: ZOptionalPath,
  inputAnswers: z.preprocess(emptyToUndefined, ZStringList.optional()),
  setUpCode: z.preprocess(emptyToUndefined, ZStringList.optional()),
  tearDownCode: z.preprocess(emptyToUndefined, ZStringList.optional()),
  timeout: z.number().nonnegative().nullish(),
  storeGraphicsArtifacts: z.boolean().nullish(),
  storeGraphicsArtefacts: z.boolean().nullish(),
  competency: z.string().nullish(),
  compiler: z.string().nullish(),
  compilerFlags: z.array(z.string()).nullish(),
  linkerFlags: z.array(z.string()).nullish(),
  sourceFiles: z.array(ZRelativePath).nullish(),
  executableName: z.string().nullish(),
  workingDirectory: z.string().nullish(),
  environment: z.record(z.string(), z.unknown()).nullish(),
  memoryLimit: z.number().int().nonnegative().nullish(),
  args: z.array(ZText).nullish(),
  tests: z.array(ZCheck).default([]),
});
export const ZCollection = z.preprocess(canonicalKeys, ZCollectionObject);
export type TCollection = z.infer<typeof ZCollectionObject>;

const ZSuitePropertiesObject = z.object({
  ...commonShape,
  timeout: z.number().nonnegative().nullish(),
  storeGraphicsArtifacts: z.boolean().nullish(),
  storeGraphicsArtefacts: z.boolean().nullish(),
  competency: z.string().nullish(),
  resultMessage: z.string().nullish(),
  tests: z.array(ZCollection).default([]),
});
export const ZSuiteProperties = z.preprocess(canonicalKeys, ZSuitePropertiesObject);

export const ZTestSuite = z.object({
  type: ZText.optional(),
  name: ZText.optional(),
  description: ZText.nullish(),
  version: ZText.optional(),
  properties: z.preprocess((value) => value ?? {}, ZSuiteProperties),
});
export type TTestSuite = z.infer<typeof ZTestSuite>;
