'use strict';
// A project-local PostgreSQL cluster (initdb/pg_ctl on <stack>/postgres/data), or an external one
// when DATABASE_URL is set. As root, the cluster runs as the `postgres` system user because initdb
// and postgres refuse to run as root; when that user cannot enter the stack dir (a checkout under a
// 0700 home), the cluster lives in /var/lib/computor-stack/pg-<hash of the stack dir> instead.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { run, runOk, isExecutable, isOurProcess, stopPid, which, envWithout } = require('../proc');
const { canConnect, HOST } = require('../net');
const { writeIfChanged } = require('../state');

const ROLE = 'computor';
const PASSWORD = 'computor';
const DATABASE = 'computor';
const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;
/** Parent of the clusters of stack dirs the postgres system user cannot enter (root only). */
const OUTSIDE_ROOT = '/var/lib/computor-stack';

// Tuned for tests: durability is traded for speed, which is fine for throwaway dev data.
const tuning = (ctx, port) => `# Written by tooling/stack on every start; edit tooling/stack/lib/services/postgres.js instead.
listen_addresses = '${HOST}'
port = ${port}
unix_socket_directories = '${socketDir(ctx)}'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
checkpoint_timeout = 30min
timezone = 'UTC'
log_timezone = 'UTC'
log_min_messages = warning
`;

// PG* variables (PGHOST, PGPORT, PGUSER, ...) would redirect our tools to another server.
const pgEnv = (env) => envWithout(env, ['PG']);

function binDirHas(dir) {
  return dir && isExecutable(path.join(dir, 'initdb')) && isExecutable(path.join(dir, 'pg_ctl'));
}

/** Directory with initdb and pg_ctl: $COMPUTOR_PG_BIN, else Debian's /usr/lib/postgresql/<newest>/bin, else PATH. */
function findPostgresBin(env = process.env) {
  if (env.COMPUTOR_PG_BIN) {
    if (!binDirHas(env.COMPUTOR_PG_BIN)) throw new Error(`COMPUTOR_PG_BIN=${env.COMPUTOR_PG_BIN} has no initdb and pg_ctl`);
    return env.COMPUTOR_PG_BIN;
  }
  const debian = '/usr/lib/postgresql';
  try {
    const versions = fs.readdirSync(debian).filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (binDirHas(path.join(debian, v, 'bin'))) return path.join(debian, v, 'bin');
  } catch {
    // not Debian-style
  }
  const initdb = which('initdb', env);
  if (initdb) {
    const dir = path.dirname(fs.realpathSync(initdb));
    if (binDirHas(dir)) return dir;
  }
  return null;
}

async function installPostgres(ctx) {
  const apt = which('apt-get', ctx.env);
  if (!IS_ROOT || !apt) {
    throw new Error('PostgreSQL is not installed (no initdb/pg_ctl found). Install it (Debian/Ubuntu: `apt-get install -y postgresql`, macOS: `brew install postgresql`), set COMPUTOR_PG_BIN to its bin directory, or set DATABASE_URL to use an existing server.');
  }
  ctx.log('postgres: PostgreSQL is not installed; running `apt-get update && apt-get install -y postgresql` (as root)');
  const aptEnv = { ...ctx.env, DEBIAN_FRONTEND: 'noninteractive' };
  await runOk(apt, ['update'], { env: aptEnv, timeoutMs: 600_000 });
  await runOk(apt, ['install', '-y', '--no-install-recommends', 'postgresql'], { env: aptEnv, timeoutMs: 900_000 });
  const bin = findPostgresBin(ctx.env);
  if (!bin) throw new Error('apt-get installed postgresql but initdb/pg_ctl are still not found under /usr/lib/postgresql/*/bin');
  return bin;
}

async function ensureBin(ctx) {
  return findPostgresBin(ctx.env) || installPostgres(ctx);
}

// state.json's postgresDir, once set, is where the cluster lives (see placeCluster).
function paths(ctx) {
  const outside = ctx.state.postgresDir;
  const dir = outside || ctx.l.serviceDir('postgres');
  // pg_ctl opens the log as the postgres user: outside, it sits next to the cluster and <stack>/logs links to it.
  const log = outside ? path.join(dir, 'postgres.log') : ctx.l.logFile('postgres');
  return { dir, data: path.join(dir, 'data'), conf: path.join(dir, 'data', 'computor-stack.conf'), log };
}

