import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pidNamespace, processExists, processStartTime } from './owner';

// Every concurrent sandboxed run gets a uid of its own: RLIMIT_NPROC counts the processes of a
// uid, so a fork bomb in one run can neither exhaust another run's budget nor be helped by it.
// Workers on one host that were given overlapping ranges must not hand out the same uid either:
// each uid in use is a lock file (`<lockDir>/<uid>`, created atomically, holding the owner's pid
// namespace, pid and start time) in a directory only root can write. A lock whose owner is gone is
// reclaimed, after whatever still runs under that uid has been killed.

export class UidPool {
  private readonly free: number[];
  private readonly held = new Map<number, string>();
  private readonly wakeups = new Set<() => void>();

  constructor(
    readonly base: number,
    readonly count: number,
    private readonly lockDir: string | null = null,
  ) {
    this.free = Array.from({ length: count }, (_, i) => base + i);
    if (lockDir) ensureLockDir(lockDir);
  }

  async acquire(signal?: AbortSignal): Promise<number> {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      for (let i = 0; i < this.free.length; i++) {
        const uid = this.free[i] as number;
        if (this.lockDir) {
          const content = await tryLock(this.lockDir, uid);
          if (content === undefined) continue;
          this.held.set(uid, content);
        }
        this.free.splice(i, 1);
        return uid;
      }
      // Nothing free here: wait for a release in this process; uids another worker holds are polled.
      await this.changed(signal, this.free.length > 0 ? 100 : undefined);
    }
  }

  release(uid: number): void {
    const content = this.held.get(uid);
    if (this.lockDir && content !== undefined) {
      unlockIfOurs(path.join(this.lockDir, String(uid)), content);
      this.held.delete(uid);
    }
    this.free.push(uid);
    for (const wake of [...this.wakeups]) wake();
  }

  private changed(signal: AbortSignal | undefined, pollMs: number | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.wakeups.delete(done);
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        done();
        reject(signal?.reason);
      };
      const timer = pollMs === undefined ? undefined : setTimeout(done, pollMs);
      this.wakeups.add(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** The lock directory: created 0700, and refused when anyone but root (us) could write to it. */
function ensureLockDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = fs.lstatSync(dir);
  if (!stat.isDirectory() || stat.uid !== process.getuid?.() || (stat.mode & 0o022) !== 0) {
    throw new Error(`uid lock directory ${dir} must be a directory owned by uid ${String(process.getuid?.())} that nobody else can write to`);
  }
}

function ownerLine(): string {
  return `${pidNamespace()} ${process.pid} ${processStartTime(process.pid) ?? '?'} ${randomUUID()}\n`;
}

/** True when the lock's owner (same pid namespace) is gone or its pid now belongs to another process. */
function staleOwner(content: string): boolean {
  const [ns, pidText, started] = content.trim().split(' ');
  const pid = Number(pidText);
  if (ns !== pidNamespace() || !Number.isInteger(pid) || pid <= 0) return false;
  if (!processExists(pid)) return true;
  const now = processStartTime(pid);
  return now !== undefined && started !== '?' && now !== started;
}

function readOrEmpty(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Takes the lock of `uid` (the lock file appears complete or not at all); its content, or undefined. */
async function tryLock(dir: string, uid: number): Promise<string | undefined> {
  const file = path.join(dir, String(uid));
  const content = ownerLine();
  const staging = path.join(dir, `.new-${process.pid}-${randomUUID()}`);
  fs.writeFileSync(staging, content, { mode: 0o600, flag: 'wx' });
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.linkSync(staging, file);
        return content;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const existing = readOrEmpty(file);
      if (existing === undefined) continue; // released meanwhile
      if (!staleOwner(existing) || !reclaim(file, existing)) return undefined;
      // A dead run's processes may still hold the uid (a worker killed mid-run without cgroups).
      killProcessesOf(uid);
      await waitForUidToDrain(uid, 5000);
    }
    return undefined;
  } finally {
    fs.rmSync(staging, { force: true });
  }
}

/**
 * Removes a stale lock. Renaming first takes whatever lock file is there atomically; if that is no
 * longer the stale one (another worker reclaimed and re-took it meanwhile), it is put back.
 */
function reclaim(file: string, stale: string): boolean {
  const taken = `${file}.stale-${process.pid}-${randomUUID()}`;
  try {
    fs.renameSync(file, taken);
  } catch {
    return false;
  }
  const content = readOrEmpty(taken);
  if (content !== stale) {
    try {
      fs.linkSync(taken, file);
    } catch {
      // yet another owner took it: theirs stands
    }
    fs.rmSync(taken, { force: true });
    return false;
  }
  fs.rmSync(taken, { force: true });
  return true;
}

function unlockIfOurs(file: string, content: string): void {
  if (readOrEmpty(file) === content) fs.rmSync(file, { force: true });
}

const pools = new Map<string, UidPool>();

/** One pool per uid range (and lock directory) in this process, shared by every grader instance using it. */
export function uidPoolFor(base: number, count: number, lockDir: string | null = null): UidPool {
  const key = `${base}:${count}:${lockDir ?? ''}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = new UidPool(base, count, lockDir);
    pools.set(key, pool);
  }
  return pool;
}

function pidsOf(uid: number): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const match = /\nUid:\s+(\d+)/.exec(fs.readFileSync(`/proc/${entry}/status`, 'utf8'));
      if (match && Number(match[1]) === uid) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Processes (zombies included) that still run under `uid`, from /proc. */
export function processesOf(uid: number): number {
  return pidsOf(uid).length;
}

function killProcessesOf(uid: number): void {
  for (const pid of pidsOf(uid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
}

/**
 * Waits until the kernel has reaped every process of a killed run. Until then they still count
 * against RLIMIT_NPROC of that uid, and the next run under it could fail to start.
 */
export async function waitForUidToDrain(uid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (processesOf(uid) === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
