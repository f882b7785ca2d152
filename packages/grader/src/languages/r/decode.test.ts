import { compareVariable, type TCompareOptions } from '../../compare/compare-values';
import { fromYaml, pyStr, type TPyValue } from '../../compare/py-value';
import { decodeRValue, RDecodeError, rClass, type TRValueJson } from './decode';
import { parseRReport } from './report';

// Values as driver.R writes them: JSON tags, vectors as little-endian binary in a blob.

const NA_REAL = (() => {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(1954, 0);
  b.writeUInt32LE(0x7ff00000, 4);
  return b;
})();
const NA_INT = -2147483648;

class Blob {
  parts: Buffer[] = [];
  size = 0;

  private add(buffer: Buffer): number {
    const at = this.size;
    this.parts.push(buffer);
    this.size += buffer.length;
    return at;
  }

  doubles(values: Array<number | 'NA'>): number {
    return this.add(Buffer.concat(values.map((v) => (v === 'NA' ? NA_REAL : (() => {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(v, 0);
      return b;
    })()))));
  }

  ints(values: number[]): number {
    const b = Buffer.alloc(4 * values.length);
    values.forEach((v, i) => b.writeInt32LE(v, 4 * i));
    return this.add(b);
  }

  complex(values: Array<[number, number]>): number {
    return this.doubles(values.flat());
  }

