import { z } from 'zod';
import { fromYaml, type TPyFloat, type TPyValue } from '../../compare/py-value';

// Values as the Octave driver (driver/__computor_driver__.m) writes them, and their mapping onto
// the tagged values compare/compare-values.ts compares (TPyValue), so that Octave gets the
// original engine's comparison semantics without a comparison of its own.
//
// Wire format (column-major data with the size, as Octave stores arrays):
//   {t:'num', c: class, sz, re, im?}   numeric (double, single, int8..uint64), im for complex
//   {t:'bool', sz, v}                   logical, 0/1
//   {t:'char', sz, v: rows}             char matrix, one string per row
//   {t:'cell', sz, v}                   cell array, elements column-major
//   {t:'struct', sz, f, v}              struct array: field names, per element its field values
//   {t:'fh', v}                         function handle (func2str)
//   {t:'x', c, r}                       anything else: class and why it is not transferred
// Numbers are JSON numbers, "nan"/"inf"/"-inf", or digit strings (integers beyond 2^53).
//
// Mapping (fixes O3 and O4 of the original, which reshaped column-major data in C order and lost
// imaginary parts): a numeric or logical array of one element is a scalar (the original sent
// scalars raw: an integer-valued double arrived as a Python int, so it is an `int` here, typed
// `double`); other arrays are ndarrays of their full size with the data in row-major order;
// complex keeps both parts; a char row is a string, a char matrix a list of row strings; a cell
// or struct array is a list (a vector flat, a matrix as rows of lists); a scalar struct a dict.
// `pytype` carries the Octave class, which messages name.

export type TOctWire =
  | { t: 'num'; c: string; sz: number[]; re: TOctNumber[]; im?: TOctNumber[] | undefined }
  | { t: 'bool'; sz: number[]; v: number[] }
  | { t: 'char'; sz: number[]; v: string[] }
  | { t: 'cell'; sz: number[]; v: TOctWire[] }
  | { t: 'struct'; sz: number[]; f: string[]; v: TOctWire[][] }
  | { t: 'fh'; v: string }
  | { t: 'x'; c: string; r: string };

type TOctNumber = number | string;

const NUMERIC_CLASSES = ['double', 'single', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64'] as const;
const ZSize = z.array(z.number().int().nonnegative()).min(2).max(32);
const ZNumber = z.union([z.number(), z.enum(['nan', 'inf', '-inf']), z.string().regex(/^-?\d{1,20}$/)]);
const MAX_ELEMENTS = 2_000_000;

function elements(size: readonly number[]): number {
  return size.reduce((n, d) => n * d, 1);
}

// Numeric data reaches millions of elements: checked without zod.
function numbers(raw: unknown[]): boolean {
  for (const x of raw) {
    if (typeof x === 'number') continue;
    if (!ZNumber.safeParse(x).success) return false;
  }
  return true;
}

export const ZOctWire: z.ZodType<TOctWire> = z.lazy(() =>
  z.discriminatedUnion('t', [
    z
      .object({ t: z.literal('num'), c: z.enum(NUMERIC_CLASSES), sz: ZSize, re: z.array(z.unknown()), im: z.array(z.unknown()).optional() })
      .strict()
      .refine((v) => {
        const n = elements(v.sz);
        return n <= MAX_ELEMENTS && v.re.length === n && (v.im === undefined || v.im.length === n) && numbers(v.re) && (v.im === undefined || numbers(v.im));
      }, 'not a numeric array the driver writes'),
    z
      .object({ t: z.literal('bool'), sz: ZSize, v: z.array(z.union([z.literal(0), z.literal(1)])) })
      .strict()
      .refine((v) => v.v.length === elements(v.sz), 'not a logical array the driver writes'),
    z
      .object({ t: z.literal('char'), sz: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]), v: z.array(z.string()) })
      .strict()
      .refine((v) => v.v.length === v.sz[0], 'not a char array the driver writes'),
    z
      .object({ t: z.literal('cell'), sz: ZSize, v: z.array(ZOctWire) })
      .strict()
      .refine((v) => v.v.length === elements(v.sz), 'not a cell array the driver writes'),
    z
      .object({ t: z.literal('struct'), sz: ZSize, f: z.array(z.string()), v: z.array(z.array(ZOctWire)) })
      .strict()
      .refine((v) => v.v.length === elements(v.sz) && v.v.every((members) => members.length === v.f.length) && new Set(v.f).size === v.f.length, 'not a struct array the driver writes'),
    z.object({ t: z.literal('fh'), v: z.string() }).strict(),
    z.object({ t: z.literal('x'), c: z.string(), r: z.string() }).strict(),
  ]),
) as z.ZodType<TOctWire>;

