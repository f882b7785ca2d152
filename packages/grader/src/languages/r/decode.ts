import type { TPyFloat, TPyValue } from '../../compare/py-value';

// R values as the driver sends them (tagged, exact: binary doubles, NA apart from NaN, NULL,
// complex) decoded into the comparison's representation (compare/py-value.ts), with the structure
// the original engine gave them (decision R5): its R tester sent values through jsonlite
// (`toJSON(auto_unbox = TRUE)`) and numpy, so
// - a vector of length 1 (without dim) is a scalar, any other vector a sequence: numeric and
//   logical ones a numpy-like array, character ones a list of strings;
// - a matrix (array) is a list of its rows (row-major nesting), each row an array;
// - a data frame is a list of records (column name -> cell), with `_row` for character row names;
// - a factor is its labels, a Date or POSIXct its text, a named list a dict, an unnamed list a
//   list (an array when every element is a number or a logical, as numpy made it);
// - named vectors lose their names (jsonlite drops them).
// What the original lost is kept: NA (not the string "NA", and inside a numeric vector the vector
// becomes a list of its elements, as there), NaN and infinities, NULL (a value, not a missing
// variable), complex numbers, full double precision.

interface TStrings {
  v: Array<string | null>;
  cut?: number[] | undefined;
  cutLen?: number[] | undefined;
}

interface TAttrs {
  dim?: number[] | undefined;
  class?: string[] | undefined;
  levels?: TStrings | undefined;
}

export type TRValueJson =
  | { t: 'null' }
  | ({ t: 'logical' | 'integer' | 'double' | 'complex' | 'raw'; n: number; at: number } & TAttrs)
  | ({ t: 'character' } & TStrings & TAttrs)
  | ({ t: 'list'; items: TRValueJson[]; names?: TStrings | undefined; nrow?: number | undefined; rowNames?: TStrings | undefined } & TAttrs)
  | { t: 'function'; src: string }
  | { t: 'language'; type: string; src: string }
  | { t: 'unsupported'; type: string; reason: string };

/** The binary part of a report does not hold what its JSON says: the report is not the driver's. */
export class RDecodeError extends Error {
  override readonly name = 'RDecodeError';
}

/** The JSON shape the original's transport produced, with what it lost kept. */
type TJ =
  | { k: 'null' }
  | { k: 'na' }
  | { k: 'bool'; v: boolean }
  | { k: 'int'; v: number; r: string }
  | { k: 'float'; v: TPyFloat; r: string }
  | { k: 'complex'; re: TPyFloat; im: TPyFloat }
  | { k: 'str'; v: string; truncated?: number }
  | { k: 'bytes'; v: string }
  | { k: 'arr'; items: TJ[]; r: string }
  /** A plain vector decoded straight to its array (plainArray). */
  | { k: 'nd'; value: Extract<TPyValue, { t: 'ndarray' }> }
  | { k: 'obj'; entries: Array<[string, TJ]>; r: string }
  | { k: 'object'; type: string; repr: string }
  | { k: 'unsupported'; type: string; reason: string };

const NA_INTEGER = -2147483648;
/** R's NA_real_ is a NaN whose low word is 1954. */
const NA_LOW_WORD = 1954;
/** jsonlite wrote integral doubles below this as integers (digits = 15), others in exponent form. */
const INTEGRAL_LIMIT = 1e15;

/** numpy summarises arrays of more elements than this in str(). */
const NUMPY_SUMMARY_THRESHOLD = 1000;
/** str() of a value is kept up to this many characters. */
const MAX_STR = 1_000_000;
/** Values of more elements get no str(). */
const MAX_STR_ELEMENTS = 100_000;

const WIDTH: Record<string, number> = { logical: 4, integer: 4, double: 8, complex: 16, raw: 1 };

function float(x: number): TPyFloat {
  if (Number.isNaN(x)) return 'nan';
  if (x === Number.POSITIVE_INFINITY) return 'inf';
  if (x === Number.NEGATIVE_INFINITY) return '-inf';
  return x;
}

function doubleElement(x: number | 'NA'): TJ {
  if (x === 'NA') return { k: 'na' };
  if (Number.isInteger(x) && Math.abs(x) < INTEGRAL_LIMIT) return { k: 'int', v: x === 0 ? 0 : x, r: 'numeric' };
  return { k: 'float', v: float(x), r: 'numeric' };
}

