import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toTestSummary, ZGradingReport, ZTestSummary, type TGradingReport } from '@computor/contracts';
import { loadExample } from '../example/load-example';
import { aggregateReport } from './aggregate';
import { gradeCollection, gradeSubmission } from './grade';
import { InMemoryReferenceCache } from './reference-cache';

// Collection types and failure modes beyond the conformance corpus, on small generated examples.

const config = { uidBase: 63000, uidCount: 8 };
let root: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-grade-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function write(dir: string, files: Record<string, string>): string {
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

function makeExample(name: string, files: Record<string, string>, submission: Record<string, string>): { example: string; submission: string } {
  return { example: write(path.join(root, name, 'example'), files), submission: write(path.join(root, name, 'submission'), submission) };
}

function statuses(report: TGradingReport): Record<string, string> {
  return Object.fromEntries(report.collections.flatMap((c) => c.checks.map((check) => [`${c.name}/${check.name}`, check.status])));
}

const pyMeta = (files: string[], extra = '') => `identifier: t.py\nproperties:\n  studentSubmissionFiles: [${files.join(', ')}]\n${extra}  executionBackend:\n    slug: itpcp.exec.py\n    settings: {timeout: 4}\n`;

test('Python: setUpCode, expressions, seeds, inputAnswers, stdout, exitcode, error, structural, exist, compile, graphics, unsupported', async () => {
  const reference = [
    'import random',
    'import numpy as np',
    'import matplotlib.pyplot as plt',
    'name = input()',
    'count = int(input())',
    'r = random.random()',
    'v = np.random.rand(3)',
    'data = {"k": [1, 2.5], "t": (1, "a")}',
    'h = hash("computor")',
    'def twice(x):',
    '    return 2 * x',
    'plt.plot([0, 1], [0, 2])',
    'plt.title("line")',
    'print(f"hello {name}" * count)',
  ].join('\n');
  const student = reference.replace('2 * x', 'x + x');
  const testYaml = [
    'type: python',
    'properties:',
    '  tests:',
    '  - type: variable',
    '    name: values',
    '    entryPoint: main.py',
    '    inputAnswers: [World, 2]',
    '    setUpCode: ["t = twice(21)"]',
    '    tests:',
    '    - {name: r}',
    '    - {name: v}',
    '    - {name: h}',
    '    - {name: "data[\'k\']"}',
    '    - {name: t, value: 42}',
    '    - {name: name, qualification: startsWith, pattern: Wor}',
    '    - {name: missing}',
    '  - type: stdout',
    '    name: out',
    '    entryPoint: main.py',
    '    inputAnswers: [World, 2]',
    '    tests:',
    '    - {name: same}',
    '    - {name: has, qualification: contains, pattern: hello World}',
    '    - {name: like, qualification: matches, pattern: "(hello W.rld)+"}',
    '  - type: graphics',
    '    name: plot',
    '    entryPoint: main.py',
    '    inputAnswers: [World, 2]',
    '    tests:',
    '    - {name: gca().get_title()}',
    '    - {name: "gca().lines[0].get_ydata()"}',
    '  - type: exitcode',
    '    name: exit',
    '    entryPoint: main.py',
    '    inputAnswers: [World, 1]',
    '    tests:',
    '    - {name: zero, expectedExitCode: 0}',
    '  - type: error',
    '    name: crashes without input',
    '    entryPoint: main.py',
    '    tests:',
    '    - {name: eof, pattern: EOFError}',
    '  - type: structural',
    '    name: structure',
    '    file: main.py',
    '    tests:',
    '    - {name: input, allowedOccuranceRange: [2, 2]}',
    '    - {name: np.random.rand, allowedOccuranceRange: [1, 0]}',
    '    - {name: for, allowedOccuranceRange: [1, 0]}',
    '    - {name: prints, pattern: "print\\\\(", countRequirement: 1}',
    '  - type: exist',
    '    name: files',
    '    tests:',
    '    - {name: "*.py"}',
    '    - {name: notes.txt}',
    '  - type: compile',
    '    name: syntax',
    '    file: main.py',
    '    tests:',
    '    - {name: compiles, value: true}',
    '  - type: linting',
    '    name: lint',
    '    tests:',
    '    - {name: flake8}',
    '  - type: variable',
    '    name: odd qualification',
    '    entryPoint: main.py',
    '    inputAnswers: [World, 2]',
    '    tests:',
    '    - {name: r, qualification: plotJudge}',
  ].join('\n');
  const { example, submission } = makeExample('python', { 'meta.yaml': pyMeta(['main.py']), 'test.yaml': testYaml, 'main.py': reference }, { 'main.py': student });
  const report = await gradeSubmission({ exampleDir: example, submissionDir: submission, config, referenceCache: new InMemoryReferenceCache() });
  expect(ZGradingReport.parse(report)).toEqual(report);
  expect(statuses(report)).toEqual({
    'values/r': 'passed',
    'values/v': 'passed',
    'values/h': 'passed',
    "values/data['k']": 'passed',
    'values/t': 'passed',
    'values/name': 'passed',
    'values/missing': 'failed',
    'out/same': 'passed',
    'out/has': 'passed',
    'out/like': 'passed',
    'plot/gca().get_title()': 'passed',
    'plot/gca().lines[0].get_ydata()': 'passed',
    'exit/zero': 'passed',
    'crashes without input/eof': 'passed',
    'structure/input': 'passed',
    'structure/np.random.rand': 'passed',
    'structure/for': 'failed',
    'structure/prints': 'passed',
    'files/*.py': 'passed',
    'files/notes.txt': 'failed',
    'syntax/compiles': 'passed',
    'lint/flake8': 'skipped',
    'odd qualification/r': 'skipped',
  });
  const values = report.collections[0];
  expect(values?.checks.find((c) => c.name === 'missing')?.message).toContain('not found in student namespace');
  expect(values?.output?.stdout).toBe('hello Worldhello World\n');
  expect(report.summary).toEqual({ total: 23, passed: 18, failed: 3, skipped: 2 });
  expect(ZTestSummary.parse(toTestSummary(report)).summary).toEqual(report.summary);
});

test('Python: a timeout fails every check of the run, an exception fails every variable check', async () => {
  const testYaml = [
    'properties:',
    '  tests:',
    '  - {type: variable, name: slow, entryPoint: slow.py, timeout: 1, tests: [{name: a}, {name: b}]}',
    '  - {type: variable, name: broken, entryPoint: broken.py, tests: [{name: a}]}',
    '  - {type: stdout, name: absent, entryPoint: absent.py, tests: [{name: out, qualification: contains, pattern: x}]}',
  ].join('\n');
  const { example, submission } = makeExample(
    'python-failures',
    { 'meta.yaml': pyMeta(['slow.py', 'broken.py', 'absent.py']), 'test.yaml': testYaml, 'slow.py': 'a = 1\nb = 2\n', 'broken.py': 'a = 1\n', 'absent.py': 'print("x")\n' },
    { 'slow.py': 'a = 1\nb = 2\nwhile True:\n    pass\n', 'broken.py': 'a = 1\nraise ValueError("nope")\n' },
  );
  const started = Date.now();
  const report = await gradeSubmission({ exampleDir: example, submissionDir: submission, config });
  expect(Date.now() - started).toBeLessThan(8000);
  expect(statuses(report)).toEqual({ 'slow/a': 'timeout', 'slow/b': 'timeout', 'broken/a': 'error', 'absent/out': 'error' });
  expect(report.collections[0]?.status).toBe('timeout');
  expect(report.collections[0]?.output?.timedOut).toBe(true);
  expect(report.collections[1]?.checks[0]?.message).toContain('ValueError');
  expect(report.collections[1]?.checks[0]?.message).toContain('line 2');
  expect(report.collections[2]?.checks[0]?.message).toContain('entry point "absent.py" not found in the submission');
});

const cMeta = 'identifier: t.c\nproperties:\n  studentSubmissionFiles: [prog.c]\n  executionBackend:\n    slug: itpcp.exec.c\n    settings: {compiler: gcc, flags: [-Wall, -O1]}\n';
const cTests = [
  'properties:',
  '  timeout: 2',
  '  tests:',
  '  - {name: compiles, type: compile, entryPoint: prog.c, tests: [{name: ok}]}',
  '  - name: io',
  '    type: stdout',
  '    entryPoint: prog.c',
  '    inputAnswers: ["4"]',
  '    tests:',
  '    - {name: same}',
  '    - {name: square, qualification: numericOutput, pattern: "square: (\\\\d+)", value: 16}',
  '    - {name: line, qualification: matchesLine, value: "square: 16", lineNumber: 2}',
  '  - {name: exit, type: exitcode, entryPoint: prog.c, inputAnswers: ["4"], tests: [{name: zero, expectedExitCode: 0}]}',
  '  - {name: warns, type: warning, entryPoint: prog.c, tests: [{name: unused, pattern: unused}]}',
  '  - {name: shape, type: structural, entryPoint: prog.c, tests: [{name: scanf, allowedOccuranceRange: [1, 1]}, {name: if, allowedOccuranceRange: [1, 1]}]}',
].join('\n');
const cReference = '#include <stdio.h>\nint main(void) {\n  int n = 0;\n  if (scanf("%d", &n) != 1) return 2;\n  printf("n: %d\\nsquare: %d\\n", n, n * n);\n  return 0;\n}\n';

test('C: compile, stdin, stdout against the reference, numericOutput, exit code, warnings, structure', async () => {
  const student = cReference.replace('int n = 0;', 'int n = 0; int unused;');
  const { example, submission } = makeExample('c-ok', { 'meta.yaml': cMeta, 'test.yaml': cTests, 'prog.c': cReference }, { 'prog.c': student });
  const report = await gradeSubmission({ exampleDir: example, submissionDir: submission, config });
  expect(statuses(report)).toEqual({
    'compiles/ok': 'passed',
    'io/same': 'passed',
    'io/square': 'passed',
    'io/line': 'passed',
    'exit/zero': 'passed',
    'warns/unused': 'passed',
    'shape/scanf': 'passed',
    'shape/if': 'passed',
  });
});

test('C: a program that does not compile fails the compile check and every check that runs it', async () => {
  const { example, submission } = makeExample('c-broken', { 'meta.yaml': cMeta, 'test.yaml': cTests, 'prog.c': cReference }, { 'prog.c': 'int main(void) { return undefined_thing; }\n' });
  const report = await gradeSubmission({ exampleDir: example, submissionDir: submission, config });
  const result = statuses(report);
  expect(result['compiles/ok']).toBe('failed');
  expect([result['io/same'], result['io/square'], result['io/line'], result['exit/zero']]).toEqual(['error', 'error', 'error', 'error']);
  expect(report.collections[1]?.checks[0]?.message).toContain('does not compile');
  expect(report.collections[1]?.checks[0]?.message).toContain('undefined_thing');
});

test('C: an endless program times out every check that runs it; a crash fails the exit code check', async () => {
  const endless = '#include <stdio.h>\nint main(void) { printf("n: 4\\nsquare: 16\\n"); fflush(stdout); for (;;) {} }\n';
  const { example, submission } = makeExample('c-endless', { 'meta.yaml': cMeta, 'test.yaml': cTests, 'prog.c': cReference }, { 'prog.c': endless });
  const report = await gradeSubmission({ exampleDir: example, submissionDir: submission, config });
  const result = statuses(report);
  // The output so far would match: a timed-out run still fails.
  expect([result['io/same'], result['io/square'], result['io/line'], result['exit/zero']]).toEqual(['timeout', 'timeout', 'timeout', 'timeout']);

  const crash = '#include <stdio.h>\nint main(void) { int n; scanf("%d", &n); printf("n: %d\\nsquare: %d\\n", n, n * n); fflush(stdout); int *p = 0; return *p; }\n';
  const crashed = makeExample('c-crash', { 'meta.yaml': cMeta, 'test.yaml': cTests, 'prog.c': cReference }, { 'prog.c': crash });
  const crashReport = await gradeSubmission({ exampleDir: crashed.example, submissionDir: crashed.submission, config });
  expect(statuses(crashReport)['exit/zero']).toBe('failed');
  expect(crashReport.collections[2]?.checks[0]?.message).toContain('SIGSEGV');
});

test('gradeCollection per collection plus aggregateReport gives the same verdicts as gradeSubmission', async () => {
  const { example, submission } = makeExample('c-split', { 'meta.yaml': cMeta, 'test.yaml': cTests, 'prog.c': cReference }, { 'prog.c': cReference });
  const loaded = await loadExample(example);
  const cache = new InMemoryReferenceCache();
  const results = [];
  for (let i = 0; i < loaded.collections.length; i += 1) results.push(await gradeCollection({ exampleDir: example, submissionDir: submission, collectionIndex: i, config, referenceCache: cache }));
  const split = aggregateReport(loaded, results);
  const whole = await gradeSubmission({ exampleDir: example, submissionDir: submission, config, referenceCache: cache });
  expect(statuses(split)).toEqual(statuses(whole));
  // Everything but the warning check (the reference compiles cleanly) passes.
  expect(split.score).toBe(7 / 8);
  expect(whole.score).toBe(7 / 8);
  expect(cache.size).toBe(1);
  await expect(gradeCollection({ exampleDir: example, submissionDir: submission, collectionIndex: 99, config })).rejects.toThrow(RangeError);
});

test('unsupported languages are skipped, never passed; a C hand-in scores what it passed; an invalid example is refused naming the field', async () => {
  const { example, submission } = makeExample(
    'octave',
    { 'meta.yaml': 'properties:\n  studentSubmissionFiles: [a.m]\n  executionBackend: {slug: itpcp.exec.mat}\n', 'test.yaml': 'properties:\n  tests:\n  - {name: v, entryPoint: a.m, tests: [{name: x}]}\n', 'a.m': 'x = 1;\n' },
    { 'a.m': 'x = 1;\n' },
  );
  const report = await gradeSubmission({ exampleDir: example, submissionDir: submission, config });
  expect(statuses(report)).toEqual({ 'v/x': 'skipped' });
  expect(report.passed).toBe(false);

  const c = makeExample('cli', { 'meta.yaml': cMeta, 'test.yaml': cTests, 'prog.c': cReference }, { 'prog.c': cReference.replace('n * n', 'n + n') });
  const wrong = await gradeSubmission({ exampleDir: c.example, submissionDir: c.submission, config });
  expect(wrong.collections.find((k) => k.name === 'io')).toMatchObject({ status: 'failed', summary: { passed: 0, total: 3 } });
  expect(wrong.score).toBe(0.5);
  const reference = await gradeSubmission({ exampleDir: c.example, submissionDir: c.example, config });
  expect(ZGradingReport.parse(JSON.parse(JSON.stringify(reference))).score).toBe(7 / 8);
  const bad = write(path.join(root, 'bad-example'), { 'meta.yaml': 'properties: {studentSubmissionFiles: [../x]}\n', 'test.yaml': 'properties: {tests: [{type: stdout}]}\n' });
  await expect(gradeSubmission({ exampleDir: bad, submissionDir: c.submission, config })).rejects.toMatchObject({ issues: expect.arrayContaining([expect.objectContaining({ path: expect.stringContaining('properties.tests[0].name') })]) });
});

test('cancelling a grading stops its sandboxes promptly and rejects', async () => {
  const { example, submission } = makeExample(
    'cancel',
    { 'meta.yaml': pyMeta(['a.py']), 'test.yaml': 'properties:\n  tests:\n  - {name: v, entryPoint: a.py, tests: [{name: a}]}\n  - {name: w, entryPoint: a.py, setUpCode: [b = 1], tests: [{name: b}]}\n', 'a.py': 'a = 1\n' },
    { 'a.py': 'while True:\n    pass\n' },
  );
  const controller = new AbortController();
  const started = Date.now();
  const pending = gradeSubmission({ exampleDir: example, submissionDir: submission, config, signal: controller.signal });
  setTimeout(() => controller.abort(), 500);
  await expect(pending).rejects.toThrow();
  expect(Date.now() - started).toBeLessThan(2500);
});
