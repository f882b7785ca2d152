import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveGraderConfig } from '../config';
import { cgroupsFor } from './cgroup';
import { effectiveLimits, resolveSandboxLimits, type TEffectiveLimits } from './limits';
import { outputSockets } from './output-socket';
import { Sandbox } from './sandbox';
import { SpawnHelper } from './spawner';
import { waitForUidToDrain } from './uid-pool';

// Runs start from the spawn helper (spawner.ts), a small process of its own, not from the worker:
// a fork of a several-hundred-megabyte worker stalled its event loop for 10-45 ms per run.

const UID_BASE = 63700;
const config = resolveGraderConfig({ uidBase: UID_BASE, uidCount: 2 });
const cgroups = cgroupsFor('required', config.cgroupRoot)!;
const sandbox = new Sandbox({ ...config, cgroups });

const drained = async () => expect(await Promise.all([UID_BASE, UID_BASE + 1].map((uid) => waitForUidToDrain(uid, 10_000)))).toEqual([true, true]);

function limits(overrides: Partial<TEffectiveLimits> = {}): TEffectiveLimits {
  return { ...effectiveLimits(resolveSandboxLimits({ wallTimeoutMs: 20_000 }), undefined, { kind: 'run' }), ...overrides };
}

/** Pids whose parent is `ppid`, with their command lines. */
function childrenOf(ppid: number): Array<{ pid: number; cmdline: string }> {
  const out: Array<{ pid: number; cmdline: string }> = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== ppid) continue;
      out.push({ pid: Number(entry), cmdline: fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ') });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

// This process's helpers (jest runs several test files in one process: each file's module copy has its own).
const helpers = () => childrenOf(process.pid).filter((c) => c.cmdline.includes("'use strict';") && c.cmdline.includes('handles'));
/** The launcher (or bwrap it became) of the run in flight, and the helper that is its parent. */
const launched = () => {
  for (const helper of helpers()) {
    const child = childrenOf(helper.pid).find((c) => c.cmdline.includes('bwrap'));
    if (child) return { helper, child };
  }
  return undefined;
};

async function until<T>(what: string, fn: () => T | undefined | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('every run starts from one helper process: the launcher is its child, not this process’s, and output, stdin and exit codes come through', async () => {
  const first = await sandbox.run({ argv: ['/bin/sh', '-c', 'read line; echo "got $line"; echo oops >&2; exit 7'], stdin: 'hello\n', limits: limits() });
  expect(first).toMatchObject({ outcome: 'exited', exitCode: 7 });
  expect(first.stdout.toString()).toBe('got hello\n');
  expect(first.stderr.toString()).toBe('oops\n');

  const pids: number[] = [];
  for (let i = 0; i < 2; i++) {
    const running = sandbox.run({ argv: ['/bin/sh', '-c', 'sleep 2'], limits: limits() });
    const { helper } = await until('the run', launched);
    expect(childrenOf(process.pid).filter((c) => c.cmdline.includes('bwrap'))).toEqual([]);
    pids.push(helper.pid);
    expect(await running).toMatchObject({ outcome: 'exited', exitCode: 0 });
  }
  // One helper for every run, started once.
  expect(pids[1]).toBe(pids[0]);
}, 60_000);

test('a run whose helper dies fails at once as an infrastructure error, its processes gone; the next run starts a new helper', async () => {
  const started = Date.now();
  const running = sandbox.run({ argv: ['/bin/sh', '-c', 'sleep 30'], limits: limits() });
  const { helper } = await until('the run', launched);
  process.kill(helper.pid, 'SIGKILL');
  const result = await running;
  expect(result.outcome).toBe('infra_error');
  expect(result.infraMessage).toMatch(/spawn helper exited/);
  expect(Date.now() - started).toBeLessThan(10_000);
  // The launcher's death signal followed the helper: nothing of the run is left.
  await drained();

  const next = await sandbox.run({ argv: ['/bin/sh', '-c', 'echo again'], limits: limits() });
  expect(next).toMatchObject({ outcome: 'exited', exitCode: 0 });
  expect(next.stdout.toString()).toBe('again\n');
  const again = sandbox.run({ argv: ['/bin/sh', '-c', 'sleep 1'], limits: limits() });
  const { helper: replacement } = await until('the next run', launched);
  expect(replacement.pid).not.toBe(helper.pid);
  await again;
}, 60_000);

test('a run killed before the helper reported it started (at once on a timeout) is killed all the same', async () => {
  const started = Date.now();
  const result = await sandbox.run({ argv: ['/bin/sh', '-c', 'sleep 30'], limits: limits({ wallTimeoutMs: 1 }) });
  expect(result).toMatchObject({ outcome: 'timeout', signal: 'SIGKILL' });
  expect(Date.now() - started).toBeLessThan(10_000);
  await drained();
}, 60_000);

test('a kill asked for in the same tick as the launch, before the helper can answer, reaches the process', async () => {
  const helper = new SpawnHelper();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spawner-'));
  try {
    const outputs = (await outputSockets(dir, [() => undefined, () => undefined]))!;
    const helperPid = helper.pid()!;
    const run = helper.launch('/bin/sleep', ['30'], { stdout: outputs.children[0]!, stderr: outputs.children[1]!, files: [] });
    expect(run.pid).toBeUndefined();
    run.kill();
    const started = Date.now();
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => run.once('close', (c: number | null, s: string | null) => resolve([c, s])));
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' });
    expect(Date.now() - started).toBeLessThan(10_000);
    outputs.destroy();
    process.kill(helperPid, 'SIGKILL');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('a file that is a symlink or a FIFO fails the run as an infrastructure error, without stalling the helper', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spawner-files-'));
  try {
    fs.writeFileSync(path.join(dir, 'real.txt'), 'real\n');
    fs.symlinkSync(path.join(dir, 'real.txt'), path.join(dir, 'link.txt'));
    execFileSync('mkfifo', [path.join(dir, 'fifo.txt')]);
    for (const name of ['link.txt', 'fifo.txt']) {
      const result = await sandbox.run({ argv: ['/bin/cat', 'in.txt'], files: [{ path: 'in.txt', hostPath: path.join(dir, name) }], limits: limits() });
      expect(result.outcome).toBe('infra_error');
      expect(result.infraMessage).toMatch(name === 'link.txt' ? /ELOOP/ : /not a regular file/);
    }
    const ok = await sandbox.run({ argv: ['/bin/cat', 'in.txt'], files: [{ path: 'in.txt', hostPath: path.join(dir, 'real.txt') }], limits: limits() });
    expect(ok.stdout.toString()).toBe('real\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('with the helper off, a run starts from this process and behaves the same', async () => {
  const inline = new Sandbox({ ...config, cgroups, spawnHelper: false });
  const running = inline.run({ argv: ['/bin/sh', '-c', 'read line; sleep 1; echo "got $line"'], stdin: 'inline\n', limits: limits() });
  await until('the run', () => childrenOf(process.pid).find((c) => c.cmdline.includes('bwrap')));
  const result = await running;
  expect(result).toMatchObject({ outcome: 'exited', exitCode: 0 });
  expect(result.stdout.toString()).toBe('got inline\n');
}, 60_000);
