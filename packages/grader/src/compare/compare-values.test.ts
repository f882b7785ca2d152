import { compareVariable, shapeOf, typesCompatible, type TCompareOptions } from './compare-values';
import { fromYaml, type TPyValue } from './py-value';

const options: TCompareOptions = { relativeTolerance: 1e-12, absoluteTolerance: 1e-4, typeCheck: true, shapeCheck: true, equalNaN: true, ignoreClass: false };
const int = (v: number | string): TPyValue => ({ t: 'int', v });
const float = (v: number | 'nan' | 'inf' | '-inf'): TPyValue => ({ t: 'float', v });
const str = (v: string): TPyValue => ({ t: 'str', v });
const list = (...items: TPyValue[]): TPyValue => ({ t: 'list', items });
const tuple = (...items: TPyValue[]): TPyValue => ({ t: 'tuple', items });
const nd = (kind: string, shape: number[], data: unknown[], dtype = kind === 'f' ? 'float64' : kind === 'b' ? 'bool' : 'int64'): TPyValue => ({ t: 'ndarray', kind, dtype, shape, data });
const np = (dtype: string, kind: string, v: unknown): TPyValue => ({ t: 'npscalar', dtype, kind, v });
const ok = (actual: TPyValue, expected: TPyValue, extra: Partial<TCompareOptions> = {}): boolean => compareVariable(actual, expected, 'x', { ...options, ...extra }).ok;

describe('typeCheck', () => {
  test('numeric types are compatible with each other, numpy arrays with anything', () => {
    expect(typesCompatible(int(1), float(1))).toBe(true);
    expect(typesCompatible(np('uint8', 'u', 1), float(1))).toBe(true);
    expect(typesCompatible({ t: 'complex', re: 1, im: 0 }, int(1))).toBe(true);
    expect(typesCompatible({ t: 'bool', v: true }, np('bool', 'b', true))).toBe(true);
    expect(typesCompatible(nd('f', [2], [1, 2]), list(int(1), int(2)))).toBe(true);
    expect(typesCompatible(str('a'), nd('U', [1], ['a'], '<U1'))).toBe(true);
  });

  test('other types must match: a list is not a str, not a dict; list and tuple are alike', () => {
    expect(typesCompatible(list(), str(''))).toBe(false);
    expect(typesCompatible(list(), { t: 'dict', items: [] })).toBe(false);
    expect(typesCompatible(str('1'), int(1))).toBe(false);
    expect(typesCompatible(list(), tuple())).toBe(true);
    expect(ok(str('1'), int(1))).toBe(false);
    expect(ok(str('1'), int(1), { typeCheck: false })).toBe(false);
  });
});

describe('scalar tolerances', () => {
  test('relative OR absolute difference within tolerance passes', () => {
    expect(ok(float(1.00005), float(1))).toBe(true);
    expect(ok(float(1.0002), float(1))).toBe(false);
    expect(ok(float(1e9 + 1), float(1e9), { absoluteTolerance: 0, relativeTolerance: 1e-12 })).toBe(false);
    expect(ok(float(1e9 + 1), float(1e9), { absoluteTolerance: 0, relativeTolerance: 1e-8 })).toBe(true);
    expect(ok(float(1e9 + 1), float(1e9), { absoluteTolerance: 2, relativeTolerance: 0 })).toBe(true);
    expect(ok(int(3), float(3.00001))).toBe(true);
    expect(ok(np('uint8', 'u', 0), int(0))).toBe(true);
    expect(ok({ t: 'bool', v: true }, int(1))).toBe(true);
  });

  test('NaN equals NaN when equalNaN, infinities equal themselves', () => {
    expect(ok(float('nan'), float('nan'))).toBe(true);
    expect(ok(float('nan'), float('nan'), { equalNaN: false })).toBe(false);
    expect(ok(float('nan'), float(0))).toBe(false);
    expect(ok(float('inf'), float('inf'))).toBe(true);
    expect(ok(float('inf'), float('-inf'))).toBe(false);
  });

  test('big integers compare exactly', () => {
    expect(ok(int('123456789012345678901234567890'), int('123456789012345678901234567890'))).toBe(true);
    expect(ok(int('123456789012345678901234567891'), int('123456789012345678901234567890'), { absoluteTolerance: 0, relativeTolerance: 0 })).toBe(false);
  });

  test('complex numbers need a complex actual value', () => {
    expect(ok({ t: 'complex', re: 1, im: 2.00001 }, { t: 'complex', re: 1, im: 2 })).toBe(true);
    expect(ok({ t: 'complex', re: 1, im: 2.1 }, { t: 'complex', re: 1, im: 2 })).toBe(false);
    expect(ok(float(1), { t: 'complex', re: 1, im: 0 })).toBe(false);
  });
});

