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

const OWN = path.join(CONFORMANCE, 'own-examples');
const examples = [
  ...fs
    .readdirSync(CORPUS)
    .filter((entry) => fs.statSync(path.join(CORPUS, entry)).isDirectory())
    .flatMap((group) => fs.readdirSync(path.join(CORPUS, group)).map((name) => ({ name, dir: path.join(CORPUS, group, name) }))),
  ...fs.readdirSync(OWN).map((name) => ({ name, dir: path.join(OWN, name) })),
].sort((a, b) => a.name.localeCompare(b.name));

/** README: the original fails its own reference and correct solution (defect O1); ours must pass every check. */
MUST_PASS_DESPITE_VERDICT.add('itpcp.pgph.oct.simple_computations:reference');
MUST_PASS_DESPITE_VERDICT.add('itpcp.pgph.oct.simple_computations:correctSolution');
/** README: no essay at the example root (D6): only its localTests are graded. */
const NOT_GRADED = new Set(['itpcp.pgph.doc.essay_requirements:root']);
/** README: no runtime can be installed here; runtime-dependent checks are skipped with this reason. */
const RUNTIME_MISSING: Record<string, RegExp> = { 'itpcp.pgph.jl.functions': /^Julia runtime not installed/ };

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

test('the corpus is present, every language of it', async () => {
  expect(examples.length).toBeGreaterThanOrEqual(21);
  const languages = new Set<string | undefined>();
  for (const { dir } of examples) languages.add((await loadExample(dir)).language);
  expect([...languages].sort()).toEqual(['c', 'document', 'fortran', 'julia', 'octave', 'python', 'r']);
});

describe.each(examples)('$name', ({ name, dir }) => {
  const handIns = [
    { handIn: 'root', verdictKey: 'reference', submissionDir: dir },
    ...fs.readdirSync(path.join(dir, 'localTests')).sort().map((handIn) => ({ handIn, verdictKey: handIn, submissionDir: path.join(dir, 'localTests', handIn) })),
  ].filter(({ handIn }) => !NOT_GRADED.has(`${name}:${handIn}`));
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
    const details = describeReport(report);
    const missingRuntime = RUNTIME_MISSING[name];
    const unusable = report.collections.flatMap((c) =>
      c.checks
        .filter((check) => check.status === 'infra_error' || (check.status === 'skipped' && !(missingRuntime && missingRuntime.test(check.message))))
        .map((check) => `${c.name} / ${check.name}: ${check.status}: ${check.message}`),
    );
    expect(unusable).toEqual([]);
    const verdict = verdicts[name]?.[verdictKey];
    const mustPass = MUST_PASS_DESPITE_VERDICT.has(`${name}:${verdictKey}`) || !verdict || verdict.result === 'PASSED';
    if (missingRuntime) {
      // Skipped checks are not a student failure and not in the score.
      expect(report.collections.some((c) => c.checks.some((check) => check.status === 'skipped'))).toBe(true);
      expect(report.collections.flatMap((c) => c.checks.filter((check) => check.status === 'failed'))).toEqual([]);
    } else if (mustPass && (handIn === 'root' || handIn === 'correctSolution' || handIn === 'reference')) {
      expect(notPassed(report).filter((c) => !ignore(c))).toEqual([]);
      if (!straddled) expect(report.score).toBe(1);
    }
    if (handIn === 'wrongSolution' && !missingRuntime) {
      expect(report.score).toBeLessThan(1);
      expect(notPassed(report).length).toBeGreaterThan(0);
    }

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
