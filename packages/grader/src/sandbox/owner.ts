import fs from 'node:fs';

// Workers leave things behind named after themselves (run cgroups, scratch directories, uid
// locks) so that the next worker can tell a dead owner's from a live one's. A pid alone is not
// enough where workers of several containers share a host: it is qualified by the pid namespace.

let namespace: string | undefined;

/** This process's pid namespace, as the inode number of /proc/self/ns/pid. */
export function pidNamespace(): string {
  namespace ??= /\[(\d+)\]/.exec(fs.readlinkSync('/proc/self/ns/pid'))?.[1] ?? '0';
  return namespace;
}

/** A live process (a zombie, dead but not yet reaped by its parent, is not). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** True when `owner` (`<pid namespace>-<pid>`) names a process of our pid namespace that is gone. */
export function ownerIsDead(ns: string, pid: number): boolean {
  return ns === pidNamespace() && pid !== process.pid && !processExists(pid);
}

/** The kernel's start time of `pid` (clock ticks since boot), which tells a reused pid from its first owner. */
export function processStartTime(pid: number): string | undefined {
  try {
    // Field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces and parentheses.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
