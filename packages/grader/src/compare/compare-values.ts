import { isComplexScalar, isNumericScalar, render, toNumber, typeName, type TPyValue } from './py-value';

// Comparison semantics of the original engine (computor-testing), applied to serialised values:
// - typeCheck: numeric types (bool, int, float, complex, numpy number scalars) are compatible with
//   each other, a numpy array with anything (values and shapes decide); list and tuple are
//   compatible because the original's JSON transport turned both into lists; others must match.
// - scalars pass when the relative OR the absolute difference is within tolerance;
// - arrays (either side) compare like numpy.allclose (|a-e| <= atol + rtol*|e|, NaN equal to NaN
//   when equalNaN), non-numeric arrays exactly; shapes must agree;
// - lists/tuples elementwise, dicts by key set and value, strings and everything else exactly.

export interface TCompareOptions {
  relativeTolerance: number;
  absoluteTolerance: number;
  typeCheck: boolean;
  shapeCheck: boolean;
  equalNaN: boolean;
  ignoreClass: boolean;
}

/** A failure names the expected value in `message`; `publicMessage` says the same without it (types stay, values, lengths, shapes and keys go). */
export type TCompareOutcome = { ok: true } | { ok: false; message: string; publicMessage: string };

const OK: TCompareOutcome = { ok: true };
const fail = (message: string, publicMessage = message): TCompareOutcome => ({ ok: false, message, publicMessage });
/** `path` has the wrong value: the full message shows the expected one, the public one only the student's. */
const mismatch = (path: string, actual: TPyValue, expected: TPyValue): TCompareOutcome =>
  fail(`\`${path}\` is ${render(actual, 60)}, expected ${render(expected, 60)}`, `\`${path}\` is ${render(actual, 60)}, not the expected value`);

type TFamily = 'numeric' | 'str' | 'bytes' | 'sequence' | 'set' | 'dict' | 'none' | 'ndarray' | string;

function family(value: TPyValue): TFamily {
  if (value.t === 'ndarray') return 'ndarray';
  if (isNumericScalar(value)) return 'numeric';
  switch (value.t) {
    case 'str':
      return 'str';
    case 'bytes':
      return 'bytes';
    case 'list':
    case 'tuple':
      return 'sequence';
    case 'set':
    case 'frozenset':
      return 'set';
    case 'dict':
      return 'dict';
    case 'none':
      return 'none';
    case 'npscalar':
      return value.kind === 'U' ? 'str' : value.kind === 'S' ? 'bytes' : `npscalar:${value.dtype}`;
    case 'object':
    case 'unsupported':
      return `object:${value.type}`;
    default:
      return value.t;
  }
}

export function typesCompatible(actual: TPyValue, expected: TPyValue): boolean {
  const a = family(actual);
  const e = family(expected);
  return a === 'ndarray' || e === 'ndarray' || a === e;
}

function hasLength(value: TPyValue): boolean {
  return ['str', 'bytes', 'list', 'tuple', 'set', 'frozenset', 'dict', 'ndarray'].includes(value.t);
}

function lengthOf(value: TPyValue): number {
  switch (value.t) {
    case 'str':
      return value.len ?? [...value.v].length;
    case 'bytes':
      return value.v.length;
    case 'list':
    case 'tuple':
    case 'set':
    case 'frozenset':
    case 'dict':
      return value.items.length;
    case 'ndarray':
      return value.shape[0] ?? 0;
    default:
      return 0;
  }
}

/** numpy.asarray(value).shape for nested lists; ragged nesting stops at the ragged level. */
export function shapeOf(value: TPyValue): number[] {
  if (value.t === 'ndarray') return value.shape;
  if (value.t === 'list' || value.t === 'tuple') {
    if (value.items.length === 0) return [0];
    const inner = value.items.map(shapeOf);
    const first = inner[0] as number[];
    const uniform = inner.every((s) => s.length === first.length && s.every((d, i) => d === first[i]));
    return uniform ? [value.items.length, ...first] : [value.items.length];
  }
  if (value.t === 'str' || value.t === 'bytes' || value.t === 'dict' || value.t === 'set' || value.t === 'frozenset') {
    return [lengthOf(value)];
  }
  return [];
}

