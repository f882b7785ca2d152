// Structural checks for Octave, as the original's Octave tester counted (`run_structural_analysis`
// in testers/executors/octave.py): whole-word occurrences (`\b<name>\b`) of the check's name in the
// source without comments and string literals, against `allowedOccuranceRange` taken literally
// (decision O7, copied: `[0, 0]` means "must not occur", and a range set nowhere is the model
// default `[0, 0]`). Fixed (O10): comments and strings are found by a tokenizer instead of regexes
// applied in the wrong order, so `%` or `#` inside a string does not cut the line, the transpose
// `'` is not a string quote, and `%{ ... %}` block comments (which nest) are removed.

const KEYWORDS_BEFORE_STRINGS = new Set([
  'case',
  'otherwise',
  'if',
  'elseif',
  'while',
  'until',
  'switch',
  'return',
  'else',
  'do',
  'for',
  'parfor',
  'function',
  'global',
  'persistent',
  'unwind_protect',
  'try',
  'catch',
]);

const BLOCK_START = /^[ \t]*[%#]\{[ \t]*$/;
const BLOCK_END = /^[ \t]*[%#]\}[ \t]*$/;

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_]/.test(c);
}

/**
 * The source with comments removed and every string literal replaced by `""` (as the original
 * did), line structure kept. Octave's rules: `%`/`#` start a comment outside strings; lines
 * holding only `%{`/`#{` ... `%}`/`#}` are (nestable) block comments; `...` continues a line and
 * comments out its rest; `"..."` strings know backslash escapes and `""`; `'...'` strings know
 * `''`; a `'` right after an identifier, number, closing bracket, `'` or `.'` is a transpose,
 * after blanks it opens a string inside brackets, after a keyword, or when a command-syntax word
 * starts the statement (`disp 'x'`), and is a transpose otherwise.
 */
export function stripOctaveCommentsAndStrings(source: string): string {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let blockDepth = 0;
  let bracketDepth = 0;
  for (const line of lines) {
    if (BLOCK_START.test(line)) {
      blockDepth += 1;
      out.push('');
      continue;
    }
    if (blockDepth > 0) {
      if (BLOCK_END.test(line)) blockDepth -= 1;
      out.push('');
      continue;
    }
    let result = '';
    // What precedes the current position, for telling a transpose from a string.
    let previous: 'none' | 'value' | 'keyword' | 'operator' = 'none';
    let blankBefore = false;
    let statementStart = true;
    let commandWord = false;
    let i = 0;
    while (i < line.length) {
      const c = line[i] as string;
      if (c === '%' || c === '#') break;
      if (c === '.' && line.startsWith('...', i)) break;
      if (c === ' ' || c === '\t') {
        result += c;
        blankBefore = true;
        i += 1;
        continue;
      }
      if (c === '"' || c === "'") {
        const transpose =
          c === "'" &&
          previous === 'value' &&
          !(blankBefore && (bracketDepth > 0 || commandWord));
        if (transpose) {
          result += c;
          i += 1;
          blankBefore = false;
          continue;
        }
        // A string literal: find its end on this line.
        let j = i + 1;
        while (j < line.length) {
          const d = line[j] as string;
          if (c === '"' && d === '\\') {
            j += 2;
            continue;
          }
          if (d === c) {
            if (line[j + 1] === c) {
              j += 2;
              continue;
            }
            break;
          }
          j += 1;
        }
        result += '""';
        i = j + 1;
        previous = 'value';
        blankBefore = false;
        statementStart = false;
        commandWord = false;
        continue;
      }
      if (isWordChar(c)) {
        let j = i;
        while (j < line.length && (isWordChar(line[j]) || (/[0-9]/.test(c) && (line[j] === '.' || ((line[j] === '+' || line[j] === '-') && /[eEdD]/.test(line[j - 1] ?? '')))))) j += 1;
        const word = line.slice(i, j);
        result += word;
        const wasStart = statementStart;
        previous = KEYWORDS_BEFORE_STRINGS.has(word) ? 'keyword' : 'value';
        // `disp 'x'`: a word that starts a statement, followed by a blank and not by `=` or `(`.
        commandWord = wasStart && previous === 'value' && /^[ \t]+[^ \t=(]/.test(line.slice(j)) && !/^[ \t]+[-+*/\\^|&<>~!.:,;]=?[ \t]/.test(line.slice(j));
        statementStart = false;
        blankBefore = false;
        i = j;
        continue;
      }
      result += c;
      if (c === '[' || c === '{' || c === '(') bracketDepth += c === '(' ? 0 : 1;
      if ((c === ']' || c === '}') && bracketDepth > 0) bracketDepth -= 1;
      if (c === ')' || c === ']' || c === '}') previous = 'value';
      else if (c === '.' && line[i + 1] === "'") {
        // `.'` transpose
        result += "'";
        i += 2;
        previous = 'value';
        blankBefore = false;
        continue;
      } else previous = 'operator';
      statementStart = c === ';' || c === ',' ? bracketDepth === 0 : false;
      if (statementStart) commandWord = false;
      blankBefore = false;
      i += 1;
    }
    // Brackets may continue over lines; a new line starts a statement outside them.
    out.push(result);
  }
  return out.join('\n');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Whole-word occurrences of `name` in the code (Python's `\b` semantics for ASCII words). */
export function countOctaveOccurrences(source: string, name: string): number {
  if (name === '') return 0;
  const code = stripOctaveCommentsAndStrings(source);
  return (code.match(new RegExp(`\\b${escapeRegExp(name)}\\b`, 'g')) ?? []).length;
}

export interface TOctaveRangeOutcome {
  ok: boolean;
  message: string;
  /** `message` without the allowed range. */
  publicMessage: string;
  expected: string;
}

/** `[min, max]` taken literally (O7); unset everywhere = `[0, 0]`, the original's model default. */
export function checkOctaveRange(name: string, count: number, range: [number, number] | undefined): TOctaveRangeOutcome {
  const [min, max] = range ?? [0, 0];
  const found = `\`${name}\` found ${count} times`;
  const expected = max === 0 && min === 0 ? 'none' : min === max ? String(min) : `${min} to ${max}`;
  if (count < min) return { ok: false, expected, message: `${found}, minimum required: ${min}`, publicMessage: `${found}, fewer than required` };
  if (count > max) return { ok: false, expected, message: `${found}, maximum allowed: ${max}`, publicMessage: `${found}, more than allowed` };
  return { ok: true, expected, message: found, publicMessage: found };
}
