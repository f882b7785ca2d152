import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ZGradingReport } from '@computor/contracts';
import { stackEnvPath } from '@computor/test-support';

// `computor grade` as a user runs it: the built CLI on a generated three-collection Python example.
const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');
let root: string;
let example: string;
let submission: string;

function write(dir: string, files: Record<string, string>): string {
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

function cli(...args: string[]) {
  const run = spawnSync(process.execPath, [CLI, 'grade', ...args], {
    env: { ...process.env, COMPUTOR_ENV_FILE: process.env.COMPUTOR_ENV_FILE ?? stackEnvPath() },
    encoding: 'utf8',
    timeout: 110_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const grade = (...args: string[]) => cli('--example', example, '--submission', submission, ...args);

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-cli-grade-'));
  const reference = 'a = 1\nb = 2\nc = 3\nprint("hello")\n';
  example = write(path.join(root, 'example'), {
    'meta.yaml': 'identifier: t.py\nproperties:\n  studentSubmissionFiles: [main.py]\n  executionBackend:\n    slug: itpcp.exec.py\n    settings: {timeout: 4}\n',
    'test.yaml': [
      'type: python',
      'properties:',
      '  tests:',
      '  - {type: variable, name: first, entryPoint: main.py, tests: [{name: a}, {name: b}]}',
      '  - {type: variable, name: second, entryPoint: main.py, tests: [{name: c}]}',
      '  - {type: stdout, name: out, entryPoint: main.py, tests: [{name: greeting, qualification: contains, pattern: hello}]}',
      '',
    ].join('\n'),
    'main.py': reference,
  });
  submission = write(path.join(root, 'submission'), { 'main.py': reference.replace('b = 2', 'b = 5') });
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

test('without --json: a table and a formatted score on stdout, progress per collection on stderr with --progress', () => {
  const { code, stdout, stderr } = grade('--progress');
  expect(code).toBe(1);
  const lines = stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^collection\s+check\s+status\s+message$/);
  expect(stdout).toMatch(/^first\s+a\s+passed$/m);
  expect(stdout).toMatch(/^first\s+b\s+failed\s+\S.*$/m);
  expect(stdout).toMatch(/^out\s+greeting\s+passed$/m);
  // Columns line up: each row's status starts where the header's does; piped, no line is wider than 80.
  const table = lines.slice(0, lines.indexOf(''));
  expect(table).toHaveLength(5);
  const statusAt = lines[0]!.indexOf('status');
  for (const row of table.slice(1)) expect(row.slice(statusAt)).toMatch(/^(passed|failed)( {2}\S|$)/);
  for (const row of table) expect(row.length).toBeLessThanOrEqual(80);
  expect(lines.at(-1)).toMatch(/^score 3\/4 \(75\.0 %\) · 1 failed · collections 2\/3 passed · \d+(\.\d\d)? m?s$/);
  // One line per collection, in the order they finished.
  const progress = stderr.trimEnd().split('\n');
  expect(progress).toHaveLength(3);
  expect(progress.map((l) => l.replace(/^\[\d\/3\] (\w+):.*$/, '$1')).sort()).toEqual(['first', 'out', 'second']);
  expect(progress.join('\n')).toMatch(/^\[\d\/3\] first: failed 1\/2 in \d+(\.\d\d)? m?s$/m);
  expect(stderr).not.toMatch(/score/);
});

test('with --json: the report with the raw score on stdout, nothing on stderr when not asked for progress', () => {
  const { code, stdout, stderr } = grade('--json');
  expect(code).toBe(1);
  expect(stderr).toBe('');
  const report = ZGradingReport.parse(JSON.parse(stdout));
  expect(report.score).toBe(0.75);
  expect(report.collections.map((c) => c.name)).toEqual(['first', 'second', 'out']);
});

test('the reference itself passes with exit code 0; an invalid example exits 2', () => {
  const passed = cli('--example', example, '--submission', example);
  expect(passed.code).toBe(0);
  expect(passed.stdout.trimEnd().split('\n').at(-1)).toMatch(/^score 4\/4 \(100 %\) · 0 failed · collections 3\/3 passed · /);
  const bad = write(path.join(root, 'bad'), { 'meta.yaml': 'properties: {studentSubmissionFiles: [../x]}\n', 'test.yaml': 'properties: {tests: [{type: stdout}]}\n' });
  const invalid = cli('--example', bad, '--submission', submission);
  expect(invalid.code).toBe(2);
  expect(invalid.stdout).toContain('invalid example');
});