describe('arrays', () => {
  test('elementwise like numpy.allclose, NaN equal to NaN, dtype does not matter', () => {
    expect(ok(nd('i', [2, 2], [1, 2, 3, 4]), nd('f', [2, 2], [1, 2, 3, 4.00001]))).toBe(true);
    expect(ok(nd('f', [2], ['nan', 1]), nd('f', [2], ['nan', 1]))).toBe(true);
    expect(ok(nd('f', [2], ['nan', 1]), nd('f', [2], [0, 1]))).toBe(false);
    const result = compareVariable(nd('i', [2], [37, 35]), nd('f', [2], [37.5, 35.5]), 'M7', options);
    expect(result).toEqual({
      ok: false,
      message: 'Variable `M7` has incorrect value: `M7` differs at flat index 0: 37 vs 37.5',
      publicMessage: 'Variable `M7` has incorrect value: `M7` differs at flat index 0: 37 is not the expected value',
    });
  });

  test('shapes must agree; shapeCheck reports it first', () => {
    expect(compareVariable(nd('f', [1, 4], [1, 2, 3, 4]), nd('f', [4], [1, 2, 3, 4]), 'S3', options)).toEqual({
      ok: false,
      message: 'Variable `S3` has incorrect shape: (1, 4) vs (4,)',
      publicMessage: 'Variable `S3` has incorrect shape: (1, 4)',
    });
    expect(ok(nd('f', [1, 4], [1, 2, 3, 4]), nd('f', [4], [1, 2, 3, 4]), { shapeCheck: false })).toBe(false);
    expect(ok(int(0), nd('i', [3], [0, 1, 2]))).toBe(false);
  });

  test('an array compares with a nested list by value and shape', () => {
    const nested = list(list(int(1), int(2)), list(int(3), int(4)));
    expect(shapeOf(nested)).toEqual([2, 2]);
    expect(ok(nd('f', [2, 2], [1, 2, 3, 4]), nested)).toBe(true);
    expect(ok(nested, nd('f', [2, 2], [1, 2, 3, 4]))).toBe(true);
    expect(ok(nd('f', [2, 2], [1, 2, 3, 5]), nested)).toBe(false);
  });

  test('non-numeric arrays compare exactly; booleans equal 0/1', () => {
    expect(ok(nd('b', [2], [true, false]), nd('b', [2], [true, false]))).toBe(true);
    expect(ok(nd('b', [2], [true, true]), nd('b', [2], [true, false]))).toBe(false);
    expect(ok(nd('i', [2], [1, 0]), nd('b', [2], [true, false]))).toBe(true);
    expect(ok(nd('U', [2], ['a', 'b'], '<U1'), nd('U', [2], ['a', 'c'], '<U1'))).toBe(false);
  });
});

