import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TGradingReport } from '@computor/contracts';
import { resolveGraderConfig } from '../../config';
import { gradeSubmission } from '../../grade/grade';
import { cgroupsFor } from '../../sandbox/cgroup';
import { effectiveLimits, resolveSandboxLimits } from '../../sandbox/limits';
import { Sandbox } from '../../sandbox/sandbox';
import { octaveEnvironment, runOctave } from './runner';

// The driver in the real sandbox: what values come back (decoded for comparison), and the check
// types of an Octave example end to end.

const config = { uidBase: 62810, uidCount: 4 };
let root: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-octave-driver-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

test('values come back with class, shape, row-major data, complex parts and special numbers', async () => {
  const resolved = resolveGraderConfig(config);
  const sandbox = new Sandbox({ ...resolved, cgroups: cgroupsFor('auto', resolved.cgroupRoot) });
  const script = [
    'M = [1 2 3; 4 5 6];',
    'z = 3 - 4i;',
    'zv = [1+1i, 2];',
    'special = [NaN Inf -Inf 1e-20 5e-324];',
    'big = int64(2)^60 + 1;',
    'small = uint8([1 2 3]);',
    'flag = true;',
    'flags = [true; false];',
    "name = 'Octave';",
    "names = ['ab'; 'cd'];",
    "c = {1, 'x'; [1 2], {3}};",
    "s = struct('p', 1, 'q', 'z');",
    "sa = struct('a', {1, 2});",
    'f = @(x) x.^2 + 1;',
    'e = [];',
    'third = 1/3;',
    'r = single(0.5);',
    'cube = reshape(1:8, 2, 2, 2);',
    'm = containers.Map();',
    'sp = sparse([1 0 2]);',
  ].join('\n');
  const expressions = ['M', 'z', 'zv', 'special', 'big', 'small', 'flag', 'flags', 'name', 'names', 'c', 's', 'sa', 'f', 'e', 'third', 'r', 'cube', 'm', 'sp', 'M(2, :)', 'undefined_thing', 'M * M'];
  const run = await runOctave(sandbox, octaveEnvironment(), {
    files: [{ path: 'values.m', content: script }],
    entryPoint: 'values.m',
    setUpCode: [],
    tearDownCode: [],
    expressions,
    limits: effectiveLimits(resolveSandboxLimits({ wallTimeoutMs: 20_000 }), undefined, { kind: 'run' }),
  });
  expect(run.status).toBe('completed');
  const value = (name: string): unknown => {
    const entry = run.values[name];
    if (!entry?.ok) throw new Error(`${name}: ${JSON.stringify(entry)}`);
    return entry.value;
  };
  expect(value('M')).toEqual({ t: 'ndarray', dtype: 'float64', kind: 'f', shape: [2, 3], data: [1, 2, 3, 4, 5, 6], pytype: 'double' });
  expect(value('z')).toEqual({ t: 'complex', re: 3, im: -4, pytype: 'double' });
  expect(value('zv')).toMatchObject({ kind: 'c', shape: [1, 2], data: [[1, 1], [2, 0]] });
  expect(value('special')).toMatchObject({ data: ['nan', 'inf', '-inf', 1e-20, 5e-324] });
  expect(value('big')).toEqual({ t: 'int', v: '1152921504606846977', pytype: 'int64' });
  expect(value('small')).toMatchObject({ dtype: 'uint8', kind: 'u', shape: [1, 3], data: [1, 2, 3] });
  expect(value('flag')).toEqual({ t: 'bool', v: true, pytype: 'logical' });
  expect(value('flags')).toMatchObject({ kind: 'b', shape: [2, 1], data: [true, false] });
  expect(value('name')).toEqual({ t: 'str', v: 'Octave', pytype: 'char', str: 'Octave' });
  expect(value('names')).toMatchObject({ t: 'list', items: [{ v: 'ab' }, { v: 'cd' }] });
  expect(value('c')).toMatchObject({
    t: 'list',
    items: [
      { t: 'list', items: [{ t: 'int', v: 1 }, { t: 'str', v: 'x' }] },
      { t: 'list', items: [{ t: 'ndarray', shape: [1, 2] }, { t: 'list', items: [{ t: 'int', v: 3 }] }] },
    ],
  });
  expect(value('s')).toMatchObject({ t: 'dict', items: [[{ v: 'p' }, { t: 'int', v: 1 }], [{ v: 'q' }, { t: 'str', v: 'z' }]] });
  expect(value('sa')).toMatchObject({ t: 'list', items: [{ t: 'dict' }, { t: 'dict' }] });
  expect(value('f')).toEqual({ t: 'object', type: 'function_handle', repr: '@(x) x .^ 2 + 1', str: '@(x) x .^ 2 + 1' });
  expect(value('e')).toMatchObject({ t: 'ndarray', shape: [0, 0], data: [] });
  expect(value('third')).toEqual({ t: 'float', v: 1 / 3, pytype: 'double' });
  expect(value('r')).toEqual({ t: 'float', v: 0.5, pytype: 'single' });
  expect(value('cube')).toMatchObject({ shape: [2, 2, 2], data: [1, 5, 3, 7, 2, 6, 4, 8] });
  expect(value('m')).toMatchObject({ t: 'unsupported', type: 'containers.Map' });
  expect(value('sp')).toMatchObject({ t: 'ndarray', shape: [1, 3], data: [1, 0, 2] });
  expect(value('M(2, :)')).toMatchObject({ shape: [1, 3], data: [4, 5, 6] });
  expect(run.values['M * M']).toEqual({ ok: false, error: 'operator *: nonconformant arguments (op1 is 2x3, op2 is 2x3)' });
  expect(run.values.undefined_thing).toEqual({ ok: false, error: "'undefined_thing' undefined" });
}, 30_000);