/** The cluster dir for a stack dir the postgres user cannot enter: one per stack dir, stable across purges of state.json. */
function outsideClusterDir(stackDir) {
  const hash = crypto.createHash('sha256').update(fs.realpathSync(stackDir)).digest('hex').slice(0, 16);
  return path.join(OUTSIDE_ROOT, `pg-${hash}`);
}

// Unix socket paths are limited to 107 bytes; a deep stack dir falls back to a short tmp path.
function socketDir(ctx) {
  const preferred = path.join(paths(ctx).dir, 'run');
  if (preferred.length <= 80) return preferred;
  const hash = crypto.createHash('sha256').update(ctx.l.root).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), `computor-pg-${hash}`);
}

let pgIds;
async function postgresIds(ctx) {
  if (!pgIds) {
    const uid = await run('id', ['-u', 'postgres'], { env: ctx.env });
    const gid = await run('id', ['-g', 'postgres'], { env: ctx.env });
    if (uid.code !== 0) throw new Error('running as root, but there is no `postgres` system user to run PostgreSQL as (it comes with the Debian postgresql package; or run `pnpm stack` as a normal user)');
    pgIds = { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  return pgIds;
}

/** Runs a PostgreSQL tool as the postgres system user when we are root, as ourselves otherwise. */
function asPostgres(ctx, cmd, args, opts = {}) {
  const env = pgEnv(ctx.env);
  if (IS_ROOT) return run('runuser', ['-u', 'postgres', '--', cmd, ...args], { env, cwd: paths(ctx).dir, ...opts });
  return run(cmd, args, { env, cwd: paths(ctx).dir, ...opts });
}

async function asPostgresOk(ctx, cmd, args, opts) {
  const res = await asPostgres(ctx, cmd, args, opts);
  if (res.code !== 0) {
    const output = `${res.stdout}\n${res.stderr}`.trim().split('\n').slice(-20).join('\n');
    throw new Error(`\`${path.basename(cmd)} ${args.join(' ')}\`${IS_ROOT ? ' (as user postgres)' : ''} exited with ${res.code}:\n${output}`);
  }
  return res;
}

async function ownDir(ctx, dir, mode) {
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, mode);
  if (IS_ROOT) {
    const { uid, gid } = await postgresIds(ctx);
    fs.chownSync(dir, uid, gid);
  }
}

async function ownFile(ctx, file) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.closeSync(fs.openSync(file, 'a'));
  if (IS_ROOT) {
    const { uid, gid } = await postgresIds(ctx);
    fs.chownSync(file, uid, gid);
  }
}

function postmasterPid(ctx) {
  try {
    const pid = Number.parseInt(fs.readFileSync(path.join(paths(ctx).data, 'postmaster.pid'), 'utf8').split('\n')[0], 10);
    return Number.isFinite(pid) ? pid : null;
  } catch {
    return null;
  }
}

/**
 * As root, a new cluster goes outside the stack dir when the postgres user cannot enter it (every
 * parent must be searchable by others; Debian 12 home dirs are 0700). The choice is kept in
 * state.json; a cluster already in <stack>/postgres stays there.
 */
async function placeCluster(ctx) {
  if (!IS_ROOT || ctx.state.postgresDir) return;
  if (fs.existsSync(path.join(ctx.l.serviceDir('postgres'), 'data', 'PG_VERSION'))) return;
  const probe = await run('runuser', ['-u', 'postgres', '--', 'test', '-x', ctx.l.root], { env: ctx.env, cwd: '/' });
  if (probe.code === 0) return;
  const dir = outsideClusterDir(ctx.l.root);
  ctx.log(`postgres: the postgres system user cannot enter ${ctx.l.root} (a parent directory is not searchable by others); the cluster lives in ${dir}`);
  fs.mkdirSync(OUTSIDE_ROOT, { recursive: true, mode: 0o755 });
  await ownDir(ctx, dir, 0o700);
  // Tells whoever finds the dir which stack it belongs to (`pnpm stack down --purge` there deletes it).
  fs.writeFileSync(path.join(dir, 'stack-dir'), `${fs.realpathSync(ctx.l.root)}\n`);
  ctx.state.postgresDir = dir;
}

