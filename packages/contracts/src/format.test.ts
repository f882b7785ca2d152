import { formatDuration, formatPercent, formatProgress, formatScore } from './format';

describe('formatScore', () => {
  it('shows a percentage with one decimal, with the counts when known', () => {
    expect(formatScore(0.9428571428571428)).toBe('94.3 %');
    expect(formatScore(33 / 35, { passed: 33, total: 35 })).toBe('33/35 (94.3 %)');
    expect(formatScore(0.5)).toBe('50.0 %');
  });

  it('reads 100 % and 0 % only for exact results', () => {
    expect(formatPercent(1)).toBe('100 %');
    expect(formatPercent(0)).toBe('0 %');
    expect(formatPercent(0.99999)).toBe('99.9 %');
    expect(formatPercent(0.00001)).toBe('0.1 %');
    expect(formatPercent(Number.NaN)).toBe('– %');
  });
});

describe('formatDuration', () => {
  it('uses ms below a second, s below a minute, min above', () => {
    expect(formatDuration(850.4)).toBe('850 ms');
    expect(formatDuration(1234)).toBe('1.23 s');
    expect(formatDuration(59_999)).toBe('1 min 00 s');
    expect(formatDuration(125_000)).toBe('2 min 05 s');
    expect(formatDuration(-1)).toBe('–');
  });
});

describe('formatProgress', () => {
  it('counts done of total, with a percentage (rounded down) from ten items on', () => {
    expect(formatProgress(12, 200, 'graded')).toBe('12/200 graded (6 %)');
    expect(formatProgress(199, 200, 'graded')).toBe('199/200 graded (99 %)');
    expect(formatProgress(200, 200, 'graded')).toBe('200/200 graded (100 %)');
    expect(formatProgress(1, 3, 'repositories')).toBe('1/3 repositories');
  });
});