describe('containers', () => {
  test('lists and tuples compare elementwise with tolerance', () => {
    expect(ok(list(tuple(int(2), int(3)), tuple(int(12), int(3))), list(tuple(int(2), int(3)), tuple(int(12), float(3.00001))))).toBe(true);
    expect(ok(list(int(1), int(2)), list(int(1)))).toBe(false);
    expect(ok(list(int(2), int(1)), list(int(1), int(2)))).toBe(false);
  });

  test('dicts need the same keys and equal values', () => {
    const a = fromYaml({ date: '2024-01-01', values: [1, 2.5] });
    expect(ok(fromYaml({ values: [1, 2.50001], date: '2024-01-01' }), a)).toBe(true);
    expect(ok(fromYaml({ date: '2024-01-01' }), a)).toBe(false);
    const message = compareVariable(fromYaml({ date: '2024-01-01', values: [1, 3] }), a, 'data', options);
    expect(message.ok ? '' : message.message).toContain("`data['values'][1]` is 3, expected 2.5");
  });

  test('None, strings and sets compare exactly', () => {
    expect(ok({ t: 'none' }, { t: 'none' })).toBe(true);
    expect(ok(int(0), { t: 'none' })).toBe(false);
    expect(ok(str('Python'), str('Python'))).toBe(true);
    expect(ok(str('Phnoty'), str('Python'))).toBe(false);
    expect(ok({ t: 'set', items: [int(2), int(1)] }, { t: 'set', items: [int(1), int(2)] })).toBe(true);
    expect(ok({ t: 'set', items: [int(3)] }, { t: 'set', items: [int(1)] })).toBe(false);
  });

  test('values from test.yaml compare with driver values', () => {
    expect(ok(np('float64', 'f', 12), fromYaml(12))).toBe(true);
    expect(ok(list(int(1), int(2)), fromYaml([1, 2]))).toBe(true);
    expect(ok({ t: 'bool', v: true }, fromYaml(true))).toBe(true);
  });
});

describe('public messages never name the expected value', () => {
  // Each expected value carries a marker (424242 / SECRET); the student's values do not.
  const cases: Array<[string, TPyValue, TPyValue]> = [
    ['int', int(1), int(424242)],
    ['float', float(0.5), float(424242.5)],
    ['str', str('mine'), str('SECRET')],
    ['None expected', int(1), { t: 'none' }],
    ['list element', list(int(1), int(2)), list(int(1), int(424242))],
    ['list length', list(int(1)), list(int(424242), int(424242))],
    ['str length', str('ab'), str('SECRETSECRET')],
    ['array element', nd('i', [2], [1, 2]), nd('i', [2], [1, 424242])],
    ['array shape', nd('i', [1], [1]), nd('i', [424242], Array.from({ length: 3 }, () => 424242))],
    ['array of str', nd('U', [1], ['a'], '<U6'), nd('U', [1], ['SECRET'], '<U6')],
    ['dict keys', { t: 'dict', items: [[str('a'), int(1)]] }, { t: 'dict', items: [[str('SECRET'), int(1)]] }],
    ['dict value', { t: 'dict', items: [[str('k'), int(1)]] }, { t: 'dict', items: [[str('k'), int(424242)]] }],
    ['complex', { t: 'complex', re: 1, im: 1 }, { t: 'complex', re: 424242, im: 1 }],
    ['object', { t: 'object', type: 'Fraction', repr: 'Fraction(1, 2)' }, { t: 'object', type: 'Fraction', repr: 'Fraction(424242, 1)' }],
    ['unsupported reference', int(1), { t: 'unsupported', type: 'gen', reason: 'SECRET generator' }],
  ];
  test.each(cases)('%s', (_name, actual, expected) => {
    const outcome = compareVariable(actual, expected, 'x', options);
    if (outcome.ok) throw new Error('expected a failure');
    expect(outcome.publicMessage).not.toMatch(/424242|SECRET/);
    expect(outcome.publicMessage).toMatch(/^Variable `x`/);
  });

  test('the full message (staff) still names it', () => {
    const outcome = compareVariable(int(1), int(424242), 'x', options);
    expect(outcome).toMatchObject({ ok: false, message: 'Variable `x` has incorrect value: `x` is 1, expected 424242' });
  });
});