/** Points <stack>/logs/postgres.log at the log of a cluster outside the stack dir, so `stack logs postgres` finds it. */
function linkLog(ctx) {
  const p = paths(ctx);
  const link = ctx.l.logFile('postgres');
  if (p.log === link) return;
  try {
    if (fs.readlinkSync(link) === p.log) return;
  } catch {
    // missing, or a plain file from an earlier start: replaced
  }
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.rmSync(link, { force: true });
  fs.symlinkSync(p.log, link);
}

async function initCluster(ctx, bin) {
  const p = paths(ctx);
  // A cluster outside the stack dir keeps its dir to the postgres user; the local one is inside a dir of yours anyway.
  await ownDir(ctx, p.dir, ctx.state.postgresDir ? 0o700 : 0o755);
  if (IS_ROOT) {
    const probe = await run('runuser', ['-u', 'postgres', '--', 'test', '-w', p.dir], { env: ctx.env });
    if (probe.code !== 0) throw new Error(`the postgres system user cannot write ${p.dir}: every parent directory of the stack dir must be searchable by others (chmod o+x), or set COMPUTOR_STACK_DIR elsewhere`);
  }
  if (fs.existsSync(path.join(p.data, 'PG_VERSION'))) return false;
  fs.rmSync(p.data, { recursive: true, force: true });
  await ownDir(ctx, p.data, 0o700);
  ctx.log(`postgres: initdb ${p.data}`);
  const common = ['-D', p.data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-sync'];
  // C.UTF-8 gives Unicode-aware lower()/ILIKE; systems without that locale get the C locale.
  const first = await asPostgres(ctx, path.join(bin, 'initdb'), [...common, '--locale=C.UTF-8'], { timeoutMs: 180_000 });
  if (first.code !== 0) {
    fs.rmSync(p.data, { recursive: true, force: true });
    await ownDir(ctx, p.data, 0o700);
    await asPostgresOk(ctx, path.join(bin, 'initdb'), [...common, '--no-locale'], { timeoutMs: 180_000 });
  }
  fs.appendFileSync(path.join(p.data, 'postgresql.conf'), "\ninclude_if_exists = 'computor-stack.conf'\n");
  return true;
}

async function ensureRoleAndDatabase(ctx, bin) {
  const sql = `SET client_min_messages = warning;
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${ROLE}') THEN
    CREATE ROLE ${ROLE} LOGIN CREATEDB PASSWORD '${PASSWORD}';
  END IF;
END $$;
SELECT 'CREATE DATABASE ${DATABASE} OWNER ${ROLE}' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${DATABASE}') \\gexec
`;
  await runOk(path.join(bin, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', socketDir(ctx), '-p', String(ctx.state.ports.postgres), '-U', 'postgres', '-d', 'postgres', '-f', '-'], {
    env: pgEnv(ctx.env),
    input: sql,
    timeoutMs: 30_000,
  });
}

const localUrl = (ctx) => `postgresql://${ROLE}:${PASSWORD}@${HOST}:${ctx.state.ports.postgres}/${DATABASE}`;

/** DATABASE_URL from the environment, unless it is the URL of this stack's own cluster (e.g. a sourced stack.env). */
function externalUrl(ctx) {
  const url = ctx.env.DATABASE_URL;
  if (!url) return null;
  if (ctx.state.ports.postgres && url === localUrl(ctx)) return null;
  return url;
}

function psqlPath(ctx) {
  const bin = findPostgresBin(ctx.env);
  if (bin && isExecutable(path.join(bin, 'psql'))) return path.join(bin, 'psql');
  return which('psql', ctx.env);
}

async function queryOk(ctx, url) {
  const psql = psqlPath(ctx);
  if (!psql) return null;
  const res = await run(psql, ['-X', '-A', '-t', '-q', '-c', 'select 1', url], { env: { ...pgEnv(ctx.env), PGCONNECT_TIMEOUT: '3' }, timeoutMs: 5_000 });
  return res.code === 0 && res.stdout.trim() === '1' ? { healthy: true } : { healthy: false, detail: (res.stderr || res.stdout).trim().split('\n')[0] };
}

const postgres = {
  name: 'postgres',
  portKeys: ['postgres'],
  startTimeoutMs: 60_000,
  marker: (ctx) => paths(ctx).data,

  enabled: () => ({ enabled: true }),
  external: externalUrl,
  findPid: postmasterPid,

  async start(ctx) {
    const bin = await ensureBin(ctx);
    await placeCluster(ctx);
    const p = paths(ctx);
    await initCluster(ctx, bin);
    const versionFile = path.join(p.data, 'PG_VERSION');
    const dataMajor = fs.readFileSync(versionFile, 'utf8').trim();
    const binVersion = (await runOk(path.join(bin, 'pg_ctl'), ['--version'], { env: pgEnv(ctx.env) })).stdout;
    if (!binVersion.includes(` ${dataMajor}.`) && !binVersion.includes(` ${dataMajor} `)) {
      throw new Error(`${p.data} was created by PostgreSQL ${dataMajor} but ${bin} is ${binVersion.trim()}: set COMPUTOR_PG_BIN, or \`pnpm stack down --purge\` to start over`);
    }
    await ownDir(ctx, socketDir(ctx), 0o755);
    writeIfChanged(p.conf, tuning(ctx, ctx.state.ports.postgres));
    if (IS_ROOT) {
      const { uid, gid } = await postgresIds(ctx);
      fs.chownSync(p.conf, uid, gid);
    }
    const logFile = p.log;
    await ownFile(ctx, logFile);
    linkLog(ctx);
    fs.appendFileSync(logFile, `\n--- ${new Date().toISOString()} starting: pg_ctl -D ${p.data} start\n`);
    await asPostgresOk(ctx, path.join(bin, 'pg_ctl'), ['-D', p.data, '-l', logFile, '-w', '-t', '60', '-s', 'start'], { timeoutMs: 90_000 });
    await ensureRoleAndDatabase(ctx, bin);
    return { pid: postmasterPid(ctx) };
  },

  async stop(ctx, pid) {
    const bin = findPostgresBin(ctx.env);
    if (bin && fs.existsSync(path.join(paths(ctx).data, 'postmaster.pid'))) {
      await asPostgres(ctx, path.join(bin, 'pg_ctl'), ['-D', paths(ctx).data, '-m', 'fast', '-w', '-t', '30', '-s', 'stop'], { timeoutMs: 45_000 });
    }
    if (pid && isOurProcess(pid, paths(ctx).data)) await stopPid(pid);
  },

  async health(ctx) {
    const external = externalUrl(ctx);
    if (external) {
      let result = await queryOk(ctx, external);
      if (!result) {
        const u = new URL(external);
        const ok = await canConnect(Number(u.port || 5432), { host: u.hostname });
        result = ok ? { healthy: true } : { healthy: false, detail: `cannot connect to ${u.hostname}:${u.port || 5432}` };
      }
      // A stale sourced stack.env is the usual way an unintended DATABASE_URL gets here.
      if (!result.healthy) result.detail += ' (DATABASE_URL is set in the environment, so the stack uses it instead of its own cluster; unset it to use the local one)';
      return result;
    }
    if (!(await canConnect(ctx.state.ports.postgres))) return { healthy: false, detail: 'port not accepting connections' };
    return (await queryOk(ctx, localUrl(ctx))) || { healthy: false, detail: 'psql not found for the health check' };
  },

  env(ctx) {
    const external = externalUrl(ctx);
    if (external) return { DATABASE_URL: external };
    if (!ctx.state.ports.postgres) return {};
    return { DATABASE_URL: localUrl(ctx) };
  },

  describe(ctx) {
    const external = externalUrl(ctx);
    if (external) return { url: external.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@') };
    return { address: `${HOST}:${ctx.state.ports.postgres}`, url: localUrl(ctx), dataDir: paths(ctx).data, socketDir: socketDir(ctx) };
  },

  /** Dirs outside the stack dir that `down --purge` deletes: a tmp socket dir, a cluster in /var/lib/computor-stack. */
  outsideDirs(ctx) {
    const dirs = [socketDir(ctx)];
    // Only a dir this code would have chosen: state.json is a file people edit.
    if (ctx.state.postgresDir && path.dirname(ctx.state.postgresDir) === OUTSIDE_ROOT) dirs.push(ctx.state.postgresDir);
    return dirs;
  },
};

module.exports = { postgres, findPostgresBin, outsideClusterDir, OUTSIDE_ROOT };
