import { compareVariable } from '../../compare/compare-values';
import type { TPyValue } from '../../compare/py-value';
import { decodeOctave, expectedFromYaml, rowMajorOrder, ZOctWire, type TOctWire } from './decode';

const options = { relativeTolerance: 1e-12, absoluteTolerance: 1e-4, typeCheck: true, shapeCheck: true, equalNaN: true, ignoreClass: false };

function wire(value: unknown): TOctWire {
  return ZOctWire.parse(value);
}

describe('rowMajorOrder', () => {
  test('maps row-major positions to column-major indices', () => {
    expect(rowMajorOrder([2, 3])).toEqual([0, 2, 4, 1, 3, 5]);
    expect(rowMajorOrder([1, 4])).toEqual([0, 1, 2, 3]);
    expect(rowMajorOrder([3, 1])).toEqual([0, 1, 2]);
    expect(rowMajorOrder([2, 2, 2])).toEqual([0, 4, 2, 6, 1, 5, 3, 7]);
    expect(rowMajorOrder([0, 3])).toEqual([]);
  });
});

describe('decodeOctave', () => {
  test('a matrix keeps its shape and reads in rows (O3 fixed)', () => {
    // [1 2 3; 4 5 6] arrives column-major: 1 4 2 5 3 6.
    expect(decodeOctave(wire({ t: 'num', c: 'double', sz: [2, 3], re: [1, 4, 2, 5, 3, 6] }))).toEqual({
      t: 'ndarray',
      dtype: 'float64',
      kind: 'f',
      shape: [2, 3],
      data: [1, 2, 3, 4, 5, 6],
      pytype: 'double',
    });
  });

  test('scalars: integer-valued doubles are ints (as the original received them), others floats, classes kept', () => {
    expect(decodeOctave(wire({ t: 'num', c: 'double', sz: [1, 1], re: [42] }))).toEqual({ t: 'int', v: 42, pytype: 'double' });
    expect(decodeOctave(wire({ t: 'num', c: 'double', sz: [1, 1], re: [2.5] }))).toEqual({ t: 'float', v: 2.5, pytype: 'double' });
    expect(decodeOctave(wire({ t: 'num', c: 'double', sz: [1, 1], re: ['nan'] }))).toEqual({ t: 'float', v: 'nan', pytype: 'double' });
    expect(decodeOctave(wire({ t: 'num', c: 'double', sz: [1, 1], re: ['-inf'] }))).toEqual({ t: 'float', v: '-inf', pytype: 'double' });
    expect(decodeOctave(wire({ t: 'num', c: 'int64', sz: [1, 1], re: ['1152921504606846977'] }))).toEqual({ t: 'int', v: '1152921504606846977', pytype: 'int64' });
    expect(decodeOctave(wire({ t: 'num', c: 'uint8', sz: [1, 1], re: [7] }))).toEqual({ t: 'int', v: 7, pytype: 'uint8' });
    expect(decodeOctave(wire({ t: 'bool', sz: [1, 1], v: [1] }))).toEqual({ t: 'bool', v: true, pytype: 'logical' });
  });

  test('complex values keep their imaginary part (O4 fixed)', () => {
    expect(decodeOctave(wire({ t: 'num', c: 'double', sz: [1, 1], re: [1], im: [2] }))).toEqual({ t: 'complex', re: 1, im: 2, pytype: 'double' });
    expect(decodeOctave(wire({ t: 'num', c: 'double', sz: [1, 2], re: [1, 2], im: [1, 0] }))).toMatchObject({ t: 'ndarray', kind: 'c', shape: [1, 2], data: [[1, 1], [2, 0]] });
    const a = decodeOctave(wire({ t: 'num', c: 'double', sz: [1, 1], re: [1], im: [2] }));
    const b = decodeOctave(wire({ t: 'num', c: 'double', sz: [1, 1], re: [1], im: [-2] }));
    expect(compareVariable(a, b, 'z', options).ok).toBe(false);
  });

  test('text: a char row is a string, a char matrix a list of rows', () => {
    expect(decodeOctave(wire({ t: 'char', sz: [1, 5], v: ['hello'] }))).toEqual({ t: 'str', v: 'hello', pytype: 'char', str: 'hello' });
    expect(decodeOctave(wire({ t: 'char', sz: [0, 0], v: [] }))).toEqual({ t: 'str', v: '', pytype: 'char', str: '' });
    expect(decodeOctave(wire({ t: 'char', sz: [2, 2], v: ['ab', 'cd'] }))).toMatchObject({ t: 'list', items: [{ t: 'str', v: 'ab' }, { t: 'str', v: 'cd' }] });
  });

  test('cells are lists (vectors flat, matrices in rows), structs dicts, struct arrays lists of dicts', () => {
    const one = { t: 'num', c: 'double', sz: [1, 1], re: [1] };
    const x = { t: 'char', sz: [1, 1], v: ['x'] };
    expect(decodeOctave(wire({ t: 'cell', sz: [1, 2], v: [one, x] }))).toMatchObject({ t: 'list', items: [{ t: 'int', v: 1 }, { t: 'str', v: 'x' }], pytype: 'cell' });
    expect(decodeOctave(wire({ t: 'cell', sz: [2, 1], v: [one, x] }))).toMatchObject({ t: 'list', items: [{ t: 'int' }, { t: 'str' }] });
    // {1, 'x'; 'x', 1}: column-major 1, 'x', 'x', 1.
    expect(decodeOctave(wire({ t: 'cell', sz: [2, 2], v: [one, x, x, one] }))).toMatchObject({
      t: 'list',
      items: [
        { t: 'list', items: [{ t: 'int' }, { t: 'str' }] },
        { t: 'list', items: [{ t: 'str' }, { t: 'int' }] },
      ],
    });
    expect(decodeOctave(wire({ t: 'cell', sz: [0, 0], v: [] }))).toEqual({ t: 'list', items: [], pytype: 'cell' });
    expect(decodeOctave(wire({ t: 'struct', sz: [1, 1], f: ['p', 'q'], v: [[one, x]] }))).toEqual({
      t: 'dict',
      items: [
        [{ t: 'str', v: 'p' }, { t: 'int', v: 1, pytype: 'double' }],
        [{ t: 'str', v: 'q' }, { t: 'str', v: 'x', pytype: 'char', str: 'x' }],
      ],
      pytype: 'struct',
    });
    expect(decodeOctave(wire({ t: 'struct', sz: [1, 2], f: ['a'], v: [[one], [one]] }))).toMatchObject({ t: 'list', items: [{ t: 'dict' }, { t: 'dict' }], pytype: 'struct' });
  });

  test('function handles and other classes', () => {
    expect(decodeOctave(wire({ t: 'fh', v: '@(x) x .^ 2' }))).toEqual({ t: 'object', type: 'function_handle', repr: '@(x) x .^ 2', str: '@(x) x .^ 2' });
    expect(decodeOctave(wire({ t: 'x', c: 'containers.Map', r: 'values of class containers.Map cannot be transferred' }))).toMatchObject({ t: 'unsupported', type: 'containers.Map' });
  });

  test('the wire schema refuses what the driver does not write', () => {
    expect(ZOctWire.safeParse({ t: 'num', c: 'double', sz: [2, 2], re: [1, 2, 3] }).success).toBe(false);
    expect(ZOctWire.safeParse({ t: 'num', c: 'double', sz: [1, 1], re: [{}] }).success).toBe(false);
    expect(ZOctWire.safeParse({ t: 'num', c: 'evil', sz: [1, 1], re: [1] }).success).toBe(false);
    expect(ZOctWire.safeParse({ t: 'num', c: 'double', sz: [1, 1], re: [1], extra: 1 }).success).toBe(false);
    expect(ZOctWire.safeParse({ t: 'bool', sz: [1, 2], v: [1, 2] }).success).toBe(false);
    expect(ZOctWire.safeParse({ t: 'char', sz: [2, 2], v: ['ab'] }).success).toBe(false);
    expect(ZOctWire.safeParse({ t: 'struct', sz: [1, 1], f: ['a', 'a'], v: [[{ t: 'fh', v: 'f' }, { t: 'fh', v: 'f' }]] }).success).toBe(false);
    expect(ZOctWire.safeParse({ t: 'num', c: 'double', sz: [1e4, 1e4], re: [] }).success).toBe(false);
  });
});

