import { compilePythonRegex, findAllRegex, PatternError, searchRegex } from './regex';

// Qualifications applied to program output (stdout/stderr) and to str() of variables.
// `matches`, `startsWith`, `endsWith` and `verifyEqual` see the output trimmed and with newlines
// normalised (unless trimOutput/normalizeNewlines say otherwise); `contains` and the regexps see it raw.

export interface TTextCheck {
  qualification: string;
  actual: string;
  /** `value` / `expectedStdout` / the reference run's output, already chosen by the caller. */
  expected?: string | undefined;
  pattern?: string | undefined;
  /** Numbers expected by numericOutput (from `value`). */
  expectedNumbers?: number[] | undefined;
  countRequirement?: number | undefined;
  lineNumber?: number | number[] | undefined;
  ignoreCase?: boolean | undefined;
  ignoreWhitespace?: boolean | undefined;
  trimOutput?: boolean | undefined;
  normalizeNewlines?: boolean | undefined;
  numericTolerance?: number | undefined;
  relativeTolerance?: number | undefined;
  exitCode?: number | null | undefined;
}

export interface TTextOutcome {
  status: 'passed' | 'failed' | 'skipped' | 'error';
  message: string;
  /** `message` without the expected text, pattern or number (set when they differ). */
  publicMessage?: string;
  expected?: string;
  actual?: string;
}

const SUMMARY = 200;
export const summarize = (text: string, max = SUMMARY): string => (text.length > max ? `${text.slice(0, max - 3)}...` : text);

function normalize(text: string, check: TTextCheck): string {
  let out = text;
  if (check.normalizeNewlines ?? true) out = out.replace(/\r\n?/g, '\n');
  if (check.trimOutput ?? true) out = out.trim();
  if (check.ignoreWhitespace) out = out.replace(/\s+/g, ' ');
  if (check.ignoreCase) out = out.toLowerCase();
  return out;
}

function lines(text: string): string[] {
  const all = text.replace(/\r\n?/g, '\n').split('\n');
  if (all.length > 0 && all[all.length - 1] === '') all.pop();
  return all;
}

const NUMBER = /-?\d+\.?\d*(?:[eE][+-]?\d+)?/g;

export function extractNumbers(text: string): number[] {
  return (text.match(NUMBER) ?? []).map(Number).filter((n) => !Number.isNaN(n));
}

const pass = (message: string, extra: Partial<TTextOutcome> = {}): TTextOutcome => ({ status: 'passed', message, ...extra });
const failed = (message: string, expected: string | undefined, actual: string | undefined, publicMessage = message): TTextOutcome => ({
  status: 'failed',
  message,
  ...(publicMessage !== message ? { publicMessage } : {}),
  ...(expected !== undefined ? { expected: summarize(expected) } : {}),
  ...(actual !== undefined ? { actual: summarize(actual) } : {}),
});

function requireText(value: string | undefined, what: string): string {
  if (value === undefined) throw new PatternError(`no ${what} given`);
  return value;
}

