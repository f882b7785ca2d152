import { PLAIN_INFRA_MESSAGE, storedTallies, studentSees, studentTotals, tallyByVisibility, toStudentReport, toTestSummary, ZGradingReport, type TCollectionResult, type TGradingReport } from './grading';

const summary = { total: 2, passed: 0, failed: 2, skipped: 0 };

function collection(expectedVisibility: TCollectionResult['expectedVisibility']): TCollectionResult {
  return {
    name: 'Variables',
    type: 'variable',
    status: 'failed',
    message: '0 of 2 checks passed',
    publicMessage: '0 of 2 checks passed',
    ...(expectedVisibility ? { expectedVisibility } : {}),
    checks: [
      {
        name: 'x',
        status: 'failed',
        message: 'Variable `x` has incorrect value: `x` is 1, expected 424242',
        publicMessage: 'Variable `x` has incorrect value: `x` is 1, not the expected value',
        expected: '424242',
        actual: '1',
        durationMs: 1,
      },
      { name: 'y', status: 'infra_error', message: 'sandbox failure: /srv/worker/42', publicMessage: PLAIN_INFRA_MESSAGE, detail: 'Error: ENOENT /srv/worker/42', durationMs: 0 },
    ],
    summary,
    durationMs: 5,
  };
}

function report(...collections: TCollectionResult[]): TGradingReport {
  return ZGradingReport.parse({
    schemaVersion: 1,
    status: 'completed',
    collections,
    summary,
    collectionSummary: { total: collections.length, passed: 0, failed: collections.length, skipped: 0 },
    score: 0,
    passed: false,
    durationMs: 5,
    environment: { grader: 'g', language: 'python', executionBackend: null, sandbox: 'bubblewrap', limits: {}, node: 'v20', platform: 'linux-x64' },
  });
}

describe('toStudentReport', () => {
  test('never (and reports without the setting): no expected value, no internal detail, in the report or its testSummary view', () => {
    for (const visibility of ['never', undefined] as const) {
      const view = toStudentReport(report(collection(visibility)));
      for (const text of [JSON.stringify(view), JSON.stringify(toTestSummary(view))]) {
        expect(text).not.toContain('424242');
        expect(text).not.toContain('/srv/worker');
        expect(text).not.toContain('ENOENT');
      }
      expect(view.collections[0]?.checks[0]).toEqual({ name: 'x', status: 'failed', message: 'Variable `x` has incorrect value: `x` is 1, not the expected value', actual: '1', durationMs: 1 });
      expect(view.collections[0]?.checks[1]?.message).toBe(PLAIN_INFRA_MESSAGE);
      expect(ZGradingReport.safeParse(view).success).toBe(true);
    }
  });

  test('always: the expected value in its field and the message; grader failures stay plain', () => {
    const view = toStudentReport(report(collection('always')));
    expect(view.collections[0]?.checks[0]).toMatchObject({ expected: '424242', message: 'Variable `x` has incorrect value: `x` is 1, expected 424242' });
    expect(view.collections[0]?.checks[1]).toEqual({ name: 'y', status: 'infra_error', message: PLAIN_INFRA_MESSAGE, durationMs: 0 });
    expect(toTestSummary(view).tests[0]?.tests[0]?.details).toBe('expected: 424242; actual: 1');
  });

  test('a report written before public messages existed shows students a plain message by status', () => {
    const old = collection(undefined);
    const checks = old.checks.map(({ publicMessage: _public, ...check }) => check);
    const { publicMessage: _collectionPublic, ...rest } = old;
    const view = toStudentReport(report({ ...rest, checks }));
    expect(view.collections[0]?.checks.map((c) => c.message)).toEqual(['failed', PLAIN_INFRA_MESSAGE]);
    expect(view.collections[0]?.message).toBe('failed');
    expect(JSON.stringify(view)).not.toContain('424242');
  });

  test('the staff view (the stored report) keeps everything', () => {
    const stored = report(collection('never'));
    expect(JSON.stringify(stored)).toContain('424242');
    expect(toTestSummary(stored).tests[0]?.tests[0]?.details).toBe('expected: 424242; actual: 1');
  });
});

