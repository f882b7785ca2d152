import { toTestSummary, ZGradingReport, ZTestSummary, type TCheckResult, type TCheckStatus, type TCollectionResult } from '@computor/contracts';
import { parseMetaYaml, parseTestYaml } from '../example/validate';
import { resolveSuite } from '../example/resolve';
import { aggregateReport, collectionMessage, collectionStatus, summarizeChecks } from './aggregate';

function example(testYaml: string) {
  const suite = parseTestYaml(testYaml).value;
  const meta = parseMetaYaml('properties:\n  executionBackend: {slug: itpcp.exec.py}\n').value;
  if (!suite || !meta) throw new Error('fixture does not parse');
  return { collections: resolveSuite(suite), languageName: 'python', meta };
}

const check = (name: string, status: TCheckStatus): TCheckResult => ({ name, status, message: status, durationMs: 1 });
function collection(name: string, ...statuses: TCheckStatus[]): TCollectionResult {
  const checks = statuses.map((s, i) => check(`${name}${i}`, s));
  const status = collectionStatus(checks);
  return { name, type: 'variable', status, message: collectionMessage(checks, status), checks, summary: summarizeChecks(checks), durationMs: 10 };
}

const threeCollections = example(
  ['properties:', '  tests:', '  - {name: a, tests: [{name: x}, {name: y}]}', '  - {name: b, tests: [{name: x}, {name: y}, {name: z}]}', '  - {name: c, tests: [{name: x}]}'].join('\n'),
);

describe('collection status', () => {
  test('a collection passes only when every check passed; otherwise its worst check decides', () => {
    expect(collectionStatus([check('a', 'passed')])).toBe('passed');
    expect(collectionStatus([check('a', 'passed'), check('b', 'failed')])).toBe('failed');
    expect(collectionStatus([check('a', 'failed'), check('b', 'timeout')])).toBe('timeout');
    expect(collectionStatus([check('a', 'error'), check('b', 'infra_error')])).toBe('infra_error');
    expect(collectionStatus([check('a', 'passed'), check('b', 'skipped')])).toBe('skipped');
    expect(collectionStatus([])).toBe('skipped');
  });
});

