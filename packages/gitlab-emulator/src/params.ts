import { paramError } from './errors';

export type TInput = Record<string, unknown>;

// Grape coerces query and body values; these helpers do the same and fail with Grape's `error` bodies.

export function str(input: TInput, key: string): string | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw paramError(`${key} is invalid`);
}

export function int(input: TInput, key: string): number | undefined {
  const v = input[key];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n)) throw paramError(`${key} is invalid`);
  return n;
}

// Grape coerces Boolean parameters with dry-types' Params::Bool, case-insensitively.
const TRUE_WORDS = new Set(['1', 'on', 't', 'true', 'y', 'yes']);
const FALSE_WORDS = new Set(['0', 'off', 'f', 'false', 'n', 'no']);

export function bool(input: TInput, key: string): boolean | undefined {
  const v = input[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (v === true || v === 1) return true;
  if (v === false || v === 0) return false;
  if (typeof v === 'string') {
    const word = v.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  throw paramError(`${key} is invalid`);
}

/** Grape's `requires`: "a is missing, b is missing". */
export function requireParams(input: TInput, keys: string[]): void {
  const missing = keys.filter((k) => input[k] === undefined || input[k] === null || input[k] === '');
  if (missing.length > 0) throw paramError(missing.map((k) => `${k} is missing`).join(', '));
}

export function oneOf<T extends string>(input: TInput, key: string, values: readonly T[]): T | undefined {
  const v = str(input, key);
  if (v === undefined) return undefined;
  if (!(values as readonly string[]).includes(v)) throw paramError(`${key} does not have a valid value`);
  return v as T;
}
