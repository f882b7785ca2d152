import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveGraderConfig } from '../config';
import { gradeSubmission } from '../grade/grade';
import { pythonEnvironment, runPython, TAMPERED_REPORT, type TPythonRun } from '../languages/python/runner';
import { cgroupsFor } from './cgroup';
import { effectiveLimits, resolveSandboxLimits, type TEffectiveLimits } from './limits';
import { Sandbox } from './sandbox';

// What crosses from a sandboxed program to the worker is bounded and validated at the source, no
// descriptor of the worker reaches graded code, and the exit status is the program's own.

const config = resolveGraderConfig({ uidBase: 62100, uidCount: 4 });
const sandbox = new Sandbox({ ...config, cgroups: cgroupsFor('auto', config.cgroupRoot) });
const env = pythonEnvironment(config.pythonBin);
const MiB = 1024 * 1024;

function limits(overrides: Partial<TEffectiveLimits> = {}): TEffectiveLimits {
  return { ...effectiveLimits(resolveSandboxLimits({ wallTimeoutMs: 20_000 }), undefined, { kind: 'run' }), ...overrides };
}

function run(code: string, overrides: Partial<TEffectiveLimits> = {}, expressions: string[] = [], stdin?: string): Promise<TPythonRun> {
  return runPython(sandbox, env, { mode: 'run', files: [{ path: 'main.py', content: code }], entryPoint: 'main.py', expressions, stdin, limits: limits(overrides) });
}

async function expectHealthy(): Promise<void> {
  const after = await run('x = 6 * 7\nprint("still works", x)', {}, ['x']);
  expect(after.status).toBe('completed');
  expect(after.stdout).toContain('still works 42');
  expect(after.values.x).toEqual({ ok: true, value: expect.objectContaining({ t: 'int', v: 42 }) });
}

/** Peak growth of this process's RSS while `work` runs, sampled every 5 ms. */
async function rssGrowth<T>(work: () => Promise<T>): Promise<{ result: T; growthMiB: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, growthMiB: (peak - before) / MiB };
  } finally {
    clearInterval(timer);
  }
}

// 1 GiB to each of the descriptors 0-255, in the given order, 1 MiB per write.
const FLOOD = (order: string) => `
import os
chunk = b"F" * (1024 * 1024)
for fd in ${order}:
    try:
        for _ in range(1024):
            os.write(fd, chunk)
    except OSError:
        pass
x = 1
`;

test('1 GiB written to every descriptor 0-255 costs the worker little and ends as a student failure', async () => {
  // Warm: the first run in this process loads and compiles code that a worker has loaded long ago.
  await expectHealthy();
  // Ascending: stdin (a socket, closed on our side once the input is delivered: EPIPE at once),
  // then stdout, which is cut at the drain limit.
  const up = await rssGrowth(() => run(FLOOD('range(256)'), {}, ['x'], 'some input\n'));
  expect(up.result.status).toBe('output_limit');
  expect(up.result.message).toMatch(/more output than a run may write/);
  expect(up.result.stdoutBytes).toBeGreaterThan(config.outputDrainBytes);
  expect(Buffer.byteLength(up.result.stdout)).toBeLessThanOrEqual(limits().outputBytes);
  // Descending: the driver's result channel (a high descriptor) first, rejected at its first byte.
  const down = await rssGrowth(() => run(FLOOD('range(255, -1, -1)'), {}, ['x'], 'some input\n'));
  expect(down.result.status).toBe('error');
  expect(down.result.message).toContain(TAMPERED_REPORT);
  expect(down.result.values).toEqual({});
  console.log(`worker RSS growth during a 1 GiB flood of fds 0-255: ascending ${up.growthMiB.toFixed(1)} MiB, descending ${down.growthMiB.toFixed(1)} MiB`);
  expect(up.growthMiB).toBeLessThan(64);
  expect(down.growthMiB).toBeLessThan(64);
  await expectHealthy();
}, 120_000);

// Graded code that reads the grader's own descriptor (fd 3, moved to 200) learns the run's token.
const WITH_TOKEN = (after: string) => `
import os
spec = b""
while True:
    chunk = os.read(200, 65536)
    if not chunk:
        break
    spec += chunk
token = spec.rsplit(b"token 32\\n", 1)[1]
${after}
os._exit(0)
`;

test('a report with the run\'s own token is still capped at the value limit and framed', async () => {
  const oversized = await rssGrowth(() => run(WITH_TOKEN('os.write(201, token + b" 999999999999\\n")\nos.write(201, b"{" * (64 * 1024 * 1024))'), { valueBytes: 4 * MiB }));
  expect(oversized.result.status).toBe('output_limit');
  expect(oversized.result.message).toMatch(/reported values larger than the limit of 4 MiB/);
  expect(oversized.growthMiB).toBeLessThan(64);
  // A well-framed header, then far more than announced: dropped at the first byte past the payload.
  const trailing = await rssGrowth(() =>
    run(WITH_TOKEN('payload = b\'{"status":"completed","exitCode":0,"phases":[],"warnings":[]}\'\nos.write(201, token + b" %d\\n" % len(payload) + payload)\nfor _ in range(1024):\n    os.write(201, b"x" * 1024 * 1024)'), {}, ['x']),
  );
  expect(trailing.result.status).toBe('error');
  expect(trailing.result.message).toContain(TAMPERED_REPORT);
  expect(trailing.growthMiB).toBeLessThan(64);
  await expectHealthy();
}, 120_000);

