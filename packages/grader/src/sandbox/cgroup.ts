import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ownerIsDead, pidNamespace } from './owner';

// RLIMIT_AS and RLIMIT_NPROC bound each process (or uid) of a run, not the run: 64 processes of
// 1 GiB each could take the host's memory, and RLIMIT_CPU does not stop a run from using every
// core. A cgroup per run bounds the whole tree: memory (tmpfs pages and kernel memory included),
// pids and CPU bandwidth (one core by default). It is also the unit that gets killed: at the end
// of every run, and at a worker's start for the run cgroups of workers that died.
//
// cgroup v2 (unified hierarchy, Debian 12's default): the worker's own cgroup must offer the
// memory, pids and cpu controllers (a delegated systemd unit, or a container's cgroup namespace);
// the worker moves its processes into a leaf `computor-worker` so that the parent can enable them
// for `computor-sandbox/run-…`. cgroup v1: the memory, pids and cpu hierarchies mounted writable.

export interface TRunCgroup {
  /** `cgroup.procs` files the run's first process writes its pid to before it execs. */
  readonly procsFiles: string[];
  /** Processes the kernel's OOM killer killed in this cgroup. */
  oomKills(): number;
  /** CPU time the run has used so far (undefined where it cannot be read: v1 without cpuacct). */
  cpuSeconds(): number | undefined;
  /** Processes in the run now. */
  processes(): number;
  /** Lowers the run's CPU weight (for a run that has used more CPU than a normal one). */
  demote(): void;
  /** SIGKILLs every process in the cgroup, waits until it is empty, and removes it. */
  remove(): Promise<void>;
}

export interface TRunCgroupLimits {
  memoryBytes: number;
  maxProcesses: number;
  /** CPU bandwidth of the whole run, in cores (1 = one core's worth per period). */
  cpuCores: number;
}

export interface TCgroups {
  readonly kind: 'v1' | 'v2';
  /** False on a v1 host whose cpu controller is not writable: runs then have no CPU bound of their own. */
  readonly cpuBound: boolean;
  create(name: string, limits: TRunCgroupLimits): TRunCgroup;
  /** Kills what runs in run cgroups of dead workers and removes those cgroups. */
  sweep(): Promise<TCgroupSweep>;
}

export interface TCgroupSweep {
  /** Run cgroups removed. */
  removed: number;
  /** Processes that were still running in them and were killed. */
  killed: number;
  /** Run cgroups that could not be emptied. */
  failed: string[];
}

const PARENT = 'computor-sandbox';
const CPU_PERIOD_US = 100_000;
const CGROUP2_SUPER_MAGIC = 0x63677270;
const V2_CONTROLLERS = ['memory', 'pids', 'cpu'];
// The parent of all runs competes for CPU with the host's other tasks as one scheduling entity:
// weighted like one task per CPU, so that moving runs into cgroups does not starve them.
const PARENT_CPU_SHARES = String(1024 * os.availableParallelism());
const PARENT_CPU_WEIGHT = String(Math.min(10_000, 100 * os.availableParallelism()));
// A demoted run weighs 1/64 (v1; cpu.shares 1024 by default) or 1/50 (v2; cpu.weight 100) of a fresh one.
const DEMOTED_CPU_SHARES = '16';
const DEMOTED_CPU_WEIGHT = '2';

function tryWrite(file: string, value: string): void {
  try {
    fs.writeFileSync(file, value);
  } catch {
    // the run has ended and its cgroup is gone
  }
}

/** Name of a run cgroup: the owner's pid namespace and pid, so a later worker knows whose it is. */
export function runCgroupName(uid: number, counter: number): string {
  return `run-${pidNamespace()}-${process.pid}-${uid}-${counter}`;
}

/** A run cgroup of a worker (in our pid namespace) that no longer exists. */
function isOrphan(name: string): boolean {
  const match = /^run-(\d+)-(\d+)-/.exec(name);
  if (!match) return false;
  return ownerIsDead(match[1] as string, Number(match[2]));
}

