import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TGradingReport } from '@computor/contracts';
import { gradeSubmission } from '../../grade/grade';
import { Sandbox } from '../../sandbox/sandbox';
import { fortran } from '.';

// Fortran hand-ins through the real path (gfortran in the sandbox, then the program in the
// sandbox): the canary, hostile programs (each asserting the outcome a student sees), and the
// compiled-language semantics the original's Fortran tester had.

const config = { uidBase: 63500, uidCount: 4 };
let root: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-fortran-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function write(dir: string, files: Record<string, string>): string {
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

const META = 'identifier: t.fortran\nproperties:\n  studentSubmissionFiles: [solution.f90]\n  executionBackend:\n    slug: itpcp.exec.fortran\n';
const SECRET = 'REFERENCE_SECRET_7391';
// The reference prints the secret only when asked; test.yaml carries it too.
const REFERENCE = `program solution\n    implicit none\n    print '(A)', 'ok'\n    ! ${SECRET}\nend program solution\n`;
function testsYaml(options: { flags?: string; pattern?: string } = {}): string {
  const flags = options.flags ? `, compilerFlags: [${options.flags}]` : '';
  return [
    'properties:',
    '  timeout: 3',
    '  tests:',
    `  - {name: Output, type: stdout, entryPoint: solution.f90${flags}, tests: [{name: same}, {name: no_secret, qualification: contains, pattern: "${options.pattern ?? SECRET}"}]}`,
    `  - {name: Exit, type: exitcode, entryPoint: solution.f90${flags}, tests: [{name: zero}]}`,
  ].join('\n');
}

let counter = 0;
async function grade(solution: string, options: { tests?: string; meta?: string; reference?: string; limits?: Record<string, number>; files?: Record<string, string> } = {}): Promise<TGradingReport> {
  const dir = path.join(root, `case-${++counter}`);
  const example = write(path.join(dir, 'example'), { 'meta.yaml': options.meta ?? META, 'test.yaml': options.tests ?? testsYaml(), 'solution.f90': options.reference ?? REFERENCE });
  const submission = write(path.join(dir, 'submission'), { 'solution.f90': solution, ...options.files });
  return gradeSubmission({ exampleDir: example, submissionDir: submission, config, limits: { wallTimeoutMs: 5000, ...options.limits } });
}

function statuses(report: TGradingReport): Record<string, string> {
  return Object.fromEntries(report.collections.flatMap((c) => c.checks.map((k) => [`${c.name}/${k.name}`, k.status])));
}

function check(report: TGradingReport, collection: string, name: string) {
  return report.collections.find((c) => c.name === collection)?.checks.find((k) => k.name === name);
}

test('the canary: its reference scores 1.0, its wrong solution below', async () => {
  const dir = fortran.canaryDir as string;
  const reference = await gradeSubmission({ exampleDir: dir, submissionDir: dir, config });
  expect(reference.collections.flatMap((c) => c.checks.filter((k) => k.status !== 'passed').map((k) => `${c.name}/${k.name}: ${k.message}`))).toEqual([]);
  expect(reference.score).toBe(1);
  const wrong = await gradeSubmission({ exampleDir: dir, submissionDir: path.join(dir, 'localTests', 'wrongSolution'), config });
  expect(wrong.score).toBeLessThan(1);
  expect(statuses(wrong)).toMatchObject({ 'Build/compiles': 'passed', 'Output/sum': 'failed', 'Output/same_as_reference': 'failed', 'Exit/zero': 'passed', 'Structure/do': 'passed' });
  expect(Object.values(statuses(wrong))).not.toContain('infra_error');
}, 60_000);

test('a hand-in that does not compile gets the compiler\'s first error, with file and line, in every check that runs it', async () => {
  const report = await grade('program solution\n    implicit none\n    prnt *, "ok"\nend program solution\n');
  const expected = 'does not compile: solution.f90:3:5: Error: Unclassifiable statement at (1)';
  expect(check(report, 'Output', 'same')).toMatchObject({ status: 'error', message: expected, publicMessage: expected });
  // F6 (fix): the exit code check says so too, instead of comparing the compiler's exit code.
  expect(check(report, 'Exit', 'zero')).toMatchObject({ status: 'error', message: expected });
  // The report shows the compiler's full diagnostics as the collection's output.
  expect(report.collections[0]?.output?.stderr).toContain('Unclassifiable statement');
});

test('an endless loop times out within the limit; every check that runs it says timeout', async () => {
  const started = Date.now();
  const report = await grade('program solution\n    implicit none\n    integer :: i\n    i = 0\n    do\n        i = i + 1\n    end do\nend program solution\n', { limits: { wallTimeoutMs: 2000 } });
  expect(report.status).toBe('completed');
  expect(statuses(report)).toEqual({ 'Output/same': 'timeout', 'Output/no_secret': 'timeout', 'Exit/zero': 'timeout' });
  expect(report.collections[0]?.output?.timedOut).toBe(true);
  // One run serves both collections (same program, same stdin): about one limit, not two.
  expect(Date.now() - started).toBeLessThan(12_000);
}, 30_000);

test('a memory bomb ends as memory_exceeded (or a failure), never an infrastructure error', async () => {
  const bomb = [
    'program solution',
    '    implicit none',
    '    real(8), pointer :: p(:)',
    '    integer :: i',
    '    do i = 1, 100000',
    '        allocate(p(50000000))',
    '        p = 1.0d0',
    '    end do',
    '    print *, p(1)',
    'end program solution',
  ].join('\n');
  const report = await grade(`${bomb}\n`, { limits: { memoryMb: 256 } });
  expect(report.status).toBe('completed');
  for (const status of Object.values(statuses(report))) expect(['memory_exceeded', 'failed', 'error']).toContain(status);
  expect(Object.values(statuses(report))).toContain('memory_exceeded');
  expect(report.score).toBe(0);
}, 30_000);

test('an output flood is stopped as output_limit', async () => {
  const flood = "program solution\n    implicit none\n    do\n        write (*, '(A)') repeat('x', 4000)\n    end do\nend program solution\n";
  const report = await grade(flood);
  expect(report.status).toBe('completed');
  expect(statuses(report)).toEqual({ 'Output/same': 'output_limit', 'Output/no_secret': 'output_limit', 'Exit/zero': 'output_limit' });
}, 30_000);

test('the student\'s program cannot read the reference solution, test.yaml or meta.yaml', async () => {
  const dir = path.join(root, `case-${counter + 1}`, 'example');
  const targets = ['solution.f90', 'test.yaml', 'meta.yaml', '../test.yaml', path.join(dir, 'solution.f90'), path.join(dir, 'test.yaml'), '/proc/1/root/' + path.join(dir, 'test.yaml')];
  const reader = [
    'program solution',
    '    implicit none',
    `    character(len=512) :: names(${targets.length})`,
    '    character(len=4096) :: line',
    '    integer :: i, u, ios',
    ...targets.map((target, i) => `    names(${i + 1}) = '${target}'`),
    "    print '(A)', 'ok'",
    '    do i = 1, size(names)',
    '        u = 10 + i',
    "        open (unit=u, file=trim(names(i)), status='old', action='read', iostat=ios)",
    '        if (ios /= 0) cycle',
    "        print '(A)', 'opened ' // trim(names(i))",
    '        do',
    "            read (u, '(A)', iostat=ios) line",
    '            if (ios /= 0) exit',
    "            print '(A)', trim(line)",
    '        end do',
    '        close (u)',
    '    end do',
    'end program solution',
  ].join('\n');
  const report = await grade(`${reader}\n`);
  // Nothing of the example reached the program: the secret is not in its output. Its own file it can read.
  expect(check(report, 'Output', 'no_secret')?.status).toBe('failed');
  const stdout = report.collections[0]?.output?.stdout ?? '';
  expect(stdout.split('\n').filter((line) => line.startsWith('opened '))).toEqual(['opened solution.f90']);
  expect(stdout).toContain('program solution');
  expect(stdout).not.toContain(SECRET);
}, 30_000);

// C's write(2) through ISO_C_BINDING: what any Fortran program can do.
const C_INTERFACES = [
  '    interface',
  "        function c_write(fd, buf, n) bind(c, name='write')",
  '            import :: c_int, c_char, c_size_t, c_long',
  '            integer(c_int), value :: fd',
  '            character(kind=c_char) :: buf(*)',
  '            integer(c_size_t), value :: n',
  '            integer(c_long) :: c_write',
  '        end function c_write',
  "        function c_socket(domain, kind, protocol) bind(c, name='socket')",
  '            import :: c_int',
  '            integer(c_int), value :: domain, kind, protocol',
  '            integer(c_int) :: c_socket',
  '        end function c_socket',
  "        function c_connect(fd, address, length) bind(c, name='connect')",
  '            import :: c_int, c_int8_t',
  '            integer(c_int), value :: fd, length',
  '            integer(c_int8_t) :: address(16)',
  '            integer(c_int) :: c_connect',
  '        end function c_connect',
  '    end interface',
];

test('writing fake reports and exit statuses to descriptors 3..255 forges nothing', async () => {
  const forger = [
    'program solution',
    '    use iso_c_binding',
    '    implicit none',
    ...C_INTERFACES,
    '    character(len=*), parameter :: fake = "exit 0" // achar(10) // "ok" // achar(10) // \'{"status":"completed","exitCode":0}\' // achar(10)',
    '    integer :: fd',
    '    integer(c_long) :: written',
    '    do fd = 3, 255',
    '        written = c_write(int(fd, c_int), fake, int(len(fake), c_size_t))',
    '    end do',
    "    print '(A)', 'forged'",
    '    stop 3',
    'end program solution',
  ].join('\n');
  // -std=f95 (the original's default for .f90) rejects ISO_C_BINDING: this example compiles with f2008.
  const tests = testsYaml({ flags: '-std=f2008, -ffree-line-length-none' });
  const report = await grade(`${forger}\n`, { tests });
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
    const byte = (b: number): string => `${b > 127 ? b - 256 : b}_c_int8_t`;
    const address = (ip: number[]): string => `[${[2, 0, port >> 8, port & 255, ...ip, 0, 0, 0, 0, 0, 0, 0, 0].map(byte).join(', ')}]`;
    const client = [
      'program solution',
      '    use iso_c_binding',
      '    implicit none',
      ...C_INTERFACES,
      '    integer(c_int8_t) :: host(16), internet(16)',
      '    integer(c_int) :: fd',
      `    host = ${address([127, 0, 0, 1])}`,
      `    internet = ${address([1, 1, 1, 1])}`,
      "    print '(A)', 'ok'",
      '    fd = c_socket(2_c_int, 1_c_int, 0_c_int)',
      "    if (c_connect(fd, host, 16_c_int) == 0) print '(A)', 'CONNECTED host'",
      '    fd = c_socket(2_c_int, 1_c_int, 0_c_int)',
      "    if (c_connect(fd, internet, 16_c_int) == 0) print '(A)', 'CONNECTED internet'",
      'end program solution',
    ].join('\n');
    const tests = testsYaml({ flags: '-std=f2008, -ffree-line-length-none', pattern: 'CONNECTED' });
    const report = await grade(`${client}\n`, { tests });
    expect(check(report, 'Output', 'no_secret')?.status).toBe('failed');
    expect(report.collections[0]?.output?.stdout.trim()).toBe('ok');
    expect(check(report, 'Output', 'same')?.status).toBe('passed');
    expect(connections).toHaveLength(0);
  } finally {
    for (const socket of connections) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}, 30_000);

test('the original\'s Fortran semantics: default flags, warnings, runtime errors, structure, exist under a directory', async () => {
  const tests = [
    'properties:',
    '  timeout: 5',
    '  tests:',
    '  - {name: Build, type: compile, entryPoint: solution.f90, tests: [{name: ok}]}',
    '  - {name: Warn, type: warning, entryPoint: solution.f90, tests: [{name: unused, pattern: "Unused variable"}]}',
    '  - {name: Crash, type: error, entryPoint: solution.f90, inputAnswers: ["11"], tests: [{name: bounds, pattern: "Fortran runtime error"}]}',
    '  - name: Shape',
    '    type: structural',
    '    entryPoint: solution.f90',
    '    tests:',
    '    - {name: program}',
    '    - {name: fill}',
    '    - {name: do, allowedOccuranceRange: [1, 1]}',
    '    - {name: print, allowedOccuranceRange: [0, 0]}',
    '    - {name: while, allowedOccuranceRange: [0, 0]}',
    '    - {name: IMPLICIT NONE}',
    '    - {name: anything, pattern: "SUBROUTINE\\\\s+FILL"}',
    '  - {name: Files, type: exist, file: src, tests: [{name: "*.f90"}, {name: "*.c"}]}',
  ].join('\n');
  const solution = [
    'program solution',
    '    implicit none',
    '    integer :: a(10), n, unused',
    '    read (*, *) n',
    '    call fill(a, n)',
    'contains',
    '    subroutine fill(a, n)',
    '        integer, intent(inout) :: a(:)',
    '        integer, intent(in) :: n',
    '        integer :: i',
    '        do i = 1, n',
    '            a(i) = i',
    '        end do',
    '    end subroutine fill',
    'end program solution',
  ].join('\n');
  const report = await grade(`${solution}\n`, { tests, reference: `${solution}\n`, files: { 'src/helper.f90': 'module helper\nend module helper\n' } });
  expect(statuses(report)).toEqual({
    'Build/ok': 'passed',
    'Warn/unused': 'passed',
    // -fcheck=all is on by default: writing a(11) is a runtime error with a message and a non-zero exit.
    'Crash/bounds': 'passed',
    'Shape/program': 'passed',
    'Shape/fill': 'passed',
    'Shape/do': 'failed',
    // C1: `print` does not occur, so [0, 0] falls to the substring search and fails; `while` likewise.
    'Shape/print': 'failed',
    'Shape/while': 'failed',
    'Shape/IMPLICIT NONE': 'passed',
    'Shape/anything': 'passed',
    // F1: `file` is a directory the name is looked for in.
    'Files/*.f90': 'passed',
    'Files/*.c': 'failed',
  });
  expect(check(report, 'Shape', 'do')?.message).toBe('`do` found 2 times, allowed 1 to 1');
  expect(check(report, 'Shape', 'print')?.message).toBe('`print` not found in source');
  expect(check(report, 'Files', '*.c')?.message).toBe('file "src/*.c" not found in the submission');
}, 60_000);

test('each side compiles once per grading, however many collections run its program', async () => {
  const tests = [
    'properties:',
    '  tests:',
    '  - {name: A, type: stdout, entryPoint: solution.f90, inputAnswers: ["1"], tests: [{name: same}]}',
    '  - {name: B, type: stdout, entryPoint: solution.f90, inputAnswers: ["2"], tests: [{name: same}]}',
    '  - {name: C, type: exitcode, entryPoint: solution.f90, inputAnswers: ["3"], tests: [{name: zero}]}',
    '  - {name: D, type: compile, entryPoint: solution.f90, tests: [{name: ok}]}',
    '  - {name: E, type: warning, entryPoint: solution.f90, tests: [{name: none}]}',
  ].join('\n');
  const program = "program solution\n    implicit none\n    integer :: n\n    read (*, *) n\n    print '(I0)', n * 2\nend program solution\n";
  const run = jest.spyOn(Sandbox.prototype, 'run');
  try {
    const report = await grade(program, { tests, reference: program });
    expect(statuses(report)).toEqual({ 'A/same': 'passed', 'B/same': 'passed', 'C/zero': 'passed', 'D/ok': 'passed', 'E/none': 'failed' });
    const compiles = run.mock.calls.filter(([request]) => request.argv[0] === 'gfortran');
    expect(compiles.map(([request]) => request.argv.slice(1, 5))).toEqual([
      ['-std=f95', '-Wall', '-Wextra', '-fcheck=all'],
      ['-std=f95', '-Wall', '-Wextra', '-fcheck=all'],
    ]);
    // Student: three runs (three inputs); reference: two (the exit code check needs none).
    expect(run.mock.calls.filter(([request]) => request.argv[0] === '/opt/program/program')).toHaveLength(5);
  } finally {
    run.mockRestore();
  }
}, 60_000);

test('default flags follow the extension (.f90 → -std=f95, .f08 → -std=f2008); compilerFlags replace them', async () => {
  const meta = 'identifier: t.fortran.std\nproperties:\n  studentSubmissionFiles: [solution.f90, modern.f08]\n  executionBackend:\n    slug: itpcp.exec.fortran\n';
  const modern = "program modern\n    implicit none\n    integer :: u\n    open (newunit=u, status='scratch')\n    close (u)\nend program modern\n";
  const tests = [
    'properties:',
    '  tests:',
    '  - {name: F95, type: compile, sourceFiles: [solution.f90], tests: [{name: rejected, value: false, pattern: "Fortran 2008: NEWUNIT"}]}',
    '  - {name: F2008, type: compile, sourceFiles: [modern.f08], tests: [{name: accepted}]}',
    '  - {name: Replaced, type: compile, sourceFiles: [solution.f90], compilerFlags: [-std=f2008], tests: [{name: accepted}]}',
  ].join('\n');
  const report = await grade(modern, { meta, tests, reference: modern, files: { 'modern.f08': modern } });
  expect(statuses(report)).toEqual({ 'F95/rejected': 'passed', 'F2008/accepted': 'passed', 'Replaced/accepted': 'passed' });
}, 60_000);

test('a module in its own file: sources compile in the listed order, .mod files stay in the run', async () => {
  const meta = 'identifier: t.fortran.modules\nproperties:\n  studentSubmissionFiles: [shapes.f90, solution.f90]\n  executionBackend:\n    slug: itpcp.exec.fortran\n';
  const shapes = 'module shapes\n    implicit none\ncontains\n    integer function area(w, h)\n        integer, intent(in) :: w, h\n        area = w * h\n    end function area\nend module shapes\n';
  const main = "program solution\n    use shapes\n    implicit none\n    print '(I0)', area(2, 3)\nend program solution\n";
  const tests = [
    'properties:',
    '  tests:',
    '  - {name: Out, type: stdout, sourceFiles: [shapes.f90, solution.f90], tests: [{name: six, qualification: matches, value: "6"}]}',
    '  - {name: Shape, type: structural, file: shapes.f90, tests: [{name: shapes}, {name: area}]}',
  ].join('\n');
  const report = await grade(main, { meta, tests, reference: main, files: { 'shapes.f90': shapes } });
  expect(statuses(report)).toEqual({ 'Out/six': 'passed', 'Shape/shapes': 'passed', 'Shape/area': 'passed' });
}, 60_000);