  get buffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function dbl(blob: Blob, values: Array<number | 'NA'>, extra: Record<string, unknown> = {}): TRValueJson {
  return { t: 'double', n: values.length, at: blob.doubles(values), ...extra } as TRValueJson;
}
function int(blob: Blob, values: number[], extra: Record<string, unknown> = {}): TRValueJson {
  return { t: 'integer', n: values.length, at: blob.ints(values), ...extra } as TRValueJson;
}
function lgl(blob: Blob, values: Array<boolean | null>): TRValueJson {
  return { t: 'logical', n: values.length, at: blob.ints(values.map((v) => (v === null ? NA_INT : v ? 1 : 0))) };
}
function chr(values: Array<string | null>, extra: Record<string, unknown> = {}): TRValueJson {
  return { t: 'character', v: values, ...extra } as TRValueJson;
}

function decode(make: (blob: Blob) => TRValueJson): TPyValue {
  const blob = new Blob();
  const value = make(blob);
  return decodeRValue(value, blob.buffer);
}

/** Drops the R class names and str(): the structure alone. */
function shape(value: TPyValue): unknown {
  const { pytype: _pytype, str: _str, ...rest } = value as TPyValue & Record<string, unknown>;
  if (rest.t === 'list') return { ...rest, items: (rest.items as TPyValue[]).map(shape) };
  if (rest.t === 'dict') return { ...rest, items: (rest.items as Array<[TPyValue, TPyValue]>).map(([k, v]) => [shape(k), shape(v)]) };
  return rest;
}

const NA = { t: 'object', type: 'NA', repr: 'NA' };
const OPTIONS: TCompareOptions = { relativeTolerance: 1e-12, absoluteTolerance: 1e-4, typeCheck: true, shapeCheck: true, equalNaN: true, ignoreClass: false };

describe('scalars: vectors of length 1', () => {
  test('integral doubles are ints, as the original JSON transport made them; others floats at full precision', () => {
    expect(shape(decode((b) => dbl(b, [5])))).toEqual({ t: 'int', v: 5 });
    expect(shape(decode((b) => dbl(b, [0.1 + 0.2])))).toEqual({ t: 'float', v: 0.30000000000000004 });
    expect(shape(decode((b) => dbl(b, [1e15])))).toEqual({ t: 'float', v: 1e15 });
    expect(shape(decode((b) => int(b, [7])))).toEqual({ t: 'int', v: 7 });
  });

  test('NA is NA (not the string "NA"), NaN and infinities are floats', () => {
    expect(shape(decode((b) => dbl(b, ['NA'])))).toEqual(NA);
    expect(shape(decode((b) => int(b, [NA_INT])))).toEqual(NA);
    expect(shape(decode((b) => lgl(b, [null])))).toEqual(NA);
    expect(shape(decode(() => chr([null])))).toEqual(NA);
    expect(shape(decode((b) => dbl(b, [Number.NaN, Number.POSITIVE_INFINITY])))).toEqual({ t: 'ndarray', dtype: 'numeric', kind: 'f', shape: [2], data: ['nan', 'inf'] });
  });

  test('logical, character, complex, NULL', () => {
    expect(shape(decode((b) => lgl(b, [true])))).toEqual({ t: 'bool', v: true });
    expect(shape(decode(() => chr(['Hello, R!'])))).toEqual({ t: 'str', v: 'Hello, R!' });
    expect(shape(decode((b) => ({ t: 'complex', n: 1, at: b.complex([[1, 2]]) })))).toEqual({ t: 'complex', re: 1, im: 2 });
    expect(shape(decode(() => ({ t: 'null' })))).toEqual({ t: 'none' });
  });

  test('a string cut at the driver limit is marked truncated with its length', () => {
    expect(shape(decode(() => chr(['abc'], { cut: [1], cutLen: [2000000] })))).toEqual({ t: 'str', v: 'abc', truncated: true, len: 2000000 });
  });
});

describe('vectors', () => {
  test('numeric and logical vectors are arrays; names are dropped as jsonlite did', () => {
    expect(shape(decode((b) => dbl(b, [1, 2.5, 3])))).toEqual({ t: 'ndarray', dtype: 'numeric', kind: 'f', shape: [3], data: [1, 2.5, 3] });
    expect(shape(decode((b) => int(b, [1, 2, 3])))).toEqual({ t: 'ndarray', dtype: 'integer', kind: 'i', shape: [3], data: [1, 2, 3] });
    expect(shape(decode((b) => lgl(b, [true, false])))).toEqual({ t: 'ndarray', dtype: 'logical', kind: 'b', shape: [2], data: [true, false] });
  });

  test('a vector with NA is a list of its elements, NA among them', () => {
    expect(shape(decode((b) => dbl(b, [1, 'NA', 3])))).toEqual({ t: 'list', items: [{ t: 'int', v: 1 }, NA, { t: 'int', v: 3 }] });
  });

  test('character vectors are lists of strings; empty vectors empty lists', () => {
    expect(shape(decode(() => chr(['a', null])))).toEqual({ t: 'list', items: [{ t: 'str', v: 'a' }, NA] });
    expect(shape(decode((b) => dbl(b, [])))).toEqual({ t: 'list', items: [] });
  });

  test('complex vectors are complex arrays', () => {
    expect(shape(decode((b) => ({ t: 'complex', n: 2, at: b.complex([[1, 2], [3, -1]]) })))).toEqual({ t: 'ndarray', dtype: 'complex', kind: 'c', shape: [2], data: [[1, 2], [3, -1]] });
  });

  test('factors are their labels; Dates their text', () => {
    const levels = { v: ['hi', 'lo'] };
    expect(shape(decode((b) => int(b, [2, 1, 2], { class: ['factor'], levels })))).toEqual({ t: 'list', items: [{ t: 'str', v: 'lo' }, { t: 'str', v: 'hi' }, { t: 'str', v: 'lo' }] });
    expect(shape(decode((b) => int(b, [1], { class: ['factor'], levels })))).toEqual({ t: 'str', v: 'hi' });
    expect(shape(decode((b) => int(b, [NA_INT, 1], { class: ['factor'], levels })))).toEqual({ t: 'list', items: [NA, { t: 'str', v: 'hi' }] });
    expect(shape(decode(() => chr(['2020-01-02'], { class: ['Date'] })))).toEqual({ t: 'str', v: '2020-01-02' });
  });
});

describe('matrices and arrays: lists of rows, row-major', () => {
  const row = (data: number[], dtype = 'integer', kind = 'i'): unknown => ({ t: 'ndarray', dtype, kind, shape: [data.length], data });

  test('matrix(1:6, 2) is [[1, 3, 5], [2, 4, 6]]', () => {
    expect(shape(decode((b) => int(b, [1, 2, 3, 4, 5, 6], { dim: [2, 3] })))).toEqual({ t: 'list', items: [row([1, 3, 5]), row([2, 4, 6])] });
  });

  test('rows are never unboxed: matrix(5) is [[5]], a one-column matrix rows of one', () => {
    expect(shape(decode((b) => dbl(b, [5], { dim: [1, 1] })))).toEqual({ t: 'list', items: [row([5], 'numeric')] });
    expect(shape(decode((b) => int(b, [1, 2], { dim: [2, 1] })))).toEqual({ t: 'list', items: [row([1]), row([2])] });
  });

  test('a 2x3x2 array nests as x[i][j][k]', () => {
    const decoded = decode((b) => int(b, Array.from({ length: 12 }, (_, i) => i + 1), { dim: [2, 3, 2] }));
    expect(shape(decoded)).toEqual({
      t: 'list',
      items: [
        { t: 'list', items: [row([1, 7]), row([3, 9]), row([5, 11])] },
        { t: 'list', items: [row([2, 8]), row([4, 10]), row([6, 12])] },
      ],
    });
  });

  test('an empty matrix is an empty list; NA in a row makes that row a list', () => {
    expect(shape(decode((b) => dbl(b, [], { dim: [0, 3] })))).toEqual({ t: 'list', items: [] });
    expect(shape(decode((b) => dbl(b, [1, 'NA', 3, 4], { dim: [2, 2] })))).toEqual({ t: 'list', items: [row([1, 3], 'numeric'), { t: 'list', items: [NA, { t: 'int', v: 4 }] }] });
  });
});

describe('lists and data frames', () => {
  test('a data frame is a list of records; factors as labels, NA kept, character row names as _row', () => {
    const decoded = decode((b) => ({
      t: 'list',
      items: [chr(['A', 'B']), dbl(b, [25, 'NA']), int(b, [1, 2], { class: ['factor'], levels: { v: ['x', 'y'] } })],
      names: { v: ['name', 'age', 'f'] },
      nrow: 2,
      rowNames: { v: ['r1', 'r2'] },
      class: ['data.frame'],
    }));
    const s = (v: string) => ({ t: 'str', v });
    expect(shape(decoded)).toEqual({
      t: 'list',
      items: [
        { t: 'dict', items: [[s('name'), s('A')], [s('age'), { t: 'int', v: 25 }], [s('f'), s('x')], [s('_row'), s('r1')]] },
        { t: 'dict', items: [[s('name'), s('B')], [s('age'), NA], [s('f'), s('y')], [s('_row'), s('r2')]] },
      ],
    });
    expect(decoded.pytype).toBe('data.frame');
  });

  test('named lists are dicts (empty names by index, duplicates made unique); unnamed numeric lists arrays, others lists', () => {
    const s = (v: string) => ({ t: 'str', v });
    expect(shape(decode((b) => ({ t: 'list', items: [dbl(b, [1]), chr(['x']), { t: 'null' }], names: { v: ['a', '', 'a'] } })))).toEqual({
      t: 'dict',
      items: [[s('a'), { t: 'int', v: 1 }], [s('2'), s('x')], [s('a.1'), { t: 'none' }]],
    });
    expect(shape(decode((b) => ({ t: 'list', items: [dbl(b, [1]), dbl(b, [2.5])] })))).toEqual({ t: 'ndarray', dtype: 'numeric', kind: 'f', shape: [2], data: [1, 2.5] });
    expect(shape(decode((b) => ({ t: 'list', items: [dbl(b, [1]), chr(['a'])] })))).toEqual({ t: 'list', items: [{ t: 'int', v: 1 }, s('a')] });
  });

  test('functions and calls are objects compared by their source; unsupported values say why', () => {
    expect(shape(decode(() => ({ t: 'function', src: 'function (x) \nx + 1' })))).toEqual({ t: 'object', type: 'function', repr: 'function (x) \nx + 1' });
    expect(decode(() => ({ t: 'unsupported', type: 'environment', reason: 'values of type environment are not supported' }))).toEqual({
      t: 'unsupported',
      type: 'environment',
      reason: 'values of type environment are not supported',
    });
  });
});

describe('R class names and str() as the original saw it', () => {
  test('rClass', () => {
    expect(rClass({ t: 'double', n: 1, at: 0 })).toBe('numeric');
    expect(rClass({ t: 'integer', n: 4, at: 0, dim: [2, 2] })).toBe('matrix');
    expect(rClass({ t: 'list', items: [], class: ['data.frame'] })).toBe('data.frame');
    expect(rClass({ t: 'null' })).toBe('NULL');
  });

  test('str of scalars follows Python\'s str of the value jsonlite sent (15 digits)', () => {
    expect(pyStr(decode((b) => dbl(b, [5])))).toBe('5');
    expect(pyStr(decode((b) => dbl(b, [1 / 3])))).toBe('0.333333333333333');
    expect(pyStr(decode((b) => lgl(b, [true])))).toBe('True');
    expect(pyStr(decode(() => chr(['a b'])))).toBe('a b');
    expect(pyStr(decode(() => chr(['a', 'b'])))).toBe("['a', 'b']");
    expect(pyStr(decode((b) => int(b, [1, 2, 3])))).toBe('[1 2 3]');
  });
});

describe('comparison of decoded values (compare-values.ts, reused)', () => {
  const cmp = (a: TPyValue, e: TPyValue) => compareVariable(a, e, 'x', OPTIONS).ok;

  test('NA equals NA, not NaN and not a number', () => {
    const withNA = decode((b) => dbl(b, [1, 'NA', 3]));
    expect(cmp(withNA, decode((b) => dbl(b, [1, 'NA', 3])))).toBe(true);
    expect(cmp(withNA, decode((b) => dbl(b, [1, Number.NaN, 3])))).toBe(false);
    expect(cmp(withNA, decode((b) => dbl(b, [1, 2, 3])))).toBe(false);
    expect(cmp(decode((b) => dbl(b, ['NA'])), decode((b) => dbl(b, [Number.NaN])))).toBe(false);
  });

  test('NULL equals NULL only; complex parts compared', () => {
    expect(cmp(decode(() => ({ t: 'null' })), decode(() => ({ t: 'null' })))).toBe(true);
    expect(cmp(decode((b) => dbl(b, [0])), decode(() => ({ t: 'null' })))).toBe(false);
    expect(cmp(decode((b) => ({ t: 'complex', n: 1, at: b.complex([[1, 2]]) })), decode((b) => ({ t: 'complex', n: 1, at: b.complex([[1, 3]]) })))).toBe(false);
  });

  test('a vector against a YAML list, a matrix against YAML rows', () => {
    expect(cmp(decode((b) => dbl(b, [1, 2, 3])), fromYaml([1, 2, 3]))).toBe(true);
    expect(cmp(decode((b) => int(b, [1, 2, 3, 4], { dim: [2, 2] })), fromYaml([[1, 3], [2, 4]]))).toBe(true);
    expect(cmp(decode((b) => int(b, [1, 2, 3, 4], { dim: [2, 2] })), fromYaml([[1, 2], [3, 4]]))).toBe(false);
  });

  test('matrices of different size fail on their length, as in the original', () => {
    const outcome = compareVariable(decode((b) => dbl(b, [1, 1, 1, 1], { dim: [2, 2] })), decode((b) => dbl(b, Array(9).fill(1), { dim: [3, 3] })), 'm', OPTIONS);
    expect(outcome).toMatchObject({ ok: false, message: expect.stringContaining('incorrect length: 2 vs 3') });
  });
});

describe('decoding guards', () => {
  test('a vector pointing past the binary part is not the driver\'s', () => {
    expect(() => decodeRValue({ t: 'double', n: 4, at: 0 }, Buffer.alloc(16))).toThrow(RDecodeError);
  });
});

function report(json: unknown, blob = Buffer.alloc(0)): Buffer {
  const text = Buffer.from(JSON.stringify(json), 'utf8');
  return Buffer.concat([Buffer.from(`${text.length}\n`), text, blob]);
}

describe('parseRReport', () => {
  const blob = Buffer.alloc(8);
  blob.writeDoubleLE(42, 0);
  const good = {
    status: 'completed',
    exitCode: 0,
    phases: ['setUpCode', 'script', 'tearDownCode', 'values'],
    warnings: ['NAs introduced by coercion'],
    values: { x: { ok: true, value: { t: 'double', n: 1, at: 0 } }, y: { ok: false, missing: true, error: 'not found' } },
  };

  test('a report as the driver writes it', () => {
    const parsed = parseRReport(report(good, blob));
    expect(parsed?.status).toBe('completed');
    expect(parsed?.warnings).toEqual(['NAs introduced by coercion']);
    expect(parsed?.values.x).toEqual({ ok: true, value: expect.objectContaining({ t: 'int', v: 42 }) });
    expect(parsed?.values.y).toEqual({ ok: false, missing: true, error: 'not found' });
  });

  test('an error report carries the error', () => {
    const parsed = parseRReport(report({ ...good, status: 'error', exitCode: 1, phases: ['setUpCode'], error: { message: 'boom', call: 'f(2)', phase: 'script', file: 'a.R', line: 3 }, values: {} }));
    expect(parsed?.error).toEqual({ message: 'boom', call: 'f(2)', phase: 'script', file: 'a.R', line: 3 });
  });

  test.each([
    ['phases out of order', { ...good, phases: ['script', 'setUpCode', 'tearDownCode', 'values'] }],
    ['completed without every phase', { ...good, phases: ['setUpCode', 'script'] }],
    ['an error without the error', { ...good, status: 'error', phases: ['setUpCode'] }],
    ['an unknown field', { ...good, extra: 1 }],
    ['an unknown status', { ...good, status: 'passed' }],
    ['a value of another shape', { ...good, values: { x: { ok: true, value: { t: 'double', v: [1] } } } }],
  ])('rejects %s', (_label, json) => {
    expect(parseRReport(report(json, blob))).toBeUndefined();
  });

  test('rejects a value pointing past the binary part, a wrong length line and bad JSON', () => {
    expect(parseRReport(report(good))).toBeUndefined();
    expect(parseRReport(Buffer.from('99\n{}'))).toBeUndefined();
    expect(parseRReport(Buffer.from('2\n{x'))).toBeUndefined();
    expect(parseRReport(Buffer.from('{"status":"completed"}'))).toBeUndefined();
  });
});