const formatShape = (shape: number[]): string => `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;

function checkShape(actual: TPyValue, expected: TPyValue, name: string): TCompareOutcome {
  if (actual.t === 'ndarray') {
    const expectedShape = expected.t === 'ndarray' || expected.t === 'list' || expected.t === 'tuple' ? shapeOf(expected) : hasLength(expected) ? [lengthOf(expected)] : [];
    if (formatShape(actual.shape) !== formatShape(expectedShape)) {
      return fail(`Variable \`${name}\` has incorrect shape: ${formatShape(actual.shape)} vs ${formatShape(expectedShape)}`, `Variable \`${name}\` has incorrect shape: ${formatShape(actual.shape)}`);
    }
  } else if (hasLength(actual) && hasLength(expected) && lengthOf(actual) !== lengthOf(expected)) {
    return fail(`Variable \`${name}\` has incorrect length: ${lengthOf(actual)} vs ${lengthOf(expected)}`, `Variable \`${name}\` has incorrect length: ${lengthOf(actual)}`);
  }
  return OK;
}

type TElement =
  | { k: 'num'; v: number }
  | { k: 'complex'; re: number; im: number }
  | { k: 'bool'; v: boolean }
  | { k: 'str'; v: string }
  | { k: 'other'; key: string };

function scalarElement(value: TPyValue): TElement {
  switch (value.t) {
    case 'bool':
      return { k: 'bool', v: value.v };
    case 'int':
    case 'float':
      return { k: 'num', v: toNumber(value.v) };
    case 'complex':
      return { k: 'complex', re: toNumber(value.re), im: toNumber(value.im) };
    case 'str':
      return { k: 'str', v: value.v };
    case 'npscalar':
      return arrayElement(value.kind, value.v);
    default:
      return { k: 'other', key: canonicalKey(value) };
  }
}

function arrayElement(kind: string, raw: unknown): TElement {
  switch (kind) {
    case 'b':
      return { k: 'bool', v: Boolean(raw) };
    case 'i':
    case 'u':
    case 'f':
      return { k: 'num', v: toNumber(raw) };
    case 'c':
      return Array.isArray(raw) ? { k: 'complex', re: toNumber(raw[0]), im: toNumber(raw[1]) } : { k: 'other', key: String(raw) };
    case 'U':
    case 'S':
      return { k: 'str', v: String(raw) };
    case 'O':
      return typeof raw === 'object' && raw !== null ? scalarElement(raw as TPyValue) : { k: 'other', key: String(raw) };
    default:
      return { k: 'str', v: String(raw) };
  }
}

interface TArrayView {
  shape: number[];
  elements: TElement[];
  numeric: boolean;
}

function flatten(value: TPyValue, out: TElement[]): void {
  if (value.t === 'ndarray') value.data.forEach((raw) => out.push(arrayElement(value.kind, raw)));
  else if (value.t === 'list' || value.t === 'tuple') value.items.forEach((item) => flatten(item, out));
  else out.push(scalarElement(value));
}

/** numpy.asarray(value), as far as comparison needs it. */
function asArray(value: TPyValue): TArrayView {
  if (value.t === 'ndarray') {
    return {
      shape: value.shape,
      elements: value.data.map((raw) => arrayElement(value.kind, raw)),
      numeric: ['i', 'u', 'f', 'c'].includes(value.kind),
    };
  }
  const shape = shapeOf(value);
  const elements: TElement[] = [];
  const ragged = (value.t === 'list' || value.t === 'tuple') && shape.length === 1 && value.items.some((i) => i.t === 'list' || i.t === 'tuple' || i.t === 'ndarray');
  if (ragged && (value.t === 'list' || value.t === 'tuple')) value.items.forEach((item) => elements.push({ k: 'other', key: canonicalKey(item) }));
  else flatten(value, elements);
  const numberLike = elements.every((e) => e.k === 'num' || e.k === 'complex' || e.k === 'bool');
  return { shape, elements, numeric: numberLike && elements.some((e) => e.k !== 'bool') };
}

