import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveGraderConfig } from '../config';
import { gradeSubmission } from '../grade/grade';
import { cgroupsFor, detectCgroups } from './cgroup';
import { effectiveLimits, resolveSandboxLimits, type TEffectiveLimits } from './limits';
import { pidNamespace } from './owner';
import { privateDirIn } from './private-dir';
import { Sandbox, type TSandboxRunResult } from './sandbox';
import { DENIED_SYSCALLS } from './seccomp';
import { processesOf } from './uid-pool';

// Confinement of a run as a whole, attacked from inside: the seccomp filter, the run's CPU share,
// the tmpfs inode caps, what /proc shows of the host, planted paths, and what a killed worker
// leaves behind.

const config = resolveGraderConfig({ uidBase: 62200, uidCount: 4 });
// Required here: the project's machines have cgroup v1 memory, pids and cpu controllers (or v2).
const cgroups = cgroupsFor('required', config.cgroupRoot)!;
const sandbox = new Sandbox({ ...config, cgroups });
const RUN_TS = path.resolve(__dirname, '../../scripts/run-ts.js');
const arch = process.arch === 'arm64' ? 'arm64' : 'x64';

function limits(overrides: Partial<TEffectiveLimits> = {}): TEffectiveLimits {
  return { ...effectiveLimits(resolveSandboxLimits({ wallTimeoutMs: 8000 }), undefined, { kind: 'run' }), ...overrides };
}

function python(code: string, overrides: Partial<TEffectiveLimits> = {}): Promise<TSandboxRunResult> {
  return sandbox.run({ argv: ['/usr/bin/python3', '-c', code], limits: limits(overrides) });
}

async function expectHealthy(): Promise<void> {
  const after = await sandbox.run({ argv: ['/bin/sh', '-c', 'echo still works $((6 * 7))'], limits: limits() });
  expect(after.outcome).toBe('exited');
  expect(after.stdout.toString()).toContain('still works 42');
}

const nr = (name: string): number => DENIED_SYSCALLS[name]?.[arch] as number;

test('ptrace, unshare, mount, io_uring, bpf, keyctl, perf_event_open and namespace-creating clone fail with EPERM inside the sandbox', async () => {
  const code = `
import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def call(nr, *args):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
    return [r, ctypes.get_errno()]
buf = ctypes.create_string_buffer(256)
p = ctypes.addressof(buf)
out = {
  "getpid": call(${arch === 'x64' ? 39 : 172}),
  "ptrace": call(${nr('ptrace')}, 0, 0, 0, 0),
  "unshare": call(${nr('unshare')}, 0x10000000),
  "mount": call(${nr('mount')}, p, p, p, 0, 0),
  "io_uring_setup": call(${nr('io_uring_setup')}, 1, p),
  "bpf": call(${nr('bpf')}, 0, p, 72),
  "keyctl": call(${nr('keyctl')}, 0, -3, 0),
  "perf_event_open": call(${nr('perf_event_open')}, p, 0, -1, -1, 0),
  "setns": call(${nr('setns')}, 0, 0),
}
r = call(${arch === 'x64' ? 56 : 220}, 0x10000000 | 17, 0, 0, 0, 0)
if r[0] == 0:
    os._exit(0)
out["clone_newuser"] = r
print(json.dumps(out))
`;
  const result = await python(code);
  expect(result.outcome).toBe('exited');
  const out = JSON.parse(result.stdout.toString()) as Record<string, [number, number]>;
  expect(out.getpid?.[0]).toBeGreaterThan(0);
  for (const name of ['ptrace', 'unshare', 'mount', 'io_uring_setup', 'bpf', 'keyctl', 'perf_event_open', 'setns', 'clone_newuser']) {
    expect([name, out[name]]).toEqual([name, [-1, 1]]);
  }
  await expectHealthy();
});

const onX64 = process.arch === 'x64' ? test : test.skip;