function strings(s: TStrings): TJ[] {
  const cut = new Map<number, number>();
  (s.cut ?? []).forEach((index, i) => cut.set(index - 1, (s.cutLen ?? [])[i] ?? 0));
  return s.v.map((v, i): TJ => {
    if (v === null) return { k: 'na' };
    const length = cut.get(i);
    return length === undefined ? { k: 'str', v } : { k: 'str', v, truncated: length };
  });
}

type TBinary = Extract<TRValueJson, { n: number }>;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The bytes of a vector, copied into an aligned buffer (typed-array views read them at native speed). */
function bytesOf(value: TBinary, blob: Buffer): ArrayBuffer {
  const width = WIDTH[value.t] as number;
  const end = value.at + value.n * width;
  if (!Number.isSafeInteger(end) || end > blob.length) throw new RDecodeError(`a ${value.t} vector points past the end of the report`);
  const copy = new Uint8Array(value.n * width);
  copy.set(blob.subarray(value.at, end));
  return copy.buffer;
}

/** A double vector: values, and which are NA (R's NA_real_ is a NaN whose low word is 1954). */
function doublesOf(buffer: ArrayBuffer, count: number, blob: Buffer, at: number): { values: Float64Array; na: Uint8Array | undefined } {
  let values: Float64Array;
  if (LITTLE_ENDIAN) values = new Float64Array(buffer, 0, count);
  else {
    values = new Float64Array(count);
    for (let i = 0; i < count; i += 1) values[i] = blob.readDoubleLE(at + 8 * i);
  }
  let na: Uint8Array | undefined;
  const words = LITTLE_ENDIAN ? new Uint32Array(buffer, 0, 2 * count) : undefined;
  for (let i = 0; i < count; i += 1) {
    if (!Number.isNaN(values[i] as number)) continue;
    const low = words ? words[2 * i] : blob.readUInt32LE(at + 8 * i);
    if (low === NA_LOW_WORD) {
      na ??= new Uint8Array(count);
      na[i] = 1;
    }
  }
  return { values, na };
}

function int32sOf(buffer: ArrayBuffer, count: number, blob: Buffer, at: number): Int32Array {
  if (LITTLE_ENDIAN) return new Int32Array(buffer, 0, count);
  const values = new Int32Array(count);
  for (let i = 0; i < count; i += 1) values[i] = blob.readInt32LE(at + 4 * i);
  return values;
}

function elementsOf(value: TBinary, blob: Buffer): TJ[] {
  const buffer = bytesOf(value, blob);
  const out: TJ[] = [];
  switch (value.t) {
    case 'logical':
      for (const x of int32sOf(buffer, value.n, blob, value.at)) out.push(x === NA_INTEGER ? { k: 'na' } : { k: 'bool', v: x !== 0 });
      break;
    case 'integer':
      for (const x of int32sOf(buffer, value.n, blob, value.at)) out.push(x === NA_INTEGER ? { k: 'na' } : { k: 'int', v: x, r: 'integer' });
      break;
    case 'double': {
      const { values, na } = doublesOf(buffer, value.n, blob, value.at);
      for (let i = 0; i < value.n; i += 1) out.push(doubleElement(na?.[i] ? 'NA' : (values[i] as number)));
      break;
    }
    case 'complex': {
      const { values, na } = doublesOf(buffer, 2 * value.n, blob, value.at);
      for (let i = 0; i < value.n; i += 1) {
        out.push(na?.[2 * i] || na?.[2 * i + 1] ? { k: 'na' } : { k: 'complex', re: float(values[2 * i] as number), im: float(values[2 * i + 1] as number) });
      }
      break;
    }
    case 'raw':
      for (const x of new Uint8Array(buffer)) out.push({ k: 'int', v: x, r: 'raw' });
      break;
  }
  return out;
}

/** The elements of a logical, integer or double vector without NA, as array data; undefined with an NA. */
function plainData(value: TBinary, blob: Buffer): { data: Array<TPyFloat | boolean>; type: 'logical' | 'integer' | 'double' } | undefined {
  if (value.t !== 'logical' && value.t !== 'integer' && value.t !== 'double') return undefined;
  const buffer = bytesOf(value, blob);
  if (value.t === 'double') {
    const { values, na } = doublesOf(buffer, value.n, blob, value.at);
    if (na) return undefined;
    const data = new Array<TPyFloat>(value.n);
    for (let i = 0; i < value.n; i += 1) {
      const x = values[i] as number;
      data[i] = Number.isFinite(x) ? (x === 0 ? 0 : x) : float(x);
    }
    return { data, type: 'double' };
  }
  const ints = int32sOf(buffer, value.n, blob, value.at);
  if (ints.includes(NA_INTEGER)) return undefined;
  return { data: value.t === 'logical' ? Array.from(ints, (x) => x !== 0) : Array.from(ints), type: value.t };
}