function readProcs(dir: string): number[] {
  try {
    return fs
      .readFileSync(path.join(dir, 'cgroup.procs'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

async function rmdirWhenEmpty(dir: string, attempts = 100): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || attempt >= attempts) throw error;
      await sleep(20);
    }
  }
}

/**
 * SIGKILLs every process in a v1 cgroup until none is left (a fork bomb is bounded by pids.max,
 * so the loop converges), then returns how many it killed.
 */
async function killV1(dir: string, attempts = 250): Promise<number> {
  let killed = 0;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const pids = readProcs(dir);
    if (pids.length === 0) return killed;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed += 1;
      } catch {
        // exited meanwhile
      }
    }
    await sleep(attempt < 5 ? 2 : 20);
  }
  return killed;
}

/** v2: cgroup.kill kills the whole subtree atomically (Linux 5.14); older kernels fall back to the v1 loop. */
async function killV2(dir: string): Promise<number> {
  const count = readProcs(dir).length;
  if (count === 0) return 0;
  try {
    fs.writeFileSync(path.join(dir, 'cgroup.kill'), '1');
  } catch {
    return killV1(dir);
  }
  for (let attempt = 0; attempt < 250; attempt++) {
    if (!/^populated 1$/m.test(safeRead(path.join(dir, 'cgroup.events')))) return count;
    await sleep(attempt < 5 ? 2 : 20);
  }
  return count;
}

function safeRead(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function writable(dir: string, file = 'cgroup.procs'): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return fs.existsSync(path.join(dir, file));
  } catch {
    return false;
  }
}

