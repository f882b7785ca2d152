'use strict';
// A checkout under a directory other users cannot enter (mode 0700, as Debian 12 home dirs are):
// the stack comes up there, PostgreSQL (run as the postgres system user when we are root) answers,
// and `down --purge` leaves nothing behind, outside the stack dir included.
const { execFile } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { promisify } = require('node:util');
const stack = require('../lib');
const { findPostgresBin, OUTSIDE_ROOT } = require('../lib/services/postgres');
const { isAlive } = require('../lib/proc');

const run = promisify(execFile);
const CLI = path.join(__dirname, '..', 'bin', 'stack.js');
const IS_ROOT = process.getuid() === 0;

let home;
let stackDir;
let env;

async function cli(...args) {
  try {
    const { stdout } = await run(process.execPath, [CLI, ...args], { env, timeout: 170_000 });
    return { code: 0, stdout };
  } catch (error) {
    if (typeof error.code !== 'number') throw error;
    return { code: error.code, stdout: `${error.stdout}\n${error.stderr}` };
  }
}

beforeAll(() => {
  // mkdtemp makes the 0700 dir; it stands for the home directory the checkout is in.
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-home-0700-'));
  expect(fs.statSync(home).mode & 0o777).toBe(0o700);
  stackDir = path.join(home, 'computor', '.stack');
  env = { ...process.env, COMPUTOR_STACK_DIR: stackDir };
  delete env.DATABASE_URL;
  delete env.S3_BUCKET;
});

afterAll(async () => {
  await stack.down({ stackDir, env, purge: true });
  fs.rmSync(home, { recursive: true, force: true });
});

test('the stack starts in a stack dir under a 0700 directory, PostgreSQL answers over TCP and its socket, and down --purge removes the cluster wherever it was put', async () => {
  const up = await cli('up');
  expect(up.code).toBe(0);
  const pg = (await stack.status({ stackDir, env })).services.find((s) => s.name === 'postgres');
  expect(pg).toMatchObject({ state: 'healthy', healthy: true });

  const expected = IS_ROOT
    ? path.join(OUTSIDE_ROOT, `pg-${crypto.createHash('sha256').update(fs.realpathSync(stackDir)).digest('hex').slice(0, 16)}`)
    : path.join(stackDir, 'postgres');
  expect(pg.dataDir).toBe(path.join(expected, 'data'));
  if (IS_ROOT) {
    // Outside the stack dir: owned by the postgres user, closed to others, recorded in state.json and shown by status.
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const st = fs.statSync(expected);
    expect({ uid: st.uid, mode: st.mode & 0o777 }).toEqual({ uid, mode: 0o700 });
    expect(JSON.parse(fs.readFileSync(path.join(stackDir, 'state.json'), 'utf8')).postgresDir).toBe(expected);
    expect(pg.socketDir).toBe(path.join(expected, 'run'));
    const shown = await cli('status');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`data ${path.join(expected, 'data')}`);
    expect((await cli('logs', 'postgres', '-n', '50')).stdout).toContain('database system is ready to accept connections');
  }

  // A query over TCP as the computor role, and one over the unix socket.
  const psql = path.join(findPostgresBin(env), 'psql');
  const url = stack.readStackEnv(stackDir).DATABASE_URL;
  const tcp = await run(psql, ['-X', '-q', '-A', '-t', '-c', "create table kept (v text); insert into kept values ('survives down'); select current_user || ':' || 6 * 7", url]);
  expect(tcp.stdout.trim()).toBe('computor:42');
  const port = String(new URL(url).port);
  const socket = await run(psql, ['-X', '-A', '-t', '-h', pg.socketDir, '-p', port, '-U', 'postgres', '-d', 'computor', '-c', 'select count(*) from kept']);
  expect(socket.stdout.trim()).toBe('1');

  // down keeps the cluster where it is; the next up finds it (same dir, same data).
  expect((await cli('down')).code).toBe(0);
  expect(isAlive(pg.pid)).toBe(false);
  expect(fs.existsSync(path.join(expected, 'data', 'PG_VERSION'))).toBe(true);
  expect((await cli('up', '--only', 'postgres')).code).toBe(0);
  const again = await run(psql, ['-X', '-A', '-t', '-c', 'select v from kept', url]);
  expect(again.stdout.trim()).toBe('survives down');
  const pid = (await stack.status({ stackDir, env })).services.find((s) => s.name === 'postgres').pid;

  const purge = await cli('down', '--purge');
  expect(purge.code).toBe(0);
  expect(isAlive(pid)).toBe(false);
  expect(fs.existsSync(stackDir)).toBe(false);
  expect(fs.existsSync(expected)).toBe(false);
  if (IS_ROOT) expect(purge.stdout).toContain(`deleted ${expected}`);
});
