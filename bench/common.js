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

/** CPU seconds of a process and its reaped children (utime + stime + cutime + cstime), 0 once it is gone. */
function cpuOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), seconds: (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100 };
  } catch {
    return { ppid: 0, seconds: 0 };
  }
}

/**
 * CPU seconds used so far, by part: the local stack's PostgreSQL (the postmaster with its live
 * backends) and Temporal, the given processes (name -> pid, with the children they reaped: the
 * sandbox runs of a grading worker) and this process (`bench`: whatever the benchmark hosts in
 * process, e.g. the API and the GitLab emulator). `since(before)` answers the difference.
 */
function cpuMeter(pids = {}) {
  const state = require(path.join(__dirname, '../tooling/stack/lib/state.js'));
  const l = state.layout(state.resolveStackDir());
  const stack = { postgres: state.readPid(l, 'postgres'), temporal: state.readPid(l, 'temporal') };
  const sample = () => {
    const out = {};
    const procs = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((d) => ({ pid: Number(d), ...cpuOf(d) }));
    for (const [name, pid] of Object.entries(stack)) {
      out[name] = pid ? cpuOf(pid).seconds + procs.filter((p) => p.ppid === pid).reduce((sum, p) => sum + p.seconds, 0) : 0;
    }
    for (const [name, pid] of Object.entries(pids)) out[name] = cpuOf(pid).seconds;
    const self = process.cpuUsage();
    out.bench = (self.user + self.system) / 1e6;
    return out;
  };
  return {
    sample,
    since(before) {
      const now = sample();
      return Object.fromEntries(Object.keys(now).map((k) => [k, Math.round((now[k] - (before[k] ?? 0)) * 10) / 10]));
    },
  };
}

module.exports = { api, cpuMeter, parseOptions, percentile, progress, upload, writeResults };
