import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TGradingReport } from '@computor/contracts';
import { gradeSubmission } from '../../grade/grade';
import { Sandbox } from '../../sandbox/sandbox';

// What the R plug-in fixes and keeps of the original R tester (languages.md, decisions R1-R9),
// through gradeSubmission and the real sandbox.

const config = { uidBase: 62640, uidCount: 4 };
let root: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-r-semantics-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

let counter = 0;
function makeExample(testYaml: string, reference: string): string {
  const dir = path.join(root, `example-${++counter}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'meta.yaml'), `identifier: semantics.r.${counter}\nproperties:\n  studentSubmissionFiles: [solution.R]\n  executionBackend:\n    slug: itpcp.exec.r\n    settings: {timeout: 10}\n`);
  fs.writeFileSync(path.join(dir, 'test.yaml'), testYaml);
  fs.writeFileSync(path.join(dir, 'solution.R'), reference);
  return dir;
}

async function grade(example: string, solution: string): Promise<TGradingReport> {
  const submission = path.join(root, `submission-${++counter}`);
  fs.mkdirSync(submission);
  fs.writeFileSync(path.join(submission, 'solution.R'), solution);
  return gradeSubmission({ exampleDir: example, submissionDir: submission, config });
}

function statuses(report: TGradingReport): Record<string, string> {
  return Object.fromEntries(report.collections.flatMap((c) => c.checks.map((k) => [`${c.name}/${k.name}`, k.status])));
}

function messageOf(report: TGradingReport, name: string): string {
  return report.collections.flatMap((c) => c.checks).find((k) => k.name === name)?.message ?? '(no such check)';
}

test('R1-R3: a warning does not stop the script; warning and error checks see what was raised', async () => {
  const example = makeExample(
    `type: r
properties:
  tests:
  - {type: variable, name: Values, entryPoint: solution.R, tests: [{name: after}]}
  - type: warning
    name: Warnings
    entryPoint: solution.R
    tests: [{name: coercion, pattern: "NAs introduced"}, {name: any warning}]
  - type: error
    name: Errors
    entryPoint: solution.R
    tearDownCode: ["checked(-1)"]
    tests: [{name: negative, pattern: "must be positive"}, {name: other message, pattern: "division by zero"}]
`,
    'n <- as.integer("x")\nafter <- 1\nchecked <- function(v) if (v < 0) stop("v must be positive") else v\n',
  );
  const report = await grade(example, 'n <- as.integer("x")\nafter <- 1\nchecked <- function(v) if (v < 0) stop("v must be positive") else v\n');
  expect(statuses(report)).toEqual({
    'Values/after': 'passed',
    'Warnings/coercion': 'passed',
    'Warnings/any warning': 'passed',
    'Errors/negative': 'passed',
    'Errors/other message': 'failed',
  });
  const quiet = await grade(example, 'after <- 1\nchecked <- function(v) v\n');
  expect(statuses(quiet)).toMatchObject({ 'Warnings/coercion': 'failed', 'Errors/negative': 'failed' });
  expect(messageOf(quiet, 'negative')).toBe('expected an error, none occurred');
});

test('R4: names are looked up in the workspace only: an unassigned `c` or `df` is missing, not a base function', async () => {
  const example = makeExample(
    `type: r
properties:
  tests:
  - {type: variable, name: Values, entryPoint: solution.R, tests: [{name: c}, {name: df}]}
`,
    'c <- 3\ndf <- data.frame(x = 1:2)\n',
  );
  const report = await grade(example, 'x <- 1\n');
  expect(statuses(report)).toEqual({ 'Values/c': 'failed', 'Values/df': 'failed' });
  expect(messageOf(report, 'c')).toBe("Variable `c` not found in the student's workspace");
});

test('R5: NA, NULL, complex, precision, factors, data frames and matrices compare exactly', async () => {
  const reference = [
    'v <- c(1, NA, 3)',
    'nothing <- NULL',
    'z <- complex(real = 1, imaginary = -2)',
    'precise <- 0.1 + 0.2',
    'f <- factor(c("lo", "hi", "lo"))',
    'd <- data.frame(name = c("a", "b"), x = c(1.5, NA))',
    'm <- matrix(1:6, nrow = 2)',
  ].join('\n');
  const example = makeExample(
    `type: r
properties:
  relativeTolerance: 0
  absoluteTolerance: 0
  tests:
  - type: variable
    name: Values
    entryPoint: solution.R
    tests: [{name: v}, {name: nothing}, {name: z}, {name: precise}, {name: f}, {name: d}, {name: m}, {name: rows, value: [[1, 3, 5], [2, 4, 6]], evalString: m}]
`,
    `${reference}\nrows <- m\n`,
  );
  const same = await grade(example, `${reference}\nrows <- m\n`);
  expect(Object.values(statuses(same)).every((s) => s === 'passed')).toBe(true);
  const other = [
    'v <- c(1, NaN, 3)',
    'nothing <- NA',
    'z <- complex(real = 1, imaginary = 2)',
    'precise <- 0.3',
    'f <- c("lo", "hi", "hi")',
    'd <- data.frame(name = c("a", "b"), x = c(1.5, 0))',
    'm <- matrix(1:6, nrow = 2, byrow = TRUE)',
    'rows <- t(m)',
  ].join('\n');
  const different = await grade(example, other);
  expect(statuses(different)).toEqual({
    'Values/v': 'failed',
    'Values/nothing': 'failed',
    'Values/z': 'failed',
    'Values/precise': 'failed',
    'Values/f': 'failed',
    'Values/d': 'failed',
    'Values/m': 'failed',
    'Values/rows': 'failed',
  });
  expect(messageOf(different, 'nothing')).toBe('Variable `nothing` has incorrect type: logical vs NULL');
});

test('R7 and R9: structural counts raw substrings with [0, 0] as "at least 0"; every stdout qualification is evaluated', async () => {
  const example = makeExample(
    `type: r
properties:
  tests:
  - type: structural
    name: Structure
    file: solution.R
    tests: [{name: for}, {name: while, allowedOccuranceRange: [1, 0]}, {name: sapply, countRequirement: 0}]
  - type: stdout
    name: Output
    entryPoint: solution.R
    tests:
    - {name: same as reference}
    - {name: starts, qualification: startsWith, pattern: "total"}
    - {name: lines, qualification: lineCount, value: 2}
    - {name: numbers, qualification: numericOutput, value: [10, 4]}
`,
    '# no loop here\ntotal <- sum(1:4)\ncat("total", total, "\\n")\ncat("count", 4, "\\n")\n',
  );
  const good = await grade(example, '# while: no loop here\ntotal <- sum(1:4)\ncat("total", total, "\\n")\ncat("count", 4, "\\n")\n');
  expect(Object.values(statuses(good)).every((s) => s === 'passed')).toBe(true);
  const wrong = await grade(example, 'total <- sum(sapply(1:4, identity))\ncat("sum", total, "\\n")\n');
  expect(statuses(wrong)).toEqual({
    'Structure/for': 'passed',
    'Structure/while': 'failed',
    'Structure/sapply': 'failed',
    'Output/same as reference': 'failed',
    'Output/starts': 'failed',
    'Output/lines': 'failed',
    'Output/numbers': 'failed',
  });
});

test('setUpCode runs before the script and tearDownCode after it; inputAnswers are stdin; runs are seeded', async () => {
  const example = makeExample(
    `type: r
properties:
  tests:
  - type: variable
    name: Values
    entryPoint: solution.R
    setUpCode: ["n <- 5"]
    tearDownCode: ["doubled <- twice(n)"]
    inputAnswers: ["7", "8"]
    tests: [{name: doubled, value: 10}, {name: typed, value: [7, 8]}, {name: draw}]
`,
    'twice <- function(x) 2 * x\ntyped <- as.numeric(readLines(file("stdin")))\ndraw <- runif(1)\n',
  );
  const report = await grade(example, 'twice <- function(x) x + x\ntyped <- as.numeric(readLines(file("stdin")))\ndraw <- runif(1)\n');
  expect(Object.values(statuses(report)).every((s) => s === 'passed')).toBe(true);
});

test('collections with the same script and test code share one run per side', async () => {
  const example = makeExample(
    `type: r
properties:
  tests:
  - {type: variable, name: One, entryPoint: solution.R, tests: [{name: a}]}
  - {type: variable, name: Two, entryPoint: solution.R, tests: [{name: b}]}
  - {type: stdout, name: Three, entryPoint: solution.R, tests: [{name: printed}]}
  - {type: warning, name: Four, entryPoint: solution.R, tests: [{name: none expected, pattern: "x"}]}
`,
    'a <- 1\nb <- 2\nprint(a + b)\n',
  );
  const run = jest.spyOn(Sandbox.prototype, 'run');
  try {
    const report = await grade(example, 'a <- 1\nb <- 2\nprint(a + b)\n');
    expect(statuses(report)).toEqual({ 'One/a': 'passed', 'Two/b': 'passed', 'Three/printed': 'passed', 'Four/none expected': 'failed' });
    // One student run and one reference run for all four collections.
    expect(run).toHaveBeenCalledTimes(2);
  } finally {
    run.mockRestore();
  }
});