describe('toStudentReport: collection visibility', () => {
  const passing = (name: string, visibility: TCollectionResult['visibility'], checks: number, passed: number): TCollectionResult => ({
    name,
    type: 'variable',
    status: passed === checks ? 'passed' : 'failed',
    message: `${passed} of ${checks} checks passed`,
    publicMessage: `${passed} of ${checks} checks passed`,
    expectedVisibility: 'never',
    ...(visibility ? { visibility } : {}),
    checks: Array.from({ length: checks }, (_, i) => ({ name: `${name}-${i}`, status: i < passed ? ('passed' as const) : ('failed' as const), message: 'm', durationMs: 0 })),
    summary: { total: checks, passed, failed: checks - passed, skipped: 0 },
    durationMs: 1,
  });
  // Stored: 2/2 always, 1/3 afterDue, 0/4 never: 3 of 9 passed overall.
  const stored = () =>
    ZGradingReport.parse({
      ...report(),
      collections: [passing('Checks', 'always', 2, 2), passing('Later', 'afterDue', 3, 1), passing('Staff', 'never', 4, 0)],
      summary: { total: 9, passed: 3, failed: 6, skipped: 0 },
      collectionSummary: { total: 3, passed: 1, failed: 2, skipped: 0 },
      score: 3 / 9,
    });

  test('before the due time: only `always` collections, score over them, the rest counted in `hidden`', () => {
    const view = toStudentReport(stored(), { afterDue: false });
    expect(view.collections.map((c) => [c.name, c.visibility])).toEqual([['Checks', 'always']]);
    expect(view).toMatchObject({ summary: { total: 2, passed: 2, failed: 0, skipped: 0 }, collectionSummary: { total: 1, passed: 1, failed: 0, skipped: 0 }, score: 1, passed: true });
    expect(view.hidden).toEqual({ afterDue: 3, never: 4, message: expect.stringContaining('3 checks will be graded and shown after the due time') });
    expect(view.hidden?.message).toContain('4 checks are for the course staff only and not part of this score');
    expect(JSON.stringify(view)).not.toContain('Staff');
    expect(JSON.stringify(toTestSummary(view))).not.toContain('Later');
    expect(toTestSummary(view).resultMessage).toBe('All tests passed');
    expect(ZGradingReport.safeParse(view).success).toBe(true);
  });

  test('the default is before the due time', () => {
    expect(toStudentReport(stored()).collections.map((c) => c.name)).toEqual(['Checks']);
  });

  test('after the due time: `always` and `afterDue`; `never` is never shown nor scored', () => {
    const view = toStudentReport(stored(), { afterDue: true });
    expect(view.collections.map((c) => c.name)).toEqual(['Checks', 'Later']);
    expect(view).toMatchObject({ summary: { total: 5, passed: 3, failed: 2, skipped: 0 }, collectionSummary: { total: 2, passed: 1, failed: 1, skipped: 0 }, score: 3 / 5, passed: false });
    expect(view.hidden).toEqual({ afterDue: 0, never: 4, message: '4 checks are for the course staff only and not part of this score.' });
  });

  test('reports without the setting read as `always`: nothing hidden, the stored score', () => {
    const old = stored();
    old.collections = old.collections.map(({ visibility: _v, ...c }) => c);
    const view = toStudentReport(old, { afterDue: false });
    expect(view.collections).toHaveLength(3);
    expect(view).toMatchObject({ summary: old.summary, score: old.score, passed: false, hidden: { afterDue: 0, never: 0 } });
    expect(view.hidden?.message).toBeUndefined();
  });

  test('checks left out of the score (scored: false) stay out of the student score', () => {
    const r = stored();
    r.collections[0]!.checks[1] = { name: 'julia', status: 'skipped', message: 'no runtime', scored: false, durationMs: 0 };
    expect(toStudentReport(r).score).toBe(1);
  });
});

describe('studentTotals (list views, from the tallies stored with a result)', () => {
  test('match the student report of the same collections', () => {
    const tallies = tallyByVisibility(report(collection('never')).collections);
    expect(tallies.always).toEqual({ total: 2, passed: 0, failed: 2, skipped: 0, scored: 2 });
    const t = { ...tallies, afterDue: { total: 1, passed: 1, failed: 0, skipped: 0, scored: 1 } };
    expect(studentTotals(t, false)).toEqual({ summary: { total: 2, passed: 0, failed: 2, skipped: 0 }, score: 0, passed: false, hidden: { afterDue: 1, never: 0, message: '1 check will be graded and shown after the due time and count in the score then.' } });
    expect(studentTotals(t, true)).toMatchObject({ summary: { total: 3, passed: 1, failed: 2, skipped: 0 }, score: 1 / 3, hidden: { afterDue: 0, never: 0 } });
    expect(storedTallies({ summary: {}, byVisibility: t })).toEqual(t);
    expect(storedTallies({ summary: {} })).toBeUndefined();
    expect(storedTallies(null)).toBeUndefined();
    expect(studentSees('never', true)).toBe(false);
    expect(studentSees(undefined, false)).toBe(true);
  });
});
