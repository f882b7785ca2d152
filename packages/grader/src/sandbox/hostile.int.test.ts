import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { resolveGraderConfig } from '../config';
import { gradeSubmission } from '../grade/grade';
import { pythonEnvironment, runPython, type TPythonRun } from '../languages/python/runner';
import { cgroupsFor } from './cgroup';
import { effectiveLimits, resolveSandboxLimits, type TEffectiveLimits } from './limits';
import { Sandbox } from './sandbox';
import { processesOf } from './uid-pool';

// Hostile programs through the real sandbox: each must end in a bounded, classified result,
// leak nothing, and leave the sandbox usable for the next run.

const config = resolveGraderConfig({ uidBase: 62000, uidCount: 8 });
// Required here: the project's machines have the cgroup v1 memory and pids controllers.
const cgroups = cgroupsFor('required', config.cgroupRoot)!;
const sandbox = new Sandbox({ ...config, outputDrainBytes: config.outputDrainBytes, cgroups });
const env = pythonEnvironment(config.pythonBin);
const FAKE_SECRET = `computor-fake-secret-${process.pid}-${Date.now()}`;

function limits(overrides: Partial<TEffectiveLimits> = {}): TEffectiveLimits {
  return { ...effectiveLimits(resolveSandboxLimits({ wallTimeoutMs: 3000 }), undefined, { kind: 'run' }), ...overrides };
}

function run(code: string, overrides: Partial<TEffectiveLimits> = {}, signal?: AbortSignal): Promise<TPythonRun> {
  return runPython(sandbox, env, {
    mode: 'run',
    files: [{ path: 'main.py', content: code }],
    entryPoint: 'main.py',
    expressions: [],
    limits: limits(overrides),
    signal,
  });
}

async function expectHealthy(): Promise<void> {
  const after = await run('x = 6 * 7\nprint("still works", x)');
  expect(after.status).toBe('completed');
  expect(after.stdout).toContain('still works 42');
}

beforeAll(() => {
  process.env.COMPUTOR_FAKE_SECRET = FAKE_SECRET;
});

afterAll(() => {
  delete process.env.COMPUTOR_FAKE_SECRET;
});

test('an infinite loop ends as a timeout at the wall-clock limit', async () => {
  const started = Date.now();
  const result = await run('while True:\n    pass\n', { wallTimeoutMs: 1500 });
  expect(result.status).toBe('timeout');
  expect(result.timedOut).toBe(true);
  expect(Date.now() - started).toBeLessThan(4000);
  await expectHealthy();
});

test('a fork bomb is held at the process limit and classified as an error', async () => {
  const code = [
    'import os, time',
    'forks = 0',
    'try:',
    '    while True:',
    '        if os.fork() == 0:',
    '            time.sleep(30)',
    '            os._exit(0)',
    '        forks += 1',
    'except OSError as exc:',
    '    print("forks", forks, type(exc).__name__)',
    '    raise',
  ].join('\n');
  const result = await run(code, { maxProcesses: 16, wallTimeoutMs: 5000 });
  expect(result.status).toBe('error');
  expect(result.error?.type).toBe('BlockingIOError');
  const forks = Number(/forks (\d+)/.exec(result.stdout)?.[1]);
  expect(forks).toBeLessThan(16);
  await expectHealthy();
});

test('a shell fork bomb ends within the time limit and takes its whole tree with it', async () => {
  const started = Date.now();
  // The shell forks once, for the bomb's subshell, before the bomb runs, then becomes the sleep
  // (exec): so the run lasts until the wall limit, however early the bomb fills the process limit.
  // (With the bomb in the shell itself, the shell forks the pipeline's second half too, and a
  // full process limit then ends the shell at once: `exited`, as a CI run once saw.)
  const result = await sandbox.run({ argv: ['/bin/sh', '-c', '(b() { b | b & }; b) & exec sleep 30'], limits: limits({ maxProcesses: 32, wallTimeoutMs: 1500 }) });
  expect(result.outcome).toBe('timeout');
  expect(result.stderr.toString()).toMatch(/Cannot fork|Resource temporarily unavailable/);
  expect(Date.now() - started).toBeLessThan(5000);
  // Nothing of the run survives it: the sandbox returned only once the kernel had reaped the tree.
  const leftovers = Array.from({ length: config.uidCount }, (_, i) => processesOf(config.uidBase + i));
  expect(leftovers).toEqual(new Array(config.uidCount).fill(0));
  await expectHealthy();
});