function evaluate(check: TTextCheck): TTextOutcome {
  const { qualification } = check;
  const target = check.expected ?? check.pattern;
  const needle = check.pattern ?? check.expected;
  const caseFold = (s: string): string => (check.ignoreCase ? s.toLowerCase() : s);
  switch (qualification) {
    case 'verifyEqual':
    case 'matches': {
      const expected = normalize(requireText(target, 'expected output'), check);
      const actual = normalize(check.actual, check);
      return actual === expected ? pass('output matches') : failed('output does not match', expected, actual);
    }
    case 'contains': {
      const text = requireText(needle, 'pattern');
      return caseFold(check.actual).includes(caseFold(text))
        ? pass(`output contains ${JSON.stringify(text)}`)
        : failed(`output does not contain ${JSON.stringify(text)}`, `contains ${text}`, check.actual, 'output does not contain the expected text');
    }
    case 'startsWith': {
      const text = requireText(needle, 'pattern');
      const actual = normalize(check.actual, check);
      return actual.startsWith(caseFold(text))
        ? pass(`output starts with ${JSON.stringify(text)}`)
        : failed(`output does not start with ${JSON.stringify(text)}`, text, actual.slice(0, text.length + 20), 'output does not start with the expected text');
    }
    case 'endsWith': {
      const text = requireText(needle, 'pattern');
      const actual = normalize(check.actual, check);
      return actual.endsWith(caseFold(text))
        ? pass(`output ends with ${JSON.stringify(text)}`)
        : failed(`output does not end with ${JSON.stringify(text)}`, text, actual.slice(-(text.length + 20)), 'output does not end with the expected text');
    }
    case 'regexp':
    case 'regexpMultiline': {
      const text = requireText(needle, 'pattern');
      const flags = `${qualification === 'regexpMultiline' ? 'ms' : ''}${check.ignoreCase ? 'i' : ''}`;
      return searchRegex(compilePythonRegex(text, flags), check.actual)
        ? pass(`output matches pattern ${JSON.stringify(text)}`)
        : failed(`output does not match pattern ${JSON.stringify(text)}`, text, check.actual, 'output does not match the expected pattern');
    }
    case 'count': {
      const text = requireText(needle, 'pattern');
      if (check.countRequirement === undefined) throw new PatternError('no countRequirement given');
      const count = text === '' ? 0 : caseFold(check.actual).split(caseFold(text)).length - 1;
      return count === check.countRequirement
        ? pass(`${JSON.stringify(text)} occurs ${count} times`)
        : failed(`${JSON.stringify(text)} occurs ${count} times, expected ${check.countRequirement}`, String(check.countRequirement), String(count), `the expected text occurs ${count} times, not the required number`);
    }
    case 'matchesLine':
    case 'containsLine': {
      const expected = normalize(requireText(target, 'expected line'), check);
      const all = lines(check.actual).map((line) => normalize(line, check));
      const wanted = qualification === 'matchesLine' && check.lineNumber !== undefined ? [check.lineNumber].flat() : [];
      if (wanted.length > 0) {
        for (const n of wanted) {
          const line = all[n - 1];
          if (line === undefined) return failed(`line ${n} does not exist (output has ${all.length} lines)`, expected, undefined);
          if (line !== expected) return failed(`line ${n} does not match`, expected, line);
        }
        return pass(`line ${wanted.join(', ')} matches`);
      }
      return all.includes(expected) ? pass('a line matches') : failed('no line matches', expected, check.actual);
    }
    case 'lineCount': {
      const expected = check.expected !== undefined ? Number(check.expected) : check.countRequirement;
      if (expected === undefined || Number.isNaN(expected)) throw new PatternError('no line count given');
      const count = lines(check.actual).length;
      return count === expected
        ? pass(`output has ${count} lines`)
        : failed(`output has ${count} lines, expected ${expected}`, String(expected), String(count), `output has ${count} lines, not the expected number`);
    }
    case 'numericOutput': {
      const expected = check.expectedNumbers ?? (check.expected !== undefined ? extractNumbers(check.expected) : undefined);
      if (!expected || expected.length === 0) throw new PatternError('no expected number given');
      let actual: number[];
      if (check.pattern !== undefined) {
        actual = findAllRegex(compilePythonRegex(check.pattern), check.actual)
          .map((m) => extractNumbers(m[1] ?? m[0])[0])
          .filter((n): n is number => n !== undefined);
      } else actual = extractNumbers(check.actual);
      if (actual.length < expected.length) {
        return failed(`found ${actual.length} numbers, expected at least ${expected.length}`, expected.join(', '), actual.join(', '), `found ${actual.length} numbers, fewer than expected`);
      }
      const atol = check.numericTolerance ?? 1e-6;
      const rtol = check.relativeTolerance ?? 0;
      for (let i = 0; i < expected.length; i += 1) {
        const e = expected[i] as number;
        const a = actual[i] as number;
        const diff = Math.abs(a - e);
        if (!(diff <= atol || (e !== 0 && diff / Math.abs(e) <= rtol))) {
          return failed(`number ${i + 1} is ${a}, expected ${e}`, String(e), String(a), `number ${i + 1} is ${a}, not the expected value`);
        }
      }
      return pass(`${expected.length} number(s) match`);
    }
    case 'exitCode': {
      const expected = check.expected !== undefined ? Number(check.expected) : 0;
      return check.exitCode === expected ? pass(`exit code ${expected}`) : failed('exit code differs', String(expected), String(check.exitCode));
    }
    default:
      return { status: 'skipped', message: `qualification "${qualification}" is not supported` };
  }
}

/** Public text of a check the example got wrong (its pattern is part of the expected result). */
export const INVALID_CHECK = 'BROKEN EXAMPLE (not the student\'s fault): this check is invalid';

export function evaluateTextCheck(check: TTextCheck): TTextOutcome {
  try {
    return evaluate(check);
  } catch (error) {
    if (error instanceof PatternError) return { status: 'error', message: `invalid check: ${error.message}`, publicMessage: INVALID_CHECK };
    throw error;
  }
}
