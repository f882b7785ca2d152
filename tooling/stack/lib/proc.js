'use strict';
// Process helpers: run commands, start detached daemons, stop process groups, find binaries.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs a command to completion; never rejects on a non-zero exit (the caller decides). */
function run(cmd, args, { env, cwd, input, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let child;
    try {
      child = spawn(cmd, args, { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (error) {
      resolve({ code: -1, stdout, stderr: String(error), error });
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: stderr + String(error), error });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code === null ? -1 : code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/** Like run, but throws with the command's output when it fails. */
async function runOk(cmd, args, opts) {
  const result = await run(cmd, args, opts);
  if (result.code !== 0) {
    const output = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-20).join('\n');
    throw new Error(`\`${[cmd, ...args].join(' ')}\` exited with ${result.code}${result.signal ? ` (${result.signal})` : ''}:\n${output}`);
  }
  return result;
}

/**
 * Starts a daemon in its own session (so it outlives the CLI and is not hit by the terminal's
 * Ctrl-C), with stdout and stderr appended to logFile. Returns the pid.
 */
function spawnDetached(cmd, args, { env, cwd, logFile }) {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = fs.openSync(logFile, 'a');
  try {
    fs.writeSync(fd, `\n--- ${new Date().toISOString()} starting: ${[cmd, ...args].join(' ')}\n`);
    const child = spawn(cmd, args, { env, cwd, detached: true, stdio: ['ignore', fd, fd] });
    child.on('error', () => {});
    child.unref();
    if (!child.pid) throw new Error(`could not start ${cmd}`);
    return child.pid;
  } finally {
    fs.closeSync(fd);
  }
}

function isAlive(pid) {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return error.code === 'EPERM';
  }
  // A zombie still answers kill(0) until its parent reaps it; it is dead for our purposes.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** True when pid is alive and (where /proc exists) its command line contains marker: guards against pid reuse. */
function isOurProcess(pid, marker) {
  if (!isAlive(pid)) return false;
  if (!marker) return true;
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return cmdline.includes(marker);
  } catch (error) {
    return error.code !== 'ENOENT' || !fs.existsSync('/proc/self');
  }
}

function signal(pid, sig) {
  // Daemons are session leaders, so their pid is also their process group id.
  try {
    process.kill(-pid, sig);
    return;
  } catch {
    // not a group leader (or already gone): fall through to the single process
  }
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** SIGTERM, wait up to graceMs, then SIGKILL. Resolves true when the process is gone. */
async function stopPid(pid, { graceMs = 15_000 } = {}) {
  if (!isAlive(pid)) return true;
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(50);
  }
  signal(pid, 'SIGKILL');
  const killDeadline = Date.now() + 5_000;
  while (Date.now() < killDeadline) {
    if (!isAlive(pid)) return true;
    await sleep(50);
  }
  return !isAlive(pid);
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Looks a command up on PATH without spawning `which`. */
function which(cmd, env = process.env) {
  for (const dir of (env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, cmd);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

/** The environment minus variables whose names start with one of prefixes. */
function envWithout(env, prefixes) {
  const out = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && !prefixes.some((p) => key.startsWith(p))) out[key] = value;
  }
  return out;
}

function tailFile(file, lines = 20) {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

module.exports = { sleep, run, runOk, spawnDetached, isAlive, isOurProcess, stopPid, isExecutable, which, envWithout, tailFile };
