import type { TGradingReport } from '@computor/contracts';
import { formatGradeReport } from './grade';

const check = (name: string, status: string, message: string, extra: Record<string, unknown> = {}) => ({ name, status, message, durationMs: 1, ...extra });

// Only the fields the table reads.
const report = {
  status: 'completed',
  score: 2 / 3,
  passed: false,
  durationMs: 1234,
  summary: { total: 4, passed: 2, failed: 1, skipped: 1 },
  collectionSummary: { total: 2, passed: 1, failed: 1, skipped: 0 },
  collections: [
    { name: 'variables', checks: [check('x', 'passed', 'ok'), check('y', 'failed', `Variable \`y\` is wrong:\n${'expected 1 '.repeat(20)}`)] },
    { name: 'io', checks: [check('stdout', 'passed', 'ok'), check('julia', 'skipped', 'no runtime', { scored: false })] },
  ],
} as unknown as TGradingReport;

describe('formatGradeReport', () => {
  it('prints one line per check, messages truncated, then the formatted score and counts', () => {
    const lines = formatGradeReport(report).split('\n');
    expect(lines[0]).toMatch(/^collection\s+check\s+status\s+message$/);
    expect(lines[1]).toMatch(/^variables\s+x\s+passed$/);
    expect(lines[2]).toMatch(/^variables\s+y\s+failed\s+Variable `y` is wrong: expected 1 .*…$/);
    expect(lines[2]!.length).toBeLessThanOrEqual(80);
    expect(lines[4]).toMatch(/^io\s+julia\s+skipped\s+no runtime$/);
    expect(lines).toHaveLength(7);
    // The score counts only scored checks: 2 of 3.
    expect(lines[6]).toBe('score 2/3 (66.7 %) · 1 failed · 1 skipped · collections 1/2 passed · 1.23 s');
  });

  it('prints the table exactly: aligned columns, two spaces apart, no trailing blanks', () => {
    const small = {
      ...report,
      collections: [{ name: 'io', checks: [check('stdout', 'passed', 'ok'), check('exit code', 'failed', 'expected 0,\n got 1')] }],
    } as unknown as TGradingReport;
    expect(formatGradeReport(small).split('\n').slice(0, 3)).toEqual([
      'collection  check      status  message',
      'io          stdout     passed',
      'io          exit code  failed  expected 0, got 1',
    ]);
  });

  it('cuts messages to the line width (80 by default), never below 24 characters', () => {
    const widest = (width?: number) => Math.max(...formatGradeReport(report, width ? { width } : {}).split('\n').slice(0, 5).map((l) => l.length));
    expect(widest()).toBe(80);
    expect(widest(120)).toBe(120);
    // 'collection' (10) + 'stdout' (6) + 'skipped' (7) + gaps (6) = 29 columns before the message.
    expect(widest(30)).toBe(29 + 24);
    expect(formatGradeReport(report, { width: 60 }).split('\n')[2]).toBe('variables   y       failed   Variable `y` is wrong: expecte…');
  });

  it('names a status other than completed and spells statuses in words', () => {
    const broken = {
      ...report,
      status: 'infra_error',
      collections: [{ name: 'c', checks: [check('k', 'infra_error', 'the grader failed', { detail: 'TypeError: x' })] }],
    } as unknown as TGradingReport;
    const text = formatGradeReport(broken);
    expect(text).toMatch(/^c\s+k\s+infra error\s+the grader failed \(TypeError: x\)$/m);
    expect(text).toMatch(/ · infra error · 1\.23 s$/);
  });
});
