import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TGradingReport } from '@computor/contracts';
import { gradeSubmission } from '../../grade/grade';
import { octave } from '.';
import { TAMPERED_REPORT } from './runner';

// Octave hand-ins through gradeSubmission and the real sandbox: the canary, hostile hand-ins (each
// must end as a failure of the hand-in, never a pass it did not earn, never an infrastructure
// error) and what a student reads when the code does not parse or run.

const config = { uidBase: 62800, uidCount: 4 };
let root: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-octave-hostile-'));
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

let counter = 0;
/** An example of its own per test: test.yaml, the reference solution.m, optional extra example files. */
function makeExample(testYaml: string, reference: string, extra: Record<string, string> = {}, settings = '{timeout: 10}'): string {
  const dir = path.join(root, `example-${++counter}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'meta.yaml'), `identifier: hostile.octave.${counter}\nproperties:\n  studentSubmissionFiles: [solution.m]\n  executionBackend:\n    slug: itpcp.exec.oct\n    settings: ${settings}\n`);
  fs.writeFileSync(path.join(dir, 'test.yaml'), testYaml);
  fs.writeFileSync(path.join(dir, 'solution.m'), reference);
  for (const [name, content] of Object.entries(extra)) fs.writeFileSync(path.join(dir, name), content);
  return dir;
}

async function grade(example: string, solution: string, limits: Record<string, number> = {}): Promise<TGradingReport> {
  const submission = path.join(root, `submission-${++counter}`);
  fs.mkdirSync(submission);
  fs.writeFileSync(path.join(submission, 'solution.m'), solution);
  return gradeSubmission({ exampleDir: example, submissionDir: submission, limits: { wallTimeoutMs: 10_000, ...limits }, config });
}

const VALUES = `type: octave
properties:
  tests:
  - type: variable
    name: Values
    setUpCode: run('solution');
    tests:
    - name: answer
    - name: matrix
`;
const GOOD = 'answer = 42;\nmatrix = [1 2 3; 4 5 6];\n';

function expectNoInfra(report: TGradingReport): void {
  expect(report.status).toBe('completed');
  expect(checks(report).filter((c) => c.status === 'infra_error')).toEqual([]);
}

test('the canary: its reference scores 1.0, its wrong solution less', async () => {
  const dir = octave.canaryDir as string;
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
      'Values / y',
      'Values / M',
      'Values / z',
      'Values / greeting',
      'Values / s',
      'Values / y(end)',
      'Figure / get(get(gca, \'title\'), \'string\')',
      'Output / sum printed',
      'Output / whole output',
      'Warnings / note',
      'Errors / negative input',
      'Structure / for',
    ].sort(),
  );
});

test('an endless loop ends as a timeout within the limit', async () => {
  const example = makeExample(VALUES, GOOD);
  const started = Date.now();
  const report = await grade(example, 'answer = 42;\nwhile true\n  answer = answer + 1;\nend\n', { wallTimeoutMs: 3000 });
  expectNoInfra(report);
  expect(Date.now() - started).toBeLessThan(8000);
  expect(checks(report).map((c) => c.status)).toEqual(['timeout', 'timeout']);
  expect(report.score).toBe(0);
});

test('a memory bomb ends as memory_exceeded, not as an infrastructure error', async () => {
  const example = makeExample(VALUES, GOOD);
  for (const bomb of ['matrix = ones(1e5);\n', 'a = {};\nfor k = 1:1e6\n  a{k} = rand(1, 1e5);\nend\n']) {
    const report = await grade(example, bomb, { memoryMb: 512 });
    expectNoInfra(report);
    expect(checks(report).map((c) => c.status)).toEqual(['memory_exceeded', 'memory_exceeded']);
  }
});

test('an output flood ends as output_limit', async () => {
  const example = makeExample(VALUES, GOOD);
  const report = await grade(example, "answer = 42;\nwhile true\n  disp(repmat('x', 1, 10000));\nend\n");
  expectNoInfra(report);
  expect(checks(report).map((c) => c.status)).toEqual(['output_limit', 'output_limit']);
});

test('the reference solution, test.yaml and other files of the example are not readable from the hand-in', async () => {
  const SECRET = 'reference-secret-7319';
  const example = makeExample(
    `type: octave
properties:
  tests:
  - type: variable
    name: Leak
    setUpCode: run('solution');
    tests:
    - name: leaked
      value: true
    - name: found
      value: "${SECRET}"
`,
    `leaked = true;\nfound = '${SECRET}';\n`,
    { 'notes.txt': SECRET },
  );
  // The hand-in must not hold the secret itself: grep would find it in solution.m.
  const hunt = `
secret = ['reference-', 'secret-7319'];
found = '';
names = {'test.yaml', 'meta.yaml', 'notes.txt', '../test.yaml', '../meta.yaml', '../solution.m', '/work/test.yaml'};
for k = 1:numel(names)
  try
    found = [found fileread(names{k})];
  catch
  end
end
[st, out] = system('grep -rs reference-secre[t]-7319 /work /tmp /opt /etc /home /root /var /srv /mnt /run 2>/dev/null | head -c 2000');
found = [found out];
leaked = ! isempty(strfind(found, secret));
if leaked
  found = secret;
end
`;
  const report = await grade(example, hunt, { wallTimeoutMs: 20_000 });
  expectNoInfra(report);
  expect(check(report, 'leaked')).toMatchObject({ status: 'failed' });
  expect(check(report, 'found')).toMatchObject({ status: 'failed' });
});

test('fake reports written to descriptors 3..255 give no pass', async () => {
  const example = makeExample(VALUES, GOOD);
  const fake = (token: string) => `${token} 40\n{"status":"completed","phases":[],"values":{}}${token} end\n`;
  const forgeries = [
    // Through a shell that inherits every descriptor.
    `answer = 1; matrix = 1;\nfor fd = 3:255\n  system(sprintf('printf %%s %s >&%d 2>/dev/null', '${fake('0123456789abcdef0123456789abcdef').replace(/\n/g, '\\n')}', fd));\nend\n`,
    // Through Octave's own streams, where the descriptor can be opened by path.
    `answer = 1; matrix = 1;\nfor fd = 3:255\n  [f, msg] = fopen(sprintf('/proc/self/fd/%d', fd), 'w');\n  if f >= 0\n    fputs(f, '${fake('ffffffffffffffffffffffffffffffff').replace(/\n/g, '\\n')}');\n    fclose(f);\n  end\nend\n`,
  ];
  for (const forgery of forgeries) {
    const report = await grade(example, forgery);
    expectNoInfra(report);
    // The shell reaches fd 4 (the run's report is then refused as tampered); Octave cannot open
    // the sockets by path (its own values, 1 and 1, fail).
    expect(checks(report).every((c) => c.status === 'error' || c.status === 'failed')).toBe(true);
    if (forgery === forgeries[0]) expect(check(report, 'matrix').message).toContain(TAMPERED_REPORT);
  }
});

test('a hand-in file shadowing the built-ins the driver uses cannot forge values', async () => {
  const example = makeExample(VALUES, GOOD);
  const submission = path.join(root, `submission-${++counter}`);
  fs.mkdirSync(submission);
  fs.writeFileSync(path.join(submission, 'solution.m'), 'answer = 1;\nmatrix = 1;\n');
  const forged = '{"t":"num","c":"double","sz":[2,3],"re":[1,4,2,5,3,6]}';
  for (const name of ['jsonencode', 'sprintf', 'strjoin', 'size', 'class', 'numel', 'isnumeric', 'num2str']) {
    fs.writeFileSync(path.join(submission, `${name}.m`), `function varargout = ${name}(varargin)\n  varargout{1} = '${forged}';\nend\n`);
  }
  const report = await gradeSubmission({ exampleDir: example, submissionDir: submission, config });
  expectNoInfra(report);
  expect(check(report, 'matrix').status).not.toBe('passed');
});

test('network access fails inside the sandbox', async () => {
  const example = makeExample(
    `type: octave
properties:
  tests:
  - type: variable
    name: Net
    setUpCode: run('solution');
    tests:
    - name: reached
      value: false
    - name: shell_reached
      value: false
`,
    'reached = false;\nshell_reached = false;\n',
  );
  const report = await grade(
    example,
    `reached = true;\ntry\n  urlread('http://1.1.1.1/');\ncatch\n  reached = false;\nend\n[st, out] = system('exec 3<>/dev/tcp/1.1.1.1/80 2>/dev/null || exit 1; bash -c "exec 5<>/dev/tcp/1.1.1.1/80" 2>/dev/null');\nshell_reached = (st == 0);\nreached = true;\ntry\n  urlread('http://example.com/');\ncatch\n  reached = false;\nend\n`,
  );
  expectNoInfra(report);
  expect(checks(report).map((c) => [c.name, c.status])).toEqual([
    ['reached', 'passed'],
    ['shell_reached', 'passed'],
  ]);
});

test("code that does not parse or run gets Octave's message, in the student's terms", async () => {
  const example = makeExample(VALUES, GOOD);
  const syntax = await grade(example, 'answer = 42;\nmatrix = [1 2 3;\nb = = 2;\n');
  expectNoInfra(syntax);
  expect(check(syntax, 'answer')).toMatchObject({ status: 'error' });
  expect(check(syntax, 'answer').message).toMatch(/^the program raised an error: parse error near line 3 of file solution\.m/);
  expect(check(syntax, 'answer').message).toContain('syntax error');
  expect(check(syntax, 'answer').message).not.toContain('/work/');

  const runtime = await grade(example, 'answer = 42;\nmatrix = [1 2 3] * [4 5 6];\n');
  expectNoInfra(runtime);
  expect(check(runtime, 'matrix').message).toBe('the program raised an error (solution.m, line 2): operator *: nonconformant arguments (op1 is 1x3, op2 is 1x3)');

  const undefinedName = await grade(example, 'answer = 42;\nmatrix = undefined_function_xyz(3);\n');
  expect(check(undefinedName, 'matrix').message).toMatch(/^the program raised an error \(solution\.m, line 2\): 'undefined_function_xyz' undefined/);
});

test('exit in the hand-in ends the run without a report: a failure with the reason', async () => {
  const example = makeExample(VALUES, GOOD);
  const report = await grade(example, 'answer = 42;\nmatrix = [1 2 3; 4 5 6];\nexit(3);\n');
  expectNoInfra(report);
  expect(check(report, 'answer')).toMatchObject({ status: 'error' });
  expect(check(report, 'answer').message).toContain('ended Octave (exit or quit, exit code 3) before the test code could report');
  expect(check(report, 'answer').message).toContain(TAMPERED_REPORT);
});

test('what ordinary scripts do to the session (clear all, close all, fclose all, cd, more on) does not break grading', async () => {
  const example = makeExample(VALUES, GOOD);
  const report = await grade(example, "clear all; close all; clc;\nfclose('all');\nmore on;\nanswer = 42;\nmatrix = [1 2 3; 4 5 6];\nfigure; plot(1:3);\ncd('/tmp');\nclear functions;\n");
  expect(checks(report).filter((c) => c.status !== 'passed')).toEqual([]);
});
