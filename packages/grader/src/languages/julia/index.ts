import { countRawOccurrences, checkOccurrences, countPatternOccurrences } from '../../compare/structural';
import type { TResolvedCollection } from '../../example/resolve';
import { readFileInside } from '../../files';
import { allChecks, checkResult, existChecks, invalidCheck, skipAll, type TCollectionOutcome } from '../../grade/common';
import { fileSet, type TGradeContext } from '../../grade/context';
import { PatternError } from '../../compare/regex';
import type { TLanguagePlugin } from '../plugin';
import { probeBinary, runtimeStatus } from '../probe';

/** The reason every runtime-dependent Julia check carries on a worker without `julia`. */
export const JULIA_MISSING = 'Julia runtime not installed on this grader: the check was not run (not counted in the score)';

/**
 * Julia is recognised, and its checks that need no runtime (exist, structural) are graded; the
 * others need a `julia` binary with JSON.jl, which no registry these machines reach ships (see the
 * README). Without one they are skipped with JULIA_MISSING, an infrastructure gap and never a
 * student failure; with one on PATH they are skipped as not implemented yet.
 */
async function gradeJuliaCollection(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  if (collection.type === 'exist') return existChecks(ctx, collection);
  if (collection.type === 'structural') return structuralChecks(ctx, collection);
  const status = await runtimeStatus(julia, ctx.config);
  if (!status.available) return { checks: allChecks(collection, 'skipped', JULIA_MISSING, { scored: false }) };
  return skipAll(collection, `collection type "${collection.type}" is not implemented for Julia in this grader`);
}

/** As the original's R/Julia tester (decision R7): raw substring count, comments included; a missing range is [0, 0] = at least 0. */
async function structuralChecks(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const files = await fileSet(ctx, 'student');
  const file = collection.collection.file ?? collection.collection.entryPoint ?? [...files.present].filter((rel) => julia.fileNames.test(rel)).sort()[0];
  const source = file && files.present.has(file) ? await readFileInside(ctx.submissionDir, file, 16 * 1024 * 1024) : undefined;
  if (!file || !source) return { checks: allChecks(collection, 'failed', `Julia file ${file ? `"${file}" ` : ''}not found for structural test`) };
  const text = source.toString('utf8');
  const checks = collection.checks.map((check) => {
    try {
      const count = check.check.pattern !== undefined ? countPatternOccurrences(text, check.check.pattern) : countRawOccurrences(text, check.name);
      const range = check.allowedOccuranceRange ?? (check.check.countRequirement === undefined || check.check.countRequirement === null ? [0, 0] : undefined);
      const outcome = checkOccurrences(check.name, count, range, check.check.countRequirement);
      return checkResult(check, outcome.ok ? 'passed' : 'failed', outcome.message, { publicMessage: outcome.publicMessage, expected: outcome.expected, actual: String(count) });
    } catch (error) {
      if (error instanceof PatternError) return invalidCheck(check, error);
      throw error;
    }
  });
  return { checks };
}

export const julia: TLanguagePlugin = {
  id: 'julia',
  aliases: ['julia', 'jl'],
  fileNames: /\.jl$/,
  collectionTypes: ['variable', 'graphics', 'exist', 'stdout', 'structural', 'error', 'warning'],
  compiled: false,
  gradesWithoutRuntime: true,
  probeRuntime: () => probeBinary('julia', ['--version']),
  gradeCollection: gradeJuliaCollection,
};
