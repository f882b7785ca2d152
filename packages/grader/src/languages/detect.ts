import type { TExampleIssue } from '../example/validate';
import type { TMeta, TTestSuite } from '../example/schemas';
import { LANGUAGES, languageByFile, languageById, languageByName } from './registry';

/**
 * The language an example is written in: meta.yaml's `executionBackend.slug` (its last part, e.g.
 * `itpcp.exec.oct`), else test.yaml's `type`, else the extension of the entry point or first
 * submission file. `language` is undefined when no plug-in knows the declared name.
 */
export function detectLanguage(meta: TMeta, suite: TTestSuite): { language: string | undefined; name: string } {
  const slug = meta.properties.executionBackend?.slug;
  const declared = slug ? (slug.split('.').pop() ?? slug) : suite.type && suite.type.toLowerCase() !== 'generic' ? suite.type : undefined;
  if (declared) {
    const plugin = languageByName(declared);
    return { language: plugin?.id, name: plugin?.id ?? declared.toLowerCase() };
  }
  const entry = suite.properties.tests.find((c) => c.entryPoint)?.entryPoint ?? meta.properties.studentSubmissionFiles[0] ?? '';
  const byFile = languageByFile(entry);
  return { language: byFile?.id, name: byFile?.id ?? suite.type ?? 'unknown' };
}

/**
 * What upload refuses about an example's language: a declared language no plug-in knows (the
 * field that declares it is named), or a collection type its language lacks.
 */
export function languageIssues(meta: TMeta, suite: TTestSuite): TExampleIssue[] {
  const { language, name } = detectLanguage(meta, suite);
  const plugin = languageById(language);
  const known = LANGUAGES.map((l) => l.id).join(', ');
  if (!plugin) {
    if (meta.properties.executionBackend?.slug) {
      return [{ file: 'meta.yaml', path: 'properties.executionBackend.slug', message: `language "${name}" (from "${meta.properties.executionBackend.slug}") is not one this grader knows (${known})` }];
    }
    if (suite.type && suite.type.toLowerCase() !== 'generic') return [{ file: 'test.yaml', path: 'type', message: `language "${suite.type}" is not one this grader knows (${known})` }];
    return [{ file: 'meta.yaml', path: 'properties.executionBackend.slug', message: `no language declared and none recognisable from the file names: set executionBackend.slug (e.g. itpcp.exec.py) or test.yaml type (${known})` }];
  }
  const issues: TExampleIssue[] = [];
  suite.properties.tests.forEach((collection, i) => {
    const type = collection.type ?? 'variable';
    if (!plugin.collectionTypes.includes(type)) {
      issues.push({ file: 'test.yaml', path: `properties.tests[${i}].type`, message: `collection type "${type}" is not one ${plugin.id} examples can use (${plugin.collectionTypes.join(', ')})` });
    }
  });
  return issues;
}