function renderElement(element: TElement): string {
  switch (element.k) {
    case 'num':
      return String(element.v);
    case 'complex':
      return `(${element.re}${element.im < 0 ? '-' : '+'}${Math.abs(element.im)}j)`;
    case 'bool':
      return element.v ? 'True' : 'False';
    case 'str':
      return `'${element.v.length > 40 ? `${element.v.slice(0, 37)}...` : element.v}'`;
    case 'other':
      return element.key.length > 40 ? `${element.key.slice(0, 37)}...` : element.key;
  }
}

function realOf(element: TElement): number | undefined {
  if (element.k === 'num') return element.v;
  if (element.k === 'bool') return element.v ? 1 : 0;
  return undefined;
}

function isClose(actual: TElement, expected: TElement, rtol: number, atol: number, equalNaN: boolean): boolean {
  if (actual.k === 'complex' || expected.k === 'complex') {
    const a = actual.k === 'complex' ? actual : { re: realOf(actual), im: 0 };
    const e = expected.k === 'complex' ? expected : { re: realOf(expected), im: 0 };
    if (a.re === undefined || e.re === undefined) return false;
    const aNaN = Number.isNaN(a.re) || Number.isNaN(a.im);
    const eNaN = Number.isNaN(e.re) || Number.isNaN(e.im);
    if (aNaN || eNaN) return equalNaN && aNaN && eNaN;
    if (a.re === e.re && a.im === e.im) return true;
    const diff = Math.hypot(a.re - e.re, a.im - e.im);
    return Number.isFinite(diff) && diff <= atol + rtol * Math.hypot(e.re, e.im);
  }
  const a = realOf(actual);
  const e = realOf(expected);
  if (a === undefined || e === undefined) return false;
  if (Number.isNaN(a) || Number.isNaN(e)) return equalNaN && Number.isNaN(a) && Number.isNaN(e);
  if (a === e) return true;
  if (!Number.isFinite(a) || !Number.isFinite(e)) return false;
  return Math.abs(a - e) <= atol + rtol * Math.abs(e);
}

function elementsEqual(actual: TElement, expected: TElement): boolean {
  const a = realOf(actual);
  const e = realOf(expected);
  if (a !== undefined && e !== undefined) return a === e || (Number.isNaN(a) && Number.isNaN(e));
  if (actual.k === 'str' && expected.k === 'str') return actual.v === expected.v;
  if (actual.k === 'other' && expected.k === 'other') return actual.key === expected.key;
  if (actual.k === 'complex' && expected.k === 'complex') return actual.re === expected.re && actual.im === expected.im;
  return false;
}

/** Identity of a value for dict keys and sets; equal numbers compare equal across int/float/bool like in Python. */
export function canonicalKey(value: TPyValue): string {
  switch (value.t) {
    case 'none':
      return 'None';
    case 'bool':
      return `n:${value.v ? 1 : 0}`;
    case 'int':
      return `n:${typeof value.v === 'string' ? value.v : String(value.v)}`;
    case 'float':
      return `n:${String(toNumber(value.v))}`;
    case 'complex':
      return toNumber(value.im) === 0 ? `n:${String(toNumber(value.re))}` : `c:${String(toNumber(value.re))},${String(toNumber(value.im))}`;
    case 'str':
      return `s:${value.v}`;
    case 'bytes':
      return `b:${value.v}`;
    case 'npscalar': {
      const element = arrayElement(value.kind, value.v);
      return element.k === 'num' ? `n:${String(element.v)}` : element.k === 'bool' ? `n:${element.v ? 1 : 0}` : element.k === 'str' ? `s:${element.v}` : JSON.stringify(value.v);
    }
    case 'list':
    case 'tuple':
      return `${value.t}:[${value.items.map(canonicalKey).join(',')}]`;
    case 'set':
    case 'frozenset':
      return `set:{${value.items.map(canonicalKey).sort().join(',')}}`;
    case 'dict':
      return `dict:{${value.items.map(([k, v]) => `${canonicalKey(k)}=${canonicalKey(v)}`).sort().join(',')}}`;
    case 'ndarray':
      return `nd:${value.dtype}:${value.shape.join('x')}:${JSON.stringify(value.data)}`;
    case 'object':
      return `o:${value.type}:${value.repr}`;
    case 'unsupported':
      return `u:${value.type}:${value.reason}`;
  }
}