test('a memory bomb is stopped by the address-space limit and reported as memory_exceeded', async () => {
  const result = await run('chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024 * 1024))\n', { memoryBytes: 256 * 1024 * 1024 });
  expect(result.status).toBe('memory_exceeded');
  expect(result.memoryExceeded).toBe(true);
  const numpy = await run('import numpy as np\na = np.ones(10**9)\n', { memoryBytes: 512 * 1024 * 1024 });
  expect(numpy.status).toBe('memory_exceeded');
  await expectHealthy();
});

test('many processes each under the per-process limit are stopped together by the run\'s cgroup', async () => {
  // 6 x 200 MB: every process stays under its 512 MiB address space, the tree passes its 640 MiB.
  const code = [
    'import os, time',
    'kids = []',
    'for _ in range(6):',
    '    pid = os.fork()',
    '    if pid == 0:',
    '        block = bytearray(200 * 1024 * 1024)',
    '        time.sleep(3)',
    '        os._exit(0)',
    '    kids.append(pid)',
    'for pid in kids:',
    '    os.waitpid(pid, 0)',
    'print("all children finished")',
  ].join('\n');
  const started = Date.now();
  const result = await run(code, { memoryBytes: 512 * 1024 * 1024, maxProcesses: 16, wallTimeoutMs: 8000 });
  expect(result.status).toBe('memory_exceeded');
  expect(result.memoryExceeded).toBe(true);
  // The kernel killed children inside the run's cgroup (without it, 1.2 GB would simply fit).
  expect(Date.now() - started).toBeLessThan(8000);
  const leftovers = fs.readdirSync(path.join(config.cgroupRoot, 'memory', 'computor-sandbox')).filter((d) => d.startsWith(`run-${process.pid}-`));
  expect(leftovers).toEqual([]);
  await expectHealthy();
});

test('100 MB of output is counted, truncated to the cap, and the run completes', async () => {
  const result = await run('import sys\nchunk = "x" * (1024 * 1024)\nfor _ in range(100):\n    sys.stdout.write(chunk)\n', {
    outputBytes: 1024 * 1024,
    wallTimeoutMs: 8000,
  });
  expect(result.status).toBe('completed');
  expect(result.stdoutBytes).toBe(100 * 1024 * 1024);
  expect(Buffer.byteLength(result.stdout)).toBe(1024 * 1024);
  await expectHealthy();
});

test('there is no network: connections to the internet and to host services fail', async () => {
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const code = [
      'import socket',
      `for host, port in [("127.0.0.1", ${port}), ("1.1.1.1", 80), ("8.8.8.8", 53)]:`,
      '    try:',
      '        socket.create_connection((host, port), timeout=2).close()',
      '        print("CONNECTED", host)',
      '    except OSError as exc:',
      '        print("blocked", host, type(exc).__name__)',
      'try:',
      '    socket.getaddrinfo("pypi.org", 443)',
      '    print("RESOLVED")',
      'except OSError as exc:',
      '    print("no dns", type(exc).__name__)',
    ].join('\n');
    const result = await run(code);
    expect(result.status).toBe('completed');
    expect(result.stdout).not.toContain('CONNECTED');
    expect(result.stdout).not.toContain('RESOLVED');
    expect(result.stdout.match(/blocked/g)).toHaveLength(3);
    expect(accepted).toBe(0);
  } finally {
    server.close();
  }
  await expectHealthy();
});

test('secrets stay out: /etc/shadow, the grader environment, other processes', async () => {
  const code = [
    'import os, glob',
    'print("ENV", dict(os.environ))',
    'for path in ["/etc/shadow", "/etc/gshadow", "/root/.bash_history", "/proc/1/environ"]:',
    '    try:',
    '        print("READ", path, open(path, "rb").read()[:200])',
    '    except OSError as exc:',
    '        print("denied", path, type(exc).__name__)',
    'for path in glob.glob("/proc/*/environ"):',
    '    try:',
    '        print("PROC", path, open(path, "rb").read()[:2000])',
    '    except OSError:',
    '        pass',
    'print("PIDS", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))',
  ].join('\n');
  const result = await run(code);
  expect(result.status).toBe('completed');
  const everything = `${result.stdout}\n${result.stderr}`;
  expect(everything).not.toContain(FAKE_SECRET);
  expect(everything).not.toMatch(/READ \/etc\/shadow/);
  expect(everything).toMatch(/denied \/etc\/shadow FileNotFoundError/);
  const shadow = fs.existsSync('/etc/shadow') ? fs.readFileSync('/etc/shadow', 'utf8').split('\n')[0] : '';
  if (shadow) expect(everything).not.toContain(shadow);
  // Own PID namespace: only the sandbox's init and the program itself.
  const pids = JSON.parse(/PIDS (\[.*\])/.exec(result.stdout)?.[1] ?? '[]') as number[];
  expect(Math.max(...pids)).toBeLessThan(10);
  await expectHealthy();
});

