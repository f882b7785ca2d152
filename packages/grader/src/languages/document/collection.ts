import type { TCheckResult } from '@computor/contracts';
import { compilePythonRegex, countRegex, PatternError, searchRegex } from '../../compare/regex';
import type { TResolvedCheck, TResolvedCollection } from '../../example/resolve';
import { readFileInside, UnsafePathError } from '../../files';
import { allChecks, brokenExample, checkResult, existChecks, invalidCheck, skipAll, type TCollectionOutcome } from '../../grade/common';
import { memoize, type TGradeContext } from '../../grade/context';
import {
  analyzeText,
  countKeyword,
  decodeDocument,
  DocumentDecodeError,
  hasKeyword,
  hasSection,
  isMarkdownName,
  MAX_DOCUMENT_BYTES,
  type TTextMetrics,
} from './metrics';

// The original's document checks (computor-testing `testers/tests/document/test_class.py`), on the
// student's file only: no process runs and there is no reference side. The file is read in the
// worker through files.ts (regular files inside the hand-in only, never a symlink) with a size cap.
//
// No property inheritance (decision D1): the original's document tester does not push suite or
// collection properties down to checks, so every field is read from the check itself
// (`check.check`, the raw test.yaml entry), never from the inherited TResolvedCheck properties.

type TMetric = (metrics: TTextMetrics, check: TResolvedCheck) => number;

/** Count metrics: collection type → [metric, the original's name for it in messages]. */
const COUNTS = new Map<string, [TMetric, string]>([
  ['wordcount', [(m) => m.wordCount, 'word count']],
  ['linecount', [(m) => m.lineCount, 'line count']],
  // As the original: the no-spaces count only for a check named exactly `no_spaces`.
  ['charcount', [(m, check) => (check.name === 'no_spaces' ? m.charCountNoSpaces : m.charCount), 'character count']],
  ['paragraphcount', [(m) => m.paragraphCount, 'paragraph count']],
  ['sentencecount', [(m) => m.sentenceCount, 'sentence count']],
  ['headingcount', [(m) => m.headingCount, 'heading count']],
  ['uniquewords', [(m) => m.uniqueWordCount, 'unique word count']],
  ['linkcount', [(m) => m.linkCount, 'link count']],
  ['imagecount', [(m) => m.imageCount, 'image count']],
  ['codeblockcount', [(m) => m.codeBlockCount, 'code block count']],
  ['listitemcount', [(m) => m.listItemCount, 'list item count']],
]);

/** avgwordlength/avgsentencelength (decision D5: accepted): metric, label, the original's default tolerance. */
const AVERAGES = new Map<string, [TMetric, string, number]>([
  ['avgwordlength', [(m) => m.avgWordLength, 'Average word length', 0.1]],
  ['avgsentencelength', [(m) => m.avgSentenceLength, 'Average sentence length', 1.0]],
]);

const OTHER_TYPES = new Set(['section', 'keyword', 'pattern', 'structural']);

/** A value in test.yaml the original's `int()`/`float()` would reject: the example's fault. */
class InvalidValueError extends Error {
  override readonly name = 'InvalidValueError';
}

type TDocument = { ok: true; text: string; markdown: boolean; metrics: () => TTextMetrics } | { ok: false; message: string };

/** The student's file, read, decoded and (on first use) analysed once per grading. */
function loadDocument(ctx: TGradeContext, file: string): Promise<TDocument> {
  return memoize(ctx, `document:${file}`, async (): Promise<TDocument> => {
    let bytes: Buffer | undefined;
    try {
      bytes = await readFileInside(ctx.submissionDir, file, MAX_DOCUMENT_BYTES + 1);
    } catch (error) {
      if (error instanceof UnsafePathError) return { ok: false, message: `File \`${file}\` not read: only regular files of the hand-in are read (${error.message})` };
      throw error;
    }
    if (!bytes) return { ok: false, message: `File \`${file}\` not found` };
    if (bytes.length > MAX_DOCUMENT_BYTES) return { ok: false, message: `File \`${file}\` is larger than ${MAX_DOCUMENT_BYTES / (1024 * 1024)} MiB, the most a document check reads` };
    let text: string;
    try {
      text = decodeDocument(bytes);
    } catch (error) {
      if (error instanceof DocumentDecodeError) return { ok: false, message: `File \`${file}\` is ${error.message}` };
      throw error;
    }
    const markdown = isMarkdownName(file);
    let metrics: TTextMetrics | undefined;
    return { ok: true, text, markdown, metrics: () => (metrics ??= analyzeText(text, markdown)) };
  });
}

/** Python's `int(value)` for what YAML can give. */
function pyInt(value: unknown): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'string' && /^\s*[+-]?\d+(_\d+)*\s*$/.test(value)) return Number(value.replace(/_/g, ''));
  throw new InvalidValueError(`value ${JSON.stringify(value)} is not an integer`);
}