/** The array numpy made of these elements (a JSON list of numbers): int unless a double is not integral (or too large). */
function plainArray(data: Array<TPyFloat | boolean>, type: 'logical' | 'integer' | 'double', pytype: string): TJ {
  if (type === 'logical') return { k: 'nd', value: { t: 'ndarray', dtype: 'logical', kind: 'b', shape: [data.length], data, pytype } };
  if (type === 'integer') return { k: 'nd', value: { t: 'ndarray', dtype: 'integer', kind: 'i', shape: [data.length], data, pytype } };
  const integral = data.every((x) => typeof x === 'number' && Number.isInteger(x) && Math.abs(x) < INTEGRAL_LIMIT);
  return { k: 'nd', value: { t: 'ndarray', dtype: 'numeric', kind: integral ? 'i' : 'f', shape: [data.length], data, pytype } };
}

/** Row-major nesting of a plain column-major array: rows straight to arrays (a row of one stays an array). */
function nestPlain(data: Array<TPyFloat | boolean>, type: 'logical' | 'integer' | 'double', dim: number[], r: string): TJ {
  const strides: number[] = [];
  let stride = 1;
  for (const d of dim) {
    strides.push(stride);
    stride *= d;
  }
  const last = dim.length - 1;
  const build = (level: number, offset: number): TJ => {
    if (level === last) {
      const row = new Array<TPyFloat | boolean>(dim[last] as number);
      for (let i = 0; i < row.length; i += 1) row[i] = data[offset + i * (strides[last] as number)] as TPyFloat | boolean;
      // numpy made an empty row a list, as any empty JSON list.
      return row.length === 0 ? { k: 'arr', items: [], r: `${r} row` } : plainArray(row, type, `${r} row`);
    }
    const items: TJ[] = [];
    for (let i = 0; i < (dim[level] as number); i += 1) items.push(build(level + 1, offset + i * (strides[level] as number)));
    return { k: 'arr', items, r: level === 0 ? r : `${r} row` };
  };
  return build(0, 0);
}

/** R's class() of a value, for messages ("numeric", "matrix", "data.frame", ...). */
export function rClass(value: TRValueJson): string {
  if (value.t === 'null') return 'NULL';
  if (value.t === 'function' || value.t === 'unsupported') return value.t === 'function' ? 'function' : value.type;
  if (value.t === 'language') return value.type === 'symbol' ? 'name' : 'call';
  if (value.class && value.class.length > 0) return value.class.join('/');
  if (value.t !== 'list' && value.dim && value.dim.length >= 2) return value.dim.length === 2 ? 'matrix' : 'array';
  if (value.t === 'double') return 'numeric';
  return value.t;
}

type TRList = Extract<TRValueJson, { t: 'list' }>;

function isDataFrame(value: TRValueJson): boolean {
  return value.t === 'list' && (value.class ?? []).includes('data.frame');
}

function isFactor(value: TRValueJson): boolean {
  return value.t === 'integer' && (value.class ?? []).includes('factor') && value.levels !== undefined;
}

/** Elements of an atomic value (factor: its labels), and the R type name of its elements. */
function atomicElements(value: TRValueJson, blob: Buffer): TJ[] | undefined {
  if (value.t === 'character') return strings(value);
  if (value.t === 'logical' || value.t === 'integer' || value.t === 'double' || value.t === 'complex' || value.t === 'raw') {
    const elements = elementsOf(value, blob);
    if (isFactor(value)) {
      const labels = strings(value.levels as TStrings);
      return elements.map((e) => (e.k === 'int' ? (labels[e.v - 1] ?? { k: 'na' }) : { k: 'na' }));
    }
    return elements;
  }
  return undefined;
}

/** make.unique, as jsonlite names list entries: empty names become their 1-based index. */
function listKeys(names: TStrings): string[] {
  const seen = new Map<string, number>();
  const used = new Set<string>();
  const keys = names.v.map((name, i) => (name === null || name === '' ? String(i + 1) : name));
  keys.forEach((key) => used.add(key));
  const firstSeen = new Set<string>();
  return keys.map((key) => {
    if (!firstSeen.has(key)) {
      firstSeen.add(key);
      return key;
    }
    let n = seen.get(key) ?? 1;
    while (used.has(`${key}.${n}`)) n += 1;
    seen.set(key, n + 1);
    const unique = `${key}.${n}`;
    used.add(unique);
    return unique;
  });
}

