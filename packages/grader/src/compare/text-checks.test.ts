import { evaluateTextCheck, extractNumbers, type TTextCheck } from './text-checks';

const run = (check: Partial<TTextCheck> & { qualification: string; actual: string }): string => evaluateTextCheck(check).status;

describe('stdout qualifications', () => {
  const output = 'Enter first number: Enter second number: Sum: 8\r\nDifference: 2\n\n';

  test('matches and verifyEqual compare trimmed output with normalised newlines', () => {
    expect(run({ qualification: 'matches', actual: 'Hello, World!\n', expected: 'Hello, World!' })).toBe('passed');
    expect(run({ qualification: 'matches', actual: 'Hello World\n', expected: 'Hello, World!' })).toBe('failed');
    expect(run({ qualification: 'verifyEqual', actual: 'a\r\nb\n', expected: 'a\nb' })).toBe('passed');
    expect(run({ qualification: 'verifyEqual', actual: ' a\n', expected: 'a', trimOutput: false })).toBe('failed');
    expect(run({ qualification: 'matches', actual: 'HELLO', expected: 'hello', ignoreCase: true })).toBe('passed');
  });

  test('contains searches the raw output; startsWith/endsWith the trimmed one', () => {
    expect(run({ qualification: 'contains', actual: output, pattern: 'Sum: 8' })).toBe('passed');
    expect(run({ qualification: 'contains', actual: output, pattern: 'Sum: 9' })).toBe('failed');
    expect(run({ qualification: 'endsWith', actual: 'Hello, World!\n', pattern: '!' })).toBe('passed');
    expect(run({ qualification: 'endsWith', actual: 'Hello World\n', pattern: '!' })).toBe('failed');
    expect(run({ qualification: 'startsWith', actual: '\n  Enter first', pattern: 'Enter' })).toBe('passed');
  });

  test('regexp searches with Python syntax, regexpMultiline spans lines', () => {
    expect(run({ qualification: 'regexp', actual: output, pattern: 'Sum: (?P<n>\\d+)' })).toBe('passed');
    expect(run({ qualification: 'regexp', actual: output, pattern: '^Difference' })).toBe('failed');
    expect(run({ qualification: 'regexpMultiline', actual: output, pattern: '^Difference: \\d+$' })).toBe('passed');
    expect(run({ qualification: 'regexp', actual: 'ABC', pattern: '(?i)abc' })).toBe('passed');
    expect(evaluateTextCheck({ qualification: 'regexp', actual: 'x', pattern: '(' })).toMatchObject({ status: 'error' });
  });

  test('numericOutput compares the number captured by the pattern with the value', () => {
    expect(run({ qualification: 'numericOutput', actual: output, pattern: 'Sum: (\\d+)', expectedNumbers: [8] })).toBe('passed');
    expect(run({ qualification: 'numericOutput', actual: output, pattern: 'Sum: (\\d+)', expectedNumbers: [12] })).toBe('failed');
    expect(run({ qualification: 'numericOutput', actual: 'pi = 3.14159', expectedNumbers: [3.1416], numericTolerance: 1e-3 })).toBe('passed');
    expect(run({ qualification: 'numericOutput', actual: 'nothing', expectedNumbers: [1] })).toBe('failed');
    expect(extractNumbers('a -1.5 b 2e3 c 7')).toEqual([-1.5, 2000, 7]);
  });

  test('line, count and exit code qualifications', () => {
    expect(run({ qualification: 'matchesLine', actual: 'a\n  b  \nc\n', expected: 'b', lineNumber: 2 })).toBe('passed');
    expect(run({ qualification: 'matchesLine', actual: 'a\nb\n', expected: 'b', lineNumber: 1 })).toBe('failed');
    expect(run({ qualification: 'containsLine', actual: 'a\nb\n', expected: 'b' })).toBe('passed');
    expect(run({ qualification: 'lineCount', actual: 'a\nb\n', expected: '2' })).toBe('passed');
    expect(run({ qualification: 'count', actual: 'abcabcab', pattern: 'ab', countRequirement: 3 })).toBe('passed');
    expect(run({ qualification: 'count', actual: 'abcabcab', pattern: 'ab', countRequirement: 2 })).toBe('failed');
    expect(run({ qualification: 'exitCode', actual: '', expected: '3', exitCode: 3 })).toBe('passed');
    expect(run({ qualification: 'exitCode', actual: '', exitCode: 1 })).toBe('failed');
  });

  test('unknown qualifications are skipped, never passed', () => {
    expect(evaluateTextCheck({ qualification: 'fuzzy', actual: 'x', pattern: 'x' })).toMatchObject({ status: 'skipped' });
  });

  test('a catastrophic pattern is stopped instead of hanging the grader', () => {
    const started = Date.now();
    const outcome = evaluateTextCheck({ qualification: 'regexp', actual: `${'a'.repeat(40)}!`, pattern: '^(a+)+$' });
    expect(outcome.status).toBe('error');
    expect(outcome.message).toContain('longer than');
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('public messages never name the expected text, pattern or number', () => {
  const cases: Array<Partial<TTextCheck> & { qualification: string; actual: string }> = [
    { qualification: 'matches', actual: 'mine', expected: 'SECRET' },
    { qualification: 'verifyEqual', actual: 'mine', expected: 'SECRET' },
    { qualification: 'contains', actual: 'mine', pattern: 'SECRET' },
    { qualification: 'startsWith', actual: 'mine', pattern: 'SECRET' },
    { qualification: 'endsWith', actual: 'mine', pattern: 'SECRET' },
    { qualification: 'regexp', actual: 'mine', pattern: 'SECRET' },
    { qualification: 'regexpMultiline', actual: 'mine', pattern: 'SECRET' },
    { qualification: 'count', actual: 'mine', pattern: 'SECRET', countRequirement: 424242 },
    { qualification: 'matchesLine', actual: 'mine', expected: 'SECRET', lineNumber: 1 },
    { qualification: 'matchesLine', actual: 'mine', expected: 'SECRET', lineNumber: 424242 },
    { qualification: 'containsLine', actual: 'mine', expected: 'SECRET' },
    { qualification: 'lineCount', actual: 'mine', expected: '424242' },
    { qualification: 'numericOutput', actual: '1', expectedNumbers: [424242] },
    { qualification: 'numericOutput', actual: '', expectedNumbers: [424242] },
    { qualification: 'exitCode', actual: '', expected: '424242', exitCode: 1 },
    { qualification: 'regexp', actual: 'mine', pattern: '(SECRET' },
  ];
  test.each(cases)('$qualification', (check) => {
    const outcome = evaluateTextCheck(check);
    expect(outcome.status).not.toBe('passed');
    // lineNumber is the check's own parameter, not an expected value: mask it before looking.
    expect((outcome.publicMessage ?? outcome.message).replace(/line 424242/, 'line N')).not.toMatch(/424242|SECRET/);
  });
});
