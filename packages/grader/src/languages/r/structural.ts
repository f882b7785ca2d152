import { checkOccurrences, countPatternOccurrences, countRawOccurrences, type TRangeOutcome } from '../../compare/structural';
import type { TResolvedCheck } from '../../example/resolve';

/**
 * A structural check as the original R tester counted it (decision R7): `pattern` counts regex
 * matches, else the check's name counts as a raw substring, comments and strings included (`for`
 * also counts in `format` and in `# for each`). Without `allowedOccuranceRange` and
 * `countRequirement` the range is the inherited default [0, 0], which means "at least 0": such a
 * check always passes, as it did there. Throws PatternError for an invalid pattern.
 */
export function rStructural(source: string, check: Pick<TResolvedCheck, 'name' | 'allowedOccuranceRange' | 'check'>): TRangeOutcome & { count: number } {
  const count = check.check.pattern !== undefined ? countPatternOccurrences(source, check.check.pattern) : countRawOccurrences(source, check.name);
  const noRequirement = check.check.countRequirement === undefined || check.check.countRequirement === null;
  const range = check.allowedOccuranceRange ?? (noRequirement ? ([0, 0] as [number, number]) : undefined);
  return { ...checkOccurrences(check.name, count, range, check.check.countRequirement), count };
}
