import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TGradingReport } from '@computor/contracts';
import { REPO_ROOT } from './config';
import { loadExample } from './example/load-example';
import { gradeSubmission } from './grade/grade';
import { DirectoryReferenceCache, InMemoryReferenceCache, type TReferenceCache } from './grade/reference-cache';

// Every example of the conformance corpus x every hand-in, through the real sandbox, checked
// against shared/conformance/README.md and, check by check, against the original engine's
// verdicts (original-engine-verdicts.json), except the exceptions documented there.

const CONFORMANCE = path.resolve(REPO_ROOT, '../shared/conformance');
const CORPUS = path.join(CONFORMANCE, 'computor-examples');

interface TVerdict {
  result: 'PASSED' | 'FAILED';
  failed_checks: string[];
  checks: number;
}
const verdicts = JSON.parse(fs.readFileSync(path.join(CONFORMANCE, 'original-engine-verdicts.json'), 'utf8')) as Record<string, Record<string, TVerdict | null>>;

/** The example stores the current minute (data["metadata"]): a run straddling a minute may legitimately differ there. */
const TIME_DEPENDENT: Record<string, string> = { 'itpcp.pgph.py.dict_und_json': 'var / data["metadata"]' };
/** Documented exception: the original FAILED these only because it ran student and reference in one directory. */
const MUST_PASS_DESPITE_VERDICT = new Set(['itpcp.pgph.py.dict_und_json:reference']);

const examples = fs
  .readdirSync(CORPUS)
  .filter((entry) => fs.statSync(path.join(CORPUS, entry)).isDirectory())
  .flatMap((group) => fs.readdirSync(path.join(CORPUS, group)).map((name) => ({ name, dir: path.join(CORPUS, group, name) })))
  .sort((a, b) => a.name.localeCompare(b.name));

const timings: string[] = [];
const cacheRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-conformance-cache-'));
const suiteStarted = Date.now();

afterAll(() => {
  fs.rmSync(cacheRoot, { recursive: true, force: true });
  timings.push(`conformance suite: ${((Date.now() - suiteStarted) / 1000).toFixed(1)} s`);
  process.stdout.write(`${timings.join('\n')}\n`);
});

function notPassed(report: TGradingReport): string[] {
  return report.collections.flatMap((c) => c.checks.filter((check) => check.status !== 'passed').map((check) => `${c.name} / ${check.name}`)).sort();
}

function describeReport(report: TGradingReport): string {
  return report.collections
    .flatMap((c) => c.checks.filter((check) => check.status !== 'passed').map((check) => `${c.name} / ${check.name}: ${check.status}: ${check.message}`))
    .join('\n');
}

test('the corpus is present', () => {
  expect(examples.length).toBeGreaterThanOrEqual(8);
});

// Languages without a backend here yet (issue: every language the original grades) must come out
// skipped with the reason, never passed and never an infrastructure error.
const unsupported = new Set<string>();
beforeAll(async () => {
  for (const { name, dir } of examples) if ((await loadExample(dir)).language === undefined) unsupported.add(name);
});

describe.each(examples)('$name', ({ name, dir }) => {
  const handIns = [
    { handIn: 'root', verdictKey: 'reference', submissionDir: dir },
    ...fs.readdirSync(path.join(dir, 'localTests')).sort().map((handIn) => ({ handIn, verdictKey: handIn, submissionDir: path.join(dir, 'localTests', handIn) })),
  ];
  // One directory-backed reference cache per example, shared by its hand-ins (computed once).
  const sharedCache = new DirectoryReferenceCache(path.join(cacheRoot, name));

  test.each(handIns)('$handIn', async ({ handIn, verdictKey, submissionDir }) => {
    const timeDependent = TIME_DEPENDENT[name];
    // A fresh cache keeps the reference run next to the student run for time-dependent examples.
    const cache: TReferenceCache = timeDependent ? new InMemoryReferenceCache() : sharedCache;
    const startedMinute = new Date().toISOString().slice(0, 16);
    const started = Date.now();
    const report = await gradeSubmission({ exampleDir: dir, submissionDir, referenceCache: cache });
    timings.push(`${name} ${handIn}: ${Date.now() - started} ms, ${report.summary.passed}/${report.summary.total}`);
    const straddled = new Date().toISOString().slice(0, 16) !== startedMinute;
    const ignore = (check: string): boolean => straddled && check === timeDependent;

    // README: every hand-in gets a result with a status, no crash, no infrastructure error.
    expect(report.status).toBe('completed');
    if (unsupported.has(name)) {
      const notSkipped = report.collections.flatMap((c) => c.checks.filter((check) => check.status !== 'skipped').map((check) => `${c.name} / ${check.name}: ${check.status}`));
      expect(notSkipped).toEqual([]);
      // The rest are skipped for an unsatisfied dependency on those.
      expect(report.collections.some((c) => c.checks.some((check) => /is not supported by this grader/.test(check.message)))).toBe(true);
      expect(report.passed).toBe(false);
      expect(report.summary.passed).toBe(0);
      return;
    }
    const details = describeReport(report);
    const unusable = report.collections.flatMap((c) =>
      c.checks.filter((check) => check.status === 'infra_error' || check.status === 'skipped').map((check) => `${c.name} / ${check.name}: ${check.status}: ${check.message}`),
    );
    expect(unusable).toEqual([]);
    if (handIn === 'root' || handIn === 'correctSolution' || handIn === 'reference') {
      expect(notPassed(report).filter((c) => !ignore(c))).toEqual([]);
      if (!straddled) expect(report.score).toBe(1);
    }
    if (handIn === 'wrongSolution') {
      expect(report.score).toBeLessThan(1);
      expect(notPassed(report).length).toBeGreaterThan(0);
    }

    const verdict = verdicts[name]?.[verdictKey];
    if (verdict) {
      expect(report.summary.total).toBe(verdict.checks);
      if (MUST_PASS_DESPITE_VERDICT.has(`${name}:${verdictKey}`)) {
        expect(notPassed(report).filter((c) => !ignore(c))).toEqual([]);
      } else {
        const ours = notPassed(report).filter((c) => !ignore(c));
        const theirs = [...verdict.failed_checks].sort().filter((c) => !ignore(c));
        if (JSON.stringify(ours) !== JSON.stringify(theirs)) throw new Error(`check verdicts differ from the original engine\nours: ${JSON.stringify(ours)}\noriginal: ${JSON.stringify(theirs)}\n${details}`);
        if (!straddled) expect(report.passed).toBe(verdict.result === 'PASSED');
      }
    }
  });
});
