import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TGradingReport } from '@computor/contracts';
import { gradeSubmission } from '../../grade/grade';
import { Sandbox } from '../../sandbox/sandbox';
import { c } from '.';

// C++ hand-ins (graded by the C plug-in, as the original's C tester graded them) through the real
// path: the canary (C and C++), hostile programs with the outcome a student sees, and the
// original's compiled-language semantics (g++ for C++ sources, default -Wall -Wextra, C1 structure).

const config = { uidBase: 63600, uidCount: 4 };
let root: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-cpp-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function write(dir: string, files: Record<string, string>): string {
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

const META = 'identifier: t.cpp\nproperties:\n  studentSubmissionFiles: [main.cpp]\n  executionBackend:\n    slug: itpcp.exec.cpp\n';
const SECRET = 'REFERENCE_SECRET_4417';
const REFERENCE = `#include <iostream>\n// ${SECRET}\nint main() {\n    std::cout << "ok" << std::endl;\n    return 0;\n}\n`;

function testsYaml(pattern = SECRET): string {
  return [
    'type: cpp',
    'properties:',
    '  timeout: 3',
    '  tests:',
    `  - {name: Output, type: stdout, entryPoint: main.cpp, tests: [{name: same}, {name: no_secret, qualification: contains, pattern: "${pattern}"}]}`,
    '  - {name: Exit, type: exitcode, entryPoint: main.cpp, tests: [{name: zero}]}',
  ].join('\n');
}

let counter = 0;
async function grade(
  solution: string,
  options: { tests?: string; meta?: string; reference?: Record<string, string>; limits?: Record<string, number>; files?: Record<string, string> } = {},
): Promise<TGradingReport> {
  const dir = path.join(root, `case-${++counter}`);
  const example = write(path.join(dir, 'example'), { 'meta.yaml': options.meta ?? META, 'test.yaml': options.tests ?? testsYaml(), ...(options.reference ?? { 'main.cpp': REFERENCE }) });
  const submission = write(path.join(dir, 'submission'), { 'main.cpp': solution, ...options.files });
  return gradeSubmission({ exampleDir: example, submissionDir: submission, config, limits: { wallTimeoutMs: 5000, ...options.limits } });
}

function statuses(report: TGradingReport): Record<string, string> {
  return Object.fromEntries(report.collections.flatMap((col) => col.checks.map((k) => [`${col.name}/${k.name}`, k.status])));
}

function check(report: TGradingReport, collection: string, name: string) {
  return report.collections.find((col) => col.name === collection)?.checks.find((k) => k.name === name);
}

test('the canary (a C and a C++ program): its reference scores 1.0, its wrong solution below', async () => {
  const dir = c.canaryDir as string;
  const reference = await gradeSubmission({ exampleDir: dir, submissionDir: dir, config });
  expect(reference.collections.flatMap((col) => col.checks.filter((k) => k.status !== 'passed').map((k) => `${col.name}/${k.name}: ${k.message}`))).toEqual([]);
  expect(reference.score).toBe(1);
  const wrong = await gradeSubmission({ exampleDir: dir, submissionDir: path.join(dir, 'localTests', 'wrongSolution'), config });
  expect(wrong.score).toBeLessThan(1);
  expect(statuses(wrong)).toMatchObject({ 'C output/sum': 'failed', 'C++ output/greeting': 'failed', 'C++ build/compiles': 'passed', 'C++ exit/zero': 'passed' });
  expect(Object.values(statuses(wrong))).not.toContain('infra_error');
}, 60_000);

test('a hand-in that does not compile gets g++\'s first error, with file and line, in every check that runs it', async () => {
  const report = await grade('#include <iostream>\nint main() {\n    std::cout << "ok" << std::endl\n    return 0;\n}\n');
  // The sandbox's locale is C.UTF-8: g++ quotes with ‘…’.
  const expected = 'does not compile: main.cpp:3:35: error: expected ‘;’ before ‘return’';
  expect(check(report, 'Output', 'same')).toMatchObject({ status: 'error', message: expected, publicMessage: expected });
  // F6 (fix): the exit code check names the compile failure instead of comparing the compiler's exit code.
  expect(check(report, 'Exit', 'zero')).toMatchObject({ status: 'error', message: expected });
  expect(report.collections[1]?.output?.stderr).toContain('error');
});

test('an endless loop times out within the limit', async () => {
  const report = await grade('int main() {\n    volatile unsigned long i = 0;\n    for (;;) i++;\n}\n', { limits: { wallTimeoutMs: 2000 } });
  expect(report.status).toBe('completed');
  expect(statuses(report)).toEqual({ 'Output/same': 'timeout', 'Output/no_secret': 'timeout', 'Exit/zero': 'timeout' });
}, 30_000);

test('a memory bomb ends as memory_exceeded, never an infrastructure error', async () => {
  const bomb = '#include <vector>\n#include <cstdio>\nint main() {\n    std::vector<std::vector<char>> hog;\n    for (;;) hog.emplace_back(64 << 20, 1);\n}\n';
  const report = await grade(bomb, { limits: { memoryMb: 256 } });
  expect(report.status).toBe('completed');
  expect(Object.values(statuses(report))).toEqual(['memory_exceeded', 'memory_exceeded', 'memory_exceeded']);
}, 30_000);

test('an output flood is stopped as output_limit', async () => {
  const report = await grade('#include <cstdio>\nint main() {\n    for (;;) std::fputs("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\\n", stdout);\n}\n');
  expect(statuses(report)).toEqual({ 'Output/same': 'output_limit', 'Output/no_secret': 'output_limit', 'Exit/zero': 'output_limit' });
}, 30_000);

test('the student\'s program cannot read the reference solution, test.yaml or meta.yaml', async () => {
  const dir = path.join(root, `case-${counter + 1}`, 'example');
  const targets = ['main.cpp', 'test.yaml', 'meta.yaml', '../test.yaml', path.join(dir, 'main.cpp'), path.join(dir, 'test.yaml'), `/proc/1/root${path.join(dir, 'test.yaml')}`];
  const reader = [
    '#include <fstream>',
    '#include <iostream>',
    '#include <string>',
    'int main() {',
    '    std::cout << "ok" << std::endl;',
    `    const char *names[] = {${targets.map((t) => JSON.stringify(t)).join(', ')}};`,
    '    for (const char *name : names) {',
    '        std::ifstream in(name);',
    '        if (!in) continue;',
    '        std::cout << "opened " << name << std::endl;',
    '        std::string line;',
    '        while (std::getline(in, line)) std::cout << line << std::endl;',
    '    }',
    '    return 0;',
    '}',
  ].join('\n');
  const report = await grade(`${reader}\n`);
  expect(check(report, 'Output', 'no_secret')?.status).toBe('failed');
  const stdout = report.collections[0]?.output?.stdout ?? '';
  expect(stdout.split('\n').filter((line) => line.startsWith('opened '))).toEqual(['opened main.cpp']);
  expect(stdout).not.toContain(SECRET);
}, 30_000);

test('writing fake reports and exit statuses to descriptors 3..255 forges nothing', async () => {
  const forger = [
    '#include <unistd.h>',
    '#include <cstring>',
    '#include <iostream>',
    'int main() {',
    '    const char *fake = "exit 0\\nok\\n{\\"status\\":\\"completed\\",\\"exitCode\\":0}\\n";',
    '    for (int fd = 3; fd < 256; fd++) (void)!write(fd, fake, std::strlen(fake));',
    '    std::cout << "forged" << std::endl;',
    '    return 3;',
    '}',
  ].join('\n');
  const report = await grade(`${forger}\n`);
  expect(report.status).toBe('completed');
  expect(check(report, 'Output', 'same')?.status).toBe('failed');
  expect(check(report, 'Exit', 'zero')).toMatchObject({ status: 'failed', message: 'exit code 3, expected 0' });
  expect(report.score).toBe(0);
}, 30_000);

test('there is no network: connections to a host service and to the internet fail', async () => {
  const connections: net.Socket[] = [];
  const server = net.createServer((socket) => connections.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const client = [
      '#include <arpa/inet.h>',
      '#include <netinet/in.h>',
      '#include <sys/socket.h>',
      '#include <iostream>',
      'static bool reach(const char *ip, int port) {',
      '    int fd = socket(AF_INET, SOCK_STREAM, 0);',
      '    sockaddr_in address{};',
      '    address.sin_family = AF_INET;',
      '    address.sin_port = htons(port);',
      '    inet_pton(AF_INET, ip, &address.sin_addr);',
      '    return connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0;',
      '}',
      'int main() {',
      '    std::cout << "ok" << std::endl;',
      `    if (reach("127.0.0.1", ${port})) std::cout << "CONNECTED host" << std::endl;`,
      '    if (reach("1.1.1.1", 53)) std::cout << "CONNECTED internet" << std::endl;',
      '    return 0;',
      '}',
    ].join('\n');
    const report = await grade(`${client}\n`, { tests: testsYaml('CONNECTED') });
    expect(check(report, 'Output', 'no_secret')?.status).toBe('failed');
    expect(report.collections[0]?.output?.stdout).toBe('ok\n');
    expect(check(report, 'Output', 'same')?.status).toBe('passed');
    expect(connections).toHaveLength(0);
  } finally {
    for (const socket of connections) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}, 30_000);

test('the original\'s C++ semantics: g++ for C++ sources, -Wall -Wextra by default, C1 structure', async () => {
  const meta = 'identifier: t.cpp.semantics\nproperties:\n  studentSubmissionFiles: [main.cpp, util.c, shape.C]\n  executionBackend:\n    slug: itpcp.exec.cpp\n';
  const main = [
    '#include <iostream>',
    '#include <vector>',
    'int twice(int x);',
    'int area(int w, int h) {',
    '    return w * h;',
    '}',
    'int main() {',
    '    int unused;',
    '    std::vector<int> v{1, 2, 3};',
    '    int s = 0;',
    '    for (int x : v) s += x;',
    '    // while (false) {}',
    '    std::cout << "sum " << twice(s) << " area " << area(2, 3) << std::endl;',
    '    return 0;',
    '}',
  ].join('\n');
  // A .c beside a .cpp is compiled by g++ as C++ (C2, as the original): `new` is only C++.
  const util = 'int twice(int x) { int *p = new int(2 * x); int r = *p; delete p; return r; }\n';
  // `.C` is C++ (C2, ours): g++ links the C++ library it needs.
  const shape = '#include <iostream>\nclass Shape { public: int sides() const { return 4; } };\nint main() { std::cout << Shape().sides() << std::endl; return 0; }\n';
  const tests = [
    'properties:',
    '  timeout: 5',
    '  tests:',
    '  - {name: Mixed, type: stdout, sourceFiles: [main.cpp, util.c], tests: [{name: out, qualification: matches, value: "sum 12 area 6"}]}',
    '  - {name: Warn, type: warning, sourceFiles: [main.cpp, util.c], tests: [{name: unused, pattern: "unused variable"}]}',
    '  - {name: Upper C, type: exitcode, sourceFiles: [shape.C], tests: [{name: zero}]}',
    '  - name: Shape',
    '    type: structural',
    '    file: main.cpp',
    '    tests:',
    '    - {name: main}',
    '    - {name: area}',
    '    - {name: for, allowedOccuranceRange: [0, 0]}',
    '    - {name: while, allowedOccuranceRange: [0, 0]}',
    '    - {name: switch, allowedOccuranceRange: [0, 0]}',
    '    - {name: return, allowedOccuranceRange: [3, 5]}',
    '    - {name: cout, allowedOccuranceRange: [5, 9]}',
    '    - {name: anything, pattern: "std::vector<\\\\w+>"}',
  ].join('\n');
  const files = { 'util.c': util, 'shape.C': shape };
  const report = await grade(main, { meta, tests, reference: { 'main.cpp': main, ...files }, files });
  expect(statuses(report)).toEqual({
    'Mixed/out': 'passed',
    'Warn/unused': 'passed',
    'Upper C/zero': 'passed',
    'Shape/main': 'passed',
    'Shape/area': 'passed',
    // C1: [0, 0] is "at least 0" for a keyword that occurs ...
    'Shape/for': 'passed',
    // ... and a keyword outside code (only in a comment here) falls to the raw substring search: found.
    'Shape/while': 'passed',
    // ... and an absent keyword fails, "not found".
    'Shape/switch': 'failed',
    'Shape/return': 'failed',
    // A name that is no keyword only has to occur; its range is not looked at.
    'Shape/cout': 'passed',
    'Shape/anything': 'passed',
  });
  expect(check(report, 'Shape', 'switch')?.message).toBe('`switch` not found in source');
  expect(check(report, 'Shape', 'return')?.message).toBe('`return` found 2 times, allowed 3 to 5');
}, 60_000);

test('C: no -lm is added (as the original): libm calls need linkerFlags, and a link error names the symbol', async () => {
  const meta = 'identifier: t.c.libm\nproperties:\n  studentSubmissionFiles: [root.c]\n  executionBackend:\n    slug: itpcp.exec.c\n';
  const program = '#include <math.h>\n#include <stdio.h>\nint main(void) {\n    double x = 0;\n    if (scanf("%lf", &x) != 1) return 2;\n    printf("%.1f\\n", sqrt(x));\n    return 0;\n}\n';
  const tests = [
    'properties:',
    '  tests:',
    '  - {name: Plain, type: stdout, entryPoint: root.c, inputAnswers: ["16"], tests: [{name: four, qualification: matches, value: "4.0"}]}',
    '  - {name: Linked, type: stdout, entryPoint: root.c, inputAnswers: ["16"], linkerFlags: [-lm], tests: [{name: four, qualification: matches, value: "4.0"}]}',
  ].join('\n');
  const dir = write(path.join(root, 'libm'), { 'meta.yaml': meta, 'test.yaml': tests, 'root.c': program });
  const report = await gradeSubmission({ exampleDir: dir, submissionDir: dir, config });
  expect(statuses(report)).toEqual({ 'Plain/four': 'error', 'Linked/four': 'passed' });
  expect(check(report, 'Plain', 'four')?.message).toBe("does not compile: root.c: undefined reference to `sqrt'");
}, 60_000);

test('each side compiles once per grading, with the original\'s default flags', async () => {
  const tests = [
    'properties:',
    '  tests:',
    '  - {name: A, type: stdout, entryPoint: main.cpp, tests: [{name: same}]}',
    '  - {name: B, type: exitcode, entryPoint: main.cpp, tests: [{name: zero}]}',
    '  - {name: C, type: compile, entryPoint: main.cpp, tests: [{name: ok}]}',
    '  - {name: D, type: stdout, entryPoint: main.cpp, compilerFlags: [-O2], tests: [{name: same}]}',
  ].join('\n');
  const run = jest.spyOn(Sandbox.prototype, 'run');
  try {
    const report = await grade(REFERENCE, { tests });
    expect(statuses(report)).toEqual({ 'A/same': 'passed', 'B/zero': 'passed', 'C/ok': 'passed', 'D/same': 'passed' });
    const compiles = run.mock.calls.map(([request]) => request.argv).filter((argv) => argv[0] === 'g++');
    // Student and reference with the defaults; both again with the given flags, which replace them (F4).
    expect(compiles.map((argv) => argv.slice(1, -3).join(' ')).sort()).toEqual(['-O2', '-O2', '-Wall -Wextra', '-Wall -Wextra']);
    expect(compiles).toHaveLength(4);
  } finally {
    run.mockRestore();
  }
}, 60_000);

test('a compiler bomb (#include of /dev/zero) ends within the compile limit as the hand-in\'s failure', async () => {
  const started = Date.now();
  const report = await grade('#include "/dev/zero"\nint main() { return 0; }\n', { limits: { compileTimeoutMs: 4000, memoryMb: 512 } });
  expect(report.status).toBe('completed');
  // cc1plus reads NUL bytes until the address-space limit stops it.
  expect(Object.values(statuses(report))).toEqual(['memory_exceeded', 'memory_exceeded', 'memory_exceeded']);
  expect(check(report, 'Exit', 'zero')?.message).toMatch(/^the compiler ran out of memory: cc1plus: out of memory/);
  expect(report.score).toBe(0);
  expect(Date.now() - started).toBeLessThan(20_000);
}, 60_000);