test('writing outside the work directory fails and leaves the host untouched', async () => {
  const marker = `computor-escape-${process.pid}-${Date.now()}`;
  const code = [
    `targets = ["/usr/${marker}", "/etc/${marker}", "/opt/venv/${marker}", "/opt/grader/${marker}", "/${marker}", "/proc/${marker}"]`,
    'for target in targets:',
    '    try:',
    '        open(target, "w").write("x")',
    '        print("WROTE", target)',
    '    except OSError as exc:',
    '        print("refused", target, type(exc).__name__)',
    `open("/work/${marker}", "w").write("inside")`,
    `open("/tmp/${marker}", "w").write("scratch")`,
    'print("inside ok")',
  ].join('\n');
  const result = await run(code);
  expect(result.status).toBe('completed');
  expect(result.stdout).not.toContain('WROTE');
  expect(result.stdout.match(/refused/g)).toHaveLength(6);
  expect(result.stdout).toContain('inside ok');
  for (const dir of ['/usr', '/etc', '/', os.tmpdir(), path.dirname(path.dirname(config.pythonBin))]) {
    expect(fs.existsSync(path.join(dir, marker))).toBe(false);
  }
  await expectHealthy();
});

test('cancellation kills the sandbox promptly', async () => {
  const controller = new AbortController();
  const started = Date.now();
  const pending = run('while True:\n    pass\n', { wallTimeoutMs: 10_000 }, controller.signal);
  setTimeout(() => controller.abort(), 300);
  await expect(pending).rejects.toThrow();
  expect(Date.now() - started).toBeLessThan(2000);
  await expectHealthy();
});

test('graded code sees neither test.yaml, the reference solution, localTests nor other files of the example', async () => {
  const marker = `SECRET-MARKER-${process.pid}-${Date.now()}`;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-hostile-'));
  try {
    const example = path.join(root, 'example');
    const submission = path.join(root, 'submission');
    fs.mkdirSync(path.join(example, 'localTests', 'other'), { recursive: true });
    fs.mkdirSync(submission);
    fs.writeFileSync(
      path.join(example, 'meta.yaml'),
      'identifier: hostile.test\nproperties:\n  studentSubmissionFiles: [solution.py]\n  additionalFiles: [data.txt]\n  testFiles: [hidden_test.py]\n  executionBackend: {slug: itpcp.exec.py}\n',
    );
    fs.writeFileSync(
      path.join(example, 'test.yaml'),
      `# ${marker}\ntype: python\nproperties:\n  tests:\n  - type: variable\n    name: found\n    entryPoint: solution.py\n    tests:\n    - name: found\n      value: []\n`,
    );
    fs.writeFileSync(path.join(example, 'solution.py'), `found = []  # ${marker}\n`);
    fs.writeFileSync(path.join(example, 'hidden_test.py'), `# ${marker}\n`);
    fs.writeFileSync(path.join(example, 'localTests', 'other', 'solution.py'), `# ${marker}\n`);
    fs.writeFileSync(path.join(example, 'data.txt'), 'handed out\n');
    const search = [
      'import os',
      // Assembled at run time so that the program's own source does not contain the marker.
      `marker = (${JSON.stringify(marker.slice(0, 8))} + ${JSON.stringify(marker.slice(8))}).encode()`,
      'found = []',
      'skip = ("/proc", "/sys", "/dev", "/usr", "/opt/venv")',
      'for top, dirs, files in os.walk("/"):',
      '    dirs[:] = [d for d in dirs if os.path.join(top, d) not in skip]',
      '    for name in files:',
      '        path = os.path.join(top, name)',
      '        try:',
      '            if os.path.getsize(path) < 5_000_000 and marker in open(path, "rb").read():',
      '                found.append(path)',
      '        except OSError:',
      '            pass',
      'print(sorted(os.listdir("/work")))',
    ].join('\n');
    fs.writeFileSync(path.join(submission, 'solution.py'), search);
    fs.writeFileSync(path.join(submission, 'extra_not_submitted.py'), `# ${marker}\n`);
    const report = await gradeSubmission({ exampleDir: example, submissionDir: submission, limits: { wallTimeoutMs: 8000 }, config: { uidBase: 62000, uidCount: 8 } });
    const collection = report.collections[0];
    expect(collection?.checks[0]?.status).toBe('passed');
    expect(collection?.output?.stdout.trim()).toBe("['data.txt', 'solution.py']");
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

