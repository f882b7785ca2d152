import { compilePythonRegex, findAllRegex, searchRegex } from './regex';

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

// ---------------------------------------------------------------------------------------------
// Compiled languages (C/C++ and Fortran), as the original's C and Fortran testers analysed a
// source (`testers/executors/c.py` / `fortran.py` `analyze_source`, `tests/c|fortran/test_class.py`
// `_test_structural`). Decision C1 (copy): a check's name is looked up in this order
//   C:       `main` → a `(int|void) main(` definition; a listed keyword that occurs → its count
//            against allowedOccuranceRange; a defined function's name → passes; anything else →
//            substring of the raw source (comments included), or `pattern` searched in it.
//   Fortran: `program` → a program statement; a program/module/subroutine/function name →
//            passes; a listed keyword that occurs → its count against the range; anything else →
//            case-insensitive substring of the raw source, or `pattern` searched case-insensitively.
// A keyword that does not occur is not in the keyword table and falls to the substring branch, so
// `[0, 0]` ("none") on `for` passes when `for` is present and fails ("not found") when it is
// absent. The range is the inherited one: unset means [0, 0] = at least 0 (max 0 = unbounded), so
// `value` and `countRequirement` never decide a keyword (as in the original, where the model
// default made the range always set); ranges of non-keyword names are not looked at at all.
// ---------------------------------------------------------------------------------------------

export type TCompiledStructuralLanguage = 'c' | 'fortran';

export interface TCompiledSourceAnalysis {
  /** C: a `(int|void) main(` definition; Fortran: a program statement. */
  hasMain: boolean;
  /** Names that pass by being defined (C functions; Fortran programs, modules, subroutines, functions), lower-cased for Fortran. */
  defined: string[];
  /** Listed keywords that occur, with their counts (absent keywords are not in the map). */
  keywords: Map<string, number>;
}

const C_KEYWORDS = ['if', 'else', 'for', 'while', 'do', 'switch', 'case', 'return', 'break', 'continue', 'goto', 'struct', 'class', 'typedef', 'enum', 'union', 'malloc', 'free', 'new', 'delete'];

const FORTRAN_KEYWORDS: ReadonlyArray<[string, RegExp]> = [
  ['if', /\bif\s*\(/g],
  ['do', /\bdo\b/g],
  ['while', /\bwhile\b/g],
  ['select', /\bselect\s+case/g],
  ['allocate', /\ballocate\b/g],
  ['deallocate', /\bdeallocate\b/g],
  ['call', /\bcall\b/g],
  ['return', /\breturn\b/g],
  ['read', /\bread\b/g],
  ['write', /\bwrite\b/g],
  ['print', /\bprint\b/g],
  ['open', /\bopen\b/g],
  ['close', /\bclose\b/g],
];

/** The original C tester's comment removal: `//` to the end of the line, then `/* … *\/`; string literals are not protected. */
export function stripCCommentsAsOriginal(source: string): string {
  return source.replace(/\/\/[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
}

/** The original Fortran tester's comment removal: each line cut at its first `!` (inside a string too). */
export function stripFortranComments(source: string): string {
  return source
    .split('\n')
    .map((line) => line.split('!')[0] as string)
    .join('\n');
}

function count(regex: RegExp, text: string): number {
  return (text.match(regex) ?? []).length;
}

export function analyseCSource(source: string): TCompiledSourceAnalysis {
  const code = stripCCommentsAsOriginal(source);
  const defined: string[] = [];
  for (const match of code.matchAll(/\b(\w+)\s+(\w+)\s*\([^)]*\)\s*\{/g)) {
    const name = match[2] as string;
    if (!['if', 'while', 'for', 'switch'].includes(name)) defined.push(name);
  }
  const keywords = new Map<string, number>();
  for (const keyword of C_KEYWORDS) {
    const n = count(new RegExp(`\\b${keyword}\\b`, 'g'), code);
    if (n > 0) keywords.set(keyword, n);
  }
  return { hasMain: /\b(int|void)\s+main\s*\(/.test(code), defined, keywords };
}

export function analyseFortranSource(source: string): TCompiledSourceAnalysis {
  const code = stripFortranComments(source).toLowerCase();
  const names = (regex: RegExp): string[] => [...code.matchAll(regex)].map((match) => match[1] as string);
  const programs = names(/\bprogram\s+(\w+)/g);
  const defined = [...programs, ...names(/\bmodule\s+(\w+)/g).filter((name) => name !== 'procedure'), ...names(/\bsubroutine\s+(\w+)/g), ...names(/\bfunction\s+(\w+)/g)];
  const keywords = new Map<string, number>();
  for (const [keyword, regex] of FORTRAN_KEYWORDS) {
    const n = count(regex, code);
    if (n > 0) keywords.set(keyword, n);
  }
  return { hasMain: programs.length > 0, defined, keywords };
}

export interface TCompiledStructuralOutcome {
  ok: boolean;
  message: string;
  /** `message` without the allowed range or the pattern. */
  publicMessage: string;
  expected?: string | undefined;
  actual?: string | undefined;
}

/**
 * One structural check of a C/C++ or Fortran source with the original's semantics (see above).
 * `range` is the check's resolved allowedOccuranceRange (undefined = the inherited [0, 0]).
 * Throws PatternError for an invalid or runaway `pattern`.
 */
export function compiledStructuralCheck(input: {
  language: TCompiledStructuralLanguage;
  source: string;
  name: string;
  pattern?: string | undefined;
  range: [number, number] | undefined;
}): TCompiledStructuralOutcome {
  const { language, source, name, pattern } = input;
  const fortran = language === 'fortran';
  const analysis = fortran ? analyseFortranSource(source) : analyseCSource(source);
  const same = (message: string, ok: boolean): TCompiledStructuralOutcome => ({ ok, message, publicMessage: message });
  if (name === (fortran ? 'program' : 'main')) {
    if (fortran) return same(analysis.hasMain ? 'program statement found' : 'program statement not found', analysis.hasMain);
    return same(analysis.hasMain ? 'main() function found' : 'main() function not found', analysis.hasMain);
  }
  const keyword = (): TCompiledStructuralOutcome | undefined => {
    const n = analysis.keywords.get(name);
    if (n === undefined) return undefined;
    const outcome = checkOccurrences(name, n, input.range ?? [0, 0], undefined);
    return { ok: outcome.ok, message: outcome.message, publicMessage: outcome.publicMessage, expected: outcome.expected, actual: String(n) };
  };
  const definedName = (): TCompiledStructuralOutcome | undefined => (analysis.defined.includes(name) ? same(`\`${name}\` is defined`, true) : undefined);
  const decided = fortran ? (definedName() ?? keyword()) : (keyword() ?? definedName());
  if (decided) return decided;
  if (pattern !== undefined && pattern !== '') {
    const found = searchRegex(compilePythonRegex(pattern, fortran ? 'i' : ''), source) !== null;
    return found
      ? same(`pattern found in source`, true)
      : { ok: false, message: `pattern ${JSON.stringify(pattern)} not found in source`, publicMessage: 'the expected pattern was not found in the source' };
  }
  const found = fortran ? source.toLowerCase().includes(name.toLowerCase()) : source.includes(name);
  return same(found ? `\`${name}\` found in source` : `\`${name}\` not found in source`, found);
}