/** Row-major (C order) positions of column-major data of this size: result[i] = column-major index of row-major element i. */
export function rowMajorOrder(size: readonly number[]): number[] {
  const n = elements(size);
  const order = new Array<number>(n);
  const strides: number[] = [];
  let stride = 1;
  for (const d of size) {
    strides.push(stride);
    stride *= d;
  }
  const index = new Array<number>(size.length).fill(0);
  for (let i = 0; i < n; i += 1) {
    let offset = 0;
    for (let k = 0; k < size.length; k += 1) offset += (index[k] as number) * (strides[k] as number);
    order[i] = offset;
    // Advance the last dimension fastest.
    for (let k = size.length - 1; k >= 0; k -= 1) {
      index[k] = (index[k] as number) + 1;
      if ((index[k] as number) < (size[k] as number)) break;
      index[k] = 0;
    }
  }
  return order;
}

function reorder<T>(data: readonly T[], size: readonly number[]): T[] {
  return rowMajorOrder(size).map((i) => data[i] as T);
}

const DTYPES: Record<string, { dtype: string; kind: string }> = {
  double: { dtype: 'float64', kind: 'f' },
  single: { dtype: 'float32', kind: 'f' },
  int8: { dtype: 'int8', kind: 'i' },
  int16: { dtype: 'int16', kind: 'i' },
  int32: { dtype: 'int32', kind: 'i' },
  int64: { dtype: 'int64', kind: 'i' },
  uint8: { dtype: 'uint8', kind: 'u' },
  uint16: { dtype: 'uint16', kind: 'u' },
  uint32: { dtype: 'uint32', kind: 'u' },
  uint64: { dtype: 'uint64', kind: 'u' },
};

function float(x: TOctNumber): TPyFloat {
  if (x === 'nan' || x === 'inf' || x === '-inf') return x;
  return typeof x === 'number' ? x : Number(x);
}

function realScalar(cls: string, x: TOctNumber): TPyValue {
  const integerClass = DTYPES[cls]?.kind !== 'f';
  if (typeof x === 'string' && /^-?\d+$/.test(x)) return { t: 'int', v: x, pytype: cls };
  const value = float(x);
  if (integerClass || (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= 2 ** 53 && !Object.is(value, -0))) {
    return { t: 'int', v: value as number, pytype: cls };
  }
  return { t: 'float', v: value, pytype: cls };
}

/** A list of `items` (row-major) shaped like an Octave cell/struct array: vectors flat, matrices as nested rows. */
function nested(items: TPyValue[], size: readonly number[], pytype: string): TPyValue {
  const dims = size.filter((d) => d !== 1);
  if (dims.length <= 1 || items.length === 0) return { t: 'list', items, pytype };
  const build = (offset: number, level: number): TPyValue => {
    const d = dims[level] as number;
    if (level === dims.length - 1) return { t: 'list', items: items.slice(offset, offset + d), pytype };
    const inner = dims.slice(level + 1).reduce((n, x) => n * x, 1);
    return { t: 'list', items: Array.from({ length: d }, (_, k) => build(offset + k * inner, level + 1)), pytype };
  };
  return build(0, 0);
}

