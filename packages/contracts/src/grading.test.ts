import { PLAIN_INFRA_MESSAGE, toStudentReport, toTestSummary, ZGradingReport, type TCollectionResult, type TGradingReport } from './grading';

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