describe('expectedFromYaml', () => {
  const matrix = decodeOctave(wire({ t: 'num', c: 'double', sz: [2, 2], re: [1, 3, 2, 4] }));
  const row = decodeOctave(wire({ t: 'num', c: 'double', sz: [1, 3], re: [1, 2, 3] }));
  const column = decodeOctave(wire({ t: 'num', c: 'double', sz: [3, 1], re: [1, 2, 3] }));

  test('YAML lists read as Octave arrays: [a, b] a row vector, [[..], [..]] a matrix by rows', () => {
    expect(compareVariable(matrix, expectedFromYaml([[1, 2], [3, 4]]), 'M', options).ok).toBe(true);
    expect(compareVariable(matrix, expectedFromYaml([[1, 3], [2, 4]]), 'M', options).ok).toBe(false);
    expect(compareVariable(row, expectedFromYaml([1, 2, 3]), 'v', options).ok).toBe(true);
    expect(compareVariable(column, expectedFromYaml([1, 2, 3]), 'v', options)).toMatchObject({ ok: false, message: expect.stringContaining('shape') });
    expect(compareVariable(column, expectedFromYaml([[1], [2], [3]]), 'v', options).ok).toBe(true);
  });

  test('scalars, [x] as a scalar, [] as the empty matrix, texts and cells', () => {
    const scalar = decodeOctave(wire({ t: 'num', c: 'double', sz: [1, 1], re: [5] }));
    expect(compareVariable(scalar, expectedFromYaml(5), 'x', options).ok).toBe(true);
    expect(compareVariable(scalar, expectedFromYaml([5]), 'x', options).ok).toBe(true);
    expect(compareVariable(scalar, expectedFromYaml(5.00001), 'x', options).ok).toBe(true);
    const empty = decodeOctave(wire({ t: 'num', c: 'double', sz: [0, 0], re: [] }));
    expect(compareVariable(empty, expectedFromYaml([]), 'x', options).ok).toBe(true);
    const text = decodeOctave(wire({ t: 'char', sz: [1, 2], v: ['hi'] }));
    expect(compareVariable(text, expectedFromYaml('hi'), 's', options).ok).toBe(true);
    expect(compareVariable(text, expectedFromYaml(2), 's', options).ok).toBe(false);
    const cell = decodeOctave(wire({ t: 'cell', sz: [1, 2], v: [{ t: 'char', sz: [1, 1], v: ['a'] }, { t: 'char', sz: [1, 1], v: ['b'] }] }));
    expect(compareVariable(cell, expectedFromYaml(['a', 'b']), 'c', options).ok).toBe(true);
    const logical = decodeOctave(wire({ t: 'bool', sz: [1, 2], v: [1, 0] }));
    expect(compareVariable(logical, expectedFromYaml([true, false]), 'b', options).ok).toBe(true);
    const struct = decodeOctave(wire({ t: 'struct', sz: [1, 1], f: ['n'], v: [[{ t: 'num', c: 'double', sz: [1, 3], re: [1, 2, 3] }]] }));
    expect(compareVariable(struct, expectedFromYaml({ n: [1, 2, 3] }), 's', options).ok).toBe(true);
  });

  test('messages name Octave classes', () => {
    const text = decodeOctave(wire({ t: 'char', sz: [1, 2], v: ['hi'] })) as TPyValue;
    const number = decodeOctave(wire({ t: 'num', c: 'double', sz: [1, 1], re: [2] }));
    expect(compareVariable(text, number, 'x', options)).toMatchObject({ ok: false, message: 'Variable `x` has incorrect type: char vs double' });
  });
});
