'use strict';
// The stack's JS API: up, down, status, startService, stopService, readStackEnv.
// Every function takes opts: { stackDir?, env? (default process.env), log? (progress lines), only? }.
const fs = require('node:fs');
const path = require('node:path');
const { isOurProcess, isAlive, stopPid, sleep, tailFile } = require('./proc');
const { isPortFree, freePort } = require('./net');
const state = require('./state');
const { temporal } = require('./services/temporal');
const { postgres } = require('./services/postgres');
const { s3 } = require('./services/s3');
const { gitlab } = require('./services/gitlab');

const SERVICES = { temporal, postgres, s3, gitlab };
const SERVICE_NAMES = Object.keys(SERVICES);

function context(opts = {}) {
  const env = opts.env || process.env;
  const l = state.layout(state.resolveStackDir({ ...opts, env }));
  const st = state.loadState(l);
  st.s3Bucket = st.s3Bucket || 'computor';
  return { env, l, state: st, log: opts.log || (() => {}) };
}

function selected(only) {
  if (!only) return SERVICE_NAMES;
  const names = (Array.isArray(only) ? only : String(only).split(',')).map((s) => s.trim()).filter(Boolean);
  for (const name of names) if (!SERVICES[name]) throw new Error(`unknown service "${name}" (known: ${SERVICE_NAMES.join(', ')})`);
  return SERVICE_NAMES.filter((n) => names.includes(n));
}

const isInside = (dir, root) => dir === root || dir.startsWith(`${root}${path.sep}`);

function serviceFor(name) {
  const svc = SERVICES[name];
  if (!svc) throw new Error(`unknown service "${name}" (known: ${SERVICE_NAMES.join(', ')})`);
  return svc;
}

/** The pid of the service's process if it is running and ours, else null. */
function runningPid(ctx, svc) {
  if (svc.portKeys.some((k) => !ctx.state.ports[k])) return null;
  const candidates = [svc.findPid ? svc.findPid(ctx) : null, state.readPid(ctx.l, svc.name)];
  for (const pid of candidates) if (pid && isOurProcess(pid, svc.marker(ctx))) return pid;
  return null;
}

async function inspect(ctx, svc) {
  const { enabled, reason } = svc.enabled(ctx);
  const entry = { name: svc.name, enabled, state: 'stopped', healthy: false, pid: null, log: ctx.l.logFile(svc.name) };
  if (reason) entry.reason = reason;
  if (svc.external && svc.external(ctx)) {
    const health = await svc.health(ctx);
    return { ...entry, state: 'external', healthy: health.healthy, detail: health.detail, log: null, ...svc.describe(ctx) };
  }
  const pid = runningPid(ctx, svc);
  const ported = svc.portKeys.every((k) => ctx.state.ports[k]);
  const described = ported ? svc.describe(ctx) : {};
  if (!pid) return { ...entry, state: enabled ? 'stopped' : 'disabled', ...described };
  const health = await svc.health(ctx);
  return { ...entry, state: health.healthy ? 'healthy' : 'unhealthy', healthy: health.healthy, detail: health.detail, pid, ...described };
}

async function waitHealthy(ctx, svc, pid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    if (pid && !isAlive(pid)) {
      throw new Error(`${svc.name} exited during start-up; last lines of ${ctx.l.logFile(svc.name)}:\n${tailFile(ctx.l.logFile(svc.name))}`);
    }
    last = await svc.health(ctx);
    if (last.healthy) return;
    await sleep(200);
  }
  throw new Error(`${svc.name} not healthy after ${Math.round(timeoutMs / 1000)} s (${last && last.detail}); last lines of ${ctx.l.logFile(svc.name)}:\n${tailFile(ctx.l.logFile(svc.name))}`);
}

/** Keeps each kept port unless a foreign process holds it; allocates missing ones away from the stack's other ports. */
async function ensurePorts(ctx, svc) {
  const reserved = new Set(Object.values(ctx.state.ports));
  for (const key of svc.portKeys) {
    const kept = ctx.state.ports[key];
    if (kept && (await isPortFree(kept))) continue;
    const port = await freePort(reserved);
    if (kept) ctx.log(`${svc.name}: kept port ${kept} (${key}) is taken by another process; moving to ${port}`);
    ctx.state.ports[key] = port;
    reserved.add(port);
  }
}

async function stopOne(ctx, svc) {
  const pid = runningPid(ctx, svc);
  if (svc.stop) await svc.stop(ctx, pid);
  else if (pid) await stopPid(pid);
  state.removePid(ctx.l, svc.name);
  return pid;
}

async function startOne(ctx, svc) {
  const started = Date.now();
  const { pid } = await svc.start(ctx);
  if (pid) state.writePid(ctx.l, svc.name, pid);
  try {
    await waitHealthy(ctx, svc, pid, svc.startTimeoutMs);
  } catch (error) {
    await stopOne(ctx, svc).catch(() => {});
    throw error;
  }
  // postgres forks its postmaster: the pid to record is known only once it is up.
  const finalPid = runningPid(ctx, svc) || pid;
  state.writePid(ctx.l, svc.name, finalPid);
  return { pid: finalPid, ms: Date.now() - started };
}

function stackEnv(ctx) {
  const env = {};
  for (const name of SERVICE_NAMES) {
    const svc = SERVICES[name];
    if (svc.enabled(ctx).enabled) Object.assign(env, svc.env(ctx));
  }
  return env;
}