/** Row-major nesting of a column-major array with dimensions `dim`: the innermost level is never unboxed. */
function nest(elements: TJ[], dim: number[], r: string): TJ {
  const strides: number[] = [];
  let stride = 1;
  for (const d of dim) {
    strides.push(stride);
    stride *= d;
  }
  const build = (level: number, offset: number): TJ => {
    const items: TJ[] = [];
    for (let i = 0; i < (dim[level] as number); i += 1) {
      const at = offset + i * (strides[level] as number);
      items.push(level === dim.length - 1 ? (elements[at] as TJ) : build(level + 1, at));
    }
    return { k: 'arr', items, r: level === 0 ? r : `${r} row` };
  };
  return build(0, 0);
}

function toJ(value: TRValueJson, blob: Buffer): TJ {
  switch (value.t) {
    case 'null':
      return { k: 'null' };
    case 'function':
      return { k: 'object', type: 'function', repr: value.src };
    case 'language':
      return { k: 'object', type: value.type === 'symbol' ? 'name' : 'call', repr: value.src };
    case 'unsupported':
      return { k: 'unsupported', type: value.type, reason: value.reason };
    case 'list':
      return listToJ(value, blob);
    default: {
      const r = rClass(value);
      if (value.t === 'raw') {
        return { k: 'bytes', v: Buffer.from(bytesOf(value, blob)).toString('latin1') };
      }
      const dim = value.dim;
      const matrix = dim !== undefined && dim.length >= 2;
      if (value.t !== 'character' && !isFactor(value) && value.n > 0 && (value.n !== 1 || matrix)) {
        const plain = plainData(value, blob);
        if (plain && matrix) {
          if (dim.reduce((a, b) => a * b, 1) !== value.n) return { k: 'unsupported', type: r, reason: 'dimensions do not match the length' };
          return nestPlain(plain.data, plain.type, dim, r);
        }
        if (plain) return plainArray(plain.data, plain.type, r);
      }
      const elements = atomicElements(value, blob) as TJ[];
      if (dim && dim.length >= 2) {
        if (dim.reduce((a, b) => a * b, 1) !== elements.length) return { k: 'unsupported', type: r, reason: 'dimensions do not match the length' };
        return nest(elements, dim, r);
      }
      if (elements.length === 1) return elements[0] as TJ;
      return { k: 'arr', items: elements, r };
    }
  }
}

function listToJ(value: TRList, blob: Buffer): TJ {
  const r = rClass(value);
  if (isDataFrame(value)) {
    const records = dataFrameRecords(value, blob);
    if (records) return { k: 'arr', items: records, r };
  }
  if (value.names) {
    if (value.names.v.length !== value.items.length) return { k: 'unsupported', type: r, reason: 'names do not match the elements' };
    const keys = listKeys(value.names);
    return { k: 'obj', entries: value.items.map((item, i) => [keys[i] as string, toJ(item, blob)]), r };
  }
  return { k: 'arr', items: value.items.map((item) => toJ(item, blob)), r };
}

/** Cell `row` of a data frame column: an element of a vector, a row of a matrix column, an element of a list column. */
function cellOf(column: TRValueJson, row: number, nrow: number, blob: Buffer, cache: Map<TRValueJson, TJ[]>): TJ | undefined {
  if (column.t === 'list') {
    if (isDataFrame(column)) {
      const records = dataFrameRecords(column as TRList, blob);
      return records?.[row];
    }
    const item = column.items[row];
    return item === undefined ? undefined : toJ(item, blob);
  }
  let elements = cache.get(column);
  if (!elements) {
    elements = atomicElements(column, blob);
    if (!elements) return undefined;
    cache.set(column, elements);
  }
  const dim = 'dim' in column ? column.dim : undefined;
  if (dim && dim.length === 2 && dim[0] === nrow) {
    const cols = dim[1] as number;
    const items: TJ[] = [];
    for (let j = 0; j < cols; j += 1) items.push(elements[row + j * nrow] as TJ);
    return { k: 'arr', items, r: 'matrix row' };
  }
  return elements.length === nrow ? elements[row] : undefined;
}

