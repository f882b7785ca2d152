import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pidNamespace } from './owner';
import { privateDirIn, sweepDeadWorkerDirs } from './private-dir';

let parent: string;

beforeEach(() => {
  parent = fs.mkdtempSync(path.join(os.tmpdir(), 'private-dir-'));
});

afterEach(() => {
  fs.rmSync(parent, { recursive: true, force: true });
});

function deadPid(): number {
  const child = spawnSync('/bin/true');
  return child.pid as number;
}

test('a private 0700 directory with an unpredictable name; handing it back in uses it as is', () => {
  const dir = privateDirIn(parent);
  expect(path.dirname(dir)).toBe(parent);
  expect(path.basename(dir)).toMatch(new RegExp(`^w-${pidNamespace()}-${process.pid}-[A-Za-z0-9]{6}$`));
  expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  expect(privateDirIn(parent)).toBe(dir);
  expect(privateDirIn(dir)).toBe(dir);
});

test('dead workers\' directories are removed, live ones and foreign names are kept', () => {
  const dead = path.join(parent, `w-${pidNamespace()}-${deadPid()}-abcdef`);
  const live = path.join(parent, `w-${pidNamespace()}-1-abcdef`);
  const otherNamespace = path.join(parent, `w-1-${deadPid()}-abcdef`);
  const unrelated = path.join(parent, 'examples');
  for (const dir of [dead, live, otherNamespace, unrelated]) fs.mkdirSync(path.join(dir, 'run-x'), { recursive: true });
  expect(sweepDeadWorkerDirs(parent)).toEqual([path.basename(dead)]);
  expect([dead, live, otherNamespace, unrelated].map((dir) => fs.existsSync(dir))).toEqual([false, true, true, true]);
});

test('a parent other users can write to (without the sticky bit) is refused', () => {
  const open = path.join(parent, 'open');
  fs.mkdirSync(open);
  fs.chmodSync(open, 0o777);
  expect(() => privateDirIn(open)).toThrow(/writable by other users/);
  const link = path.join(parent, 'link');
  fs.symlinkSync(os.tmpdir(), link);
  expect(() => privateDirIn(link)).toThrow(/not a directory \(or is a symlink\)/);
});