/** An Octave value from the driver as the tagged value comparison works on. */
export function decodeOctave(wire: TOctWire): TPyValue {
  switch (wire.t) {
    case 'num': {
      const n = elements(wire.sz);
      const { dtype, kind } = DTYPES[wire.c] ?? { dtype: wire.c, kind: 'f' };
      if (wire.im !== undefined) {
        if (n === 1) return { t: 'complex', re: float(wire.re[0] as TOctNumber), im: float(wire.im[0] as TOctNumber), pytype: wire.c };
        const im = wire.im;
        const data = wire.re.map((re, i) => [float(re), float(im[i] as TOctNumber)]);
        return { t: 'ndarray', dtype: wire.c === 'single' ? 'complex64' : 'complex128', kind: 'c', shape: wire.sz, data: reorder(data, wire.sz), pytype: wire.c };
      }
      if (n === 1) return realScalar(wire.c, wire.re[0] as TOctNumber);
      const data = wire.re.map((x) => (kind === 'f' ? float(x) : typeof x === 'string' ? x : x));
      return { t: 'ndarray', dtype, kind, shape: wire.sz, data: reorder(data, wire.sz), pytype: wire.c };
    }
    case 'bool': {
      if (elements(wire.sz) === 1) return { t: 'bool', v: wire.v[0] === 1, pytype: 'logical' };
      return { t: 'ndarray', dtype: 'bool', kind: 'b', shape: wire.sz, data: reorder(wire.v.map((x) => x === 1), wire.sz), pytype: 'logical' };
    }
    case 'char': {
      if ((wire.sz[0] ?? 0) <= 1) {
        const text = wire.v[0] ?? '';
        return { t: 'str', v: text, pytype: 'char', str: text };
      }
      return { t: 'list', items: wire.v.map((row) => ({ t: 'str', v: row, pytype: 'char', str: row }) as TPyValue), pytype: 'char' };
    }
    case 'cell':
      return nested(reorder(wire.v, wire.sz).map(decodeOctave), wire.sz, 'cell');
    case 'struct': {
      const dicts = wire.v.map((members): TPyValue => ({
        t: 'dict',
        items: wire.f.map((field, k) => [{ t: 'str', v: field }, decodeOctave(members[k] as TOctWire)]),
        pytype: 'struct',
      }));
      if (elements(wire.sz) === 1) return dicts[0] as TPyValue;
      return nested(reorder(dicts, wire.sz), wire.sz, 'struct');
    }
    case 'fh':
      return { t: 'object', type: 'function_handle', repr: wire.v, str: wire.v };
    case 'x':
      return { t: 'unsupported', type: wire.c, reason: wire.r };
  }
}

function isNumberLike(value: unknown): value is number | boolean {
  return typeof value === 'number' || typeof value === 'boolean';
}

function numericArray(values: Array<number | boolean>, shape: number[]): TPyValue {
  const allBool = values.length > 0 && values.every((v) => typeof v === 'boolean');
  if (allBool) return { t: 'ndarray', dtype: 'bool', kind: 'b', shape, data: values, pytype: 'logical' };
  const data = values.map((v): TPyFloat => {
    const n = Number(v);
    if (Number.isNaN(n)) return 'nan';
    if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
    return n;
  });
  return { t: 'ndarray', dtype: 'float64', kind: 'f', shape, data, pytype: 'double' };
}

/**
 * A `value:` of test.yaml read the way an Octave author writes it: `[1, 2, 3]` is the row vector
 * `[1 2 3]` (1x3), `[[1, 2], [3, 4]]` the matrix `[1 2; 3 4]`, `[5]` the scalar 5, `[]` the
 * empty matrix; lists of texts or of mixed items stay lists (they compare with cell arrays).
 */
export function expectedFromYaml(value: unknown): TPyValue {
  if (Array.isArray(value)) {
    if (value.length === 0) return { t: 'ndarray', dtype: 'float64', kind: 'f', shape: [0, 0], data: [], pytype: 'double' };
    if (value.every(isNumberLike)) {
      if (value.length === 1) return fromYaml(value[0]);
      return numericArray(value, [1, value.length]);
    }
    const width = Array.isArray(value[0]) ? (value[0] as unknown[]).length : -1;
    if (width > 0 && value.every((row) => Array.isArray(row) && row.length === width && row.every(isNumberLike))) {
      return numericArray((value as Array<Array<number | boolean>>).flat(), [value.length, width]);
    }
    return { t: 'list', items: value.map(expectedFromYaml) };
  }
  if (value !== null && typeof value === 'object') {
    return { t: 'dict', items: Object.entries(value as Record<string, unknown>).map(([k, v]) => [{ t: 'str', v: k }, expectedFromYaml(v)]) };
  }
  return fromYaml(value);
}
