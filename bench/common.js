// Shared helpers of the benchmarks: argument parsing, results file, percentiles, progress lines.
const fs = require('node:fs');
const path = require('node:path');
const { formatProgress } = require('@computor/contracts');

function parseOptions(defaults) {
  const out = { ...defaults };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unexpected argument ${argv[i]}`);
    const key = m[1].replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in defaults)) throw new Error(`unknown option --${m[1]} (known: ${Object.keys(defaults).map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(' ')})`);
    const raw = m[2] ?? argv[++i];
    out[key] = typeof defaults[key] === 'number' ? Number(raw) : raw;
    if (typeof defaults[key] === 'number' && !Number.isFinite(out[key])) throw new Error(`--${m[1]} must be a number`);
  }
  return out;
}

function writeResults(name, figures) {
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, `${JSON.stringify(figures, null, 2)}\n`);
  return file;
}

function percentile(values, p) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/* global fetch, FormData, Blob */
/** A JSON request to the API as `token`; throws on a non-2xx answer. */
async function api(base, token, method, url, body) {
  const res = await fetch(`${base}${url}`, { method, headers: { Authorization: `Bearer ${token}` }, body });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Uploads a hand-in archive for a course content. */
async function upload(base, token, contentId, archive) {
  const form = new FormData();
  form.append('course_content_id', contentId);
  form.append('archive', new Blob([archive]), 'hand-in.tar.gz');
  return api(base, token, 'POST', '/submissions', form);
}

/**
 * Progress of `total` items on stderr as they finish (`12/200 graded (6 %)`): about 20 lines in a
 * log, one line redrawn on a terminal. stdout stays the figures.
 */
function progress(total, what, stream = process.stderr) {
  let done = 0;
  let printed = 0;
  const step = Math.max(1, Math.ceil(total / 20));
  const show = (n) => {
    if (n === done && n !== 0) return;
    done = n;
    const line = formatProgress(n, total, what);
    if (stream.isTTY) stream.write(`\r${line}${n >= total ? '\n' : ''}`);
    else if (n >= total || n >= printed + step) {
      stream.write(`${line}\n`);
      printed = n;
    }
  };
  return {
    /** One more item finished. */
    tick: () => show(done + 1),
    /** `n` items finished so far (a poll's count). */
    set: (n) => show(Math.min(n, total)),
  };
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime+stime (+ reaped children's) of `pid` and its live descendants, in ms; 0 once it is gone. */
function processTreeCpuMs(pid) {
  const stat = (p) => {
    try {
      const text = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      // Fields after the command (which may contain spaces) start at state: ppid is [1], utime [11].
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) };
    } catch {
      return null;
    }
  };
  const all = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(name);
    if (s) all.set(Number(name), s);
  }
  let ticks = 0;
  const todo = [Number(pid)];
  const seen = new Set();
  while (todo.length) {
    const p = todo.pop();
    if (seen.has(p) || !all.has(p)) continue;
    seen.add(p);
    ticks += all.get(p).ticks;
    for (const [child, s] of all) if (s.ppid === p) todo.push(child);
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** CPU ms per named process (tree) between `start()` and `stop()`. */
function cpuMeter(pids) {
  const read = () => Object.fromEntries(Object.entries(pids).filter(([, pid]) => pid).map(([name, pid]) => [name, processTreeCpuMs(pid)]));
  let before = null;
  return {
    start() {
      before = read();
    },
    stop() {
      const after = read();
      return Object.fromEntries(Object.keys(after).map((name) => [name, Math.round(after[name] - (before?.[name] ?? 0))]));
    },
  };
}

/**
 * Busy CPU time of the whole machine in ms (all CPUs, from /proc/stat: everything but idle and
 * iowait), for what no process tree accounts for: the kernel's own threads, and processes that
 * outlive their parent's wait (reparented ones).
 */
function machineBusyMs() {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = fields;
  return ((user + nice + system + irq + softirq + steal) * 1000) / TICKS_PER_SECOND;
}

/** Pids of the local stack's services (tooling/stack writes <stack>/run/<svc>.pid). */
function stackPids() {
  const dir = path.join(process.env.COMPUTOR_STACK_DIR ?? path.join(__dirname, '..', '.stack'), 'run');
  const out = {};
  for (const svc of ['temporal', 'postgres', 'gitlab', 's3']) {
    try {
      out[svc] = Number(fs.readFileSync(path.join(dir, `${svc}.pid`), 'utf8').trim());
    } catch {
      // not running
    }
  }
  return out;
}

module.exports = { api, cpuMeter, machineBusyMs, parseOptions, percentile, processTreeCpuMs, progress, stackPids, upload, writeResults };