function dataFrameRecords(value: TRList, blob: Buffer): TJ[] | undefined {
  const nrow = value.nrow;
  if (nrow === undefined || !value.names || value.names.v.length !== value.items.length) return undefined;
  const keys = listKeys(value.names);
  const rowNames = value.rowNames ? strings(value.rowNames) : undefined;
  if (rowNames && rowNames.length !== nrow) return undefined;
  const cache = new Map<TRValueJson, TJ[]>();
  const records: TJ[] = [];
  for (let row = 0; row < nrow; row += 1) {
    const entries: Array<[string, TJ]> = [];
    for (let j = 0; j < value.items.length; j += 1) {
      const cell = cellOf(value.items[j] as TRValueJson, row, nrow, blob, cache);
      if (cell === undefined) return undefined;
      entries.push([keys[j] as string, cell]);
    }
    if (rowNames) entries.push(['_row', rowNames[row] as TJ]);
    records.push({ k: 'obj', entries, r: 'data.frame row' });
  }
  return records;
}

// ---- to the comparison's representation, as numpy and Python's json made it ------------------

function isNumberLike(j: TJ): boolean {
  return j.k === 'bool' || j.k === 'int' || j.k === 'float';
}

function scalarType(j: TJ): string {
  switch (j.k) {
    case 'bool':
      return 'logical';
    case 'int':
    case 'float':
      return j.r;
    case 'complex':
      return 'complex';
    case 'str':
      return 'character';
    default:
      return j.k;
  }
}

function toPy(j: TJ): TPyValue {
  switch (j.k) {
    case 'null':
      return { t: 'none', pytype: 'NULL' };
    case 'na':
      return { t: 'object', type: 'NA', repr: 'NA', pytype: 'NA' };
    case 'bool':
      return { t: 'bool', v: j.v, pytype: 'logical' };
    case 'int':
      return { t: 'int', v: j.v, pytype: j.r };
    case 'float':
      return { t: 'float', v: j.v, pytype: j.r };
    case 'complex':
      return { t: 'complex', re: j.re, im: j.im, pytype: 'complex' };
    case 'str':
      return j.truncated === undefined ? { t: 'str', v: j.v, pytype: 'character' } : { t: 'str', v: j.v, truncated: true, len: j.truncated, pytype: 'character' };
    case 'bytes':
      return { t: 'bytes', v: j.v, pytype: 'raw' };
    case 'object':
      return { t: 'object', type: j.type, repr: j.repr, pytype: j.type };
    case 'unsupported':
      return { t: 'unsupported', type: j.type, reason: j.reason };
    case 'obj':
      return { t: 'dict', items: j.entries.map(([key, item]) => [{ t: 'str', v: key }, toPy(item)]), pytype: j.r };
    case 'nd':
      return j.value;
    case 'arr': {
      const { items } = j;
      if (items.length > 0 && items.every(isNumberLike)) {
        const allBool = items.every((i) => i.k === 'bool');
        const anyFloat = items.some((i) => i.k === 'float');
        const kind = allBool ? 'b' : anyFloat ? 'f' : 'i';
        const data = items.map((i) => (i.k === 'bool' ? (allBool ? i.v : i.v ? 1 : 0) : (i as { v: TPyFloat }).v));
        return { t: 'ndarray', dtype: allBool ? 'logical' : scalarType(items.find((i) => i.k !== 'bool') as TJ), kind, shape: [items.length], data, pytype: j.r };
      }
      if (items.length > 0 && items.some((i) => i.k === 'complex') && items.every((i) => i.k === 'complex' || isNumberLike(i))) {
        const data = items.map((i) => (i.k === 'complex' ? [i.re, i.im] : [i.k === 'bool' ? Number(i.v) : (i as { v: TPyFloat }).v, 0]));
        return { t: 'ndarray', dtype: 'complex', kind: 'c', shape: [items.length], data, pytype: j.r };
      }
      return { t: 'list', items: items.map(toPy), pytype: j.r };
    }
  }
}

// ---- str() of the original's Python value, for string qualifications on variables ------------

function pyFloatRepr(x: TPyFloat): string {
  if (typeof x === 'string') return x;
  // jsonlite sent 15 significant digits; Python printed the float it parsed.
  const rounded = Number(x.toPrecision(15));
  if (Number.isInteger(rounded) && Math.abs(rounded) < 1e16) return `${rounded}.0`;
  const text = String(rounded);
  if (!/e/.test(text) && Math.abs(rounded) < 1e16 && (Math.abs(rounded) >= 1e-4 || rounded === 0)) return text;
  const [mantissa, exponent] = rounded.toExponential().split('e') as [string, string];
  const sign = exponent.startsWith('-') ? '-' : '+';
  const digits = exponent.replace(/^[+-]/, '').padStart(2, '0');
  return `${mantissa}e${sign}${digits}`;
}

