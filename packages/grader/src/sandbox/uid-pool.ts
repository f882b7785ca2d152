import fs from 'node:fs';

// Every concurrent sandboxed run gets a uid of its own: RLIMIT_NPROC counts the processes of a
// uid, so a fork bomb in one run can neither exhaust another run's budget nor be helped by it.

export class UidPool {
  private readonly free: number[];
  private readonly waiters: Array<{ resolve: (uid: number) => void; reject: (error: unknown) => void; signal?: AbortSignal | undefined; onAbort?: () => void }> = [];

  constructor(
    readonly base: number,
    readonly count: number,
  ) {
    this.free = Array.from({ length: count }, (_, i) => base + i);
  }

  acquire(signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const uid = this.free.shift();
    if (uid !== undefined) return Promise.resolve(uid);
    return new Promise<number>((resolve, reject) => {
      const waiter: (typeof this.waiters)[number] = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
    });
  }

  release(uid: number): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(uid);
    } else this.free.push(uid);
  }
}

const pools = new Map<string, UidPool>();

/** One pool per uid range in this process, shared by every grader instance using that range. */
export function uidPoolFor(base: number, count: number): UidPool {
  const key = `${base}:${count}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = new UidPool(base, count);
    pools.set(key, pool);
  }
  return pool;
}

/** Processes (zombies included) that still run under `uid`, from /proc. */
export function processesOf(uid: number): number {
  let count = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const match = /\nUid:\s+(\d+)/.exec(fs.readFileSync(`/proc/${entry}/status`, 'utf8'));
      if (match && Number(match[1]) === uid) count += 1;
    } catch {
      // exited meanwhile
    }
  }
  return count;
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