/** Python's `float(value)` for what YAML can give. */
function pyFloat(value: unknown): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase().replace(/_/g, '');
    if (/^[+-]?(inf|infinity)$/.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
    if (/^[+-]?nan$/.test(text)) return NaN;
    if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(text)) return Number(text);
  }
  throw new InvalidValueError(`value ${JSON.stringify(value)} is not a number`);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const given = (value: unknown): boolean => value !== undefined && value !== null;

/**
 * The original's `_check_count` (`test_class.py:415-444`): the check's own allowedOccuranceRange
 * [min, max] with max 0 = unbounded (decision D2, so `[0, 0]` passes everything); else `value`
 * with verifyEqual (==) or contains (>=); neither → passed. The original also passed a value
 * under any other qualification without comparing: `count` compares == here, and the others
 * are skipped with the reason (a silent pass is wrong, as decision R9 says for stdout).
 */
function countCheck(check: TResolvedCheck, metric: string, actual: number, startedAt: number): TCheckResult {
  const own = check.check;
  const label = capitalize(metric);
  const found = `${label} is ${actual}`;
  const range = own.allowedOccuranceRange;
  if (range) {
    const [min, max] = range;
    const ok = actual >= min && (max === 0 || actual <= max);
    const expected = max === 0 ? `at least ${min}` : `${min}-${max}`;
    if (ok) return checkResult(check, 'passed', found, { startedAt, actual: String(actual) });
    return checkResult(check, 'failed', `${found}, expected ${expected}`, { publicMessage: `${found}, outside the allowed range`, expected, actual: String(actual), startedAt });
  }
  if (given(own.value)) {
    const qualification = own.qualification ?? 'verifyEqual';
    const expected = pyInt(own.value);
    let ok: boolean;
    let wanted: string;
    if (qualification === 'verifyEqual' || qualification === 'count') {
      ok = actual === expected;
      wanted = String(expected);
    } else if (qualification === 'contains') {
      ok = actual >= expected;
      wanted = `at least ${expected}`;
    } else {
      return checkResult(check, 'skipped', `qualification "${qualification}" is not evaluated by document count checks (verifyEqual, contains or count); the original passed it unchecked`, { startedAt });
    }
    if (ok) return checkResult(check, 'passed', found, { startedAt, actual: String(actual) });
    return checkResult(check, 'failed', `${found}, expected ${wanted}`, { publicMessage: `${found}, not the required number`, expected: wanted, actual: String(actual), startedAt });
  }
  return checkResult(check, 'passed', found, { startedAt, actual: String(actual) });
}

/** `section`: a heading containing the name (case-insensitive); `value` = its required level. */
function sectionCheck(check: TResolvedCheck, metrics: TTextMetrics, startedAt: number): TCheckResult {
  const level = given(check.check.value) ? pyInt(check.check.value) : undefined;
  if (hasSection(metrics.headings, check.name, level)) return checkResult(check, 'passed', `Section \`${check.name}\` found`, { startedAt });
  const levelText = level ? ` (level ${level})` : '';
  return checkResult(check, 'failed', `Section \`${check.name}\`${levelText} not found`, {
    publicMessage: `Section \`${check.name}\` not found${levelText ? ' at the required level' : ''}`,
    startedAt,
  });
}

/** With a range, a value or qualification `count`, keyword and pattern checks count; else they test presence. */
function counts(check: TResolvedCheck): boolean {
  return check.check.qualification === 'count' || given(check.check.value) || given(check.check.allowedOccuranceRange);
}

/** `keyword`: the check's name, case-sensitive unless the check sets ignoreCase (decision D3). */
function keywordCheck(check: TResolvedCheck, text: string, startedAt: number): TCheckResult {
  const caseSensitive = !check.check.ignoreCase;
  if (counts(check)) return countCheck(check, 'keyword occurrences', countKeyword(text, check.name, caseSensitive), startedAt);
  if (hasKeyword(text, check.name, caseSensitive)) return checkResult(check, 'passed', `Keyword \`${check.name}\` found`, { startedAt });
  return checkResult(check, 'failed', `Keyword \`${check.name}\` not found`, { startedAt });
}

/** `pattern`: the check's `pattern`, else its name, as a Python regex (IGNORECASE with ignoreCase). */
function patternCheck(check: TResolvedCheck, text: string, startedAt: number): TCheckResult {
  const source = check.check.pattern ?? check.name;
  const regex = compilePythonRegex(source, check.check.ignoreCase ? 'i' : '');
  if (counts(check)) return countCheck(check, 'pattern matches', countRegex(regex, text), startedAt);
  if (searchRegex(regex, text)) return checkResult(check, 'passed', `Pattern \`${source}\` found`, { startedAt });
  return checkResult(check, 'failed', `Pattern \`${source}\` not found`, { publicMessage: check.check.pattern === undefined ? `Pattern \`${source}\` not found` : 'the required pattern was not found', startedAt });
}

