'use strict';
// Brings the real stack (Temporal, PostgreSQL, s3rver, GitLab emulator) up in a temporary state dir (never the default .stack, which people use),
// talks to each service, and checks idempotence, restarts and teardown.
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { promisify } = require('node:util');
const stack = require('../lib');
const { findTemporalCli } = require('../lib/services/temporal');
const { findPostgresBin } = require('../lib/services/postgres');
const { isAlive } = require('../lib/proc');

const run = promisify(execFile);
const CLI = path.join(__dirname, '..', 'bin', 'stack.js');

let stackDir;
let env;
const opts = () => ({ stackDir, env });

async function cli(...args) {
  try {
    const { stdout } = await run(process.execPath, [CLI, ...args], { env, timeout: 170_000 });
    return { code: 0, stdout };
  } catch (error) {
    if (typeof error.code !== 'number') throw error;
    return { code: error.code, stdout: `${error.stdout}\n${error.stderr}` };
  }
}

const pidsOf = (st) => Object.fromEntries(st.services.filter((s) => s.pid).map((s) => [s.name, s.pid]));
const portsOf = () => JSON.parse(fs.readFileSync(path.join(stackDir, 'state.json'), 'utf8')).ports;

beforeAll(() => {
  stackDir = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-stack-test-'));
  // mkdtemp makes a 0700 dir; the postgres system user must be able to enter it.
  fs.chmodSync(stackDir, 0o755);
  env = { ...process.env, COMPUTOR_STACK_DIR: stackDir };
  delete env.DATABASE_URL;
  delete env.S3_BUCKET;
});

afterAll(async () => {
  if (stackDir) {
    await stack.down({ ...opts(), purge: true });
  }
});

