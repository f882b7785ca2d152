import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

// RLIMIT_AS bounds each process of a run, not the run: 64 processes of 1 GiB each could take the
// host's memory. A cgroup per run bounds the whole tree (memory, tmpfs pages included, and pids).
// Supported: the cgroup v1 memory and pids controllers, mounted writable (as on this project's
// machines). Elsewhere `detectCgroups` answers why not, and runs keep their per-process limits.

export interface TRunCgroup {
  /** `cgroup.procs` files the run's first process writes its pid to before it execs. */
  readonly procsFiles: string[];
  /** Processes the kernel's OOM killer killed in this cgroup. */
  oomKills(): number;
  remove(): Promise<void>;
}

export interface TCgroups {
  readonly kind: 'v1';
  create(name: string, limits: { memoryBytes: number; maxProcesses: number }): TRunCgroup;
}

const PARENT = 'computor-sandbox';

function writable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return fs.existsSync(path.join(dir, 'cgroup.procs'));
  } catch {
    return false;
  }
}

/** Run cgroups left by a worker that was killed mid-run (named `run-<pid>-…`, that pid gone, empty). */
function removeOrphans(parent: string): void {
  for (const name of fs.readdirSync(parent)) {
    const pid = /^run-(\d+)-/.exec(name)?.[1];
    if (!pid || processExists(Number(pid))) continue;
    try {
      fs.rmdirSync(path.join(parent, name));
    } catch {
      // still has tasks (another pid namespace reused the number?) or already gone: leave it
    }
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The cgroups runs can be confined in, or the reason there are none (removes orphaned run cgroups). */
export function detectCgroups(root = '/sys/fs/cgroup'): TCgroups | { unavailable: string } {
  const memory = path.join(root, 'memory');
  const pids = path.join(root, 'pids');
  if (!writable(memory) || !writable(pids)) {
    return { unavailable: `no writable cgroup v1 memory and pids controllers under ${root}` };
  }
  const memoryParent = path.join(memory, PARENT);
  const pidsParent = path.join(pids, PARENT);
  try {
    fs.mkdirSync(memoryParent, { recursive: true });
    fs.mkdirSync(pidsParent, { recursive: true });
  } catch (error) {
    return { unavailable: `cannot create ${PARENT} cgroups: ${(error as Error).message}` };
  }
  removeOrphans(memoryParent);
  removeOrphans(pidsParent);
  return {
    kind: 'v1',
    create(name, limits) {
      const mem = path.join(memoryParent, name);
      const pid = path.join(pidsParent, name);
      fs.mkdirSync(mem);
      fs.mkdirSync(pid);
      fs.writeFileSync(path.join(mem, 'memory.limit_in_bytes'), String(limits.memoryBytes));
      try {
        // With swap accounting, swap must not extend the limit.
        fs.writeFileSync(path.join(mem, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
      } catch {
        // no swap accounting on this kernel: nothing to extend
      }
      fs.writeFileSync(path.join(pid, 'pids.max'), String(limits.maxProcesses));
      return {
        procsFiles: [path.join(mem, 'cgroup.procs'), path.join(pid, 'cgroup.procs')],
        oomKills() {
          try {
            const m = /^oom_kill (\d+)$/m.exec(fs.readFileSync(path.join(mem, 'memory.oom_control'), 'utf8'));
            return m ? Number(m[1]) : 0;
          } catch {
            return 0;
          }
        },
        async remove() {
          // The tree was killed with its process group; the kernel may still be reaping it.
          for (const dir of [mem, pid]) {
            for (let attempt = 0; ; attempt++) {
              try {
                fs.rmdirSync(dir);
                break;
              } catch (error) {
                const code = (error as NodeJS.ErrnoException).code;
                if (code === 'ENOENT') break;
                if (code !== 'EBUSY' || attempt >= 50) throw error;
                await sleep(20);
              }
            }
          }
        },
      };
    },
  };
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