function isCgroup2(dir: string): boolean {
  try {
    return fs.statfsSync(dir).type === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function v1(root: string): TCgroups | { unavailable: string } {
  const controllers = { memory: path.join(root, 'memory'), pids: path.join(root, 'pids'), cpu: path.join(root, 'cpu') };
  const missing = Object.entries(controllers)
    .filter(([name, dir]) => name !== 'cpu' && !writable(dir))
    .map(([name]) => name);
  if (missing.length) return { unavailable: `no writable cgroup v2 hierarchy and no writable cgroup v1 ${missing.join(', ')} controller under ${root}` };
  // Without a writable cpu controller, memory and pids still bound the run (cpuBound: false).
  const cpuBound = writable(controllers.cpu);
  const parents = { memory: path.join(controllers.memory, PARENT), pids: path.join(controllers.pids, PARENT), ...(cpuBound ? { cpu: path.join(controllers.cpu, PARENT) } : {}) };
  // CPU usage comes from cpuacct: mounted with cpu (systemd's cpu,cpuacct) or on its own.
  const cpuacctRoot = path.join(root, 'cpuacct');
  const coMounted = cpuBound && fs.existsSync(path.join(controllers.cpu, 'cpuacct.usage'));
  const cpuacctParent = coMounted ? parents.cpu : writable(cpuacctRoot) ? path.join(cpuacctRoot, PARENT) : undefined;
  try {
    for (const dir of Object.values(parents)) fs.mkdirSync(dir, { recursive: true });
    if (cpuacctParent) fs.mkdirSync(cpuacctParent, { recursive: true });
    if (parents.cpu) fs.writeFileSync(path.join(parents.cpu, 'cpu.shares'), PARENT_CPU_SHARES);
  } catch (error) {
    return { unavailable: `cannot create ${PARENT} cgroups: ${(error as Error).message}` };
  }
  const all = [...Object.values(parents), ...(cpuacctParent && !coMounted ? [cpuacctParent] : [])];
  return {
    kind: 'v1',
    cpuBound,
    create(name, limits) {
      const mem = path.join(parents.memory, name);
      const pid = path.join(parents.pids, name);
      const cpu = parents.cpu && path.join(parents.cpu, name);
      const acct = cpuacctParent && path.join(cpuacctParent, name);
      const dirs = [mem, pid, ...(cpu ? [cpu] : []), ...(acct && !coMounted ? [acct] : [])];
      try {
        for (const dir of dirs) fs.mkdirSync(dir);
        fs.writeFileSync(path.join(mem, 'memory.limit_in_bytes'), String(limits.memoryBytes));
        try {
          // With swap accounting, swap must not extend the limit.
          fs.writeFileSync(path.join(mem, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
        } catch {
          // no swap accounting on this kernel: nothing to extend
        }
        fs.writeFileSync(path.join(pid, 'pids.max'), String(limits.maxProcesses));
        if (cpu) {
          fs.writeFileSync(path.join(cpu, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
          fs.writeFileSync(path.join(cpu, 'cpu.cfs_quota_us'), String(Math.max(1000, Math.round(limits.cpuCores * CPU_PERIOD_US))));
        }
      } catch (error) {
        for (const dir of dirs) {
          try {
            fs.rmdirSync(dir);
          } catch {
            // not created
          }
        }
        throw error;
      }
      return {
        procsFiles: dirs.map((dir) => path.join(dir, 'cgroup.procs')),
        oomKills() {
          const m = /^oom_kill (\d+)$/m.exec(safeRead(path.join(mem, 'memory.oom_control')));
          return m ? Number(m[1]) : 0;
        },
        processes() {
          return Number(safeRead(path.join(pid, 'pids.current'))) || 0;
        },
        cpuSeconds() {
          const ns = acct ? Number(safeRead(path.join(acct, 'cpuacct.usage'))) : NaN;
          return Number.isFinite(ns) ? ns / 1e9 : undefined;
        },
        demote() {
          if (cpu) tryWrite(path.join(cpu, 'cpu.shares'), DEMOTED_CPU_SHARES);
        },
        async remove() {
          await killV1(pid);
          for (const dir of dirs) await rmdirWhenEmpty(dir);
        },
      };
    },
    async sweep() {
      // Every process of a run is in all these hierarchies: kill by the pids one, remove in each.
      const result: TCgroupSweep = { removed: 0, killed: 0, failed: [] };
      const names = new Set(all.flatMap((parent) => safeReaddir(parent).filter(isOrphan)));
      for (const name of names) {
        try {
          result.killed += await killV1(path.join(parents.pids, name));
          for (const parent of all) await rmdirWhenEmpty(path.join(parent, name));
          result.removed += 1;
        } catch {
          result.failed.push(name);
        }
      }
      return result;
    },
  };
}

/** The worker's own cgroup in the unified hierarchy, from /proc/self/cgroup (`0::/path`). */
function ownCgroupV2(): string | undefined {
  return /^0::(\/.*)$/m.exec(safeRead('/proc/self/cgroup'))?.[1];
}

function v2(root: string): TCgroups | { unavailable: string } {
  const own = ownCgroupV2();
  if (own === undefined) return { unavailable: 'this process is in no cgroup v2 hierarchy' };
  // Already moved into our leaf (a second detection in this process): the base is its parent.
  const base = path.join(root, path.basename(own) === 'computor-worker' ? path.dirname(own) : own);
  const offered = safeRead(path.join(base, 'cgroup.controllers')).split(/\s+/);
  const missing = V2_CONTROLLERS.filter((c) => !offered.includes(c));
  if (missing.length) return { unavailable: `cgroup v2 ${base} does not offer the ${missing.join(', ')} controller (delegate them to the worker's cgroup)` };
  if (!writable(base, 'cgroup.subtree_control')) return { unavailable: `cgroup v2 ${base} is not writable` };
  const enable = `${V2_CONTROLLERS.map((c) => `+${c}`).join(' ')}`;
  const parent = path.join(base, PARENT);
  try {
    const enabled = safeRead(path.join(base, 'cgroup.subtree_control')).split(/\s+/);
    if (!V2_CONTROLLERS.every((c) => enabled.includes(c))) {
      // No internal processes: a cgroup that enables controllers for children holds no process itself.
      const leaf = path.join(base, 'computor-worker');
      fs.mkdirSync(leaf, { recursive: true });
      for (let attempt = 0; attempt < 10 && readProcs(base).length; attempt++) {
        for (const pid of readProcs(base)) {
          try {
            fs.writeFileSync(path.join(leaf, 'cgroup.procs'), String(pid));
          } catch {
            // exited meanwhile, or a kernel thread
          }
        }
      }
      fs.writeFileSync(path.join(base, 'cgroup.subtree_control'), enable);
    }
    fs.mkdirSync(parent, { recursive: true });
    const parentEnabled = safeRead(path.join(parent, 'cgroup.subtree_control')).split(/\s+/);
    if (!V2_CONTROLLERS.every((c) => parentEnabled.includes(c))) fs.writeFileSync(path.join(parent, 'cgroup.subtree_control'), enable);
    fs.writeFileSync(path.join(parent, 'cpu.weight'), PARENT_CPU_WEIGHT);
  } catch (error) {
    return { unavailable: `cannot set up ${parent} with the ${V2_CONTROLLERS.join(', ')} controllers: ${(error as Error).message}` };
  }
  return {
    kind: 'v2',
    cpuBound: true,
    create(name, limits) {
      const dir = path.join(parent, name);
      fs.mkdirSync(dir);
      try {
        fs.writeFileSync(path.join(dir, 'memory.max'), String(limits.memoryBytes));
        try {
          fs.writeFileSync(path.join(dir, 'memory.swap.max'), '0');
        } catch {
          // no swap controller: nothing to extend the limit with
        }
        fs.writeFileSync(path.join(dir, 'pids.max'), String(limits.maxProcesses));
        fs.writeFileSync(path.join(dir, 'cpu.max'), `${Math.max(1000, Math.round(limits.cpuCores * CPU_PERIOD_US))} ${CPU_PERIOD_US}`);
      } catch (error) {
        fs.rmdirSync(dir);
        throw error;
      }
      return {
        procsFiles: [path.join(dir, 'cgroup.procs')],
        oomKills() {
          const m = /^oom_kill (\d+)$/m.exec(safeRead(path.join(dir, 'memory.events')));
          return m ? Number(m[1]) : 0;
        },
        processes() {
          return Number(safeRead(path.join(dir, 'pids.current'))) || 0;
        },
        cpuSeconds() {
          const m = /^usage_usec (\d+)$/m.exec(safeRead(path.join(dir, 'cpu.stat')));
          return m ? Number(m[1]) / 1e6 : undefined;
        },
        demote() {
          tryWrite(path.join(dir, 'cpu.weight'), DEMOTED_CPU_WEIGHT);
        },
        async remove() {
          await killV2(dir);
          await rmdirWhenEmpty(dir);
        },
      };
    },
    async sweep() {
      const result: TCgroupSweep = { removed: 0, killed: 0, failed: [] };
      for (const name of safeReaddir(parent).filter(isOrphan)) {
        try {
          result.killed += await killV2(path.join(parent, name));
          await rmdirWhenEmpty(path.join(parent, name));
          result.removed += 1;
        } catch {
          result.failed.push(name);
        }
      }
      return result;
    },
  };
}

/**
 * The cgroups runs can be confined in, or the reason there are none: cgroup v2 when `root` is a
 * cgroup2 mount, else the v1 memory, pids and cpu hierarchies under it.
 */
export function detectCgroups(root = '/sys/fs/cgroup'): TCgroups | { unavailable: string } {
  return isCgroup2(root) ? v2(root) : v1(root);
}

const detected = new Map<string, TCgroups | { unavailable: string }>();

/** `detectCgroups`, once per root and process. */
export function detectedCgroups(root: string): TCgroups | { unavailable: string } {
  let found = detected.get(root);
  if (!found) {
    found = detectCgroups(root);
    detected.set(root, found);
  }
  return found;
}

/**
 * The cgroups for runs under the configured mode: null for `off`, and for `auto` where there are
 * none; `required` without them throws (grading refuses to run).
 */
export function cgroupsFor(mode: 'auto' | 'required' | 'off', root: string): TCgroups | null {
  if (mode === 'off') return null;
  const found = detectedCgroups(root);
  if ('unavailable' in found) {
    if (mode === 'required') throw new Error(`sandbox cgroups are required, but there are ${found.unavailable}`);
    return null;
  }
  return found;
}