test('a value larger than the value limit fails its own check only', async () => {
  const result = await run('big = list(range(300_000))\nsmall = 5\n', { valueBytes: 1 * MiB }, ['big', 'small']);
  expect(result.status).toBe('completed');
  expect(result.values.big).toMatchObject({ ok: false, limit: true });
  expect(result.values.small).toEqual({ ok: true, value: expect.objectContaining({ t: 'int', v: 5 }) });
});

test('graded code holds none of the worker\'s descriptors: fake log lines never reach the worker\'s pipes', async () => {
  // A second worker process whose fd 20 is an inherited, non-close-on-exec pipe (its "log"): libuv
  // hands such descriptors on to every child; the sandbox must not.
  const transpile = [
    "const fs = require('node:fs'); const ts = require('typescript');",
    "require.extensions['.ts'] = (m, f) => m._compile(ts.transpileModule(fs.readFileSync(f, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true }, fileName: f }).outputText, f);",
  ].join('\n');
  const script = `${transpile}
const { resolveGraderConfig } = require(${JSON.stringify(path.join(__dirname, '..', 'config.ts'))});
const { Sandbox } = require(${JSON.stringify(path.join(__dirname, 'sandbox.ts'))});
const { effectiveLimits, resolveSandboxLimits } = require(${JSON.stringify(path.join(__dirname, 'limits.ts'))});
const config = resolveGraderConfig({ uidBase: 62104, uidCount: 2 });
const sandbox = new Sandbox({ ...config, cgroups: null });
const code = 'ls -l /proc/self/fd; for fd in $(seq 3 255); do (echo "FAKE worker log line" >&$fd) 2>/dev/null && echo "WROTE $fd"; done; exit 0';
sandbox.run({ argv: ['/bin/sh', '-c', code], limits: effectiveLimits(resolveSandboxLimits({}), undefined, { kind: 'run' }) })
  .then((r) => { process.stdout.write(JSON.stringify({ outcome: r.outcome, exitCode: r.exitCode, stdout: r.stdout.toString() })); });
`;
  const child = spawn(process.execPath, ['-e', script], { cwd: path.join(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'inherit', ...new Array<'ignore'>(17).fill('ignore'), 'pipe'] });
  const log: Buffer[] = [];
  const out: Buffer[] = [];
  (child.stdio as unknown as NodeJS.ReadableStream[])[20]?.on('data', (chunk: Buffer) => log.push(chunk));
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code).toBe(0);
  const result = JSON.parse(Buffer.concat(out).toString()) as { outcome: string; exitCode: number; stdout: string };
  expect(result).toMatchObject({ outcome: 'exited', exitCode: 0 });
  expect(result.stdout).not.toMatch(/WROTE/);
  // Only stdin, stdout, stderr (and the listing's own directory handle).
  const open = [...result.stdout.matchAll(/ (\d+) -> /g)].map((m) => Number(m[1]));
  expect(open.filter((fd) => fd > 3)).toEqual([]);
  expect(Buffer.concat(log).toString()).toBe('');
}, 60_000);

test('the exit status is the program\'s own: 152 is an exit code, a signal is a signal', async () => {
  const exited = await sandbox.run({ argv: ['/bin/sh', '-c', 'exit 152'], limits: limits() });
  expect(exited).toMatchObject({ outcome: 'exited', exitCode: 152, signal: null });
  const xcpu = await sandbox.run({ argv: ['/bin/sh', '-c', 'kill -XCPU $$'], limits: limits() });
  expect(xcpu).toMatchObject({ outcome: 'cpu_limit', signal: 'SIGXCPU' });
  const killed = await sandbox.run({ argv: ['/bin/sh', '-c', 'kill -SEGV $$'], limits: limits() });
  expect(killed).toMatchObject({ outcome: 'signaled', signal: 'SIGSEGV', exitCode: null });
  const python = await run('raise SystemExit(152)');
  expect(python).toMatchObject({ status: 'error', exitCode: 152 });
  // What the program prints cannot pose as the sandbox's status.
  const forged = await sandbox.run({ argv: ['/bin/sh', '-c', 'echo "signal 24"; echo "signal 24" >&2; exit 3'], limits: limits() });
  expect(forged).toMatchObject({ outcome: 'exited', exitCode: 3 });
});

test('a C program that returns 152 is graded on exit code 152, not as a CPU-time limit', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-exit-'));
  try {
    const files = {
      'example/meta.yaml': 'identifier: t.c\nproperties:\n  studentSubmissionFiles: [prog.c]\n  executionBackend:\n    slug: itpcp.exec.c\n    settings: {compiler: gcc}\n',
      'example/test.yaml': 'type: c\nproperties:\n  tests:\n  - {name: exit, type: exitcode, entryPoint: prog.c, tests: [{name: code, expectedExitCode: 152}]}\n',
      'example/prog.c': 'int main(void) { return 152; }\n',
      'submission/prog.c': 'int main(void) { return 152; }\n',
    };
    for (const [name, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
      fs.writeFileSync(path.join(root, name), content);
    }
    const report = await gradeSubmission({ exampleDir: path.join(root, 'example'), submissionDir: path.join(root, 'submission'), config: { uidBase: 62106, uidCount: 2 } });
    expect(report.collections[0]?.checks.map((c) => [c.status, c.message])).toEqual([['passed', expect.stringContaining('152')]]);
    expect(report.collections[0]?.output).toMatchObject({ exitCode: 152, signal: null, timedOut: false });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}, 60_000);