test('the stack comes up from nothing, serves real requests, stays put on a second up, restarts what was stopped, and goes down', async () => {
  const first = await cli('up');
  expect(first.code).toBe(0);
  const afterUp = await stack.status(opts());
  const byName = Object.fromEntries(afterUp.services.map((s) => [s.name, s]));
  // gitlab runs once packages/gitlab-emulator is built (a devDependency, so turbo builds it first).
  for (const name of ['temporal', 'postgres', 's3', 'gitlab']) expect(byName[name]).toMatchObject({ state: 'healthy', healthy: true });
  const pids = pidsOf(afterUp);
  const ports = portsOf();

  const vars = stack.readStackEnv(stackDir);
  expect(vars).toMatchObject({
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_UI_URL: `http://127.0.0.1:${ports.temporalUi}`,
    DATABASE_URL: `postgresql://computor:computor@127.0.0.1:${ports.postgres}/computor`,
    S3_ENDPOINT: `http://127.0.0.1:${ports.s3}`,
    S3_REGION: 'us-east-1',
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    S3_BUCKET: 'computor',
    S3_FORCE_PATH_STYLE: 'true',
    S3_CHECKSUM_MODE: 'when_required',
    GITLAB_URL: `http://127.0.0.1:${ports.gitlab}`,
    GITLAB_TOKEN: expect.stringMatching(/^glpat-/),
    GITLAB_EMULATOR: 'true',
  });
  const envText = fs.readFileSync(path.join(stackDir, 'stack.env'), 'utf8');
  expect(envText).toContain(`DATABASE_URL=${vars.DATABASE_URL}\n`);

  // PostgreSQL: a real query as the computor role, which owns the computor database.
  const psql = path.join(findPostgresBin(env), 'psql');
  const sql = await run(psql, ['-X', '-A', '-t', '-c', "select current_user || ':' || current_database() || ':' || (select pg_get_userbyid(datdba) from pg_database where datname = 'computor')", vars.DATABASE_URL]);
  expect(sql.stdout.trim()).toBe('computor:computor:computor');

  // S3: put and get an object (s3rver accepts unsigned requests).
  const key = `${vars.S3_ENDPOINT}/${vars.S3_BUCKET}/stack-test/hello.txt`;
  expect((await fetch(key, { method: 'PUT', body: 'hello stack' })).status).toBe(200);
  const got = await fetch(key);
  expect(got.status).toBe(200);
  expect(await got.text()).toBe('hello stack');
  // Listing past one page (1,000 keys): s3rver's continuation token needs OpenSSL's legacy provider.
  const many = `${vars.S3_ENDPOINT}/${vars.S3_BUCKET}/stack-many/`;
  for (let i = 0; i < 1001; i += 50) await Promise.all(Array.from({ length: Math.min(50, 1001 - i) }, (_, j) => fetch(`${many}${String(i + j).padStart(4, '0')}`, { method: 'PUT', body: 'x' })));
  const firstPage = await fetch(`${vars.S3_ENDPOINT}/${vars.S3_BUCKET}?list-type=2&prefix=stack-many/`);
  expect(firstPage.status).toBe(200);
  const token = /<NextContinuationToken>([^<]+)</.exec(await firstPage.text())?.[1];
  expect(token).toBeDefined();
  const secondPage = await fetch(`${vars.S3_ENDPOINT}/${vars.S3_BUCKET}?list-type=2&prefix=stack-many/&continuation-token=${encodeURIComponent(token)}`);
  expect(secondPage.status).toBe(200);
  expect(await secondPage.text()).toContain('<Key>stack-many/1000</Key>');

  // Temporal: the default namespace describes, and workflows can be listed.
  const temporal = findTemporalCli(env);
  const ns = JSON.parse((await run(temporal, ['operator', 'namespace', 'describe', '-n', 'default', '--address', vars.TEMPORAL_ADDRESS, '-o', 'json'])).stdout);
  expect(ns.namespaceInfo).toMatchObject({ name: 'default', state: 'NAMESPACE_STATE_REGISTERED' });
  await run(temporal, ['workflow', 'list', '-n', 'default', '--address', vars.TEMPORAL_ADDRESS]);

  // GitLab emulator: the generated token is its admin token.
  const me = await fetch(`${vars.GITLAB_URL}/api/v4/user`, { headers: { 'PRIVATE-TOKEN': vars.GITLAB_TOKEN } });
  expect(me.status).toBe(200);
  expect((await me.json()).username).toBe('root');

  // A second up changes nothing: same pids, same ports, env file untouched.
  const envMtime = fs.statSync(path.join(stackDir, 'stack.env')).mtimeMs;
  const second = await cli('up');
  expect(second.code).toBe(0);
  expect(second.stdout).toContain('nothing changed');
  expect(pidsOf(await stack.status(opts()))).toEqual(pids);
  expect(portsOf()).toEqual(ports);
  expect(fs.statSync(path.join(stackDir, 'stack.env')).mtimeMs).toBe(envMtime);

  const statusJson = await cli('status', '--json');
  expect(statusJson.code).toBe(0);
  expect(JSON.parse(statusJson.stdout).healthy).toBe(true);

  // PostgreSQL stopped by a test, then started again on the same port with its data.
  const stopped = await stack.stopService('postgres', opts());
  expect(stopped.state).toBe('stopped');
  expect(isAlive(pids.postgres)).toBe(false);
  const downStatus = await cli('status');
  expect(downStatus.code).toBe(1);
  expect(downStatus.stdout).toMatch(/postgres\s+stopped/);
  const restarted = await stack.startService('postgres', opts());
  expect(restarted).toMatchObject({ state: 'healthy', address: `127.0.0.1:${ports.postgres}` });
  const again = await run(psql, ['-X', '-A', '-t', '-c', 'select 1', vars.DATABASE_URL]);
  expect(again.stdout.trim()).toBe('1');

  // A service whose process died is restarted by up; its data survives.
  process.kill(pids.s3, 'SIGKILL');
  await waitFor(() => !isAlive(pids.s3));
  const third = await cli('up');
  expect(third.code).toBe(0);
  const s3After = (await stack.status(opts())).services.find((s) => s.name === 's3');
  expect(s3After.state).toBe('healthy');
  expect(s3After.pid).not.toBe(pids.s3);
  expect(await (await fetch(key)).text()).toBe('hello stack');

  // down stops every process it started and keeps the data.
  const running = pidsOf(await stack.status(opts()));
  const down = await cli('down');
  expect(down.code).toBe(0);
  for (const pid of Object.values(running)) expect(isAlive(pid)).toBe(false);
  expect(fs.readdirSync(path.join(stackDir, 'run'))).toEqual([]);
  expect(fs.existsSync(path.join(stackDir, 'temporal', 'temporal.db'))).toBe(true);
  expect(fs.existsSync(path.join(stackDir, 'postgres', 'data', 'PG_VERSION'))).toBe(true);
  expect((await cli('status')).code).toBe(1);
});

async function waitFor(predicate, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