/**
 * `structural` as the document tester has it (`test_class.py:261-297`): with `pattern`, its match
 * count against the check's range (max 0 = unbounded) or `value` (==), and no requirement passes;
 * without, the name as a substring.
 */
function structuralCheck(check: TResolvedCheck, text: string, startedAt: number): TCheckResult {
  const { pattern, allowedOccuranceRange: range, value } = check.check;
  const ignoreCase = Boolean(check.check.ignoreCase);
  if (pattern === undefined) {
    const found = ignoreCase ? text.toLowerCase().includes(check.name.toLowerCase()) : text.includes(check.name);
    return found ? checkResult(check, 'passed', `\`${check.name}\` found in file`, { startedAt }) : checkResult(check, 'failed', `\`${check.name}\` not found in file`, { startedAt });
  }
  const count = countRegex(compilePythonRegex(pattern, ignoreCase ? 'i' : ''), text);
  const found = `Pattern \`${pattern}\` found ${count} times`;
  const publicFound = `the pattern was found ${count} times`;
  let expected: string | undefined;
  let ok = true;
  if (range) {
    const [min, max] = range;
    ok = count >= min && (max === 0 || count <= max);
    expected = `${min}-${max === 0 ? 'inf' : max}`;
  } else if (given(value)) {
    const wanted = pyInt(value);
    ok = count === wanted;
    expected = String(wanted);
  }
  if (ok) return checkResult(check, 'passed', found, { startedAt, actual: String(count) });
  return checkResult(check, 'failed', `${found}, expected ${expected}`, { publicMessage: `${publicFound}, not the required number`, expected, actual: String(count), startedAt });
}

/** avgwordlength/avgsentencelength: |actual − value| ≤ the check's absoluteTolerance (else the default); no value passes. */
function averageCheck(check: TResolvedCheck, average: [TMetric, string, number], metrics: TTextMetrics, startedAt: number): TCheckResult {
  const [metric, label, defaultTolerance] = average;
  const actual = metric(metrics, check);
  const shown = `${label} is ${actual.toFixed(2)}`;
  if (!given(check.check.value)) return checkResult(check, 'passed', shown, { startedAt, actual: actual.toFixed(2) });
  const expected = pyFloat(check.check.value);
  // `sub.absoluteTolerance or default`: 0 falls back to the default too.
  const tolerance = check.check.absoluteTolerance || defaultTolerance;
  if (!(Math.abs(actual - expected) > tolerance)) return checkResult(check, 'passed', shown, { startedAt, actual: actual.toFixed(2) });
  const wanted = `${expected.toFixed(2)} (±${tolerance})`;
  return checkResult(check, 'failed', `${shown}, expected ${wanted}`, { publicMessage: `${shown}, outside the allowed tolerance`, expected: wanted, actual: actual.toFixed(2), startedAt });
}

function gradeCheck(type: string, check: TResolvedCheck, doc: Extract<TDocument, { ok: true }>): TCheckResult {
  const startedAt = performance.now();
  try {
    const count = COUNTS.get(type);
    if (count) return countCheck(check, count[1], count[0](doc.metrics(), check), startedAt);
    const average = AVERAGES.get(type);
    if (average) return averageCheck(check, average, doc.metrics(), startedAt);
    if (type === 'section') return sectionCheck(check, doc.metrics(), startedAt);
    if (type === 'keyword') return keywordCheck(check, doc.text, startedAt);
    if (type === 'pattern') return patternCheck(check, doc.text, startedAt);
    return structuralCheck(check, doc.text, startedAt);
  } catch (error) {
    if (error instanceof PatternError || error instanceof InvalidValueError) return invalidCheck(check, error);
    throw error;
  }
}

/** Grades one collection of a document example. */
export async function gradeDocumentCollection(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome> {
  const { type } = collection;
  // `file = main.file or main.entryPoint` (test_class.py:81), for exist checks too.
  const file = collection.collection.file ?? collection.collection.entryPoint;
  if (type === 'exist') return existChecks(ctx, file === undefined ? collection : { ...collection, collection: { ...collection.collection, file } });
  if (!COUNTS.has(type) && !AVERAGES.has(type) && !OTHER_TYPES.has(type)) return skipAll(collection, `collection type "${type}" is not a document check`);
  if (file === undefined) return { checks: allChecks(collection, 'error', brokenExample(`no file specified for the ${type} test (set the collection's file or entryPoint)`)) };
  const doc = await loadDocument(ctx, file);
  if (!doc.ok) return { checks: allChecks(collection, 'failed', doc.message) };
  return { checks: collection.checks.map((check) => gradeCheck(type, check, doc)) };
}
