// Values as the Python driver serialises them (see src/languages/python/driver.py): tagged JSON that keeps
// what comparison needs (Python type, numpy dtype and shape, NaN/inf, big integers).

export type TPyFloat = number | 'nan' | 'inf' | '-inf';

export type TPyValue = (
  | { t: 'none' }
  | { t: 'bool'; v: boolean }
  | { t: 'int'; v: number | string }
  | { t: 'float'; v: TPyFloat }
  | { t: 'complex'; re: TPyFloat; im: TPyFloat }
  | { t: 'str'; v: string; truncated?: boolean; len?: number }
  | { t: 'bytes'; v: string }
  | { t: 'list' | 'tuple' | 'set' | 'frozenset'; items: TPyValue[] }
  | { t: 'dict'; items: Array<[TPyValue, TPyValue]> }
  | { t: 'ndarray'; dtype: string; kind: string; shape: number[]; data: unknown[] }
  | { t: 'npscalar'; dtype: string; kind: string; v: unknown }
  | { t: 'object'; type: string; repr: string }
  | { t: 'unsupported'; type: string; reason: string }
) & { pytype?: string; str?: string };

export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value === 'nan') return Number.NaN;
  if (value === 'inf') return Number.POSITIVE_INFINITY;
  if (value === '-inf') return Number.NEGATIVE_INFINITY;
  if (typeof value === 'string') return Number(value);
  return Number.NaN;
}

/** Converts a value written in test.yaml (`value:`) to the driver's representation. */
export function fromYaml(value: unknown): TPyValue {
  if (value === null || value === undefined) return { t: 'none' };
  if (typeof value === 'boolean') return { t: 'bool', v: value };
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return { t: 'float', v: 'nan' };
    if (!Number.isFinite(value)) return { t: 'float', v: value > 0 ? 'inf' : '-inf' };
    return Number.isInteger(value) ? { t: 'int', v: value } : { t: 'float', v: value };
  }
  if (typeof value === 'string') return { t: 'str', v: value };
  if (Array.isArray(value)) return { t: 'list', items: value.map(fromYaml) };
  if (typeof value === 'object') {
    return { t: 'dict', items: Object.entries(value as Record<string, unknown>).map(([k, v]) => [{ t: 'str', v: k }, fromYaml(v)]) };
  }
  return { t: 'str', v: String(value) };
}

const NUMERIC_KINDS = new Set(['b', 'i', 'u', 'f', 'c']);

/** Python's numeric tower plus numpy number/bool scalars (bool is an int in Python). */
export function isNumericScalar(value: TPyValue): boolean {
  return (
    value.t === 'bool' ||
    value.t === 'int' ||
    value.t === 'float' ||
    value.t === 'complex' ||
    (value.t === 'npscalar' && NUMERIC_KINDS.has(value.kind))
  );
}

export function isComplexScalar(value: TPyValue): boolean {
  return value.t === 'complex' || (value.t === 'npscalar' && value.kind === 'c');
}

export function typeName(value: TPyValue): string {
  if (value.pytype) return value.pytype;
  switch (value.t) {
    case 'none':
      return 'NoneType';
    case 'ndarray':
      return 'numpy.ndarray';
    case 'npscalar':
      return `numpy.${value.dtype}`;
    case 'object':
    case 'unsupported':
      return value.type;
    default:
      return value.t;
  }
}

function pyFloat(value: unknown): string {
  const n = toNumber(value);
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  return Number.isInteger(n) && Math.abs(n) < 1e16 ? `${n}.0` : String(n);
}

function pyComplex(re: unknown, im: unknown): string {
  const r = toNumber(re);
  const i = toNumber(im);
  const imag = `${i < 0 || Object.is(i, -0) ? '-' : '+'}${pyFloat(Math.abs(i)).replace(/\.0$/, '')}j`;
  return r === 0 && !Object.is(r, -0) ? `${pyFloat(i).replace(/\.0$/, '')}j` : `(${pyFloat(r).replace(/\.0$/, '')}${imag})`;
}

function renderArrayElement(kind: string, element: unknown): string {
  if (kind === 'f') return pyFloat(element);
  if (kind === 'c' && Array.isArray(element)) return pyComplex(element[0], element[1]);
  if (kind === 'b') return element ? 'True' : 'False';
  if (kind === 'U' || kind === 'S') return `'${String(element)}'`;
  if (kind === 'O' && typeof element === 'object' && element !== null) return render(element as TPyValue, 60);
  return String(element);
}

/** Short Python-like rendering for messages (never the full value). */
export function render(value: TPyValue, maxLength = 200): string {
  let text: string;
  switch (value.t) {
    case 'none':
      text = 'None';
      break;
    case 'bool':
      text = value.v ? 'True' : 'False';
      break;
    case 'int':
      text = String(value.v);
      break;
    case 'float':
      text = pyFloat(value.v);
      break;
    case 'complex':
      text = pyComplex(value.re, value.im);
      break;
    case 'str':
      text = `'${value.v.length > maxLength ? value.v.slice(0, maxLength) : value.v}'`;
      break;
    case 'bytes':
      text = `b'${value.v.slice(0, maxLength)}'`;
      break;
    case 'list':
    case 'tuple':
    case 'set':
    case 'frozenset': {
      const inner = value.items.slice(0, 20).map((item) => render(item, 60));
      if (value.items.length > 20) inner.push('...');
      const [open, close] = value.t === 'list' ? ['[', ']'] : value.t === 'tuple' ? ['(', ')'] : ['{', '}'];
      text = `${open}${inner.join(', ')}${value.t === 'tuple' && value.items.length === 1 ? ',' : ''}${close}`;
      break;
    }
    case 'dict': {
      const inner = value.items.slice(0, 20).map(([k, v]) => `${render(k, 40)}: ${render(v, 60)}`);
      if (value.items.length > 20) inner.push('...');
      text = `{${inner.join(', ')}}`;
      break;
    }
    case 'ndarray': {
      const elements = value.data.slice(0, 12).map((e) => renderArrayElement(value.kind, e));
      if (value.data.length > 12) elements.push('...');
      text = `array([${elements.join(', ')}], dtype=${value.dtype}, shape=(${value.shape.join(', ')}${value.shape.length === 1 ? ',' : ''}))`;
      break;
    }
    case 'npscalar':
      text = `${value.dtype}(${renderArrayElement(value.kind, value.v)})`;
      break;
    case 'object':
      text = value.repr;
      break;
    case 'unsupported':
      text = `<${value.type}: ${value.reason}>`;
      break;
  }
  return text.length > maxLength ? `${text.slice(0, maxLength - 3)}...` : text;
}

/** Python's `str(value)`: from the driver when it sent it, else an approximation (values from test.yaml). */
export function pyStr(value: TPyValue): string {
  if (value.str !== undefined) return value.str;
  if (value.t === 'str') return value.v;
  return render(value, Number.MAX_SAFE_INTEGER);
}
