// Requests per second the emulator serves with latency 0. The emulator runs as its own process
// (pinned to one core with `taskset -c 0` when available); this load generator uses keep-alive
// connections from the other core. Bounded: each scenario runs for DURATION_MS.
// Usage: node bench/rps.js [durationMs=3000] [concurrency=16]   (after `pnpm build`)
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const http = require('node:http');
const { join } = require('node:path');
const { createInterface } = require('node:readline');

const DURATION_MS = Number(process.argv[2] ?? 3000);
const CONCURRENCY = Number(process.argv[3] ?? 16);
const TOKEN = 'bench-token';
const main = join(__dirname, '..', 'dist', 'main.js');

function startEmulator() {
  const pin = spawnSync('taskset', ['--version']).status === 0;
  const cmd = pin ? 'taskset' : process.execPath;
  const args = pin ? ['-c', '0', process.execPath, main] : [main];
  const child = spawn(cmd, [...args, '--port', '0', '--token', TOKEN], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve({ child, url: JSON.parse(line).url, pinned: pin }));
  });
}

function request(agent, base, method, path, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(`${base}${path}`, { method, agent, headers: { 'private-token': TOKEN, ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function scenario(name, base, make) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let done = 0;
  let errors = 0;
  const end = Date.now() + DURATION_MS;
  const start = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      let i = 0;
      while (Date.now() < end) {
        const [method, path, body] = make(worker, i);
        i += 1;
        const res = await request(agent, base, method, path, body);
        if (res.status >= 400) errors += 1;
        done += 1;
      }
    }),
  );
  const seconds = (Date.now() - start) / 1000;
  agent.destroy();
  return { scenario: name, requests: done, errors, rps: Math.round(done / seconds) };
}

(async () => {
  const { child, url, pinned } = await startEmulator();
  const base = `${url}/api/v4`;
  try {
    const group = JSON.parse((await request(undefined, base, 'POST', '/groups', { name: 'Bench', path: 'bench' })).body);
    const project = JSON.parse((await request(undefined, base, 'POST', '/projects', { name: 'tpl', namespace_id: group.id, initialize_with_readme: true })).body);
    for (let i = 0; i < 30; i += 1) await request(undefined, base, 'POST', '/groups', { name: `S${i}`, path: `s${i}`, parent_id: group.id });
    const results = [];
    results.push(await scenario('GET /user', base, () => ['GET', '/user']));
    results.push(await scenario('GET /projects/:path (encoded full path)', base, () => ['GET', `/projects/${encodeURIComponent('bench/tpl')}`]));
    results.push(await scenario('GET /groups/:id/subgroups (page of 20)', base, () => ['GET', `/groups/${group.id}/subgroups`]));
    const seedFiles = Array.from({ length: CONCURRENCY }, (_, w) => ({ action: 'create', file_path: `w${w}/file.txt`, content: '0' }));
    await request(undefined, base, 'POST', `/projects/${project.id}/repository/commits`, { branch: 'main', commit_message: 'seed', actions: seedFiles });
    // Updates keep the repository small (one file per worker), as in a template release.
    results.push(
      await scenario('POST /projects/:id/repository/commits (update, small repo)', base, (w, i) => [
        'POST',
        `/projects/${project.id}/repository/commits`,
        { branch: 'main', commit_message: 'bench', actions: [{ action: 'update', file_path: `w${w}/file.txt`, content: `${i}` }] },
      ]),
    );
    results.push(
      await scenario('POST /projects/:id/repository/commits (create, repo grows)', base, (w, i) => [
        'POST',
        `/projects/${project.id}/repository/commits`,
        { branch: 'main', commit_message: 'bench', actions: [{ action: 'create', file_path: `w${w}/f${i}.txt`, content: 'x' }] },
      ]),
    );
    results.push(
      await scenario('POST /groups (create)', base, (w, i) => ['POST', '/groups', { name: `g${w}-${i}`, path: `g${w}-${i}`, parent_id: group.id }]),
    );
    process.stdout.write(`${JSON.stringify({ emulatorPinnedToOneCore: pinned, durationMs: DURATION_MS, concurrency: CONCURRENCY, results }, null, 2)}\n`);
  } finally {
    child.kill('SIGTERM');
  }
})().catch((e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exit(1);
});