onX64('a foreign syscall ABI (i386 int 0x80, x32) kills the process instead of slipping past the filter', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-abi-'));
  try {
    const source = path.join(dir, 'abi.c');
    fs.writeFileSync(
      source,
      [
        '#include <stdio.h>',
        '#include <string.h>',
        '#include <unistd.h>',
        'int main(int argc, char **argv) {',
        '  long r;',
        '  if (strcmp(argv[1], "i386") == 0) __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");',
        '  else r = syscall(39 | 0x40000000);',
        '  printf("survived %ld\\n", r);',
        '  return 0;',
        '}',
      ].join('\n'),
    );
    const built = spawnSync('gcc', ['-O0', '-o', path.join(dir, 'abi'), source]);
    expect(built.status).toBe(0);
    fs.chmodSync(dir, 0o755);
    // Outside the sandbox both calls come back (getpid through the i386 table, ENOSYS for x32).
    expect(spawnSync(path.join(dir, 'abi'), ['i386']).stdout.toString()).toMatch(/^survived \d+/);
    for (const abi of ['i386', 'x32']) {
      const result = await sandbox.run({ argv: ['/opt/program/abi', abi], roBinds: [{ hostPath: dir, sandboxPath: '/opt/program' }], limits: limits() });
      expect([abi, result.outcome, result.signal]).toEqual([abi, 'signaled', 'SIGSYS']);
      expect(result.stdout.toString()).toBe('');
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  await expectHealthy();
});

test('unshare -U -r inside the sandbox does not make the program root', async () => {
  const result = await sandbox.run({ argv: ['/bin/sh', '-c', 'unshare -U -r id; echo "rc=$?"; id -u'], limits: limits() });
  expect(result.outcome).toBe('exited');
  const stdout = result.stdout.toString();
  expect(stdout).not.toMatch(/uid=0/);
  expect(stdout).toMatch(/rc=[1-9]/);
  const uid = Number(stdout.trim().split('\n').at(-1));
  expect(uid).toBeGreaterThanOrEqual(config.uidBase);
  expect(uid).toBeLessThan(config.uidBase + config.uidCount);
  expect(result.stderr.toString()).toMatch(/Operation not permitted/);
  await expectHealthy();
});

test('a run of 4 busy processes gets one core, not the machine', async () => {
  const code = `
import os, time
end = time.time() + 2.0
kids = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        while time.time() < end:
            pass
        os._exit(0)
    kids.append(pid)
start = time.time()
for pid in kids:
    os.waitpid(pid, 0)
t = os.times()
print(t.children_user + t.children_system, time.time() - start)
`;
  const result = await python(code);
  expect(result.outcome).toBe('exited');
  const [cpu, wall] = result.stdout.toString().trim().split(' ').map(Number) as [number, number];
  // Unconfined, four busy processes take every core there is (1.9 of 2 on the project's machines).
  expect(cpu / wall).toBeLessThan(1.2);
  await expectHealthy();
});

test('creating files in a loop stops at the inode cap of /work and /tmp with ENOSPC', async () => {
  const code = `
import errno, os, sys
for top in ("/work", "/tmp"):
    n = 0
    try:
        while True:
            open(os.path.join(top, "f%d" % n), "w").close()
            n += 1
    except OSError as exc:
        print(top, n, errno.errorcode[exc.errno])
`;
  const result = await python(code);
  expect(result.outcome).toBe('exited');
  const lines = result.stdout.toString().trim().split('\n');
  expect(lines).toHaveLength(2);
  for (const line of lines) {
    const [, count, code] = line.split(' ');
    expect(code).toBe('ENOSPC');
    expect(Number(count)).toBeGreaterThan(config.tmpfsInodes - 100);
    expect(Number(count)).toBeLessThanOrEqual(config.tmpfsInodes);
  }
  await expectHealthy();
}, 60_000);

test('a hand-in that creates files until it fails is graded as its own failure, and grading goes on', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-inodes-'));
  try {
    const example = path.join(root, 'example');
    const submission = path.join(root, 'submission');
    fs.mkdirSync(example);
    fs.mkdirSync(submission);
    fs.writeFileSync(path.join(example, 'meta.yaml'), 'identifier: hostile.inodes\nproperties:\n  studentSubmissionFiles: [solution.py]\n  executionBackend: {slug: itpcp.exec.py}\n');
    fs.writeFileSync(
      path.join(example, 'test.yaml'),
      'type: python\nproperties:\n  tests:\n  - type: variable\n    name: result\n    entryPoint: solution.py\n    tests:\n    - name: result\n      value: 1\n',
    );
    fs.writeFileSync(path.join(example, 'solution.py'), 'result = 1\n');
    fs.writeFileSync(path.join(submission, 'solution.py'), 'n = 0\nwhile True:\n    open("/tmp/f%d" % n, "w").close()\n    n += 1\nresult = 1\n');
    const report = await gradeSubmission({ exampleDir: example, submissionDir: submission, limits: { wallTimeoutMs: 20_000 }, config: { uidBase: 62200, uidCount: 4 } });
    const check = report.collections[0]?.checks[0];
    expect(check?.status).toBe('error');
    expect(JSON.stringify(report)).toMatch(/No space left on device/);
    fs.writeFileSync(path.join(submission, 'solution.py'), 'result = 1\n');
    const next = await gradeSubmission({ exampleDir: example, submissionDir: submission, limits: { wallTimeoutMs: 20_000 }, config: { uidBase: 62200, uidCount: 4 } });
    expect(next.collections[0]?.checks[0]?.status).toBe('passed');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}, 90_000);

test('/proc/1/cmdline and mountinfo show neither bwrap\'s options nor host paths of the worker', async () => {
  const result = await sandbox.run({ argv: ['/bin/sh', '-c', 'tr "\\0" " " < /proc/1/cmdline; echo; cat /proc/self/mountinfo; cat /proc/self/cgroup'], limits: limits() });
  expect(result.outcome).toBe('exited');
  const seen = result.stdout.toString();
  expect(seen).toMatch(/bwrap --args \d+ -- /);
  for (const hidden of ['--ro-bind', '--bind', '--setenv', '--file', '--seccomp', privateDirIn(config.tmpDir), '/run/computor-grader', 'computor-sandbox']) {
    expect([hidden, seen.includes(hidden)]).toEqual([hidden, false]);
  }
  // /tmp and /work are tmpfs roots with size and inode caps; /etc/passwd is no bind mount.
  expect(seen).toMatch(new RegExp(`^\\S+ \\S+ \\S+ / /work .* tmpfs tmpfs rw,size=\\d+k,nr_inodes=${config.tmpfsInodes}`, 'm'));
  expect(seen).not.toMatch(/ \/etc\/passwd /);
});

test('a directory planted at the old predictable /etc path does not become the sandbox\'s /etc', async () => {
  const planted = path.join(os.tmpdir(), `computor-grader-etc-${config.uidBase}-${config.uidCount}`);
  fs.rmSync(planted, { recursive: true, force: true });
  fs.mkdirSync(planted, { recursive: true });
  try {
    fs.writeFileSync(path.join(planted, 'passwd'), 'planted:x:0:0::/:/bin/sh\n');
    const result = await sandbox.run({ argv: ['/bin/cat', '/etc/passwd'], limits: limits() });
    expect(result.outcome).toBe('exited');
    expect(result.stdout.toString()).not.toContain('planted');
    expect(result.stdout.toString()).toContain(`grader${config.uidBase}:x:${config.uidBase}:`);
    expect(fs.statSync(privateDirIn(config.tmpDir)).mode & 0o777).toBe(0o700);
  } finally {
    fs.rmSync(planted, { recursive: true, force: true });
  }
});

function runCgroupDirs(ownerPid: number): string[] {
  const found: string[] = [];
  for (const controller of ['memory', 'pids', 'cpu', 'cpuacct', '']) {
    const parent = path.join(config.cgroupRoot, controller, 'computor-sandbox');
    if (!fs.existsSync(parent)) continue;
    for (const name of fs.readdirSync(parent)) if (name.startsWith(`run-${pidNamespace()}-${ownerPid}-`)) found.push(path.join(parent, name));
  }
  return found;
}

function procsIn(dirs: string[]): number[] {
  return dirs.flatMap((dir) => {
    try {
      return fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
}

async function waitFor(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

test('a worker killed with SIGKILL mid-run takes its sandbox with it; the next start-up leaves no cgroup or scratch dir behind', async () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'killed-worker-'));
  const uid = 62290;
  try {
    const code = `
      const { Sandbox } = require(${JSON.stringify(path.join(__dirname, 'sandbox.ts'))});
      const { cgroupsFor } = require(${JSON.stringify(path.join(__dirname, 'cgroup.ts'))});
      const { resolveGraderConfig } = require(${JSON.stringify(path.join(__dirname, '../config.ts'))});
      const { effectiveLimits, resolveSandboxLimits } = require(${JSON.stringify(path.join(__dirname, 'limits.ts'))});
      const config = resolveGraderConfig({ uidBase: ${uid}, uidCount: 1, tmpDir: ${JSON.stringify(parent)} });
      const sandbox = new Sandbox({ ...config, cgroups: cgroupsFor('required', config.cgroupRoot) });
      const limits = effectiveLimits(resolveSandboxLimits({ wallTimeoutMs: 60000 }), undefined, { kind: 'run' });
      sandbox.run({ argv: ['/bin/sh', '-c', 'sleep 60 & sleep 60 & wait'], limits });`;
    const worker = spawn(process.execPath, [RUN_TS, code], { stdio: 'inherit' });
    expect(await waitFor(() => processesOf(uid) >= 3, 15_000)).toBe(true);
    const dirs = runCgroupDirs(worker.pid as number);
    expect(dirs.length).toBeGreaterThan(0);
    expect(procsIn(dirs).length).toBeGreaterThan(3);
    expect(fs.readdirSync(parent)).toEqual([expect.stringMatching(new RegExp(`^w-${pidNamespace()}-${worker.pid}-`))]);
    const exited = new Promise((resolve) => worker.on('exit', resolve));
    worker.kill('SIGKILL');
    await exited;
    // Within a moment nothing of the run lives on: not the graded processes, not bwrap.
    expect(await waitFor(() => processesOf(uid) === 0 && procsIn(dirs).length === 0, 2000)).toBe(true);
    const sweep = detectCgroups(config.cgroupRoot);
    expect('sweep' in sweep).toBe(true);
    if ('sweep' in sweep) expect((await sweep.sweep()).failed).toEqual([]);
    expect(runCgroupDirs(worker.pid as number)).toEqual([]);
    // The next worker's private directory replaces the dead one's.
    const next = privateDirIn(parent);
    expect(fs.readdirSync(parent)).toEqual([path.basename(next)]);
  } finally {
    fs.rmSync(parent, { recursive: true, force: true });
  }
}, 60_000);

test('processes still running in a dead worker\'s run cgroup are killed and the cgroup removed at the next start-up', async () => {
  const found = detectCgroups(config.cgroupRoot);
  if (!('sweep' in found)) throw new Error(found.unavailable);
  const dead = spawnSync('/bin/true').pid as number;
  const name = `run-${pidNamespace()}-${dead}-${config.uidBase}-1`;
  const dirs = found.kind === 'v2' ? [] : ['memory', 'pids', 'cpu'].map((c) => path.join(config.cgroupRoot, c, 'computor-sandbox', name));
  for (const dir of dirs) fs.mkdirSync(dir);
  // A survivor of the kind issue 11 saw: alive, in the run cgroup, its worker gone.
  const survivor = spawn('/bin/sleep', ['300'], { detached: true, stdio: 'ignore' });
  for (const dir of dirs) fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(survivor.pid));
  const exited = new Promise((resolve) => survivor.on('exit', (_code, signal) => resolve(signal)));
  const result = await found.sweep();
  expect(result.killed).toBeGreaterThanOrEqual(1);
  expect(result.failed).toEqual([]);
  expect(await exited).toBe('SIGKILL');
  for (const dir of dirs) expect(fs.existsSync(dir)).toBe(false);
});

test('without a writable cpu controller, v1 runs are still bounded in memory and processes, without a CPU bound', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'no-cpu-cgroups-'));
  try {
    for (const controller of ['memory', 'pids']) fs.symlinkSync(path.join(config.cgroupRoot, controller), path.join(root, controller));
    const found = detectCgroups(root);
    expect(found).toMatchObject({ kind: 'v1', cpuBound: false });
    if (!('create' in found)) return;
    const partial = new Sandbox({ ...config, cgroups: found });
    const bomb = await partial.run({ argv: ['/bin/sh', '-c', '(b() { b | b & }; b) & exec sleep 30'], limits: limits({ maxProcesses: 16, wallTimeoutMs: 1500 }) });
    expect(bomb.outcome).toBe('timeout');
    expect(bomb.stderr.toString()).toMatch(/Cannot fork|Resource temporarily unavailable/);
    const after = await partial.run({ argv: ['/bin/sh', '-c', 'echo ok'], limits: limits() });
    expect(after.stdout.toString()).toBe('ok\n');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
