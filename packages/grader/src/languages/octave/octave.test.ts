import type { TCollectionResult } from '@computor/contracts';
import { loadExample } from '../../example/load-example';
import { findCollectionIndex, type TResolvedCollection } from '../../example/resolve';
import type { TCollection } from '../../example/schemas';
import { aggregateReport } from '../../grade/aggregate';
import { octave } from '.';
import { entryScript, octaveExpressions } from './collection';

const collections = [{ name: 'Files', id: 'files' }, { name: 'Values', id: '3' }, { name: 'Plot' }] as unknown as TCollection[];

test('a numeric dependency that is no id counts from 1 for Octave (O8), ids and names first', () => {
  expect(octave.dependencyIndexBase).toBe(1);
  expect(findCollectionIndex(collections, '1', 1)).toBe(0);
  expect(findCollectionIndex(collections, '2', 1)).toBe(1);
  expect(findCollectionIndex(collections, '0', 1)).toBeUndefined();
  expect(findCollectionIndex(collections, '4', 1)).toBeUndefined();
  expect(findCollectionIndex(collections, '3', 1)).toBe(1);
  expect(findCollectionIndex(collections, 'files', 1)).toBe(0);
  expect(findCollectionIndex(collections, 'Plot', 1)).toBe(2);
  // Other languages: 0-based.
  expect(findCollectionIndex(collections, '1')).toBe(1);
});

test("the canary's dependencies resolve 1-based: setUpCode chain and successDependency", async () => {
  const example = await loadExample(octave.canaryDir as string);
  expect(example.language).toBe('octave');
  const figure = example.collections.find((c) => c.name === 'Figure') as TResolvedCollection;
  expect(figure.setUpCode).toEqual(["run('solution');"]);
  const result = (name: string, status: 'passed' | 'failed'): TCollectionResult => ({
    name,
    type: 'variable',
    status,
    message: '',
    publicMessage: '',
    expectedVisibility: 'never',
    checks: [{ name: 'x', status, message: '', publicMessage: '', durationMs: 0 }],
    summary: { total: 1, passed: status === 'passed' ? 1 : 0, failed: status === 'passed' ? 0 : 1, skipped: 0 },
    durationMs: 0,
  });
  // Values has `successDependency: 1` = Files (the first collection).
  const results = example.collections.map((c) => result(c.name, c.name === 'Files' ? 'failed' : 'passed'));
  const report = aggregateReport(example, results);
  expect(report.collections.map((c) => [c.name, c.status])).toEqual([
    ['Files', 'failed'],
    ['Values', 'skipped'],
    ['Figure', 'passed'],
    ['Output', 'passed'],
    ['Warnings', 'passed'],
    ['Errors', 'passed'],
    ['Structure', 'skipped'],
  ]);
});

function collection(extra: Partial<TResolvedCollection>, entryPoint?: string): TResolvedCollection {
  return { index: 0, name: 'c', type: 'variable', collection: { entryPoint } as unknown as TCollection, timeoutSeconds: undefined, setUpCode: [], tearDownCode: [], inputAnswers: [], checks: [], ...extra };
}

test('the entry script: entryPoint, else the first .m of the submission when there is no setUpCode', () => {
  const present = new Set(['b.m', 'a.m', 'data.txt']);
  expect(entryScript(collection({}, 'x.m'), ['b.m'], present)).toBe('x.m');
  expect(entryScript(collection({}), ['b.m', 'a.m'], present)).toBe('b.m');
  expect(entryScript(collection({}), [], present)).toBe('a.m');
  expect(entryScript(collection({ setUpCode: ["run('b')"] }), ['b.m'], present)).toBeUndefined();
  expect(entryScript(collection({}), [], new Set(['data.txt']))).toBeUndefined();
});

test('expressions: every check name on the student side, evalString (else the name) on the reference side for verifyEqual without value', () => {
  const check = (name: string, extra: Record<string, unknown> = {}, qualification = 'verifyEqual') => ({ name, qualification, check: { name, ...extra } });
  const c = collection({
    type: 'graphics',
    checks: [check('a'), check('b', { evalString: 'numel(x)' }), check('c', { value: 3 }), check('d', { pattern: 'x' }, 'contains')] as unknown as TResolvedCollection['checks'],
  });
  expect(octaveExpressions(c)).toEqual({ student: ['a', 'b', 'c', 'd'], reference: ['a', 'numel(x)'] });
  expect(octaveExpressions({ ...c, type: 'stdout' })).toEqual({ student: [], reference: [] });
});
