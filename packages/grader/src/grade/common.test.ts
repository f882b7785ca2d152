import { PLAIN_INFRA_MESSAGE } from '@computor/contracts';
import { PatternError } from '../compare/regex';
import type { TExample } from '../example/load-example';
import { ZExecutionSettings } from '../example/schemas';
import { validateExampleFiles } from '../example/validate';
import { DEFAULT_CHECK_PROPS, type TResolvedCheck, type TResolvedCollection } from '../example/resolve';
import { checkResult, collectionVisibility, expectedVisibility, globToRegExp, invalidCheck } from './common';

test('globs from test.yaml match relative paths', () => {
  expect(globToRegExp('*.py').test('a.py')).toBe(true);
  expect(globToRegExp('*.py').test('src/a.py')).toBe(false);
  expect(globToRegExp('**/*.py').test('src/deep/a.py')).toBe(true);
  expect(globToRegExp('results.json').test('results.json')).toBe(true);
  expect(globToRegExp('results.json').test('resultsXjson')).toBe(false);
  expect(globToRegExp('data?.csv').test('data1.csv')).toBe(true);
});

describe('check results carry a public message', () => {
  const check = (extra: Partial<TResolvedCheck> = {}): TResolvedCheck => ({ ...DEFAULT_CHECK_PROPS, index: 0, name: 'x', check: { name: 'x' }, ...extra });

  test('the public message is given separately and defaults to the message', () => {
    expect(checkResult(check(), 'failed', '`x` is 1, expected 42', { publicMessage: '`x` is 1, not the expected value', expected: '42' })).toMatchObject({
      message: '`x` is 1, expected 42',
      publicMessage: '`x` is 1, not the expected value',
      expected: '42',
    });
    expect(checkResult(check(), 'failed', 'file "a.py" not found').publicMessage).toBe('file "a.py" not found');
  });

  test('a lecturer failureMessage wraps both; a grader failure is always the plain text for students', () => {
    expect(checkResult(check({ failureMessage: 'Try again' }), 'failed', 'is 1, expected 42', { publicMessage: 'is 1' })).toMatchObject({
      message: 'Try again (is 1, expected 42)',
      publicMessage: 'Try again (is 1)',
    });
    expect(checkResult(check(), 'infra_error', 'sandbox failure: bwrap: /var/lib/x').publicMessage).toBe(PLAIN_INFRA_MESSAGE);
  });

  test('an invalid pattern is the example\'s fault and is not quoted publicly', () => {
    const result = invalidCheck(check(), new PatternError('invalid pattern "(SECRET"'));
    expect(result).toMatchObject({ status: 'error', message: 'invalid check: invalid pattern "(SECRET"' });
    expect(result.publicMessage).not.toContain('SECRET');
  });
});

describe('expectedVisibility', () => {
  const example = (settings: Record<string, unknown> | undefined) =>
    ({
      meta: { properties: { executionBackend: { slug: 'itpcp.exec.py', settings } } },
      suite: { properties: { tests: [{ name: 'Variables', id: 'vars' }, { name: 'Output' }] } },
    }) as unknown as TExample;
  const collection = (index: number) => ({ index }) as TResolvedCollection;

  test('never by default; the example-wide setting; per collection by name or id', () => {
    expect(expectedVisibility(example(undefined), collection(0))).toBe('never');
    expect(expectedVisibility(example({ expected: 'always' }), collection(1))).toBe('always');
    expect(expectedVisibility(example({ expected: 'always', expectedByCollection: { Output: 'never' } }), collection(1))).toBe('never');
    expect(expectedVisibility(example({ expectedByCollection: { vars: 'always' } }), collection(0))).toBe('always');
    expect(expectedVisibility(example({ expectedByCollection: { vars: 'always' } }), collection(1))).toBe('never');
  });
});

describe('collectionVisibility', () => {
  const example = (settings: Record<string, unknown> | undefined) =>
    ({
      meta: { properties: { executionBackend: { slug: 'itpcp.exec.py', settings } } },
      suite: { properties: { tests: [{ name: 'Variables', id: 'vars' }, { name: 'Output' }, { name: 'Hidden' }] } },
    }) as unknown as TExample;
  const collection = (index: number) => ({ index }) as TResolvedCollection;

  test('always by default; the example-wide setting; per collection by name or id', () => {
    expect(collectionVisibility(example(undefined), collection(0))).toBe('always');
    expect(collectionVisibility(example({ expected: 'always' }), collection(1))).toBe('always');
    expect(collectionVisibility(example({ visibility: 'afterDue' }), collection(1))).toBe('afterDue');
    expect(collectionVisibility(example({ visibility: 'afterDue', visibilityByCollection: { Output: 'always', Hidden: 'never' } }), collection(1))).toBe('always');
    expect(collectionVisibility(example({ visibility: 'afterDue', visibilityByCollection: { Output: 'always', Hidden: 'never' } }), collection(2))).toBe('never');
    expect(collectionVisibility(example({ visibilityByCollection: { vars: 'never' } }), collection(0))).toBe('never');
    expect(collectionVisibility(example({ visibilityByCollection: { vars: 'never' } }), collection(1))).toBe('always');
  });
});

describe('meta.yaml visibility settings', () => {
  const suite = 'properties:\n  tests:\n  - {name: Variables, id: vars, tests: [{name: x}]}\n  - {name: Output, type: stdout, tests: [{name: o}]}\n';
  const meta = (settings: string) => `properties:\n  executionBackend:\n    slug: itpcp.exec.py\n    settings: ${settings}\n`;

  test('visibility and visibilityByCollection: always/afterDue/never, known keys; files without them stay valid', () => {
    const good = validateExampleFiles({ 'meta.yaml': meta('{visibility: afterDue, visibilityByCollection: {vars: always, Output: never}}'), 'test.yaml': suite });
    expect(good.errors).toEqual([]);
    expect(good.warnings).toEqual([]);
    expect(good.meta?.properties.executionBackend?.settings).toMatchObject({ visibility: 'afterDue', visibilityByCollection: { vars: 'always', Output: 'never' } });
    expect(validateExampleFiles({ 'meta.yaml': meta('{timeout: 5}'), 'test.yaml': suite }).errors).toEqual([]);
    expect(ZExecutionSettings.parse({}).visibility).toBeUndefined();
  });

  test('anything else names the field', () => {
    const bad = validateExampleFiles({ 'meta.yaml': meta('{visibility: later, visibilityByCollection: {Output: sometimes}}'), 'test.yaml': suite });
    expect(bad.ok).toBe(false);
    expect(bad.errors.map((e) => [e.path, e.message])).toEqual([
      ['properties.executionBackend.settings.visibility', 'must be one of always, afterDue, never'],
      ['properties.executionBackend.settings.visibilityByCollection.Output', 'must be one of always, afterDue, never'],
    ]);
  });
});
