'use strict';
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const state = require('../lib/state');
const { isPortFree, freePort } = require('../lib/net');

let dir;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-unit-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('stack.env round-trips through parseEnvFile and readStackEnv prefers stack.json', () => {
  const l = state.layout(dir);
  const env = { DATABASE_URL: 'postgresql://computor:computor@127.0.0.1:5555/computor', S3_FORCE_PATH_STYLE: 'true' };
  expect(state.writeStackEnv(l, env)).toBe(true);
  expect(state.parseEnvFile(fs.readFileSync(l.envFile, 'utf8'))).toEqual(env);
  expect(state.readStackEnv(dir)).toEqual(env);
  fs.rmSync(l.jsonFile);
  expect(state.readStackEnv(dir)).toEqual(env);
});

test('writing the same env again changes no file', () => {
  const l = state.layout(dir);
  state.writeStackEnv(l, { A: '1' });
  const before = fs.statSync(l.envFile).mtimeMs;
  expect(state.writeStackEnv(l, { A: '1' })).toBe(false);
  expect(fs.statSync(l.envFile).mtimeMs).toBe(before);
  expect(state.writeStackEnv(l, { A: '2' })).toBe(true);
});

test('readStackEnv without an up says what to do', () => {
  expect(() => state.readStackEnv(dir)).toThrow(/pnpm stack up/);
});

test('the stack dir comes from opts, then COMPUTOR_STACK_DIR, then <repo>/.stack', () => {
  expect(state.resolveStackDir({ stackDir: dir })).toBe(dir);
  expect(state.resolveStackDir({ env: { COMPUTOR_STACK_DIR: dir } })).toBe(dir);
  expect(state.resolveStackDir({ env: {} })).toBe(path.join(state.REPO_ROOT, '.stack'));
});

test('a port held by a listener is not free, and freePort avoids reserved ports', async () => {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const held = server.address().port;
  try {
    expect(await isPortFree(held)).toBe(false);
    const port = await freePort(new Set([held]));
    expect(port).not.toBe(held);
    expect(await isPortFree(port)).toBe(true);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  expect(await isPortFree(held)).toBe(true);
});

test('withLock takes over a dead holder\'s lock and waits for a live one', async () => {
  const l = state.layout(dir);
  fs.writeFileSync(l.lockFile, '999999999\n');
  await state.withLock(l, async () => {
    expect(fs.readFileSync(l.lockFile, 'utf8').trim()).toBe(String(process.pid));
  });
  expect(fs.existsSync(l.lockFile)).toBe(false);

  const script = `const s = require(${JSON.stringify(require.resolve('../lib/state'))});
s.withLock(s.layout(${JSON.stringify(dir)}), () => { console.log('in'); return new Promise((r) => setTimeout(r, 500)); });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const closed = new Promise((resolve) => child.once('close', resolve));
  await new Promise((resolve) => child.stdout.once('data', resolve));
  const waited = Date.now();
  await state.withLock(l, async () => {});
  expect(Date.now() - waited).toBeGreaterThan(250);
  expect(await closed).toBe(0);
});