describe('aggregateReport', () => {
  test('summary counts checks, collectionSummary counts collections, score uses checks', () => {
    const report = aggregateReport(threeCollections, [collection('a', 'passed', 'passed'), collection('b', 'passed', 'failed', 'skipped'), collection('c', 'timeout')], { durationMs: 1234 });
    expect(ZGradingReport.parse(report)).toEqual(report);
    expect(report.summary).toEqual({ total: 6, passed: 3, failed: 2, skipped: 1 });
    expect(report.collectionSummary).toEqual({ total: 3, passed: 1, failed: 2, skipped: 0 });
    expect(report.score).toBe(0.5);
    expect(report.passed).toBe(false);
    expect(report.status).toBe('completed');
    expect(report.durationMs).toBe(1234);
    expect(report.environment).toMatchObject({ language: 'python', executionBackend: 'itpcp.exec.py', sandbox: 'bubblewrap' });
  });

  test('all passed gives score 1; an infrastructure failure marks the report', () => {
    const passed = aggregateReport(threeCollections, [collection('a', 'passed', 'passed'), collection('b', 'passed', 'passed', 'passed'), collection('c', 'passed')]);
    expect(passed.score).toBe(1);
    expect(passed.passed).toBe(true);
    const broken = aggregateReport(threeCollections, [collection('a', 'passed', 'passed'), collection('b', 'infra_error', 'infra_error', 'infra_error'), collection('c', 'passed')]);
    expect(broken.status).toBe('infra_error');
  });

  test('successDependency skips collections whose dependency did not pass', () => {
    const dependent = example(
      ['properties:', '  tests:', '  - {name: a, id: first, tests: [{name: x}]}', '  - {name: b, successDependency: first, tests: [{name: x}]}', '  - {name: c, successDependency: [b], tests: [{name: x}]}', '  - {name: d, successDependency: 0, tests: [{name: x}]}', '  - {name: e, successDependency: nowhere, tests: [{name: x}]}'].join('\n'),
    );
    const failedFirst = aggregateReport(dependent, [collection('a', 'failed'), collection('b', 'passed'), collection('c', 'passed'), collection('d', 'passed'), collection('e', 'passed')]);
    expect(failedFirst.collections.map((c) => c.status)).toEqual(['failed', 'skipped', 'skipped', 'skipped', 'skipped']);
    expect(failedFirst.collections[1]?.checks[0]?.message).toBe('dependency `first` not satisfied');
    expect(failedFirst.summary).toEqual({ total: 5, passed: 0, failed: 1, skipped: 4 });
    const passedFirst = aggregateReport(dependent, [collection('a', 'passed'), collection('b', 'passed'), collection('c', 'passed'), collection('d', 'passed'), collection('e', 'passed')]);
    expect(passedFirst.collections.map((c) => c.status)).toEqual(['passed', 'passed', 'passed', 'passed', 'skipped']);
  });

  test('checks skipped for want of a runtime (scored: false) are counted as skipped but left out of the score', () => {
    const unscored = { ...check('v0', 'skipped'), scored: false as const };
    const a = collection('a', 'passed', 'passed');
    const b = { ...collection('b', 'skipped', 'skipped', 'skipped'), checks: [unscored, unscored, unscored] };
    const report = aggregateReport(threeCollections, [a, b, collection('c', 'failed')]);
    expect(report.summary).toEqual({ total: 6, passed: 2, failed: 1, skipped: 3 });
    expect(report.score).toBeCloseTo(2 / 3);
    expect(report.passed).toBe(false);
    // A plain skip (an unsupported check type) still counts against the score.
    expect(aggregateReport(threeCollections, [a, collection('b', 'skipped', 'skipped', 'skipped'), collection('c', 'failed')]).score).toBeCloseTo(2 / 6);
  });

  test('rejects a result list that does not match the example', () => {
    expect(() => aggregateReport(threeCollections, [collection('a', 'passed')])).toThrow('expected 3 collection results');
  });
});

describe('toTestSummary', () => {
  test('maps statuses and results to the original testSummary.json vocabulary', () => {
    const report = aggregateReport(threeCollections, [collection('a', 'passed', 'passed'), collection('b', 'passed', 'error', 'skipped'), collection('c', 'timeout')], {
      startedAt: '2025-01-01T00:00:00.000Z',
      durationMs: 2500,
    });
    const summary = toTestSummary(report);
    expect(ZTestSummary.parse(summary)).toEqual(summary);
    expect(summary).toMatchObject({
      timestamp: '2025-01-01T00:00:00.000Z',
      status: 'COMPLETED',
      result: 'FAILED',
      summary: { total: 6, passed: 3, failed: 2, skipped: 1 },
      duration: 2.5,
      properties: { score: 0.5, scoreBasis: 'checks', collectionSummary: { total: 3, passed: 1, failed: 2, skipped: 0 } },
    });
    expect(summary.tests.map((t) => [t.status, t.result])).toEqual([
      ['COMPLETED', 'PASSED'],
      ['CRASHED', 'FAILED'],
      ['TIMEDOUT', 'FAILED'],
    ]);
    expect(summary.tests[1]?.tests.map((t) => [t.status, t.result])).toEqual([
      ['COMPLETED', 'PASSED'],
      ['CRASHED', 'FAILED'],
      ['SKIPPED', 'SKIPPED'],
    ]);
  });

  test('a fully passed report is PASSED', () => {
    const report = aggregateReport(threeCollections, [collection('a', 'passed', 'passed'), collection('b', 'passed', 'passed', 'passed'), collection('c', 'passed')]);
    expect(toTestSummary(report)).toMatchObject({ status: 'COMPLETED', result: 'PASSED' });
  });
});