function checkRows(report: TGradingReport): Array<[string, string, string, string]> {
  return report.collections.flatMap((c) => c.checks.map((k): [string, string, string, string] => [c.name, k.name, k.status, k.message]));
}

let counter = 0;
function writeDir(files: Record<string, string>): string {
  const dir = path.join(root, `dir-${++counter}`);
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

const FEATURES_YAML = `type: octave
properties:
  tests:
    - name: Files
      type: exist
      tests:
        - name: solution.m
        - name: shout.m
    - name: Input
      type: variable
      id: input
      setUpCode: ["run('#command_1#');"]
      inputAnswers: ["7", "Ada"]
      successDependency: 1
      tests:
        - name: n
        - name: who
          value: Ada
        - name: squares
          value: [1, 4, 9]
        - name: grid
          value: [[1, 2], [3, 4]]
        - name: n_plus_one
          evalString: n + 1
    - name: Shared
      type: variable
      setUpCodeDependency: input
      successDependency: Input
      inputAnswers: ["7", "Ada"]
      tests:
        - name: "shout('loud')"
        - name: missing_variable
        - name: who
          qualification: startsWith
          pattern: "A"
    - name: Printed
      type: stdout
      setUpCodeDependency: input
      inputAnswers: ["7", "Ada"]
      tests:
        - name: exact
          value: "Number? Name? n is 7"
        - name: like the reference
    - name: Plot
      type: graphics
      setUpCode: ["run('solution');", "figure(); plot(squares, 'r-'); xlabel('k'); axis([0 4 0 10]);"]
      inputAnswers: ["7", "Ada"]
      tests:
        - name: "get(gca, 'XLim')"
        - name: "get(get(gca, 'xlabel'), 'string')"
        - name: "get(get(gca, 'children'), 'color')"
    - name: Help text
      type: help
      setUpCode: ["% the help text only: no script runs"]
      tests:
        - name: "strtrim(get_help_text('shout'))"
    - name: No error here
      type: error
      setUpCode: ["shout('fine')"]
      tests:
        - name: error expected
    - name: Warned
      type: warning
      setUpCode: ["x = 1 / 0; warning('my:id', 'watch out %d', 3);"]
      tests:
        - name: any warning
        - name: the right one
          pattern: "watch out 3"
    - name: Style
      type: linting
      tests:
        - name: lint
`;

const FEATURES_SOLUTION = "n = input('Number? ');\nwho = input('Name? ', 's');\nprintf('n is %d\\n', n);\nsquares = (1:3).^2;\ngrid = [1 2; 3 4];\nn_plus_one = n + 1;\n";
const SHOUT = "function r = shout(text)\n  % SHOUT returns TEXT in capitals.\n  printf('SHOUTING\\n');\n  r = upper(text);\nend\n";

test('an Octave example end to end: input, value, evalString, dependencies, token exchange, stdout, graphics, help, error, warning, linting', async () => {
  const example = writeDir({
    'meta.yaml': 'identifier: octave.features\nproperties:\n  studentSubmissionFiles: [solution.m, shout.m]\n  executionBackend:\n    slug: itpcp.exec.oct\n',
    'test.yaml': FEATURES_YAML,
    'solution.m': FEATURES_SOLUTION,
    'shout.m': SHOUT,
  });
  const reference = await gradeSubmission({ exampleDir: example, submissionDir: example, config });
  const rows = checkRows(reference);
  expect(rows.filter(([, , status]) => status !== 'passed')).toEqual([
    ['Shared', 'missing_variable', 'failed', "Variable `missing_variable` not found in student namespace ('missing_variable' undefined)"],
    ['No error here', 'error expected', 'failed', 'expected an error, none occurred'],
    ['Style', 'lint', 'skipped', 'linting is not supported for Octave'],
  ]);

  // A wrong hand-in: n_plus_one computed wrongly (the reference side evaluates `n + 1`), squares a
  // column, grid transposed, printing more, another help text.
  const wrong = writeDir({
    'solution.m': "n = input('Number? ');\nwho = input('Name? ', 's');\nprintf('n is %d!\\n', n);\nsquares = [1; 4; 9];\ngrid = [1 3; 2 4];\nn_plus_one = n;\n",
    'shout.m': SHOUT.replace("printf('SHOUTING\\n');\n", '').replace('% SHOUT', '% shout'),
  });
  const graded = await gradeSubmission({ exampleDir: example, submissionDir: wrong, config });
  const failed = checkRows(graded)
    .filter(([, , status]) => status !== 'passed')
    .map(([collection, name, status]) => `${collection} / ${name}: ${status}`);
  expect(failed).toEqual([
    'Input / squares: failed',
    'Input / grid: failed',
    'Input / n_plus_one: failed',
    // successDependency by name: Input failed.
    "Shared / shout('loud'): skipped",
    'Shared / missing_variable: skipped',
    'Shared / who: skipped',
    'Printed / exact: failed',
    'Printed / like the reference: failed',
    "Help text / strtrim(get_help_text('shout')): failed",
    'No error here / error expected: failed',
    'Style / lint: skipped',
  ]);
  const message = (name: string): string => checkRows(graded).find(([, n]) => n === name)?.[3] ?? '';
  expect(message('squares')).toBe('Variable `squares` has incorrect shape: (3, 1) vs (1, 3)');
  expect(message('grid')).toMatch(/^Variable `grid` has incorrect value: `grid` differs at flat index 1: 3 vs 2/);
}, 60_000);

test('a successDependency by 1-based index (O8): a failed first collection skips the dependent one', async () => {
  const example = writeDir({
    'meta.yaml': 'identifier: octave.deps\nproperties:\n  studentSubmissionFiles: [solution.m]\n  executionBackend:\n    slug: itpcp.exec.oct\n',
    'test.yaml': "type: octave\nproperties:\n  tests:\n    - name: First\n      type: variable\n      setUpCode: run('solution');\n      tests: [{name: a}]\n    - name: Second\n      type: variable\n      successDependency: 1\n      setUpCode: run('solution');\n      tests: [{name: b}]\n",
    'solution.m': 'a = 1;\nb = 2;\n',
  });
  const wrong = writeDir({ 'solution.m': 'a = 5;\nb = 2;\n' });
  const report = await gradeSubmission({ exampleDir: example, submissionDir: wrong, config });
  expect(checkRows(report)).toEqual([
    ['First', 'a', 'failed', expect.any(String)],
    ['Second', 'b', 'skipped', 'dependency `1` not satisfied'],
  ]);
});

test('without entryPoint and setUpCode the first .m file of the submission runs; a default run shares nothing with setUpCode runs', async () => {
  const example = writeDir({
    'meta.yaml': 'identifier: octave.default\nproperties:\n  studentSubmissionFiles: [main.m]\n  executionBackend:\n    slug: itpcp.exec.oct\n',
    'test.yaml': "type: octave\nproperties:\n  tests:\n    - name: Out\n      type: stdout\n      tests:\n        - name: once\n          value: hello\n    - name: Vars\n      type: variable\n      tests: [{name: counter}]\n",
    'main.m': "disp('hello');\ncounter = 1;\n",
  });
  const report = await gradeSubmission({ exampleDir: example, submissionDir: example, config });
  expect(checkRows(report).map(([, name, status]) => [name, status])).toEqual([
    ['once', 'passed'],
    ['counter', 'passed'],
  ]);
});
