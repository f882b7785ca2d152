import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UidPool } from './uid-pool';

const RUN_TS = path.resolve(__dirname, '../../scripts/run-ts.js');
const BASE = 64900;

/** A second process holding a pool over the same range: prints the uids it holds after each acquire. */
function holder(lockDir: string, count: number): { child: ChildProcess; held: () => number[]; next: (n: number, ms: number) => Promise<number[]> } {
  const code = `
    const { UidPool } = require(${JSON.stringify(path.join(__dirname, 'uid-pool.ts'))});
    const pool = new UidPool(${BASE}, 4, ${JSON.stringify(lockDir)});
    (async () => { const held = []; for (let i = 0; i < ${count}; i++) { held.push(await pool.acquire()); console.log(JSON.stringify(held)); } setInterval(() => {}, 1000); })();`;
  const child = spawn(process.execPath, [RUN_TS, code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let latest: number[] = [];
  const listeners: Array<() => void> = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = chunk.toString().trim().split('\n');
    latest = JSON.parse(lines.at(-1) as string) as number[];
    for (const listener of listeners.splice(0)) listener();
  });
  const next = (n: number, ms: number): Promise<number[]> =>
    new Promise((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`holder did not reach ${n} uids within ${ms} ms (has ${JSON.stringify(latest)})`)), ms);
      const check = (): void => {
        if (latest.length >= n) {
          clearTimeout(deadline);
          resolve(latest);
        } else listeners.push(check);
      };
      check();
    });
  return { child, held: () => latest, next };
}

let lockDir: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  lockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uid-locks-'));
});

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  fs.rmSync(lockDir, { recursive: true, force: true });
});

test('two pools in two processes over one range never hold the same uid; a dead holder\'s uids are reclaimed', async () => {
  const a = holder(lockDir, 3);
  children.push(a.child);
  const heldByA = await a.next(3, 10_000);
  const b = holder(lockDir, 2);
  children.push(b.child);
  const [first] = await b.next(1, 10_000);
  expect(heldByA).not.toContain(first);
  expect(new Set([...heldByA, first]).size).toBe(4);
  // The range is exhausted: B waits while A lives...
  await new Promise((resolve) => setTimeout(resolve, 600));
  expect(b.held()).toHaveLength(1);
  // ...and takes one of A's uids once A is gone without releasing them.
  a.child.kill('SIGKILL');
  const [, second] = await b.next(2, 10_000);
  expect(heldByA).toContain(second);
}, 30_000);

test('a released uid is free again; a lock directory others can write to is refused', async () => {
  const pool = new UidPool(BASE, 1, lockDir);
  const uid = await pool.acquire();
  expect(fs.readFileSync(path.join(lockDir, String(uid)), 'utf8')).toMatch(new RegExp(`^\\d+ ${process.pid} `));
  pool.release(uid);
  expect(fs.existsSync(path.join(lockDir, String(uid)))).toBe(false);
  expect(await pool.acquire()).toBe(uid);
  pool.release(uid);
  fs.chmodSync(lockDir, 0o777);
  expect(() => new UidPool(BASE, 1, lockDir)).toThrow(/nobody else can write to/);
});
