import { compilePythonRegex, findAllRegex } from './regex';

// Structural checks count occurrences of a name in the submitted source and require the count to
// lie in allowedOccuranceRange [min, max] (max 0 = unbounded), or to equal countRequirement. With
// neither, the name must occur at least once (the original C engine's "main() exists" rule).

/** A Python token as the driver reports it: [token type name, token text]. */
export type TPyToken = [string, string];

const HAYSTACK_SKIP = new Set(['ENCODING', 'INDENT', 'DEDENT', 'COMMENT', 'STRING', 'ENDMARKER', 'FSTRING_START', 'FSTRING_MIDDLE', 'FSTRING_END']);

export function countPythonOccurrences(input: {
  tokens: TPyToken[];
  name: string;
  needle: string[] | null | undefined;
  occuranceType?: string | undefined;
}): number {
  const { tokens, name, occuranceType } = input;
  if (occuranceType) return tokens.filter(([type, text]) => type === occuranceType && text === name).length;
  const needle = input.needle && input.needle.length > 0 ? input.needle : [name];
  const hay = tokens.filter(([type]) => !HAYSTACK_SKIP.has(type)).map(([, text]) => text);
  if (needle.length === 1) return hay.filter((text) => text === needle[0]).length;
  let count = 0;
  for (let i = 0; i <= hay.length - needle.length; ) {
    if (needle.every((piece, j) => hay[i + j] === piece)) {
      count += 1;
      i += needle.length;
    } else i += 1;
  }
  return count;
}

/** C/C++ source without comments and string/char literals (replaced by blanks). */
export function stripCComments(source: string): string {
  return source.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g, (match) =>
    match.startsWith('"') ? '""' : match.startsWith("'") ? "''" : ' ',
  );
}

export function countCOccurrences(source: string, name: string): number {
  const code = stripCComments(source);
  if (/^[A-Za-z_]\w*$/.test(name)) return (code.match(/[A-Za-z_]\w*/g) ?? []).filter((identifier) => identifier === name).length;
  if (name === '') return 0;
  return code.split(name).length - 1;
}

export function countPatternOccurrences(source: string, pattern: string): number {
  return findAllRegex(compilePythonRegex(pattern), source).length;
}

export interface TRangeOutcome {
  ok: boolean;
  message: string;
  /** `message` without the allowed count or range. */
  publicMessage: string;
  expected: string;
}

export function checkOccurrences(
  name: string,
  count: number,
  range: [number, number] | undefined,
  countRequirement: number | null | undefined,
): TRangeOutcome {
  const found = `\`${name}\` found ${count} times`;
  if (range) {
    const [min, max] = range;
    const upper = max === 0 ? Number.POSITIVE_INFINITY : max;
    const expected = max === 0 ? `at least ${min}` : `${min} to ${max}`;
    const ok = count >= min && count <= upper;
    return { ok, expected, message: `${found}${ok ? '' : `, allowed ${expected}`}`, publicMessage: `${found}${ok ? '' : ', outside the allowed range'}` };
  }
  if (countRequirement !== undefined && countRequirement !== null) {
    const ok = count === countRequirement;
    return { ok, expected: String(countRequirement), message: `${found}${ok ? '' : `, expected ${countRequirement}`}`, publicMessage: `${found}${ok ? '' : ', not the required number'}` };
  }
  const message = count > 0 ? found : `\`${name}\` not found`;
  return { ok: count > 0, expected: 'at least 1', message, publicMessage: message };
}

/** The original R/Julia testers' count (decision R7): raw substring occurrences, comments and strings included. */
export function countRawOccurrences(source: string, name: string): number {
  if (name === '') return 0;
  return source.split(name).length - 1;
}
