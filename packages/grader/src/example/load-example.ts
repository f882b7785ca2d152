import fs from 'node:fs';
import path from 'node:path';
import { hashDirectory } from '../files';
import { resolveSuite, type TResolvedCollection } from './resolve';
import type { TMeta, TTestSuite } from './schemas';

export { detectLanguage };
import { validateExampleFiles, type TExampleIssue } from './validate';

import { detectLanguage } from '../languages/detect';
import { languageById } from '../languages/registry';

/** Id of a registered language plug-in (languages/registry.ts). */
export type TLanguage = string;

export interface TExample {
  dir: string;
  meta: TMeta;
  suite: TTestSuite;
  collections: TResolvedCollection[];
  /** Problems that do not stop grading (unknown keys, unknown types, ...). */
  warnings: TExampleIssue[];
  /** The language backend, or undefined when this grader has none for it (checks are skipped). */
  language: TLanguage | undefined;
  /** Name of the language as the example declares it (for messages). */
  languageName: string;
  /** Content hash of the example directory (without localTests/): keys the reference cache. */
  contentHash: string;
}

export class ExampleValidationError extends Error {
  override readonly name = 'ExampleValidationError';
  constructor(
    readonly dir: string,
    readonly issues: TExampleIssue[],
  ) {
    super(`invalid example ${dir}: ${issues.map((i) => `${i.file} ${i.path}: ${i.message}`).join('; ')}`);
  }
}

/** Reads, validates and resolves an example directory; throws ExampleValidationError listing every problem. */
export async function loadExample(dir: string): Promise<TExample> {
  const read = async (name: string): Promise<string | undefined> => {
    try {
      return await fs.promises.readFile(path.join(dir, name), 'utf8');
    } catch {
      return undefined;
    }
  };
  const [metaText, testText] = await Promise.all([read('meta.yaml'), read('test.yaml')]);
  const validation = validateExampleFiles({
    ...(metaText !== undefined ? { 'meta.yaml': metaText } : {}),
    ...(testText !== undefined ? { 'test.yaml': testText } : {}),
  });
  if (!validation.ok || !validation.meta || !validation.suite) throw new ExampleValidationError(dir, validation.errors);
  const { meta, suite } = validation;
  const { language, name } = detectLanguage(meta, suite);
  const contentHash = await hashDirectory(dir, (rel) => rel === 'localTests' || rel === '.git');
  return {
    dir,
    meta,
    suite,
    collections: resolveSuite(suite, languageById(language)?.dependencyIndexBase ?? 0),
    warnings: validation.warnings,
    language,
    languageName: name,
    contentHash,
  };
}
