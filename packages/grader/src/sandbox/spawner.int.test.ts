import fs from 'node:fs';
import { resolveGraderConfig } from '../config';
import { cgroupsFor } from './cgroup';
import { effectiveLimits, resolveSandboxLimits, type TEffectiveLimits } from './limits';
import { Sandbox } from './sandbox';
import { processesOf } from './uid-pool';

// Runs start from the spawn helper (spawner.ts), a small process of its own, not from the worker:
// a fork of a several-hundred-megabyte worker stalled its event loop for 10-45 ms per run.

const UID_BASE = 63700;
const config = resolveGraderConfig({ uidBase: UID_BASE, uidCount: 2 });
const cgroups = cgroupsFor('required', config.cgroupRoot)!;
const sandbox = new Sandbox({ ...config, cgroups });

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
  await until('the run to be gone', () => [UID_BASE, UID_BASE + 1].every((uid) => processesOf(uid) === 0));

  const next = await sandbox.run({ argv: ['/bin/sh', '-c', 'echo again'], limits: limits() });
  expect(next).toMatchObject({ outcome: 'exited', exitCode: 0 });
  expect(next.stdout.toString()).toBe('again\n');
  const again = sandbox.run({ argv: ['/bin/sh', '-c', 'sleep 1'], limits: limits() });
  const { helper: replacement } = await until('the next run', launched);
  expect(replacement.pid).not.toBe(helper.pid);
  await again;
}, 60_000);

test('a run killed before the helper reported it started (at once on a timeout) is killed all the same', async () => {
  const result = await sandbox.run({ argv: ['/bin/sh', '-c', 'sleep 30'], limits: limits({ wallTimeoutMs: 1 }) });
  expect(result).toMatchObject({ outcome: 'timeout', signal: 'SIGKILL' });
  await until('the run to be gone', () => [UID_BASE, UID_BASE + 1].every((uid) => processesOf(uid) === 0));
}, 60_000);

test('with the helper off, a run starts from this process and behaves the same', async () => {
  const inline = new Sandbox({ ...config, cgroups, spawnHelper: false });
  const running = inline.run({ argv: ['/bin/sh', '-c', 'read line; sleep 1; echo "got $line"'], stdin: 'inline\n', limits: limits() });
  await until('the run', () => childrenOf(process.pid).find((c) => c.cmdline.includes('bwrap')));
  const result = await running;
  expect(result).toMatchObject({ outcome: 'exited', exitCode: 0 });
  expect(result.stdout.toString()).toBe('got inline\n');
}, 60_000);