function rNumber(x: TPyFloat): string {
  if (x === 'nan') return 'NaN';
  if (x === 'inf') return 'Inf';
  if (x === '-inf') return '-Inf';
  return String(Number(x.toPrecision(15)));
}

function pyQuote(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  const escaped = s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r');
  return `${quote}${quote === "'" ? escaped.replace(/'/g, "\\'") : escaped}${quote}`;
}

/** numpy's str (`[1 2 3]`) or repr (`array([1, 2, 3])`) of a 1-d array, approximately; more than 1000 elements summarised. */
function numpyText(data: unknown[], kind: string, repr: boolean): string {
  const text = (x: unknown): string => {
    if (kind === 'b') return x ? (repr ? 'True' : ' True') : 'False';
    if (kind === 'f') return pyFloatRepr(x as TPyFloat).replace(/\.0$/, '.');
    return String(x);
  };
  const shown = data.length > NUMPY_SUMMARY_THRESHOLD ? [...data.slice(0, 3).map(text), '...', ...data.slice(-3).map(text)] : data.map(text);
  return repr ? `array([${shown.join(', ')}])` : `[${shown.join(' ')}]`;
}

function numberItems(items: TJ[]): { data: unknown[]; kind: string } {
  const allBool = items.every((i) => i.k === 'bool');
  const anyFloat = items.some((i) => i.k === 'float');
  const data = items.map((i) => (i.k === 'bool' ? (allBool ? i.v : Number(i.v)) : (i as { v: unknown }).v));
  return { data, kind: allBool ? 'b' : anyFloat ? 'f' : 'i' };
}

function pyRepr(j: TJ): string {
  switch (j.k) {
    case 'nd':
      return numpyText(j.value.data, j.value.kind, true);
    case 'arr':
      if (j.items.length > 0 && j.items.every(isNumberLike)) {
        const { data, kind } = numberItems(j.items);
        return numpyText(data, kind, true);
      }
      return pyStrOf(j);
    case 'str':
      return pyQuote(j.v);
    case 'na':
      return "'NA'";
    case 'complex':
      return pyQuote(complexText(j.re, j.im));
    default:
      return pyStrOf(j);
  }
}

function complexText(re: TPyFloat, im: TPyFloat): string {
  const imText = rNumber(im);
  return `${rNumber(re)}${imText.startsWith('-') ? '' : '+'}${imText}i`;
}

function pyStrOf(j: TJ): string {
  switch (j.k) {
    case 'null':
      return 'NULL';
    case 'na':
      return 'NA';
    case 'bool':
      return j.v ? 'True' : 'False';
    case 'int':
      return String(j.v);
    case 'float':
      return pyFloatRepr(j.v);
    case 'complex':
      return complexText(j.re, j.im);
    case 'str':
      return j.v;
    case 'bytes':
      return j.v;
    case 'object':
      return j.repr;
    case 'unsupported':
      return `<${j.type}: ${j.reason}>`;
    case 'obj':
      return `{${j.entries.map(([key, item]) => `${pyQuote(key)}: ${pyRepr(item)}`).join(', ')}}`;
    case 'nd':
      return numpyText(j.value.data, j.value.kind, false);
    case 'arr': {
      const { items } = j;
      if (items.length > 0 && items.every(isNumberLike)) {
        const { data, kind } = numberItems(items);
        return numpyText(data, kind, false);
      }
      return `[${items.map(pyRepr).join(', ')}]`;
    }
  }
}

function elementCount(value: TRValueJson): number {
  if ('n' in value) return value.n;
  if (value.t === 'character') return value.v.length;
  if (value.t === 'list') return value.items.reduce((sum, item) => sum + elementCount(item), value.items.length);
  return 1;
}

/** An R value of a report, decoded; throws RDecodeError when the report's binary part does not match. */
export function decodeRValue(value: TRValueJson, blob: Buffer): TPyValue {
  const j = toJ(value, blob);
  const decoded = toPy(j);
  if (decoded.t === 'unsupported') return decoded;
  // str() serves string qualifications on variables; it is not worth its cost for huge values.
  if (elementCount(value) > MAX_STR_ELEMENTS) return { ...decoded, pytype: rClass(value) };
  const str = pyStrOf(j);
  return { ...decoded, pytype: rClass(value), str: str.length > MAX_STR ? str.slice(0, MAX_STR) : str };
}