/** Brings the named services (all by default) to healthy; a healthy service is left untouched. */
async function upLocked(ctx, names, { explicit }) {
  ctx.state.s3Bucket = ctx.env.S3_BUCKET || 'computor';
  ctx.state.gitlabToken = ctx.state.gitlabToken || state.newGitlabToken();
  // Encrypts secrets the worker stores (organization tokens, the courses' push-hook tokens).
  ctx.state.tokenSecret = ctx.state.tokenSecret || state.newTokenSecret();
  fs.mkdirSync(ctx.l.root, { recursive: true });
  const services = names.map((n) => SERVICES[n]);
  const before = await Promise.all(services.map((svc) => inspect(ctx, svc)));
  const actions = {};
  const toStart = [];
  for (const [i, svc] of services.entries()) {
    const entry = before[i];
    if (!entry.enabled) {
      if (explicit) throw new Error(`${svc.name} cannot start: ${entry.reason}`);
      actions[svc.name] = { action: 'disabled', reason: entry.reason };
    } else if (entry.state === 'external') {
      actions[svc.name] = { action: 'external' };
    } else if (entry.state === 'healthy') {
      actions[svc.name] = { action: 'unchanged', pid: entry.pid };
    } else if (entry.state === 'unhealthy') {
      // Alive but not answering: give it a moment (it may still be starting), then restart it.
      try {
        await waitHealthy(ctx, svc, entry.pid, 10_000);
        actions[svc.name] = { action: 'unchanged', pid: entry.pid };
      } catch {
        ctx.log(`${svc.name}: pid ${entry.pid} is not healthy (${entry.detail}); restarting it`);
        await stopOne(ctx, svc);
        toStart.push(svc);
        actions[svc.name] = { action: 'restarted' };
      }
    } else {
      toStart.push(svc);
      actions[svc.name] = { action: 'started' };
    }
  }
  for (const svc of toStart) await ensurePorts(ctx, svc);
  const stateChanged = state.saveState(ctx.l, ctx.state);
  const results = await Promise.allSettled(
    toStart.map(async (svc) => {
      ctx.log(`${svc.name}: starting`);
      const res = await startOne(ctx, svc);
      Object.assign(actions[svc.name], res);
      ctx.log(`${svc.name}: healthy (pid ${res.pid}, ${(res.ms / 1000).toFixed(1)} s)`);
    }),
  );
  // A start may record where it put things (postgres: a cluster outside the stack dir).
  const placed = toStart.length > 0 && state.saveState(ctx.l, ctx.state);
  const envChanged = state.writeStackEnv(ctx.l, stackEnv(ctx));
  const failures = results.filter((r) => r.status === 'rejected').map((r) => r.reason);
  if (failures.length > 0) {
    const error = new Error(failures.map((f) => (f && f.message) || String(f)).join('\n\n'));
    error.actions = actions;
    throw error;
  }
  const after = await Promise.all(services.map((svc) => inspect(ctx, svc)));
  return {
    stackDir: ctx.l.root,
    envFile: ctx.l.envFile,
    changed: toStart.length > 0 || stateChanged || placed || envChanged,
    actions,
    services: after,
  };
}

/** Starts (or keeps) the stack's services; opts.only limits it to some ("postgres,s3" or an array). */
async function up(opts = {}) {
  const ctx = context(opts);
  const names = selected(opts.only);
  return state.withLock(ctx.l, () => upLocked(ctx, names, { explicit: Boolean(opts.only) }));
}

/** Each service's state ('healthy' | 'unhealthy' | 'stopped' | 'external' | 'disabled'), pid, address, log. */
async function status(opts = {}) {
  const ctx = context(opts);
  const names = selected(opts.only);
  const services = await Promise.all(names.map((n) => inspect(ctx, SERVICES[n])));
  const healthy = services.every((s) => !s.enabled || s.healthy);
  return { stackDir: ctx.l.root, envFile: ctx.l.envFile, healthy, services };
}

/** Stops every process the stack started (data kept); opts.purge also deletes the stack dir and the dirs it keeps elsewhere. */
async function down(opts = {}) {
  const ctx = context(opts);
  if (!fs.existsSync(ctx.l.root)) return { stackDir: ctx.l.root, stopped: [], purged: false, deleted: [] };
  const stopped = await state.withLock(ctx.l, async () => {
    const pids = await Promise.all(SERVICE_NAMES.map((n) => stopOne(ctx, SERVICES[n])));
    return SERVICE_NAMES.map((name, i) => ({ name, pid: pids[i] })).filter((s) => s.pid);
  });
  const deleted = [];
  if (opts.purge) {
    const outside = SERVICE_NAMES.flatMap((n) => (SERVICES[n].outsideDirs ? SERVICES[n].outsideDirs(ctx) : []));
    fs.rmSync(ctx.l.root, { recursive: true, force: true });
    deleted.push(ctx.l.root);
    for (const dir of outside) {
      if (isInside(dir, ctx.l.root) || !fs.existsSync(dir)) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      deleted.push(dir);
    }
  }
  return { stackDir: ctx.l.root, stopped, purged: Boolean(opts.purge), deleted };
}

/** Stops one service (e.g. tests stopping PostgreSQL to see how the app copes); returns its new status. */
async function stopService(name, opts = {}) {
  const svc = serviceFor(name);
  const ctx = context(opts);
  if (fs.existsSync(ctx.l.root)) await state.withLock(ctx.l, () => stopOne(ctx, svc));
  return inspect(ctx, svc);
}

/** Starts one service unless it is already healthy; returns its status. */
async function startService(name, opts = {}) {
  serviceFor(name);
  const ctx = context(opts);
  await state.withLock(ctx.l, () => upLocked(ctx, [name], { explicit: true }));
  return inspect(ctx, SERVICES[name]);
}

module.exports = {
  up,
  down,
  status,
  startService,
  stopService,
  readStackEnv: state.readStackEnv,
  SERVICE_NAMES,
};
