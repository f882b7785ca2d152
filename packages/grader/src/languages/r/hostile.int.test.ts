import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TGradingReport } from '@computor/contracts';
import { gradeSubmission } from '../../grade/grade';
import { r } from '.';
import { TAMPERED_REPORT } from './runner';

// R hand-ins through gradeSubmission and the real sandbox: the canary, hostile hand-ins (each must
// end as a failure of the hand-in, never a pass it did not earn, never an infrastructure error)
// and what a student reads when the script does not parse or run.

const config = { uidBase: 62600, uidCount: 4 };
let root: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-r-hostile-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

type TCheckRow = { collection: string; name: string; status: string; message: string };

function checks(report: TGradingReport): TCheckRow[] {
  return report.collections.flatMap((c) => c.checks.map(({ name, status, message }) => ({ collection: c.name, name, status, message })));
}

function check(report: TGradingReport, name: string): TCheckRow {
  const found = checks(report).find((c) => c.name === name);
  if (!found) throw new Error(`no check ${name} in ${JSON.stringify(checks(report))}`);
  return found;
}

function expectNoInfra(report: TGradingReport): void {
  expect(report.status).toBe('completed');
  expect(checks(report).filter((c) => c.status === 'infra_error')).toEqual([]);
}

let counter = 0;
/** An example of its own: test.yaml and the reference solution.R. */
function makeExample(testYaml: string, reference: string, settings = '{timeout: 10}'): string {
  const dir = path.join(root, `example-${++counter}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'meta.yaml'), `identifier: hostile.r.${counter}\nproperties:\n  studentSubmissionFiles: [solution.R]\n  executionBackend:\n    slug: itpcp.exec.r\n    settings: ${settings}\n`);
  fs.writeFileSync(path.join(dir, 'test.yaml'), testYaml);
  fs.writeFileSync(path.join(dir, 'solution.R'), reference);
  return dir;
}

async function grade(example: string, solution: string, limits: Record<string, number> = {}): Promise<TGradingReport> {
  const submission = path.join(root, `submission-${++counter}`);
  fs.mkdirSync(submission);
  fs.writeFileSync(path.join(submission, 'solution.R'), solution);
  return gradeSubmission({ exampleDir: example, submissionDir: submission, limits: { wallTimeoutMs: 10_000, ...limits }, config });
}

// The reference computes `answer` and `total`; tearDownCode checks solve() with base::stopifnot.
const VALUES = `type: r
properties:
  tests:
  - type: variable
    name: Values
    entryPoint: solution.R
    tearDownCode: ["base::stopifnot(solve() == 1)"]
    tests:
    - name: answer
    - name: total
      value: 10
`;
const GOOD = 'solve <- function() 1\nanswer <- 42\ntotal <- sum(1:4)\n';

test('the canary: its reference scores 1.0, its wrong solution less', async () => {
  const dir = r.canaryDir as string;
  const reference = await gradeSubmission({ exampleDir: dir, submissionDir: dir, config });
  expect(checks(reference).filter((c) => c.status !== 'passed')).toEqual([]);
  expect(reference.score).toBe(1);
  const wrong = await gradeSubmission({ exampleDir: dir, submissionDir: path.join(dir, 'localTests', 'wrongSolution'), config });
  expectNoInfra(wrong);
  expect(wrong.score).toBeLessThan(1);
  const failed = checks(wrong)
    .filter((c) => c.status !== 'passed')
    .map((c) => `${c.collection} / ${c.name}`)
    .sort();
  expect(failed).toEqual(
    [
      'Values / answer',
      'Values / m',
      'Values / scores',
      'Values / z',
      'Values / nothing',
      'Values / greeting',
      'Values / parsed',
      'Output / whole output',
      'Output / sum printed',
      'Output / line count',
      'Warnings / zero',
      'Errors / negative input',
      'Structure / for',
      'Structure / while',
    ].sort(),
  );
});

test('an endless loop ends as a timeout within the limit', async () => {
  const example = makeExample(VALUES, GOOD);
  const started = Date.now();
  const report = await grade(example, 'solve <- function() 1\nrepeat {}\n', { wallTimeoutMs: 2000 });
  expect(Date.now() - started).toBeLessThan(8000);
  expectNoInfra(report);
  expect(check(report, 'answer')).toMatchObject({ status: 'timeout', message: expect.stringContaining('did not finish within 2 s') });
  expect(report.score).toBe(0);
});

test('a memory bomb ends as memory_exceeded, not as an infrastructure error', async () => {
  const example = makeExample(VALUES, GOOD);
  const grow = await grade(example, 'blocks <- list()\nrepeat blocks[[length(blocks) + 1L]] <- numeric(1e7)\n', { memoryMb: 512 });
  expectNoInfra(grow);
  expect(check(grow, 'answer')).toMatchObject({ status: 'memory_exceeded', message: expect.stringContaining('cannot allocate') });
  const huge = await grade(example, 'x <- numeric(1e11)\n');
  expect(check(huge, 'answer').status).toBe('memory_exceeded');
});

test('an output flood ends as output_limit', async () => {
  const example = makeExample(VALUES, GOOD);
  const report = await grade(example, 'line <- strrep("x", 1e6)\nrepeat cat(line, "\\n")\n');
  expectNoInfra(report);
  expect(check(report, 'answer').status).toBe('output_limit');
  expect(report.score).toBe(0);
});

test('the reference solution, test.yaml and the other files of the example are not readable from the hand-in', async () => {
  const example = makeExample(VALUES, GOOD);
  const candidates = [
    'test.yaml',
    'meta.yaml',
    '../test.yaml',
    path.join(example, 'solution.R'),
    path.join(example, 'test.yaml'),
    '/work/solution.R.reference',
    '/opt/grader/../test.yaml',
  ];
  const solution = [
    `candidates <- c(${candidates.map((c) => JSON.stringify(c)).join(', ')})`,
    'readable <- candidates[file.exists(candidates)]',
    'everywhere <- list.files(c("/work", "/tmp", "/opt", "/etc", "/root", "/home"), recursive = TRUE, all.files = TRUE)',
    'leaks <- c(readable, grep("test\\\\.yaml|meta\\\\.yaml|localTests", everywhere, value = TRUE))',
    'cat("leaks:", length(leaks), "\\n")',
    // Only what it could steal would define answer and total.
    'for (file in readable) try(source(file), silent = TRUE)',
    'solve <- function() 1',
  ].join('\n');
  const report = await grade(example, solution);
  expectNoInfra(report);
  expect(report.collections[0]?.output?.stdout).toContain('leaks: 0');
  expect(check(report, 'answer')).toMatchObject({ status: 'failed', message: expect.stringContaining('not found') });
  expect(check(report, 'total').status).toBe('failed');
});

test('fake reports on descriptors 3 to 255 give no pass', async () => {
  const example = makeExample(VALUES, GOOD);
  const forge = [
    'solve <- function() 0',
    'answer <- 42',
    'total <- 10',
    'fake <- \'{"status":"completed","exitCode":0,"phases":["setUpCode","script","tearDownCode","values"],"warnings":[],"values":{}}\'',
    'writeLines(fake, "/tmp/fake")',
    'system("trap \'\' PIPE; for fd in $(seq 3 255); do { printf \'x %s\\\\n\' 120; cat /tmp/fake; printf \'x end\\\\n\'; } >&$fd; done 2>/dev/null")',
    'for (fd in c(1, 2)) try(cat(fake, file = stdout()), silent = TRUE)',
  ].join('\n');
  const report = await grade(example, forge);
  expectNoInfra(report);
  expect(checks(report).filter((c) => c.status === 'passed')).toEqual([]);
  expect(check(report, 'answer')).toMatchObject({ status: 'error', message: expect.stringContaining(TAMPERED_REPORT) });
});

test('skipping the test code with quit() gives no pass; quit(status = 0) only ends the script', async () => {
  const example = makeExample(VALUES, GOOD);
  // solve() is wrong: the tearDownCode after the script must still run and fail.
  const quitting = await grade(example, 'solve <- function() 0\nanswer <- 42\ntotal <- 10\nquit(save = "no", status = 0)\n');
  expectNoInfra(quitting);
  expect(check(quitting, 'answer')).toMatchObject({ status: 'error', message: expect.stringContaining('in tearDownCode') });
  // A correct script ending in q() is fine.
  const fine = await grade(example, `${GOOD}q("no")\nanswer <- 0\n`);
  expect(checks(fine).filter((c) => c.status !== 'passed')).toEqual([]);
  const failing = await grade(example, `${GOOD}quit(status = 3)\n`);
  expect(check(failing, 'answer')).toMatchObject({ status: 'error', message: expect.stringContaining('quit() was called with status 3') });
  // Graded code that test code calls cannot end the test code early either.
  const escaping = await grade(example, 'solve <- function() quit("no")\nanswer <- 42\ntotal <- 10\n');
  expect(check(escaping, 'answer')).toMatchObject({ status: 'error', message: expect.stringContaining('in tearDownCode (line 1): Error: quit() was called') });
});

test('a hand-in that rearranges the interpreter does not disturb the test code', async () => {
  const example = makeExample(VALUES, GOOD);
  const disturbing = [
    GOOD,
    'closeAllConnections()',
    'sink(tempfile())',
    'options(warn = 2)',
    'setwd("/tmp")',
    'Sys.setenv(PATH = "")',
    // Names the driver uses, redefined in the global environment.
    'for (name in c("cat", "paste0", "exists", "get", "pipe", "writeBin", "sprintf", "tryCatch")) assign(name, function(...) stop("replaced"))',
    'warning("still only a warning")',
  ].join('\n');
  const report = await grade(example, disturbing);
  expectNoInfra(report);
  expect(checks(report).filter((c) => c.status !== 'passed')).toEqual([]);
});

test('a network connection attempt fails', async () => {
  const example = makeExample(
    `type: r
properties:
  tests:
  - type: variable
    name: Network
    entryPoint: solution.R
    tests:
    - name: reached
      value: "connected"
`,
    'reached <- "connected"\n',
  );
  const solution = [
    'reached <- tryCatch({',
    '  con <- socketConnection("1.1.1.1", 80, blocking = TRUE, timeout = 3)',
    '  close(con)',
    '  "connected"',
    '}, error = function(e) paste("failed:", conditionMessage(e)))',
    'web <- tryCatch(readLines(url("http://example.com"), n = 1), error = function(e) "failed")',
    'cat(reached, web, sep = "\\n")',
  ].join('\n');
  const report = await grade(example, solution);
  expectNoInfra(report);
  expect(check(report, 'reached').status).toBe('failed');
  expect(report.collections[0]?.output?.stdout).toMatch(/^failed: .*\nfailed\n$/);
});

test('a script that does not parse or stops reports R\'s message in the student\'s terms', async () => {
  const example = makeExample(VALUES, GOOD);
  const syntax = await grade(example, 'solve <- function() 1\nanswer <- (42 +\n');
  expectNoInfra(syntax);
  expect(check(syntax, 'answer')).toMatchObject({ status: 'error', message: expect.stringContaining('solution.R:3:0: unexpected end of input') });
  const unexpected = await grade(example, 'solve <- function() 1\nanswer <- 42 42\n');
  expect(check(unexpected, 'answer').message).toContain("solution.R:2:14: unexpected numeric constant");
  const stopped = await grade(example, 'half <- function(x) if (x %% 2 == 1) stop("x must be even") else x / 2\nsolve <- function() 1\nanswer <- half(3)\n');
  expect(check(stopped, 'answer')).toMatchObject({
    status: 'error',
    message: 'the program stopped with an error (solution.R, line 3): Error in half(3) : x must be even',
  });
  const missing = await grade(example, 'solve <- function() 1\nanswer <- undefined_thing + 1\n');
  expect(check(missing, 'answer').message).toBe("the program stopped with an error (solution.R, line 2): Error: object 'undefined_thing' not found");
});
