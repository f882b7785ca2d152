import type { TResolvedCheck } from '../../example/resolve';
import { PatternError } from '../../compare/regex';
import { rStructural } from './structural';

const SOURCE = ['# for each value: sum them', 'total <- 0', 'for (v in values) total <- total + v', 'cat(format(total), "\\n")', ''].join('\n');

function check(name: string, extra: Partial<TResolvedCheck> & { pattern?: string; countRequirement?: number } = {}): Pick<TResolvedCheck, 'name' | 'allowedOccuranceRange' | 'check'> {
  const { pattern, countRequirement, allowedOccuranceRange } = extra;
  return { name, allowedOccuranceRange, check: { name, ...(pattern !== undefined ? { pattern } : {}), ...(countRequirement !== undefined ? { countRequirement } : {}) } as TResolvedCheck['check'] };
}

describe('rStructural (decision R7)', () => {
  test('counts raw substrings: comments, strings and parts of other words included', () => {
    // "for" in the comment, the loop and "format".
    expect(rStructural(SOURCE, check('for', { allowedOccuranceRange: [1, 0] })).count).toBe(3);
    expect(rStructural(SOURCE, check('total <-', { allowedOccuranceRange: [1, 0] })).count).toBe(2);
  });

  test('without a range or countRequirement the inherited [0, 0] means at least 0: always passes', () => {
    expect(rStructural(SOURCE, check('while'))).toMatchObject({ ok: true, count: 0 });
    expect(rStructural(SOURCE, check('for'))).toMatchObject({ ok: true, count: 3 });
  });

  test('ranges: max 0 is unbounded; a positive max is an upper bound', () => {
    expect(rStructural(SOURCE, check('while', { allowedOccuranceRange: [1, 0] })).ok).toBe(false);
    expect(rStructural(SOURCE, check('for', { allowedOccuranceRange: [0, 2] })).ok).toBe(false);
    expect(rStructural(SOURCE, check('for', { allowedOccuranceRange: [3, 3] })).ok).toBe(true);
  });

  test('countRequirement is exact when no range is set', () => {
    expect(rStructural(SOURCE, check('cat(', { countRequirement: 1 })).ok).toBe(true);
    expect(rStructural(SOURCE, check('cat(', { countRequirement: 2 })).ok).toBe(false);
  });

  test('a pattern counts regex matches instead of the name', () => {
    expect(rStructural(SOURCE, check('loops', { pattern: '\\bfor\\s*\\(', countRequirement: 1 }))).toMatchObject({ ok: true, count: 1 });
    expect(() => rStructural(SOURCE, check('bad', { pattern: '(' }))).toThrow(PatternError);
  });
});
