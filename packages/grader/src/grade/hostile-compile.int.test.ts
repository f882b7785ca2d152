import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TGradingReport } from '@computor/contracts';
import { gradeSubmission } from './grade';

// Student-controlled strings never reach a compiler as options. An example that does not pin file
// names compiles every submitted source; a file named like an option must stay a file.

const config = { uidBase: 63400, uidCount: 4 };
let root: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-hostile-compile-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function write(dir: string, files: Record<string, string>): string {
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

// printf is forbidden through the example's flags: a program that uses it does not compile.
const meta = 'identifier: t.c\nproperties:\n  executionBackend:\n    slug: itpcp.exec.c\n    settings: {compiler: gcc, flags: ["-Dprintf=printf_is_forbidden"]}\n';
const tests = 'properties:\n  timeout: 2\n  tests:\n  - {name: io, type: stdout, tests: [{name: out, qualification: contains, pattern: "42"}]}\n';
const reference = '#include <stdio.h>\nint main(void) { puts("42"); return 0; }\n';
const cheat = '#include <stdio.h>\nint main(void) { printf("42\\n"); return 0; }\n';

async function grade(name: string, submission: Record<string, string>): Promise<TGradingReport> {
  const example = write(path.join(root, name, 'example'), { 'meta.yaml': meta, 'test.yaml': tests, 'prog.c': reference });
  const submitted = write(path.join(root, name, 'submission'), submission);
  return gradeSubmission({ exampleDir: example, submissionDir: submitted, config });
}

test('the forbidden call fails to compile (the example works as meant)', async () => {
  const report = await grade('plain', { 'prog.c': cheat });
  expect(report.status).toBe('completed');
  expect(report.collections[0]?.checks[0]?.status).toBe('error');
  expect(report.score).toBe(0);
});

test.each([
  ['a preprocessor option', '-Wp,-Uprintf,-DZ=.c', ''],
  ['an undefine option', '-Uprintf.c', ''],
  ['a response file', '@opts.c', '-Uprintf\n'],
  ['a wrapper option', '-wrapper,/bin/true.c', ''],
])('a file named like %s is compiled as a file, never parsed as an option', async (_what, name, content) => {
  const report = await grade(name.replace(/[^a-z]/gi, ''), { 'prog.c': cheat, [name]: content });
  expect(report.status).toBe('completed');
  const check = report.collections[0]?.checks[0];
  // Undoing -Dprintf=... would make the cheat compile and pass; as a file it cannot.
  expect(check?.status).not.toBe('passed');
  expect(report.score).toBe(0);
});

test('an option-like file name does not hide a correct hand-in', async () => {
  const report = await grade('correct', { 'prog.c': reference, '-Wp,-Uprintf,-DZ=.c': '' });
  expect(report.collections[0]?.checks[0]?.status).toBe('passed');
});
