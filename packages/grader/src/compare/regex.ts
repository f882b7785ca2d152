import vm from 'node:vm';

// Patterns in test.yaml are Python regular expressions; JavaScript's are close enough once the
// Python-only spellings are translated. Matching runs under a time limit because the subject is
// untrusted program output and a lecturer's pattern may backtrack catastrophically.

export class PatternError extends Error {
  override readonly name = 'PatternError';
}

const MATCH_TIMEOUT_MS = 1000;
const context = vm.createContext({});

export function compilePythonRegex(pattern: string, extraFlags = ''): RegExp {
  let source = pattern;
  const flags = new Set(extraFlags.split('').filter(Boolean));
  const inline = /^\(\?([aiLmsux]+)\)/.exec(source);
  if (inline) {
    source = source.slice(inline[0].length);
    for (const flag of inline[1] as string) {
      if (flag === 'i' || flag === 'm' || flag === 's') flags.add(flag);
      else if (flag === 'x' || flag === 'L') throw new PatternError(`inline flag (?${flag}) is not supported`);
    }
  }
  source = source
    .replace(/\(\?P</g, '(?<')
    .replace(/\(\?P=(\w+)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$(?![\\s\\S])');
  flags.add('u');
  try {
    return new RegExp(source, [...flags].join(''));
  } catch {
    try {
      flags.delete('u');
      return new RegExp(source, [...flags].join(''));
    } catch (error) {
      throw new PatternError(`invalid pattern ${JSON.stringify(pattern)}: ${(error as Error).message}`);
    }
  }
}

function run<T>(code: string, bindings: Record<string, unknown>): T {
  Object.assign(context, bindings);
  try {
    return vm.runInContext(code, context, { timeout: MATCH_TIMEOUT_MS }) as T;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      throw new PatternError(`pattern took longer than ${MATCH_TIMEOUT_MS} ms to match (catastrophic backtracking?)`);
    }
    throw error;
  } finally {
    for (const key of Object.keys(bindings)) delete (context as Record<string, unknown>)[key];
  }
}

/** First match (Python's re.search), or null. */
export function searchRegex(regex: RegExp, subject: string): RegExpExecArray | null {
  const nonGlobal = new RegExp(regex.source, regex.flags.replace('g', ''));
  return run<RegExpExecArray | null>('re.exec(s)', { re: nonGlobal, s: subject });
}

/** Number of non-overlapping matches (Python's len(re.findall)), without keeping them in memory. */
export function countRegex(regex: RegExp, subject: string): number {
  const global = new RegExp(regex.source, regex.flags.includes('g') ? regex.flags : `${regex.flags}g`);
  return run<number>('(() => { let n = 0; for (const _ of s.matchAll(re)) n += 1; return n; })()', { re: global, s: subject });
}

/** All non-overlapping matches (Python's re.findall / finditer). */
export function findAllRegex(regex: RegExp, subject: string): RegExpExecArray[] {
  const global = new RegExp(regex.source, regex.flags.includes('g') ? regex.flags : `${regex.flags}g`);
  return run<RegExpExecArray[]>('Array.from(s.matchAll(re))', { re: global, s: subject });
}