function bigIntOf(value: TPyValue): bigint | undefined {
  if (value.t === 'int') {
    try {
      return BigInt(value.v);
    } catch {
      return undefined;
    }
  }
  if (value.t === 'bool') return value.v ? 1n : 0n;
  return undefined;
}

function compareScalars(actual: TPyValue, expected: TPyValue, options: TCompareOptions): boolean {
  const bigA = bigIntOf(actual);
  const bigE = bigIntOf(expected);
  if (bigA !== undefined && bigE !== undefined) {
    // Exact integers: the difference is computed exactly, then judged by the tolerances.
    if (bigA === bigE) return true;
    const diff = Number(bigA > bigE ? bigA - bigE : bigE - bigA);
    const magnitude = Math.abs(Number(bigE));
    return diff <= options.absoluteTolerance || (magnitude > 0 && diff / magnitude <= options.relativeTolerance);
  }
  const a = scalarElement(actual);
  const e = scalarElement(expected);
  const av = realOf(a);
  const ev = realOf(e);
  if (av === undefined || ev === undefined) return false;
  if (Number.isNaN(av) || Number.isNaN(ev)) return options.equalNaN && Number.isNaN(av) && Number.isNaN(ev);
  if (av === ev) return true;
  if (!Number.isFinite(av) || !Number.isFinite(ev)) return false;
  const diff = Math.abs(av - ev);
  if (ev !== 0 && diff / Math.abs(ev) <= options.relativeTolerance) return true;
  return diff <= options.absoluteTolerance;
}

