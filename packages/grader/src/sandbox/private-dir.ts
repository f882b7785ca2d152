import fs from 'node:fs';
import path from 'node:path';
import { ownerIsDead, pidNamespace } from './owner';

// Everything a worker writes for grading (run scratch, the sandbox's /etc files, compiled
// programs, downloaded examples and submissions, cached references) lives in one directory per
// worker process, made with mkdtemp (a name nobody can predict and plant first) and mode 0700
// (nobody else can read, write or replace anything in it). Its name carries the owner
// (`w-<pid namespace>-<pid>-…`), so a worker that starts removes those of dead workers.

const PREFIX = 'w-';
const created = new Map<string, string>();

function isPrivate(dir: string): boolean {
  const stat = fs.lstatSync(dir);
  return stat.isDirectory() && stat.uid === process.getuid?.() && (stat.mode & 0o077) === 0;
}

/** A parent in which mkdtemp is safe: ours and closed to others, or sticky (like /tmp). */
function checkParent(parent: string): void {
  const stat = fs.lstatSync(parent);
  if (!stat.isDirectory()) throw new Error(`grader work directory ${parent} is not a directory (or is a symlink)`);
  const ours = stat.uid === process.getuid?.() || stat.uid === 0;
  const sticky = (stat.mode & 0o1000) !== 0;
  if (!ours || ((stat.mode & 0o022) !== 0 && !sticky)) {
    throw new Error(`grader work directory ${parent} is writable by other users: use a directory only this user can write to`);
  }
}

/**
 * Creates this process's private directory under `parent` (once per parent and process) and
 * removes those of dead workers there. `parent` itself is used when it already is private to us
 * (a worker hands its private directory to the grader this way).
 */
export function privateDirIn(parent: string): string {
  const known = created.get(parent);
  if (known) return known;
  let dir: string;
  fs.mkdirSync(parent, { recursive: true, mode: 0o700 });
  if (isPrivate(parent) && path.basename(parent).startsWith(`${PREFIX}${pidNamespace()}-${process.pid}-`)) {
    dir = parent;
  } else {
    checkParent(parent);
    sweepDeadWorkerDirs(parent);
    dir = fs.mkdtempSync(path.join(parent, `${PREFIX}${pidNamespace()}-${process.pid}-`));
    fs.chmodSync(dir, 0o700);
    if (!isPrivate(dir)) throw new Error(`could not create a private grader directory in ${parent}`);
  }
  created.set(parent, dir);
  created.set(dir, dir);
  return dir;
}

/** Removes the private directories of workers (of our pid namespace) that no longer run. */
export function sweepDeadWorkerDirs(parent: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return removed;
  }
  for (const name of names) {
    const match = /^w-(\d+)-(\d+)-/.exec(name);
    if (!match || !ownerIsDead(match[1] as string, Number(match[2]))) continue;
    fs.rmSync(path.join(parent, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