function compareAt(actual: TPyValue, expected: TPyValue, path: string, options: TCompareOptions): TCompareOutcome {
  if (actual.t === 'unsupported') return fail(`\`${path}\` cannot be compared: ${actual.reason}`);
  if (expected.t === 'unsupported') return fail(`reference value of \`${path}\` cannot be compared: ${expected.reason}`, `\`${path}\` cannot be compared with the expected value`);
  if (expected.t === 'none') return actual.t === 'none' ? OK : mismatch(path, actual, expected);
  if (actual.t === 'none') return fail(`\`${path}\` is None, expected ${typeName(expected)}`);

  if (actual.t === 'ndarray' || expected.t === 'ndarray') {
    const a = asArray(actual);
    const e = asArray(expected);
    if (formatShape(a.shape) !== formatShape(e.shape)) return fail(`\`${path}\` has shape ${formatShape(a.shape)}, expected ${formatShape(e.shape)}`, `\`${path}\` has shape ${formatShape(a.shape)}, not the expected shape`);
    if (e.numeric) {
      for (let i = 0; i < e.elements.length; i += 1) {
        const ae = a.elements[i] as TElement;
        if (ae.k !== 'num' && ae.k !== 'complex' && ae.k !== 'bool') return fail(`\`${path}\` is not numeric`);
        if (!isClose(ae, e.elements[i] as TElement, options.relativeTolerance, options.absoluteTolerance, options.equalNaN)) {
          return fail(`\`${path}\` differs at flat index ${i}: ${renderElement(ae)} vs ${renderElement(e.elements[i] as TElement)}`, `\`${path}\` differs at flat index ${i}: ${renderElement(ae)} is not the expected value`);
        }
      }
      return OK;
    }
    for (let i = 0; i < e.elements.length; i += 1) {
      if (!elementsEqual(a.elements[i] as TElement, e.elements[i] as TElement)) {
        return fail(`\`${path}\` differs at flat index ${i}: ${renderElement(a.elements[i] as TElement)} vs ${renderElement(e.elements[i] as TElement)}`, `\`${path}\` differs at flat index ${i}: ${renderElement(a.elements[i] as TElement)} is not the expected value`);
      }
    }
    return OK;
  }

  if (isNumericScalar(expected)) {
    if (isComplexScalar(expected) || isComplexScalar(actual)) {
      if (!isComplexScalar(actual) || !isComplexScalar(expected)) return fail(`\`${path}\` is ${typeName(actual)}, expected ${typeName(expected)}`);
      const ok = isClose(scalarElement(actual), scalarElement(expected), 0, options.absoluteTolerance, options.equalNaN) ||
        isClose(scalarElement(actual), scalarElement(expected), options.relativeTolerance, 0, options.equalNaN);
      return ok ? OK : mismatch(path, actual, expected);
    }
    if (!isNumericScalar(actual)) return fail(`\`${path}\` is ${typeName(actual)}, expected a number`);
    return compareScalars(actual, expected, options) ? OK : mismatch(path, actual, expected);
  }

  const fa = family(actual);
  const fe = family(expected);
  if (fe === 'str') {
    if (fa !== 'str') return fail(`\`${path}\` is ${typeName(actual)}, expected str`);
    if ((actual.t === 'str' && actual.truncated) || (expected.t === 'str' && expected.truncated)) return fail(`\`${path}\` is too large to compare`);
    const av = actual.t === 'str' ? actual.v : String((actual as { v: unknown }).v);
    const ev = expected.t === 'str' ? expected.v : String((expected as { v: unknown }).v);
    return av === ev ? OK : mismatch(path, actual, expected);
  }
  if (expected.t === 'list' || expected.t === 'tuple') {
    if (actual.t !== 'list' && actual.t !== 'tuple') return fail(`\`${path}\` is ${typeName(actual)}, expected ${expected.t}`);
    if (actual.items.length !== expected.items.length) return fail(`\`${path}\` has length ${actual.items.length}, expected ${expected.items.length}`, `\`${path}\` has length ${actual.items.length}, not the expected length`);
    for (let i = 0; i < expected.items.length; i += 1) {
      const outcome = compareAt(actual.items[i] as TPyValue, expected.items[i] as TPyValue, `${path}[${i}]`, options);
      if (!outcome.ok) return outcome;
    }
    return OK;
  }
  if (expected.t === 'dict') {
    if (actual.t !== 'dict') return fail(`\`${path}\` is ${typeName(actual)}, expected dict`);
    const actualByKey = new Map(actual.items.map(([k, v]) => [canonicalKey(k), v]));
    const expectedKeys = expected.items.map(([k]) => canonicalKey(k));
    const sameKeys = actualByKey.size === expectedKeys.length && expectedKeys.every((k) => actualByKey.has(k));
    const actualKeys = render({ t: 'list', items: actual.items.map(([k]) => k) }, 80);
    if (!sameKeys) return fail(`\`${path}\` has keys ${actualKeys}, expected ${render({ t: 'list', items: expected.items.map(([k]) => k) }, 80)}`, `\`${path}\` has keys ${actualKeys}, not the expected keys`);
    for (const [key, value] of expected.items) {
      const outcome = compareAt(actualByKey.get(canonicalKey(key)) as TPyValue, value, `${path}[${render(key, 40)}]`, options);
      if (!outcome.ok) return outcome;
    }
    return OK;
  }
  return canonicalKey(actual) === canonicalKey(expected) && fa === fe ? OK : mismatch(path, actual, expected);
}

/** verifyEqual for a variable: type check, shape check, then value comparison. */
export function compareVariable(actual: TPyValue, expected: TPyValue, name: string, options: TCompareOptions): TCompareOutcome {
  if (options.typeCheck && !options.ignoreClass && !typesCompatible(actual, expected)) {
    return fail(`Variable \`${name}\` has incorrect type: ${typeName(actual)} vs ${typeName(expected)}`);
  }
  if (options.shapeCheck) {
    const shape = checkShape(actual, expected, name);
    if (!shape.ok) return shape;
  }
  const outcome = compareAt(actual, expected, name, options);
  return outcome.ok ? OK : fail(`Variable \`${name}\` has incorrect value: ${outcome.message}`, `Variable \`${name}\` has incorrect value: ${outcome.publicMessage}`);
}
